//! Pack files: immutable bundles of chunks, named by the hash of their bytes, each with an
//! index of the chunks it holds so that a reader fetches only the byte ranges it lacks.
//!
//! A pack holds the chunks one push found missing on the remote; it is never changed after
//! it is written. Every chunk read from a pack is re-hashed against the address its index
//! gives, so a damaged or forged pack cannot put wrong bytes into a repository.

use crate::error::{Error, Result};
use bytes::{BufMut, Bytes, BytesMut};
use vdb_engine::Hash;

const PACK_MAGIC: &[u8; 8] = b"VDBPACK1";
const INDEX_MAGIC: &[u8; 8] = b"VDBIDX01";
/// Bytes of one index entry: address, offset, length.
const ENTRY_LEN: usize = 20 + 8 + 4;
const RAW: u8 = 0;
const LZ4: u8 = 1;

/// Where one chunk sits in a pack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackEntry {
    pub addr: Hash,
    /// Offset of the chunk's record in the pack file.
    pub offset: u64,
    /// Length of the record (header included).
    pub len: u32,
}

/// A pack being written.
#[derive(Debug)]
pub struct PackWriter {
    bytes: BytesMut,
    entries: Vec<PackEntry>,
}

impl Default for PackWriter {
    fn default() -> Self {
        let mut bytes = BytesMut::new();
        bytes.put_slice(PACK_MAGIC);
        PackWriter {
            bytes,
            entries: Vec::new(),
        }
    }
}

impl PackWriter {
    /// Chunks added so far.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    // Pack record layout:
    //   u8 kind (0 = raw chunk, 1 = lz4_flex::compress_prepend_size of the chunk)
    //   u32 LE payload length
    //   payload
    // lz4 is kept only when it is at most 7/8 of the raw size, as in the disk store's journal.
    /// Appends `chunk`, whose address is `addr`.
    pub fn add(&mut self, addr: Hash, chunk: &[u8]) {
        let offset = self.bytes.len() as u64;
        let packed = lz4_flex::compress_prepend_size(chunk);
        let (kind, payload) = if packed.len() * 8 <= chunk.len() * 7 {
            (LZ4, &packed[..])
        } else {
            (RAW, chunk)
        };
        self.bytes.put_u8(kind);
        self.bytes.put_u32_le(payload.len() as u32);
        self.bytes.put_slice(payload);
        let len = (self.bytes.len() as u64 - offset) as u32;
        self.entries.push(PackEntry { addr, offset, len });
    }

    // Index layout:
    //   [8] "VDBIDX01" | [20] pack name | u32 LE count
    //   count × ([20] chunk address | u64 LE record offset | u32 LE record length),
    //   ascending by address
    /// Finishes the pack: (name, pack bytes, index bytes). The name is the hash of the pack.
    pub fn finish(mut self) -> (Hash, Bytes, Bytes) {
        let pack = self.bytes.freeze();
        let name = Hash::of(&pack);
        self.entries.sort_by_key(|e| e.addr);
        let mut index = BytesMut::with_capacity(32 + self.entries.len() * ENTRY_LEN);
        index.put_slice(INDEX_MAGIC);
        index.put_slice(name.as_bytes());
        index.put_u32_le(self.entries.len() as u32);
        for e in &self.entries {
            index.put_slice(e.addr.as_bytes());
            index.put_u64_le(e.offset);
            index.put_u32_le(e.len);
        }
        (name, pack, index.freeze())
    }
}

