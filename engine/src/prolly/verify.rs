//! Verify (fsck) of one tree: walks every node and reports each problem with the address of the
//! node where it was found, continuing past problems where it can.
//!
//! Checked: each chunk is present and hashes to its address (the store verifies) and decodes;
//! levels step down by one; keys are strictly increasing within a node and across nodes; an
//! internal entry's key is its child's last key and its count the child's entry count; blobs are
//! present and well formed; and every node ends exactly where the splitter would cut (the last
//! node of each level, which ends at the end of the data, excepted), so a tree that verifies is
//! the tree a bulk build of its entries would give.

use super::builder::entry_size;
use super::node::Node;
use super::nodestore::NodeStore;
use super::splitter::{Splitter, WeibullSplitter};
use crate::error::{Error, Result};
use crate::hash::Hash;
use bytes::Bytes;
use std::fmt;

/// A problem found by verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The chunk where the problem was found.
    pub addr: Hash,
    pub what: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.addr, self.what)
    }
}

struct Walk<'a> {
    ns: &'a NodeStore,
    problems: Vec<Problem>,
    /// The last key seen in key order, to check order across nodes.
    last_key: Option<Bytes>,
}

/// Verifies the tree rooted at `root`.
pub(crate) fn verify(ns: &NodeStore, root: Hash) -> Result<Vec<Problem>> {
    let mut walk = Walk {
        ns,
        problems: Vec::new(),
        last_key: None,
    };
    if let Some(node) = walk.load(root)? {
        if !node.is_leaf() && node.len() < 2 {
            walk.report(root, "internal root with a single child");
        }
        walk.node(&node, true)?;
    }
    Ok(walk.problems)
}

impl Walk<'_> {
    fn report(&mut self, addr: Hash, what: impl Into<String>) {
        self.problems.push(Problem {
            addr,
            what: what.into(),
        });
    }

    /// Loads a node, turning damage into a reported problem. Other errors (I/O) abort.
    fn load(&mut self, addr: Hash) -> Result<Option<std::sync::Arc<Node>>> {
        match self.ns.load(&addr) {
            Ok(node) => Ok(Some(node)),
            Err(Error::Corrupted { addr, reason }) => {
                self.report(addr, reason);
                Ok(None)
            }
            Err(Error::MissingChunk(addr)) => {
                self.report(addr, "missing chunk");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Checks `node` and its subtree; `rightmost` says whether it is the last node of its level.
    /// Returns the number of leaf entries actually found under it.
    fn node(&mut self, node: &Node, rightmost: bool) -> Result<u64> {
        self.boundaries(node, rightmost);
        if node.is_leaf() {
            return self.leaf(node);
        }
        let mut total = 0;
        for i in 0..node.len() {
            let Some(child) = self.load(node.child(i))? else {
                continue;
            };
            if child.level() + 1 != node.level() {
                self.report(
                    child.addr(),
                    format!("level {} under level {}", child.level(), node.level()),
                );
                continue;
            }
            if child.is_empty() {
                self.report(child.addr(), "empty node below the root");
                continue;
            }
            if child.last_key() != node.key(i) {
                self.report(
                    node.addr(),
                    format!("entry {i}: key is not the child's last key"),
                );
            }
            let found = self.node(&child, rightmost && i + 1 == node.len())?;
            if found != node.child_count(i) {
                self.report(
                    node.addr(),
                    format!(
                        "entry {i}: count {} but the child holds {found}",
                        node.child_count(i)
                    ),
                );
            }
            total += found;
        }
        Ok(total)
    }

    fn leaf(&mut self, node: &Node) -> Result<u64> {
        for i in 0..node.len() {
            let key = node.key_bytes(i);
            if self.last_key.as_ref().is_some_and(|last| *last >= key) {
                self.report(node.addr(), format!("entry {i}: key out of order"));
            }
            self.last_key = Some(key);
            if node.is_blob(i) {
                let addr = Hash::from_slice(node.value(i)).unwrap_or(Hash::ZERO);
                match self.ns.get_blob(&addr) {
                    Ok(_) => {}
                    Err(Error::Corrupted { addr, reason }) => self.report(addr, reason),
                    Err(Error::MissingChunk(addr)) => self.report(addr, "missing blob"),
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(node.len() as u64)
    }

    /// The splitter must cut after the node's last entry and nowhere before it.
    fn boundaries(&mut self, node: &Node, rightmost: bool) {
        let mut splitter = WeibullSplitter::new(node.level());
        for i in 0..node.len() {
            let cut = splitter.append(node.key(i), entry_size(node.key(i), node.stored(i)));
            let last = i + 1 == node.len();
            if cut && !last {
                self.report(
                    node.addr(),
                    format!("entry {i}: a chunk boundary inside the node"),
                );
                return;
            }
            if last && !cut && !rightmost {
                self.report(node.addr(), "node ends where the splitter does not cut");
            }
        }
    }
}
