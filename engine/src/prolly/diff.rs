//! Two-way diff: the entries added, removed and modified between two trees, skipping every
//! subtree whose address is the same on both sides.
//!
//! Each side is walked by a lazy cursor that loads a node only when it must look inside it. While
//! both cursors stand at the start of a subtree at the same level, equal addresses mean equal
//! contents (and so the same position in key order): both skip it without loading it. Otherwise
//! the cursor standing higher descends one level (both, if at the same level), until both stand on
//! leaf entries, which are merged by key. Because trees are history-independent, unchanged
//! regions have the same node boundaries and addresses on both sides, so the nodes loaded are
//! those on the paths to the changes: for k changes in a tree of depth d, at most about
//! 2·k·(d + 1) nodes per side, plus the nodes beside a change whose boundaries moved.

use super::node::Node;
use super::nodestore::NodeStore;
use crate::error::Result;
use crate::hash::Hash;
use bytes::Bytes;
use std::cmp::Ordering;
use std::sync::Arc;

/// One difference between two trees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiffEntry {
    /// A key present only in the new tree, with its value.
    Added { key: Bytes, new: Bytes },
    /// A key present only in the old tree, with its value.
    Removed { key: Bytes, old: Bytes },
    /// A key present in both with different values.
    Modified { key: Bytes, old: Bytes, new: Bytes },
}

impl DiffEntry {
    pub fn key(&self) -> &Bytes {
        match self {
            DiffEntry::Added { key, .. }
            | DiffEntry::Removed { key, .. }
            | DiffEntry::Modified { key, .. } => key,
        }
    }

    /// The value before the change, if the key existed.
    pub fn old(&self) -> Option<&Bytes> {
        match self {
            DiffEntry::Removed { old, .. } | DiffEntry::Modified { old, .. } => Some(old),
            DiffEntry::Added { .. } => None,
        }
    }

    /// The value after the change, if the key exists.
    pub fn new_value(&self) -> Option<&Bytes> {
        match self {
            DiffEntry::Added { new, .. } | DiffEntry::Modified { new, .. } => Some(new),
            DiffEntry::Removed { .. } => None,
        }
    }
}

/// A cursor that loads nodes only when it must look inside them. Its position is the first entry
/// of the subtree of child `idx` of its lowest frame (or, at a leaf, entry `idx`).
#[derive(Debug)]
struct LazyCursor {
    ns: NodeStore,
    stack: Vec<(Arc<Node>, usize)>,
}

impl LazyCursor {
    fn new(ns: &NodeStore, root: &Arc<Node>) -> Self {
        let mut cursor = LazyCursor {
            ns: ns.clone(),
            stack: vec![(root.clone(), 0)],
        };
        cursor.normalize();
        cursor
    }

    fn done(&self) -> bool {
        self.stack.is_empty()
    }

    /// `Some((level, address))` of the subtree the cursor stands at the start of, when its lowest
    /// frame is an internal node; `None` at a leaf entry.
    fn subtree(&self) -> Option<(u8, Hash)> {
        let (node, i) = self.stack.last()?;
        (!node.is_leaf()).then(|| (node.level() - 1, node.child(*i)))
    }

    fn descend(&mut self) -> Result<()> {
        let (node, i) = self.stack.last().expect("descend on a live cursor");
        let child = self.ns.load_child(node, *i)?;
        self.stack.push((child, 0));
        self.normalize();
        Ok(())
    }

    /// Moves past the current subtree (or leaf entry).
    fn skip(&mut self) {
        if let Some((_, i)) = self.stack.last_mut() {
            *i += 1;
        }
        self.normalize();
    }

    /// Pops exhausted frames so the lowest frame points at something, or the stack is empty.
    fn normalize(&mut self) {
        while let Some((node, i)) = self.stack.last() {
            if *i < node.len() {
                return;
            }
            self.stack.pop();
            if let Some((_, i)) = self.stack.last_mut() {
                *i += 1;
            }
        }
    }

    fn leaf(&self) -> (&Node, usize) {
        let (node, i) = self.stack.last().expect("leaf on a live cursor");
        (node, *i)
    }

    fn key(&self) -> &[u8] {
        let (leaf, i) = self.leaf();
        leaf.key(i)
    }

    fn take(&mut self) -> Result<(Bytes, Bytes)> {
        let (leaf, i) = self.leaf();
        let key = leaf.key_bytes(i);
        let value = self.ns.resolve(leaf.value_bytes(i), leaf.is_blob(i))?;
        self.skip();
        Ok((key, value))
    }

    fn stored_eq(&self, other: &LazyCursor) -> bool {
        let ((a, i), (b, j)) = (self.leaf(), other.leaf());
        a.is_blob(i) == b.is_blob(j) && a.value(i) == b.value(j)
    }
}

/// Streams the differences from an old tree to a new one, in key order.
#[derive(Debug)]
pub struct Diff {
    from: LazyCursor,
    to: LazyCursor,
    failed: bool,
}

impl Diff {
    pub(crate) fn new(ns: &NodeStore, from: &Arc<Node>, to: &Arc<Node>) -> Self {
        Diff {
            from: LazyCursor::new(ns, from),
            to: LazyCursor::new(ns, to),
            failed: false,
        }
    }

    fn step(&mut self) -> Result<Option<DiffEntry>> {
        loop {
            match (self.from.done(), self.to.done()) {
                (true, true) => return Ok(None),
                (false, true) => return self.removed(),
                (true, false) => return self.added(),
                (false, false) => {}
            }
            match (self.from.subtree(), self.to.subtree()) {
                (Some((la, a)), Some((lb, b))) => {
                    if la == lb && a == b {
                        self.from.skip();
                        self.to.skip();
                    } else {
                        if la >= lb {
                            self.from.descend()?;
                        }
                        if lb >= la {
                            self.to.descend()?;
                        }
                    }
                }
                (Some(_), None) => self.from.descend()?,
                (None, Some(_)) => self.to.descend()?,
                (None, None) => match self.from.key().cmp(self.to.key()) {
                    Ordering::Less => return self.removed(),
                    Ordering::Greater => return self.added(),
                    Ordering::Equal => {
                        if self.from.stored_eq(&self.to) {
                            self.from.skip();
                            self.to.skip();
                            continue;
                        }
                        let (key, old) = self.from.take()?;
                        let (_, new) = self.to.take()?;
                        return Ok(Some(DiffEntry::Modified { key, old, new }));
                    }
                },
            }
        }
    }

    fn removed(&mut self) -> Result<Option<DiffEntry>> {
        if self.from.subtree().is_some() {
            self.from.descend()?;
            return self.step();
        }
        let (key, old) = self.from.take()?;
        Ok(Some(DiffEntry::Removed { key, old }))
    }

    fn added(&mut self) -> Result<Option<DiffEntry>> {
        if self.to.subtree().is_some() {
            self.to.descend()?;
            return self.step();
        }
        let (key, new) = self.to.take()?;
        Ok(Some(DiffEntry::Added { key, new }))
    }
}

impl Iterator for Diff {
    type Item = Result<DiffEntry>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.step() {
            Ok(entry) => entry.map(Ok),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}
