//! Chunkers and the bulk builder.
//!
//! A [`Chunker`] turns one level's sorted entries into nodes, cutting where the splitter says.
//! The [`Builder`] stacks chunkers: every node a level emits becomes an entry of the level above,
//! and `finish` closes the levels bottom up until one holds a single node, the root. Building
//! streams: it holds one pending node per level, never the whole input.

use super::node::{Entry, Node, NodeBuffer};
use super::nodestore::NodeStore;
use super::splitter::{Splitter, WeibullSplitter, ENTRY_OVERHEAD};
use crate::error::{Error, Result};
use bytes::Bytes;
use std::sync::Arc;

/// Values longer than this are stored out of line as blobs, so that a node holds at least four
/// entries at its 4 KiB target and long texts, byte strings and embeddings do not inflate every
/// rewrite of their neighbours.
pub const INLINE_VALUE_MAX: usize = 1024;
/// The longest key accepted. Keys repeat in every level's internal nodes, so long keys make
/// shallow fan-out; PostgreSQL's own b-tree limit is about 2.7 KB.
pub const MAX_KEY_LEN: usize = 2048;

/// The bytes the splitter counts for an entry: key, stored value (or child address), overhead.
pub(crate) fn entry_size(key: &[u8], value: &[u8]) -> u64 {
    (key.len() + value.len()) as u64 + ENTRY_OVERHEAD
}

/// The entry a node contributes to its parent.
pub(crate) fn parent_entry(node: &Node) -> Entry {
    Entry::child(node.key_bytes(node.len() - 1), node.addr(), node.total())
}

/// Makes a leaf entry from a key and a full value, storing the value out of line if long.
pub(crate) fn leaf_entry(ns: &NodeStore, key: Bytes, value: Bytes) -> Result<Entry> {
    if key.len() > MAX_KEY_LEN {
        return Err(Error::InvalidInput(format!(
            "key of {} bytes exceeds the maximum of {MAX_KEY_LEN}",
            key.len()
        )));
    }
    if value.len() > INLINE_VALUE_MAX {
        let addr = ns.put_blob(&value)?;
        return Ok(Entry::leaf(
            key,
            Bytes::copy_from_slice(addr.as_bytes()),
            true,
        ));
    }
    Ok(Entry::leaf(key, value, false))
}

/// Cuts one level's entries into nodes.
#[derive(Debug)]
pub(crate) struct Chunker {
    level: u8,
    splitter: WeibullSplitter,
    buffer: NodeBuffer,
}

impl Chunker {
    pub fn new(level: u8) -> Self {
        Chunker {
            level,
            splitter: WeibullSplitter::new(level),
            buffer: NodeBuffer::default(),
        }
    }

    /// Appends an entry; returns the node it completed, if the splitter cut after it.
    pub fn push(&mut self, ns: &NodeStore, entry: &Entry) -> Result<Option<Arc<Node>>> {
        self.push_parts(ns, &entry.key, &entry.value, entry.blob, entry.count)
    }

    /// Appends entry `i` of `node` (a node of this chunker's level) without copying it first.
    pub fn push_from(
        &mut self,
        ns: &NodeStore,
        node: &Node,
        i: usize,
    ) -> Result<Option<Arc<Node>>> {
        let count = if node.is_leaf() {
            1
        } else {
            node.child_count(i)
        };
        self.push_parts(ns, node.key(i), node.stored(i), node.is_blob(i), count)
    }

    fn push_parts(
        &mut self,
        ns: &NodeStore,
        key: &[u8],
        value: &[u8],
        blob: bool,
        count: u64,
    ) -> Result<Option<Arc<Node>>> {
        let cut = self.splitter.append(key, entry_size(key, value));
        self.buffer.push(self.level == 0, key, value, blob, count);
        if cut {
            return self.emit(ns).map(Some);
        }
        Ok(None)
    }

    /// Writes the pending entries as a final node, if there are any.
    pub fn finish(&mut self, ns: &NodeStore) -> Result<Option<Arc<Node>>> {
        if self.buffer.is_empty() {
            return Ok(None);
        }
        self.emit(ns).map(Some)
    }

    /// Whether the chunker sits on a boundary (nothing pending).
    pub fn at_boundary(&self) -> bool {
        self.buffer.is_empty()
    }

    fn emit(&mut self, ns: &NodeStore) -> Result<Arc<Node>> {
        let node = ns.write_buffer(self.level, &self.buffer)?;
        self.buffer.clear();
        self.splitter.reset();
        Ok(node)
    }
}

#[derive(Debug)]
struct Level {
    chunker: Chunker,
    emitted: u64,
    last: Option<Arc<Node>>,
}

/// Builds a tree bottom up from sorted entries.
#[derive(Debug)]
pub(crate) struct Builder {
    ns: NodeStore,
    base: u8,
    levels: Vec<Level>,
    /// The previous key pushed, kept in a reused buffer to check ordering without allocating.
    last_key: Option<Vec<u8>>,
}

impl Builder {
    /// A builder whose first pushed entries belong to nodes at `base` (0 for leaves).
    pub fn new(ns: &NodeStore, base: u8) -> Self {
        Builder {
            ns: ns.clone(),
            base,
            levels: Vec::new(),
            last_key: None,
        }
    }

    /// Appends a leaf entry (key and full value). Keys must be strictly increasing.
    pub fn push_kv(&mut self, key: Bytes, value: Bytes) -> Result<()> {
        let entry = leaf_entry(&self.ns, key, value)?;
        self.push(&entry)
    }

    /// Appends an entry at the base level. Keys must be strictly increasing.
    pub fn push(&mut self, entry: &Entry) -> Result<()> {
        let last = self.last_key.get_or_insert_with(Vec::new);
        if !last.is_empty() && entry.key[..] <= last[..] {
            return Err(Error::InvalidInput(
                "bulk build input is not strictly increasing by key".into(),
            ));
        }
        last.clear();
        last.extend_from_slice(&entry.key);
        self.push_at(0, entry)
    }

    fn push_at(&mut self, depth: usize, entry: &Entry) -> Result<()> {
        if depth == self.levels.len() {
            let level = self.base + depth as u8;
            self.levels.push(Level {
                chunker: Chunker::new(level),
                emitted: 0,
                last: None,
            });
        }
        if let Some(node) = self.levels[depth].chunker.push(&self.ns, entry)? {
            self.emitted(depth, node)?;
        }
        Ok(())
    }

    fn emitted(&mut self, depth: usize, node: Arc<Node>) -> Result<()> {
        let up = parent_entry(&node);
        let level = &mut self.levels[depth];
        level.emitted += 1;
        level.last = Some(node);
        self.push_at(depth + 1, &up)
    }

    /// Closes every level and returns the root.
    pub fn finish(mut self) -> Result<Arc<Node>> {
        let mut depth = 0;
        loop {
            if depth == self.levels.len() {
                // Nothing was ever pushed: the empty tree is one empty leaf.
                return self.ns.write(0, &[]);
            }
            if let Some(node) = self.levels[depth].chunker.finish(&self.ns)? {
                self.emitted(depth, node)?;
            }
            let level = &self.levels[depth];
            if level.emitted == 1 {
                return Ok(level.last.clone().expect("one node was emitted"));
            }
            depth += 1;
        }
    }
}
