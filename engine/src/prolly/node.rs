//! Prolly tree nodes: the canonical byte layout of leaf and internal nodes, and their decoded
//! in-memory form.
//!
//! A node is an immutable chunk. Decoding validates the header and every length against the
//! chunk's size, so malformed bytes give `Error::Corrupted` and never a panic or an out-of-range
//! slice. A decoded [`Node`] keeps the chunk's bytes and offset tables, so keys and values are
//! zero-copy slices of the chunk.

use crate::codec::{get_uvarint, put_uvarint};
use crate::error::{Error, Result};
use crate::hash::{Hash, HASH_LEN};
use bytes::Bytes;
use std::cmp::Ordering;

/// The node format version written in every node.
pub const NODE_VERSION: u8 = 1;
/// First byte of a leaf node.
pub const LEAF_TAG: u8 = b'L';
/// First byte of an internal node.
pub const INTERNAL_TAG: u8 = b'I';
/// Leaf flag: a blob bitmap follows the value lengths.
const FLAG_BLOBS: u8 = 0x01;
/// The deepest tree that can be decoded. 2^64 entries fit in far fewer levels; anything deeper is
/// corruption.
pub const MAX_LEVEL: u8 = 48;

/// One entry to encode into a node. For a leaf, `value` is the stored value (a blob address when
/// `blob` is set). For an internal node, `value` is the child's 20-byte address, `count` the
/// number of leaf entries under it, and `key` the child's last key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub key: Bytes,
    pub value: Bytes,
    /// Leaf: whether `value` is a blob address. Internal: unused (false).
    pub blob: bool,
    /// Internal: subtree entry count. Leaf: 1.
    pub count: u64,
}

impl Entry {
    /// A leaf entry.
    pub fn leaf(key: Bytes, value: Bytes, blob: bool) -> Entry {
        Entry {
            key,
            value,
            blob,
            count: 1,
        }
    }

    /// An internal entry pointing at a child.
    pub fn child(key: Bytes, addr: Hash, count: u64) -> Entry {
        Entry {
            key,
            value: Bytes::copy_from_slice(addr.as_bytes()),
            blob: false,
            count,
        }
    }
}

// Node layout, version 1 (uvarint = LEB128 unsigned varint; all multi-byte fixed fields are raw
// bytes, so no endianness arises):
//
//   u8       tag            'L' (0x4C) leaf, 'I' (0x49) internal
//   u8       version        1
//   u8       level          0 for leaves, 1.. for internal nodes (parent = child + 1)
//   u8       flags          bit 0: leaf has a blob bitmap; other bits zero
//   uvarint  count          number of entries (0 only for the empty tree's root leaf)
//   count ×  uvarint key_len
//   leaf:     count × uvarint value_len
//             [flags & 1] ceil(count / 8) bytes: bit i (LSB first) set = value i is a 20-byte
//             blob address, not the value itself
//   internal: count × uvarint subtree_count (leaf entries under child i)
//   keys, concatenated, strictly increasing (bytewise)
//   leaf:     values, concatenated
//   internal: count × 20-byte child address
//
// An internal entry's key is the last key of its child's subtree.
/// Accumulates entries into the sections of the node layout above, so that a node is assembled
/// by copying each key and value once, with no allocation per entry. Reused across nodes.
#[derive(Debug)]
pub struct NodeBuffer {
    count: usize,
    key_lens: Vec<u8>,
    /// Leaf: value lengths. Internal: subtree counts.
    second: Vec<u8>,
    blobs: Vec<u8>,
    any_blob: bool,
    keys: Vec<u8>,
    /// Leaf: values. Internal: child addresses.
    values: Vec<u8>,
    last_key_start: usize,
}

impl Default for NodeBuffer {
    /// An empty buffer with room for a node of the maximum size.
    fn default() -> Self {
        let room = super::splitter::MAX_SIZE as usize;
        NodeBuffer {
            count: 0,
            key_lens: Vec::with_capacity(room / 16),
            second: Vec::with_capacity(room / 16),
            blobs: Vec::with_capacity(room / 64),
            any_blob: false,
            keys: Vec::with_capacity(room / 2),
            values: Vec::with_capacity(room),
            last_key_start: 0,
        }
    }
}

impl NodeBuffer {
    /// Appends an entry. For a leaf, `value` is the stored value and `count` is ignored; for an
    /// internal node, `value` is the child's address and `count` its subtree's entry count.
    pub fn push(&mut self, leaf: bool, key: &[u8], value: &[u8], blob: bool, count: u64) {
        if self.count % 8 == 0 {
            self.blobs.push(0);
        }
        if blob {
            self.blobs[self.count / 8] |= 1 << (self.count % 8);
            self.any_blob = true;
        }
        put_uvarint(&mut self.key_lens, key.len() as u64);
        put_uvarint(
            &mut self.second,
            if leaf { value.len() as u64 } else { count },
        );
        self.last_key_start = self.keys.len();
        self.keys.extend_from_slice(key);
        self.values.extend_from_slice(value);
        self.count += 1;
    }

