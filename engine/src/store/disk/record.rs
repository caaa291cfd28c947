//! The journal record: its byte layout, encoders and decoders, and the checks that tell a valid
//! record from a torn or damaged one. Also the two small values sled stores about the journal: a
//! record's [`Location`] (the `chunks` tree) and a [`Position`] (`journal.indexed`).
//!
//! Layouts are written above their encoders: [`frame`] (every record), [`encode_chunk_record`],
//! [`encode_root_record`], [`Location::encode`] and [`Position::encode`]. Decoding never panics
//! and never allocates more than a record could hold: bad bytes are `Error::Corrupted`.

use super::journal_name;
use crate::error::{Error, Result};
use crate::hash::{Hash, HASH_LEN};
use crate::store::verify;
use bytes::Bytes;
use std::fmt;

/// Bytes of a journal record before its payload: length, kind, check.
pub(super) const HEADER_LEN: usize = 4 + 1 + HASH_LEN;

/// Record kind: the payload is the chunk itself.
const KIND_RAW: u8 = 0;

/// Record kind: the payload is `lz4_flex::compress_prepend_size` of the chunk.
const KIND_LZ4: u8 = 1;

/// Record kind: the payload is a root change.
pub(super) const KIND_ROOT: u8 = 2;

/// An lz4 block expands at most 255-fold (each extra match-length byte adds at most 255 output
/// bytes), so a prefix claiming more than this is damage; refusing it keeps a flipped bit from
/// allocating gigabytes.
const LZ4_MAX_RATIO: usize = 255;

/// Where a record lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Location {
    pub(super) file: u32,
    pub(super) offset: u64,
    pub(super) len: u32,
}

/// A position in the journal: a file and an offset in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Position {
    pub(super) file: u32,
    pub(super) offset: u64,
}

/// A root change, as a root record carries it: `value` `None` deletes the root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RootChange {
    pub(super) name: String,
    pub(super) value: Option<Vec<u8>>,
}

impl Location {
    // Index value in the `chunks` tree, 16 bytes:
    //   u32 BE file id | u64 BE offset of the record in the file | u32 BE record length
    pub(super) fn encode(&self) -> [u8; 16] {
        let mut out = [0; 16];
        out[0..4].copy_from_slice(&self.file.to_be_bytes());
        out[4..12].copy_from_slice(&self.offset.to_be_bytes());
        out[12..16].copy_from_slice(&self.len.to_be_bytes());
        out
    }

    pub(super) fn decode(addr: &Hash, bytes: &[u8]) -> Result<Location> {
        let bad = || Error::corrupted(*addr, format!("index entry of {} bytes", bytes.len()));
        let bytes: &[u8; 16] = bytes.try_into().map_err(|_| bad())?;
        let (file, rest) = bytes.split_first_chunk::<4>().ok_or_else(bad)?;
        let (offset, len) = rest.split_first_chunk::<8>().ok_or_else(bad)?;
        Ok(Location {
            file: u32::from_be_bytes(*file),
            offset: u64::from_be_bytes(*offset),
            len: decode_u32(len).ok_or_else(bad)?,
        })
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} offset {}", journal_name(self.file), self.offset)
    }
}

impl Position {
    /// The start of the first journal file: where a new store's replay begins.
    pub(super) const START: Position = Position { file: 1, offset: 0 };

    // meta `journal.indexed`, 12 bytes: u32 BE file id | u64 BE offset in that file.
    // Every journal record before this position is reflected in sled.
    pub(super) fn encode(&self) -> [u8; 12] {
        let mut out = [0; 12];
        out[0..4].copy_from_slice(&self.file.to_be_bytes());
        out[4..12].copy_from_slice(&self.offset.to_be_bytes());
        out
    }

    pub(super) fn decode(bytes: &[u8]) -> Option<Position> {
        let bytes: &[u8; 12] = bytes.try_into().ok()?;
        let (file, offset) = bytes.split_first_chunk::<4>()?;
        Some(Position {
            file: u32::from_be_bytes(*file),
            offset: decode_u64(offset)?,
        })
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} offset {}", journal_name(self.file), self.offset)
    }
}

