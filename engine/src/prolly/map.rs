//! `Map`: an immutable ordered map from bytes to bytes, persisted as a prolly tree.
//!
//! A `Map` is a root node plus the node store it lives in. Every operation that changes it
//! returns a new `Map`; the old one stays valid and shares every untouched node with the new.

use super::builder::{leaf_entry, Builder};
use super::cursor::{Cursor, Range};
use super::diff::Diff;
use super::edit;
use super::node::Node;
use super::nodestore::NodeStore;
use super::verify::{self, Problem};
use crate::error::Result;
use crate::hash::Hash;
use bytes::Bytes;
use std::ops::Bound;
use std::sync::Arc;

/// An ordered byte map stored as a prolly tree.
#[derive(Clone, Debug)]
pub struct Map {
    ns: NodeStore,
    root: Arc<Node>,
}

impl Map {
    /// The empty map.
    pub fn empty(ns: &NodeStore) -> Result<Map> {
        Ok(Map {
            ns: ns.clone(),
            root: ns.write(0, &[])?,
        })
    }

    /// The map whose root node is at `root`.
    pub fn load(ns: &NodeStore, root: Hash) -> Result<Map> {
        Ok(Map {
            ns: ns.clone(),
            root: ns.load(&root)?,
        })
    }

    /// Builds a map from entries in strictly increasing key order, streaming.
    pub fn build(ns: &NodeStore, entries: impl IntoIterator<Item = (Bytes, Bytes)>) -> Result<Map> {
        let mut builder = MapBuilder::new(ns);
        for (key, value) in entries {
            builder.push(key, value)?;
        }
        builder.finish()
    }

    /// The root's address: equal for equal contents, whatever edits produced them.
    pub fn root(&self) -> Hash {
        self.root.addr()
    }

    /// The node store the map lives in.
    pub fn node_store(&self) -> &NodeStore {
        &self.ns
    }

    /// Levels in the tree (1 for a single leaf).
    pub fn depth(&self) -> usize {
        self.root.level() as usize + 1
    }

    /// Number of entries, from the root's subtree counts: O(1).
    pub fn count(&self) -> u64 {
        self.root.total()
    }

    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    /// The value at `key`.
    pub fn get(&self, key: &[u8]) -> Result<Option<Bytes>> {
        let mut node = self.root.clone();
        while !node.is_leaf() {
            node = self.ns.load_child(&node, node.child_for(key))?;
        }
        let i = node.lower_bound(key);
        if i < node.len() && node.key(i) == key {
            return self
                .ns
                .resolve(node.value_bytes(i), node.is_blob(i))
                .map(Some);
        }
        Ok(None)
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: &[u8]) -> Result<bool> {
        let cursor = Cursor::seek(&self.ns, &self.root, key)?;
        Ok(cursor.valid() && cursor.key() == key)
    }

    /// The number of keys less than `key` (its ordinal if present): O(depth).
    pub fn rank(&self, key: &[u8]) -> Result<u64> {
        let mut node = self.root.clone();
        let mut before = 0;
        while !node.is_leaf() {
            let i = node.child_for(key);
            before += node.count_before(i);
            node = self.ns.load_child(&node, i)?;
        }
        Ok(before + node.lower_bound(key) as u64)
    }

    /// The entry with ordinal `n` (0-based): O(depth).
    pub fn get_at(&self, n: u64) -> Result<Option<(Bytes, Bytes)>> {
        let cursor = Cursor::at_ordinal(&self.ns, &self.root, n)?;
        if !cursor.valid() {
            return Ok(None);
        }
        Ok(Some((cursor.key_bytes(), cursor.value()?)))
    }

    /// A cursor at the first key `>= key`.
    pub fn seek(&self, key: &[u8]) -> Result<Cursor> {
        Cursor::seek(&self.ns, &self.root, key)
    }

    /// All entries in ascending key order.
    pub fn iter(&self) -> Result<Range> {
        self.range(Bound::Unbounded, Bound::Unbounded)
    }

    /// Entries with keys between the bounds, ascending.
    pub fn range(&self, lo: Bound<&[u8]>, hi: Bound<&[u8]>) -> Result<Range> {
        Range::forward(&self.ns, &self.root, lo, hi)
    }

