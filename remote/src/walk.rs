//! The chunk graph below a commit, walked to find what the other side lacks.
//!
//! (annotated tag →) commit → parents and root value → tables → each table's primary and index
//! maps → prolly nodes → out-of-line blobs. The walk stops at any chunk the other side has: chunks are
//! content-addressed and a side only ever holds complete closures (a remote's packs hold
//! everything its refs reach; a local store holds everything its refs reach), so a subtree
//! whose root is present is present entirely. Work is therefore in proportion to what is
//! missing, not to the size of the history or the tables.
//!
//! In a shallow clone the closure ends at the boundary (`vdb_engine::repo::shallow`): a walk
//! that reaches a boundary commit the other side lacks cannot send it whole, and fails with
//! [`Error::Rejected`].

use crate::error::{Error, Result};
use std::collections::HashSet;
use vdb_engine::prolly::node::Node;
use vdb_engine::prolly::NodeStore;
use vdb_engine::repo::commit::{object_kind, ObjectKind};
use vdb_engine::repo::{Commit, Shallow, Tag};
use vdb_engine::table::{RootValue, Table};
use vdb_engine::Hash;

/// What a chunk of the graph is, as its parent names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A ref's target: a commit or an annotated tag, told apart by its first byte.
    Object,
    Commit,
    Root,
    Table,
    Node,
    Blob,
}

/// Every chunk reachable from the commits or annotated tags `starts` that `have` says the
/// other side lacks, in no particular order (order is irrelevant to correctness). Fails with
/// `Rejected` if that includes a boundary commit of a shallow clone.
pub fn missing(ns: &NodeStore, starts: &[Hash], have: &dyn Fn(&Hash) -> bool) -> Result<Vec<Hash>> {
    let shallow = Shallow::load(&**ns.store())?;
    let mut stack: Vec<(Kind, Hash)> = starts.iter().map(|h| (Kind::Object, *h)).collect();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    while let Some((kind, addr)) = stack.pop() {
        if have(&addr) || !seen.insert(addr) {
            continue;
        }
        if kind == Kind::Commit && shallow.contains(&addr) {
            return Err(Error::Rejected(format!(
                "the remote lacks commit {addr}, the boundary of this shallow clone: its \
                 history was never fetched, so it cannot be sent; push from a full clone"
            )));
        }
        out.push(addr);
        expand(ns, kind, addr, &mut stack)?;
    }
    Ok(out)
}

/// Pushes the children of chunk `addr` (of `kind`) onto `stack`.
pub(crate) fn expand(
    ns: &NodeStore,
    kind: Kind,
    addr: Hash,
    stack: &mut Vec<(Kind, Hash)>,
) -> Result<()> {
    match kind {
        Kind::Object => match object_kind(&**ns.store(), &addr)? {
            Some(ObjectKind::Tag) => {
                stack.push((Kind::Commit, Tag::load(&**ns.store(), addr)?.target));
            }
            _ => expand(ns, Kind::Commit, addr, stack)?,
        },
        Kind::Commit => {
            let commit = Commit::load(&**ns.store(), addr)?;
            stack.push((Kind::Root, commit.root));
            stack.extend(commit.parents.iter().map(|p| (Kind::Commit, *p)));
        }
        Kind::Root => {
            let root = RootValue::load(ns, addr)?;
            for name in root.table_names() {
                let table = root.table_addr(name).expect("listed");
                stack.push((Kind::Table, table));
            }
        }
        Kind::Table => {
            let table = Table::load(ns, addr)?;
            stack.push((Kind::Node, table.rows().root()));
            for i in 0..table.schema().indexes.len() {
                stack.push((Kind::Node, table.index_map(i).root()));
            }
        }
        Kind::Node => {
            let bytes = ns.store().must_get(&addr)?;
            let node = Node::decode(addr, bytes)?;
            for i in 0..node.len() {
                if !node.is_leaf() {
                    stack.push((Kind::Node, node.child(i)));
                } else if node.is_blob(i) {
                    if let Some(blob) = Hash::from_slice(node.value(i)) {
                        stack.push((Kind::Blob, blob));
                    }
                }
            }
        }
        Kind::Blob => {}
    }
    Ok(())
}