    /// Entries pushed since the last clear.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The last key pushed.
    pub fn last_key(&self) -> &[u8] {
        &self.keys[self.last_key_start..]
    }

    /// The node's bytes, in the layout above.
    pub fn encode(&self, level: u8) -> Vec<u8> {
        let leaf = level == 0;
        let has_blobs = leaf && self.any_blob;
        let size =
            8 + self.key_lens.len() + self.second.len() + self.keys.len() + self.values.len();
        let mut out = Vec::with_capacity(size + self.blobs.len());
        out.push(if leaf { LEAF_TAG } else { INTERNAL_TAG });
        out.push(NODE_VERSION);
        out.push(level);
        out.push(if has_blobs { FLAG_BLOBS } else { 0 });
        put_uvarint(&mut out, self.count as u64);
        out.extend_from_slice(&self.key_lens);
        out.extend_from_slice(&self.second);
        if has_blobs {
            out.extend_from_slice(&self.blobs);
        }
        out.extend_from_slice(&self.keys);
        out.extend_from_slice(&self.values);
        out
    }

    /// Empties the buffer, keeping its capacity.
    pub fn clear(&mut self) {
        self.count = 0;
        self.any_blob = false;
        for section in [
            &mut self.key_lens,
            &mut self.second,
            &mut self.blobs,
            &mut self.keys,
            &mut self.values,
        ] {
            section.clear();
        }
        self.last_key_start = 0;
    }
}

/// Encodes entries into node bytes. `level == 0` makes a leaf.
pub fn encode(level: u8, entries: &[Entry]) -> Vec<u8> {
    let mut buffer = NodeBuffer::default();
    for e in entries {
        buffer.push(level == 0, &e.key, &e.value, e.blob, e.count);
    }
    buffer.encode(level)
}

/// `off + len` if that stays within a chunk of `size` bytes; a corrupt length can be any u64.
fn within(off: u64, len: u64, size: usize) -> Option<u64> {
    off.checked_add(len).filter(|&end| end <= size as u64)
}

/// A decoded node: the chunk's bytes plus offset tables into them.
#[derive(Debug)]
pub struct Node {
    addr: Hash,
    bytes: Bytes,
    level: u8,
    /// `count + 1` offsets: key i is `bytes[keys[i]..keys[i + 1]]`.
    keys: Vec<u32>,
    /// Leaf: `count + 1` offsets of values. Internal: start of the address array at `vals[0]`.
    vals: Vec<u32>,
    /// Leaf: offset of the blob bitmap, if any.
    blobs: Option<u32>,
    /// Internal: `count + 1` cumulative subtree counts; `cum[i]` entries precede child i.
    cum: Vec<u64>,
}

impl Node {
    /// Decodes `bytes`, the chunk at `addr`.
    pub fn decode(addr: Hash, bytes: Bytes) -> Result<Node> {
        let bad = |why: &str| Error::corrupted(addr, format!("malformed node: {why}"));
        if bytes.len() > u32::MAX as usize || bytes.len() < 5 {
            return Err(bad("bad size"));
        }
        let (tag, version, level, flags) = (bytes[0], bytes[1], bytes[2], bytes[3]);
        if version != NODE_VERSION {
            return Err(bad(&format!("unknown node version {version}")));
        }
        let leaf = match tag {
            LEAF_TAG if level == 0 => true,
            INTERNAL_TAG if (1..=MAX_LEVEL).contains(&level) => false,
            _ => return Err(bad("bad tag or level")),
        };
        if flags & !FLAG_BLOBS != 0 || (!leaf && flags != 0) {
            return Err(bad("unknown flags"));
        }
        let mut pos = 4;
        let count = get_uvarint(&bytes, &mut pos).ok_or_else(|| bad("bad count"))?;
        // Each entry takes at least one byte of key length, so count is bounded by the size.
        if count as usize > bytes.len() || (!leaf && count == 0) {
            return Err(bad("bad count"));
        }
        let count = count as usize;
        let mut key_lens = Vec::with_capacity(count);
        for _ in 0..count {
            key_lens.push(get_uvarint(&bytes, &mut pos).ok_or_else(|| bad("bad key length"))?);
        }
        let mut node = Node {
            addr,
            bytes: Bytes::new(),
            level,
            keys: Vec::with_capacity(count + 1),
            vals: Vec::new(),
            blobs: None,
            cum: Vec::new(),
        };
        let mut val_lens = Vec::new();
        if leaf {
            val_lens.reserve(count);
            for _ in 0..count {
                val_lens
                    .push(get_uvarint(&bytes, &mut pos).ok_or_else(|| bad("bad value length"))?);
            }
            if flags & FLAG_BLOBS != 0 {
                node.blobs = Some(pos as u32);
                pos += count.div_ceil(8);
            }
        } else {
            node.cum.reserve(count + 1);
            node.cum.push(0);
            let mut total: u64 = 0;
            for _ in 0..count {
                let c = get_uvarint(&bytes, &mut pos).ok_or_else(|| bad("bad subtree count"))?;
                total = total
                    .checked_add(c)
                    .ok_or_else(|| bad("subtree count overflow"))?;
                node.cum.push(total);
            }
        }
        let mut off = pos as u64;
        for len in key_lens {
            node.keys.push(off as u32);
            off = within(off, len, bytes.len()).ok_or_else(|| bad("keys overrun the chunk"))?;
        }
        node.keys.push(off as u32);
        if leaf {
            node.vals.reserve(count + 1);
            for len in val_lens {
                node.vals.push(off as u32);
                off =
                    within(off, len, bytes.len()).ok_or_else(|| bad("values overrun the chunk"))?;
            }
            node.vals.push(off as u32);
        } else {
            node.vals.push(off as u32);
            off += (count * HASH_LEN) as u64;
        }
        if off != bytes.len() as u64 {
            return Err(bad("trailing or missing bytes"));
        }
        if let Some(b) = node.blobs {
            for i in 0..count {
                if bytes[b as usize + i / 8] & (1 << (i % 8)) != 0
                    && node.vals[i + 1] - node.vals[i] != HASH_LEN as u32
                {
                    return Err(bad("blob reference of the wrong size"));
                }
            }
        }
        node.bytes = bytes;
        Ok(node)
    }

