//! Open-time replay (step 5 of the design in `mod.rs`): the journal from `journal.indexed`
//! through every later file, in id order, re-enters sled; the first invalid record of the active
//! file starts a torn or unacknowledged tail, which is truncated; an invalid record in an earlier,
//! complete file is damage, reported with its file and offset.

use super::index::{index_err, Index};
use super::record::{
    decode_chunk, decode_root, Location, Position, RootChange, HEADER_LEN, KIND_ROOT,
};
use super::{create_journal, journal_name, journal_path, parse_journal_name};
use crate::error::{Error, Result};
use crate::hash::Hash;
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// Read-ahead of the journal scan in `open`.
const REPLAY_BUFFER: usize = 1 << 20;

/// What replaying one journal file found.
#[derive(Debug, Default)]
struct Scan {
    entries: HashMap<Hash, Location>,
    /// Root changes in journal order.
    roots: Vec<RootChange>,
    /// Where the valid records end.
    end: u64,
    /// The invalid record at `end`, if any: its check (zero if the header is cut short) and why.
    invalid: Option<(Hash, String)>,
}

/// One record as replay reads it.
enum Scanned {
    Chunk { addr: Hash, len: u32 },
    Root { change: RootChange, len: u32 },
    Invalid { check: Hash, reason: String },
}

impl Index {
    /// Brings sled up to date with the journal (step 5 of the module docs), flushes it, and
    /// returns the end of the active file's valid records.
    pub(super) fn replay(&self, dir: &Path) -> Result<Position> {
        let start = self.indexed()?;
        let ids = journal_ids(dir, start)?;
        let last = ids.last().copied().unwrap_or(start.file);
        let mut end = start;
        for id in ids {
            let from = if id == start.file { start.offset } else { 0 };
            let scan = scan_journal(dir, id, from)?;
            end = Position {
                file: id,
                offset: scan.end,
            };
            if let Some((check, reason)) = &scan.invalid {
                if id != last {
                    return Err(Error::corrupted(
                        *check,
                        format!("record at {end} of a complete journal file: {reason}"),
                    ));
                }
                truncate_journal(dir, end)?;
            }
            self.commit(&scan.entries, &scan.roots, end)?;
        }
        self.db.flush().map_err(index_err)?;
        Ok(end)
    }
}

/// Replays journal file `file_id` from offset `from`: collects the index entry of every valid
/// chunk record and the change of every valid root record, up to the end of the file or the
/// first invalid record.
fn scan_journal(dir: &Path, file_id: u32, from: u64) -> Result<Scan> {
    let name = journal_name(file_id);
    let read_err = |e| Error::io(format!("replaying journal {name}"), e);
    let file = File::open(journal_path(dir, file_id)).map_err(read_err)?;
    let len = file.metadata().map_err(read_err)?.len();
    if len < from {
        return Err(damaged(
            format!("replaying journal {name}"),
            format!("file has {len} bytes but the index covers {from}: it was cut short"),
        ));
    }
    let mut reader = BufReader::with_capacity(REPLAY_BUFFER, file);
    reader.seek(SeekFrom::Start(from)).map_err(read_err)?;
    let mut scan = Scan {
        end: from,
        ..Scan::default()
    };
    while scan.end < len {
        match read_entry(&mut reader, len - scan.end).map_err(read_err)? {
            Scanned::Chunk { addr, len } => {
                let location = Location {
                    file: file_id,
                    offset: scan.end,
                    len,
                };
                scan.entries.insert(addr, location);
                scan.end += u64::from(len);
            }
            Scanned::Root { change, len } => {
                scan.roots.push(change);
                scan.end += u64::from(len);
            }
            Scanned::Invalid { check, reason } => {
                scan.invalid = Some((check, reason));
                break;
            }
        }
    }
    Ok(scan)
}