// Journal record, appended to a journal file:
//   u32 LE payload_len | u8 kind | [20] check | payload (payload_len bytes)
// kind 0 (raw chunk):  payload is the chunk; check is its address (the hash of the chunk).
// kind 1 (lz4 chunk):  payload is u32 LE uncompressed length | lz4 block
//                      (lz4_flex::compress_prepend_size); check is the uncompressed chunk's address.
// kind 2 (root):       payload as in `encode_root_record`; check is Hash::of(payload).
// A record is valid iff its header is complete, its payload fits in the file and the payload
// (decompressed, for lz4) hashes to the check. The whole record's length fits in a u32, because
// the index keeps it in one.
fn frame(kind: u8, check: &Hash, payload: &[u8]) -> Result<Vec<u8>> {
    let payload_len = u32::try_from(HEADER_LEN + payload.len())
        .map(|record_len| record_len - HEADER_LEN as u32)
        .map_err(|_| {
            Error::InvalidInput(format!(
                "journal record payload of {} bytes is too big",
                payload.len()
            ))
        })?;
    let mut record = Vec::with_capacity(HEADER_LEN + payload.len());
    record.extend_from_slice(&payload_len.to_le_bytes());
    record.push(kind);
    record.extend_from_slice(check.as_bytes());
    record.extend_from_slice(payload);
    Ok(record)
}

// Chunk record: kind 1 (lz4) when the compressed payload is at most 7/8 of the chunk's size,
// else kind 0 (raw). See `frame`.
pub(super) fn encode_chunk_record(addr: &Hash, chunk: &[u8], compress: bool) -> Result<Vec<u8>> {
    let compressed = compress
        .then(|| lz4_flex::compress_prepend_size(chunk))
        .filter(|compressed| compressed.len() as u64 * 8 <= chunk.len() as u64 * 7);
    match &compressed {
        Some(compressed) => frame(KIND_LZ4, addr, compressed),
        None => frame(KIND_RAW, addr, chunk),
    }
}

// Root record (kind 2) payload:
//   u16 LE name_len | name (name_len bytes, utf-8) | u8 present (0 = deleted, 1 = set)
//   | value bytes (the rest; none when deleted)
// Its check is Hash::of(payload). See `frame`.
pub(super) fn encode_root_record(change: &RootChange) -> Result<Vec<u8>> {
    let name = change.name.as_bytes();
    let name_len = u16::try_from(name.len()).map_err(|_| {
        Error::InvalidInput(format!(
            "root name of {} bytes is too long (at most {})",
            name.len(),
            u16::MAX
        ))
    })?;
    let value = change.value.as_deref().unwrap_or_default();
    let mut payload = Vec::with_capacity(2 + name.len() + 1 + value.len());
    payload.extend_from_slice(&name_len.to_le_bytes());
    payload.extend_from_slice(name);
    payload.push(u8::from(change.value.is_some()));
    payload.extend_from_slice(value);
    frame(KIND_ROOT, &Hash::of(&payload), &payload)
}

/// Decodes the payload of a root record whose header says `check`.
pub(super) fn decode_root(check: &Hash, payload: &[u8]) -> Result<RootChange> {
    verify(check, payload)?;
    let bad = |reason: &str| Error::corrupted(*check, format!("root record: {reason}"));
    let (name_len, rest) = payload
        .split_first_chunk::<2>()
        .ok_or_else(|| bad("no name length"))?;
    let name_len = u16::from_le_bytes(*name_len) as usize;
    if rest.len() <= name_len {
        return Err(bad("name and presence byte run past the payload"));
    }
    let (name, rest) = rest.split_at(name_len);
    let name = std::str::from_utf8(name).map_err(|_| bad("name is not utf-8"))?;
    let value = match rest {
        [0] => None,
        [1, value @ ..] => Some(value.to_vec()),
        [0, ..] => return Err(bad("a deleted root carries a value")),
        [present, ..] => return Err(bad(&format!("presence byte {present}"))),
        [] => return Err(bad("no presence byte")),
    };
    Ok(RootChange {
        name: name.to_string(),
        value,
    })
}