    pub fn addr(&self) -> Hash {
        self.addr
    }

    pub fn level(&self) -> u8 {
        self.level
    }

    pub fn is_leaf(&self) -> bool {
        self.level == 0
    }

    /// Number of entries in this node.
    pub fn len(&self) -> usize {
        self.keys.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The chunk's bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// Key `i` as a slice.
    pub fn key(&self, i: usize) -> &[u8] {
        &self.bytes[self.keys[i] as usize..self.keys[i + 1] as usize]
    }

    /// Key `i` as a shared buffer.
    pub fn key_bytes(&self, i: usize) -> Bytes {
        self.bytes
            .slice(self.keys[i] as usize..self.keys[i + 1] as usize)
    }

    /// The last key (the node's key in its parent). Panics on an empty node, which only the empty
    /// tree's root is.
    pub fn last_key(&self) -> &[u8] {
        self.key(self.len() - 1)
    }

    /// Leaf: stored value `i` (a blob address if [`Node::is_blob`]).
    pub fn value(&self, i: usize) -> &[u8] {
        &self.bytes[self.vals[i] as usize..self.vals[i + 1] as usize]
    }

    /// Leaf: stored value `i` as a shared buffer.
    pub fn value_bytes(&self, i: usize) -> Bytes {
        self.bytes
            .slice(self.vals[i] as usize..self.vals[i + 1] as usize)
    }

    /// Leaf: whether value `i` is stored out of line.
    pub fn is_blob(&self, i: usize) -> bool {
        match self.blobs {
            Some(b) => self.bytes[b as usize + i / 8] & (1 << (i % 8)) != 0,
            None => false,
        }
    }

    /// Internal: the address of child `i`.
    pub fn child(&self, i: usize) -> Hash {
        let start = self.vals[0] as usize + i * HASH_LEN;
        let mut out = [0; HASH_LEN];
        out.copy_from_slice(&self.bytes[start..start + HASH_LEN]);
        Hash(out)
    }

    /// What entry `i` stores beside its key: the value (leaf) or the child's address (internal).
    pub fn stored(&self, i: usize) -> &[u8] {
        if self.is_leaf() {
            self.value(i)
        } else {
            self.child_bytes(i)
        }
    }

    /// Internal: the address of child `i` as bytes.
    pub fn child_bytes(&self, i: usize) -> &[u8] {
        let start = self.vals[0] as usize + i * HASH_LEN;
        &self.bytes[start..start + HASH_LEN]
    }

    /// Internal: leaf entries under child `i`.
    pub fn child_count(&self, i: usize) -> u64 {
        self.cum[i + 1] - self.cum[i]
    }

    /// Internal: leaf entries under children `0..i`.
    pub fn count_before(&self, i: usize) -> u64 {
        self.cum[i]
    }

    /// Leaf entries in this node's subtree.
    pub fn total(&self) -> u64 {
        if self.is_leaf() {
            self.len() as u64
        } else {
            self.cum[self.len()]
        }
    }

    /// Entry `i` in encodable form.
    pub fn entry(&self, i: usize) -> Entry {
        if self.is_leaf() {
            Entry::leaf(self.key_bytes(i), self.value_bytes(i), self.is_blob(i))
        } else {
            Entry::child(self.key_bytes(i), self.child(i), self.child_count(i))
        }
    }

    /// The first index whose key is `>= key` (`len()` if none).
    pub fn lower_bound(&self, key: &[u8]) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.key(mid).cmp(key) {
                Ordering::Less => lo = mid + 1,
                _ => hi = mid,
            }
        }
        lo
    }

    /// Internal: the child whose subtree holds `key`'s position: the first child whose last key is
    /// `>= key`, or the last child if `key` is beyond every key.
    pub fn child_for(&self, key: &[u8]) -> usize {
        self.lower_bound(key).min(self.len().saturating_sub(1))
    }

    /// Internal: the child holding ordinal `n` (0-based among the subtree's entries), clamped to
    /// the last child.
    pub fn child_for_ordinal(&self, n: u64) -> usize {
        // The first i with cum[i + 1] > n.
        let i = self.cum.partition_point(|&c| c <= n);
        i.saturating_sub(1).min(self.len().saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf_entries() -> Vec<Entry> {
        (0u8..20)
            .map(|i| {
                let value = if i % 7 == 0 {
                    Bytes::from(vec![i; HASH_LEN])
                } else {
                    Bytes::from(vec![i; i as usize])
                };
                Entry::leaf(Bytes::from(vec![b'k', i]), value, i % 7 == 0)
            })
            .collect()
    }

    #[test]
    fn leaf_round_trip() {
        let entries = leaf_entries();
        let bytes = Bytes::from(encode(0, &entries));
        let node = Node::decode(Hash::of(&bytes), bytes).unwrap();
        assert_eq!(node.len(), 20);
        assert!(node.is_leaf());
        for (i, e) in entries.iter().enumerate() {
            assert_eq!(node.entry(i), *e);
        }
        assert_eq!(node.lower_bound(b"k\x05"), 5);
        assert_eq!(node.lower_bound(b"z"), 20);
    }

    #[test]
    fn internal_round_trip() {
        let entries: Vec<Entry> = (0u8..10)
            .map(|i| Entry::child(Bytes::from(vec![i * 2]), Hash::of(&[i]), u64::from(i) + 1))
            .collect();
        let bytes = Bytes::from(encode(3, &entries));
        let node = Node::decode(Hash::of(&bytes), bytes).unwrap();
        assert_eq!(node.level(), 3);
        assert_eq!(node.total(), 55);
        assert_eq!(node.child(4), Hash::of(&[4]));
        assert_eq!(node.child_for(&[5]), 3);
        assert_eq!(node.child_for(&[200]), 9);
        assert_eq!(node.child_for_ordinal(0), 0);
        assert_eq!(node.child_for_ordinal(1), 1);
        assert_eq!(node.child_for_ordinal(2), 1);
        assert_eq!(node.child_for_ordinal(3), 2);
        assert_eq!(node.child_for_ordinal(1000), 9);
    }

    #[test]
    fn malformed_nodes_are_errors() {
        let good = encode(0, &leaf_entries());
        for cut in 0..good.len() {
            let bytes = Bytes::copy_from_slice(&good[..cut]);
            assert!(
                Node::decode(Hash::ZERO, bytes).is_err(),
                "truncated at {cut}"
            );
        }
        let mut bad = good.clone();
        bad[1] = 9;
        assert!(Node::decode(Hash::ZERO, Bytes::from(bad)).is_err());
        let mut bad = good;
        bad.push(0);
        assert!(Node::decode(Hash::ZERO, Bytes::from(bad)).is_err());
    }

    /// Lengths near u64::MAX wrap an unchecked offset sum back inside the chunk; found by the
    /// node_decode fuzz target.
    #[test]
    fn lengths_that_overflow_an_offset_are_errors() {
        let entries = [
            Entry::leaf(Bytes::from_static(b"a"), Bytes::from_static(b"x"), false),
            Entry::leaf(Bytes::from_static(b"b"), Bytes::from_static(b"y"), false),
        ];
        let good = encode(0, &entries);
        // Header, count 2, key lengths 1 1, value lengths 1 1, then the bytes "abxy".
        assert_eq!(good[4..9], [2, 1, 1, 1, 1]);
        let huge = {
            let mut v = Vec::new();
            put_uvarint(&mut v, u64::MAX);
            v
        };
        for field in [6, 8] {
            let mut bad = good[..field].to_vec();
            bad.extend_from_slice(&huge);
            bad.extend_from_slice(&good[field + 1..]);
            let err = Node::decode(Hash::ZERO, Bytes::from(bad)).unwrap_err();
            assert!(err.to_string().contains("overrun"), "{err}");
        }
    }
}