/// Reads and checks the next record, `remaining` bytes before the end of the file. Only I/O
/// fails; bad bytes give `Scanned::Invalid`.
fn read_entry(reader: &mut impl Read, remaining: u64) -> io::Result<Scanned> {
    let invalid = |check, reason| Ok(Scanned::Invalid { check, reason });
    if remaining < HEADER_LEN as u64 {
        return invalid(
            Hash::ZERO,
            format!("header cut short: {remaining} bytes left in the file"),
        );
    }
    let mut header = [0; HEADER_LEN];
    reader.read_exact(&mut header)?;
    let (payload_len, rest) = header.split_first_chunk::<4>().unwrap_or((&[0; 4], &[]));
    let payload_len = u32::from_le_bytes(*payload_len);
    let (kind, check) = rest.split_first().unwrap_or((&u8::MAX, &[]));
    let check = Hash::from_slice(check).unwrap_or(Hash::ZERO);
    let record_len = u64::from(payload_len) + HEADER_LEN as u64;
    let Some(len) = u32::try_from(record_len)
        .ok()
        .filter(|_| record_len <= remaining)
    else {
        return invalid(
            check,
            format!("payload of {payload_len} bytes runs past the end of the file"),
        );
    };
    let mut payload = vec![0; payload_len as usize];
    reader.read_exact(&mut payload)?;
    let scanned = match *kind {
        KIND_ROOT => decode_root(&check, &payload).map(|change| Scanned::Root { change, len }),
        kind => {
            decode_chunk(&check, kind, payload.into()).map(|_| Scanned::Chunk { addr: check, len })
        }
    };
    Ok(scanned.unwrap_or_else(|e| Scanned::Invalid {
        check,
        reason: e.to_string(),
    }))
}

/// Ids of the journal files replay reads: `start.file` and every later one, in order and without
/// gaps. Creates `start.file` for a new store.
fn journal_ids(dir: &Path, start: Position) -> Result<Vec<u32>> {
    let journal_dir = dir.join("journal");
    let list_err = |e| Error::io(format!("listing {}", journal_dir.display()), e);
    let mut ids = Vec::new();
    for entry in fs::read_dir(&journal_dir).map_err(list_err)? {
        let entry = entry.map_err(list_err)?;
        match parse_journal_name(&entry.file_name()) {
            Some(id) if id >= start.file => ids.push(id),
            _ => {}
        }
    }
    ids.sort_unstable();
    if ids.first() != Some(&start.file) {
        if start.offset > 0 || !ids.is_empty() {
            return Err(damaged(
                format!("replaying journal {}", journal_name(start.file)),
                "the file is missing".to_string(),
            ));
        }
        create_journal(dir, start.file)?;
        ids.push(start.file);
    }
    if let Some((expected, _)) = (start.file..).zip(&ids).find(|(id, found)| id != *found) {
        return Err(damaged(
            format!("replaying journal {}", journal_name(expected)),
            "the file is missing, yet later ones exist".to_string(),
        ));
    }
    Ok(ids)
}

/// Cuts the active journal back to `end`, dropping a torn or unacknowledged tail.
fn truncate_journal(dir: &Path, end: Position) -> Result<()> {
    let context = || format!("truncating the torn tail of journal at {end}");
    let file = OpenOptions::new()
        .write(true)
        .open(journal_path(dir, end.file))
        .map_err(|e| Error::io(context(), e))?;
    file.set_len(end.offset)
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(context(), e))
}

/// An I/O-level error for journal files that are missing or shorter than the index says.
fn damaged(context: String, reason: String) -> Error {
    Error::io(context, io::Error::new(io::ErrorKind::InvalidData, reason))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::disk::record::{decode_record, encode_root_record};
    use bytes::Bytes;

    /// A root record replays to the change it was written from; every single-byte flip of it is
    /// invalid; `get` never takes one for a chunk.
    #[test]
    fn root_record_round_trip_and_flips() {
        let changes = [
            RootChange {
                name: "refs/heads/main".to_string(),
                value: Some(b"v1".to_vec()),
            },
            RootChange {
                name: "refs/heads/main".to_string(),
                value: Some(Vec::new()),
            },
            RootChange {
                name: "gone".to_string(),
                value: None,
            },
        ];
        for change in changes {
            let record = encode_root_record(&change).unwrap();
            let scan = |bytes: &[u8]| read_entry(&mut &bytes[..], bytes.len() as u64).unwrap();
            match scan(&record) {
                Scanned::Root { change: got, len } => {
                    assert_eq!((got, len as usize), (change.clone(), record.len()));
                }
                _ => panic!("{change:?} does not replay"),
            }
            for offset in 0..record.len() {
                let mut flipped = record.clone();
                flipped[offset] ^= 0x10;
                assert!(
                    matches!(scan(&flipped), Scanned::Invalid { .. }),
                    "flip at {offset}"
                );
            }
            let check = Hash::from_slice(&record[5..HEADER_LEN]).unwrap();
            assert!(decode_record(&check, &Bytes::from(record)).is_err());
        }
        let long = RootChange {
            name: "x".repeat(70_000),
            value: None,
        };
        assert!(matches!(
            encode_root_record(&long),
            Err(Error::InvalidInput(_))
        ));
    }
}