/// Decodes the index of pack `name`.
pub fn decode_index(name: &Hash, bytes: &[u8]) -> Result<Vec<PackEntry>> {
    let bad = |why: &str| Error::Corrupted(format!("index of pack {name}: {why}"));
    if bytes.len() < 32 || &bytes[..8] != INDEX_MAGIC {
        return Err(bad("not a vdb pack index (bad magic or too short)"));
    }
    if &bytes[8..28] != name.as_bytes() {
        return Err(bad("it names another pack"));
    }
    let count = u32::from_le_bytes(bytes[28..32].try_into().expect("4 bytes")) as usize;
    let body = &bytes[32..];
    if body.len() != count * ENTRY_LEN {
        return Err(bad("its length does not match its entry count"));
    }
    let mut out = Vec::with_capacity(count);
    for e in body.chunks_exact(ENTRY_LEN) {
        let addr = Hash::from_slice(&e[..20]).expect("20 bytes");
        let offset = u64::from_le_bytes(e[20..28].try_into().expect("8 bytes"));
        let len = u32::from_le_bytes(e[28..32].try_into().expect("4 bytes"));
        if offset < PACK_MAGIC.len() as u64 || len < 5 {
            return Err(bad("an entry points outside the pack's records"));
        }
        out.push(PackEntry { addr, offset, len });
    }
    Ok(out)
}

/// Decodes one record (as cut from a pack by its index entry) and checks it against `addr`.
pub fn decode_record(addr: &Hash, record: &[u8]) -> Result<Bytes> {
    let bad = |why: String| Error::Corrupted(format!("chunk {addr} in a pack: {why}"));
    if record.len() < 5 {
        return Err(bad("record too short".into()));
    }
    let len = u32::from_le_bytes(record[1..5].try_into().expect("4 bytes")) as usize;
    let payload = &record[5..];
    if payload.len() != len {
        return Err(bad("record length does not match its header".into()));
    }
    let chunk: Bytes = match record[0] {
        RAW => Bytes::copy_from_slice(payload),
        LZ4 => lz4_flex::decompress_size_prepended(payload)
            .map_err(|e| bad(format!("lz4: {e}")))?
            .into(),
        k => return Err(bad(format!("unknown record kind {k}"))),
    };
    let actual = Hash::of(&chunk);
    if actual != *addr {
        return Err(bad(format!("bytes hash to {actual}")));
    }
    Ok(chunk)
}

/// Merges the byte ranges of `entries` (sorted by offset) when the gap between two is under
/// `gap`, so a reader makes few requests without reading much it does not need.
pub fn coalesce(entries: &[PackEntry], gap: u64) -> Vec<std::ops::Range<u64>> {
    let mut out: Vec<std::ops::Range<u64>> = Vec::new();
    for e in entries {
        let r = e.offset..e.offset + u64::from(e.len);
        match out.last_mut() {
            Some(last) if r.start <= last.end + gap => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_round_trips_and_detects_damage() {
        let chunks: Vec<Vec<u8>> = vec![b"small".to_vec(), vec![7u8; 5000], b"other".to_vec()];
        let mut w = PackWriter::default();
        for c in &chunks {
            w.add(Hash::of(c), c);
        }
        let (name, pack, index) = w.finish();
        assert_eq!(name, Hash::of(&pack));
        let mut entries = decode_index(&name, &index).unwrap();
        assert_eq!(entries.len(), 3);
        entries.sort_by_key(|e| e.offset);
        for (e, c) in entries.iter().zip(&chunks) {
            let rec = &pack[e.offset as usize..(e.offset + u64::from(e.len)) as usize];
            assert_eq!(&decode_record(&e.addr, rec).unwrap()[..], &c[..]);
        }
        // the repeated chunk compresses
        assert!(pack.len() < 1000);
        assert_eq!(coalesce(&entries, 0).len(), 1);
        let e = entries[0];
        let mut rec = pack[e.offset as usize..(e.offset + u64::from(e.len)) as usize].to_vec();
        *rec.last_mut().unwrap() ^= 1;
        assert!(matches!(
            decode_record(&e.addr, &rec),
            Err(Error::Corrupted(_))
        ));
        assert!(decode_index(&Hash::of(b"x"), &index).is_err());
        assert!(decode_index(&name, &index[..index.len() - 1]).is_err());
    }
}
