//! Cursors: a position in a tree as the path of (node, index) from the root to a leaf entry,
//! moving forward and backward one entry at a time, and range iterators built on them.
//!
//! Seeking costs one node load per level; stepping costs amortized O(1) loads (a new leaf every
//! ~80 entries, a new internal node far more rarely).

use super::node::Node;
use super::nodestore::NodeStore;
use crate::error::Result;
use bytes::Bytes;
use std::ops::Bound;
use std::sync::Arc;

/// A position among a tree's entries. A cursor may be off either end (`valid() == false`).
#[derive(Debug, Clone)]
pub struct Cursor {
    ns: NodeStore,
    /// Root first; the last element is a leaf and its index the entry.
    path: Vec<(Arc<Node>, usize)>,
    /// Set when the cursor stepped back past the first entry.
    before_start: bool,
}

impl Cursor {
    /// Positions at the first entry whose key is `>= key` (off the end if none).
    pub(crate) fn seek(ns: &NodeStore, root: &Arc<Node>, key: &[u8]) -> Result<Cursor> {
        let mut path = Vec::with_capacity(root.level() as usize + 1);
        let mut node = root.clone();
        while !node.is_leaf() {
            let i = node.child_for(key);
            let child = ns.load_child(&node, i)?;
            path.push((node, i));
            node = child;
        }
        let i = node.lower_bound(key);
        path.push((node, i));
        Ok(Cursor {
            ns: ns.clone(),
            path,
            before_start: false,
        })
    }

    /// Positions at the entry with ordinal `n` (0-based; off the end if `n >= count`).
    pub(crate) fn at_ordinal(ns: &NodeStore, root: &Arc<Node>, mut n: u64) -> Result<Cursor> {
        let mut path = Vec::with_capacity(root.level() as usize + 1);
        let mut node = root.clone();
        while !node.is_leaf() {
            let i = node.child_for_ordinal(n);
            n = n.saturating_sub(node.count_before(i));
            let child = ns.load_child(&node, i)?;
            path.push((node, i));
            node = child;
        }
        let i = (n as usize).min(node.len());
        path.push((node, i));
        Ok(Cursor {
            ns: ns.clone(),
            path,
            before_start: false,
        })
    }

    /// Positions at the last entry (off the end if the tree is empty).
    pub(crate) fn last(ns: &NodeStore, root: &Arc<Node>) -> Result<Cursor> {
        let mut path = Vec::with_capacity(root.level() as usize + 1);
        let mut node = root.clone();
        while !node.is_leaf() {
            let i = node.len() - 1;
            let child = ns.load_child(&node, i)?;
            path.push((node, i));
            node = child;
        }
        let before_start = node.is_empty();
        let i = node.len().saturating_sub(1);
        path.push((node, i));
        Ok(Cursor {
            ns: ns.clone(),
            path,
            before_start,
        })
    }

    /// Whether the cursor is at an entry.
    pub fn valid(&self) -> bool {
        let (leaf, i) = self.leaf();
        !self.before_start && *i < leaf.len()
    }

    fn leaf(&self) -> &(Arc<Node>, usize) {
        self.path.last().expect("a cursor path always holds a leaf")
    }

    /// The current key. Only meaningful when `valid()`.
    pub fn key(&self) -> &[u8] {
        let (leaf, i) = self.leaf();
        leaf.key(*i)
    }

    /// The current key as a shared buffer.
    pub fn key_bytes(&self) -> Bytes {
        let (leaf, i) = self.leaf();
        leaf.key_bytes(*i)
    }

    /// The current stored value (a blob address if `is_blob`) and whether it is a blob.
    pub fn stored_value(&self) -> (Bytes, bool) {
        let (leaf, i) = self.leaf();
        (leaf.value_bytes(*i), leaf.is_blob(*i))
    }

    /// The current value, loading it if stored out of line.
    pub fn value(&self) -> Result<Bytes> {
        let (stored, blob) = self.stored_value();
        self.ns.resolve(stored, blob)
    }

    /// Steps to the next entry; returns whether the cursor is still valid.
    pub fn advance(&mut self) -> Result<bool> {
        if self.before_start {
            self.before_start = false;
            return Ok(self.valid());
        }
        let depth = self.path.len() - 1;
        let (leaf, i) = &mut self.path[depth];
        if *i + 1 < leaf.len() {
            *i += 1;
            return Ok(true);
        }
        // Find the deepest ancestor with a next child; if none, park past the end.
        let Some(up) = (0..depth)
            .rev()
            .find(|&d| self.path[d].1 + 1 < self.path[d].0.len())
        else {
            self.path[depth].1 = self.path[depth].0.len();
            return Ok(false);
        };
        self.path[up].1 += 1;
        for d in up..depth {
            let (node, i) = &self.path[d];
            let child = self.ns.load_child(node, *i)?;
            self.path[d + 1] = (child, 0);
        }
        Ok(true)
    }