    /// Calls `f` with each entry between the bounds, ascending, as borrowed slices (the fast
    /// path for scans: nothing is allocated or reference-counted per entry). `f` returns whether
    /// to go on.
    pub fn scan(
        &self,
        lo: Bound<&[u8]>,
        hi: Bound<&[u8]>,
        f: impl FnMut(&[u8], &[u8]) -> Result<bool>,
    ) -> Result<()> {
        let mut cursor = match lo {
            Bound::Included(k) | Bound::Excluded(k) => self.seek(k)?,
            Bound::Unbounded => self.seek(&[])?,
        };
        if let Bound::Excluded(k) = lo {
            if cursor.valid() && cursor.key() == k {
                cursor.advance()?;
            }
        }
        cursor.visit(hi, f)
    }

    /// Entries with keys between the bounds, descending.
    pub fn range_rev(&self, lo: Bound<&[u8]>, hi: Bound<&[u8]>) -> Result<Range> {
        Range::backward(&self.ns, &self.root, lo, hi)
    }

    /// Entries from ordinal `n` on, ascending (OFFSET without scanning the skipped entries).
    pub fn iter_from(&self, n: u64) -> Result<Range> {
        Range::from_ordinal(&self.ns, &self.root, n)
    }

    /// Applies a batch of edits (`None` deletes): any order; for a key given twice, the last
    /// wins. Rewrites only the nodes on the paths to the edited keys.
    pub fn edit(&self, edits: impl IntoIterator<Item = (Bytes, Option<Bytes>)>) -> Result<Map> {
        let mut edits: Vec<(Bytes, Option<Bytes>)> = edits.into_iter().collect();
        if edits.is_empty() {
            return Ok(self.clone());
        }
        // Stable sort, then keep the last edit of each key.
        edits.sort_by(|a, b| a.0.cmp(&b.0));
        let mut batch = Vec::with_capacity(edits.len());
        for (i, (key, value)) in edits.iter().enumerate() {
            if i + 1 < edits.len() && edits[i + 1].0 == *key {
                continue;
            }
            let entry = match value {
                Some(v) => Some(leaf_entry(&self.ns, key.clone(), v.clone())?),
                None => None,
            };
            batch.push((key.clone(), entry));
        }
        let root = edit::apply(&self.ns, &self.root, batch)?;
        Ok(Map {
            ns: self.ns.clone(),
            root,
        })
    }

    /// Inserts or replaces one entry.
    pub fn insert(&self, key: Bytes, value: Bytes) -> Result<Map> {
        self.edit([(key, Some(value))])
    }

    /// Removes one entry.
    pub fn remove(&self, key: Bytes) -> Result<Map> {
        self.edit([(key, None)])
    }

    /// The differences from `self` to `to`, in key order, skipping shared subtrees.
    pub fn diff(&self, to: &Map) -> Diff {
        Diff::new(&self.ns, &self.root, &to.root)
    }

    /// Checks every node under the root: hashes, decoding, levels, key order, subtree counts,
    /// separator keys and chunk boundaries. Returns the problems found, each naming an address.
    pub fn verify(&self) -> Result<Vec<Problem>> {
        verify::verify(&self.ns, self.root.addr())
    }
}

/// Builds a map bottom up from entries pushed in strictly increasing key order: each chunk is
/// written once, with no edit and no sort ([`Map::build`] for an iterator).
#[derive(Debug)]
pub struct MapBuilder {
    ns: NodeStore,
    builder: Builder,
}

impl MapBuilder {
    /// A builder of a map in `ns`.
    pub fn new(ns: &NodeStore) -> MapBuilder {
        MapBuilder {
            ns: ns.clone(),
            builder: Builder::new(ns, 0),
        }
    }

    /// Appends an entry; its key must be greater than every key pushed before (else
    /// `InvalidInput`, and the builder is left as it was).
    pub fn push(&mut self, key: Bytes, value: Bytes) -> Result<()> {
        self.builder.push_kv(key, value)
    }

    /// Closes the tree and returns the map.
    pub fn finish(self) -> Result<Map> {
        Ok(Map {
            ns: self.ns,
            root: self.builder.finish()?,
        })
    }
}