/// Decodes a journal record read for `addr`, checking everything: length, address, kind, and
/// the hash of the decoded chunk.
pub(super) fn decode_record(addr: &Hash, record: &Bytes) -> Result<Bytes> {
    let corrupted = |reason: String| Error::corrupted(*addr, reason);
    if record.len() < HEADER_LEN {
        return Err(corrupted(format!(
            "record of {} bytes is shorter than its header",
            record.len()
        )));
    }
    let payload_len = decode_u32_le(&record[0..4]).unwrap_or(u32::MAX) as usize;
    if HEADER_LEN.checked_add(payload_len) != Some(record.len()) {
        return Err(corrupted(format!(
            "record of {} bytes says its payload has {payload_len}",
            record.len()
        )));
    }
    let stored = Hash::from_slice(&record[5..HEADER_LEN]).unwrap_or(Hash::ZERO);
    if stored != *addr {
        return Err(corrupted(format!("record holds chunk {stored}")));
    }
    decode_chunk(addr, record[4], record.slice(HEADER_LEN..))
}

/// Decodes the payload of a chunk record of `kind` and verifies that it hashes to `addr`.
pub(super) fn decode_chunk(addr: &Hash, kind: u8, payload: Bytes) -> Result<Bytes> {
    let chunk = match kind {
        KIND_RAW => payload,
        KIND_LZ4 => decompress(addr, &payload)?,
        KIND_ROOT => {
            return Err(Error::corrupted(
                *addr,
                "record is a root record, not a chunk",
            ))
        }
        other => {
            return Err(Error::corrupted(
                *addr,
                format!("unknown record kind {other}"),
            ))
        }
    };
    verify(addr, &chunk)?;
    Ok(chunk)
}

fn decompress(addr: &Hash, payload: &[u8]) -> Result<Bytes> {
    let corrupted = |reason: String| Error::corrupted(*addr, reason);
    let (size, block) = payload
        .split_first_chunk::<4>()
        .ok_or_else(|| corrupted("lz4 payload has no length prefix".to_string()))?;
    let size = u32::from_le_bytes(*size) as usize;
    if size > block.len().saturating_mul(LZ4_MAX_RATIO).saturating_add(64) {
        return Err(corrupted(format!(
            "lz4 block of {} bytes claims {size}",
            block.len()
        )));
    }
    let mut chunk = vec![0; size];
    let written = lz4_flex::block::decompress_into(block, &mut chunk)
        .map_err(|e| corrupted(format!("lz4: {e}")))?;
    if written != size {
        return Err(corrupted(format!(
            "lz4 block gave {written} bytes, expected {size}"
        )));
    }
    Ok(Bytes::from(chunk))
}

pub(super) fn decode_u32(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.try_into().ok()?))
}

fn decode_u32_le(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

fn decode_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_and_position_round_trip() {
        let location = Location {
            file: 7,
            offset: 1 << 40,
            len: 4096,
        };
        let addr = Hash::of(b"x");
        assert_eq!(
            Location::decode(&addr, &location.encode()).unwrap(),
            location
        );
        assert!(matches!(
            Location::decode(&addr, &[0; 15]),
            Err(Error::Corrupted { .. })
        ));
        let position = Position {
            file: 3,
            offset: (1 << 33) + 5,
        };
        assert_eq!(Position::decode(&position.encode()), Some(position));
        assert_eq!(Position::decode(&[0; 11]), None);
    }

    #[test]
    fn record_round_trip_both_codecs() {
        for chunk in [vec![7u8; 5000], (0..=255u8).collect::<Vec<_>>(), Vec::new()] {
            let addr = Hash::of(&chunk);
            let record = encode_chunk_record(&addr, &chunk, true).unwrap();
            assert_eq!(
                record[4],
                if chunk.len() == 5000 {
                    KIND_LZ4
                } else {
                    KIND_RAW
                }
            );
            assert_eq!(decode_record(&addr, &Bytes::from(record)).unwrap(), chunk);
        }
    }
}