    /// Calls `f` with each entry (key, value with blobs resolved) from the cursor's position up to
    /// `hi`, one leaf at a time with borrowed slices: no allocation or reference counting per
    /// entry. Stops early when `f` returns `false`.
    pub fn visit(
        &mut self,
        hi: Bound<&[u8]>,
        mut f: impl FnMut(&[u8], &[u8]) -> Result<bool>,
    ) -> Result<()> {
        while self.valid() {
            let depth = self.path.len() - 1;
            let (leaf, start) = self.path[depth].clone();
            for i in start..leaf.len() {
                let key = leaf.key(i);
                let in_range = match hi {
                    Bound::Included(h) => key <= h,
                    Bound::Excluded(h) => key < h,
                    Bound::Unbounded => true,
                };
                let go_on = in_range
                    && if leaf.is_blob(i) {
                        let value = self.ns.resolve(leaf.value_bytes(i), true)?;
                        f(key, &value)?
                    } else {
                        f(key, leaf.value(i))?
                    };
                if !go_on {
                    self.path[depth].1 = i;
                    return Ok(());
                }
            }
            self.path[depth].1 = leaf.len() - 1;
            self.advance()?;
        }
        Ok(())
    }

    /// Steps to the previous entry; returns whether the cursor is still valid.
    pub fn retreat(&mut self) -> Result<bool> {
        let depth = self.path.len() - 1;
        if self.before_start {
            return Ok(false);
        }
        // Past the end, the index equals the leaf's length, so one step back is the last entry.
        let (_, i) = &mut self.path[depth];
        if *i > 0 {
            *i -= 1;
            return Ok(true);
        }
        let Some(up) = (0..depth).rev().find(|&d| self.path[d].1 > 0) else {
            self.before_start = true;
            return Ok(false);
        };
        self.path[up].1 -= 1;
        for d in up..depth {
            let (node, i) = &self.path[d];
            let child = self.ns.load_child(node, *i)?;
            let last = child.len() - 1;
            self.path[d + 1] = (child, last);
        }
        Ok(true)
    }
}

/// Iterates entries between two bounds, forward or backward, resolving blobs.
#[derive(Debug)]
pub struct Range {
    cursor: Cursor,
    /// Forward: the upper bound. Backward: the lower bound.
    stop: Bound<Bytes>,
    reverse: bool,
    started: bool,
    done: bool,
}

impl Range {
    /// Entries with keys in `(lo, hi)`, ascending.
    pub(crate) fn forward(
        ns: &NodeStore,
        root: &Arc<Node>,
        lo: Bound<&[u8]>,
        hi: Bound<&[u8]>,
    ) -> Result<Range> {
        let mut cursor = match lo {
            Bound::Included(k) | Bound::Excluded(k) => Cursor::seek(ns, root, k)?,
            Bound::Unbounded => Cursor::seek(ns, root, &[])?,
        };
        if let Bound::Excluded(k) = lo {
            if cursor.valid() && cursor.key() == k {
                cursor.advance()?;
            }
        }
        Ok(Range {
            cursor,
            stop: owned(hi),
            reverse: false,
            started: false,
            done: false,
        })
    }

    /// Entries with keys in `(lo, hi)`, descending.
    pub(crate) fn backward(
        ns: &NodeStore,
        root: &Arc<Node>,
        lo: Bound<&[u8]>,
        hi: Bound<&[u8]>,
    ) -> Result<Range> {
        let cursor = match hi {
            Bound::Unbounded => Cursor::last(ns, root)?,
            Bound::Included(k) | Bound::Excluded(k) => {
                let mut c = Cursor::seek(ns, root, k)?;
                let exact = c.valid() && c.key() == k;
                if !(exact && matches!(hi, Bound::Included(_))) {
                    c.retreat()?;
                }
                c
            }
        };
        Ok(Range {
            cursor,
            stop: owned(lo),
            reverse: true,
            started: false,
            done: false,
        })
    }

    /// Entries from ordinal `n` on, ascending.
    pub(crate) fn from_ordinal(ns: &NodeStore, root: &Arc<Node>, n: u64) -> Result<Range> {
        let cursor = Cursor::at_ordinal(ns, root, n)?;
        Ok(Range {
            cursor,
            stop: Bound::Unbounded,
            reverse: false,
            started: false,
            done: false,
        })
    }

    fn in_bounds(&self) -> bool {
        let key = self.cursor.key();
        match (&self.stop, self.reverse) {
            (Bound::Unbounded, _) => true,
            (Bound::Included(s), false) => key <= &s[..],
            (Bound::Excluded(s), false) => key < &s[..],
            (Bound::Included(s), true) => key >= &s[..],
            (Bound::Excluded(s), true) => key > &s[..],
        }
    }

    fn step(&mut self) -> Result<Option<(Bytes, Bytes)>> {
        if self.started {
            if self.reverse {
                self.cursor.retreat()?;
            } else {
                self.cursor.advance()?;
            }
        }
        self.started = true;
        if !self.cursor.valid() || !self.in_bounds() {
            self.done = true;
            return Ok(None);
        }
        Ok(Some((self.cursor.key_bytes(), self.cursor.value()?)))
    }
}

fn owned(bound: Bound<&[u8]>) -> Bound<Bytes> {
    match bound {
        Bound::Included(k) => Bound::Included(Bytes::copy_from_slice(k)),
        Bound::Excluded(k) => Bound::Excluded(Bytes::copy_from_slice(k)),
        Bound::Unbounded => Bound::Unbounded,
    }
}

impl Iterator for Range {
    type Item = Result<(Bytes, Bytes)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(kv)) => Some(Ok(kv)),
            Ok(None) => None,
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}
