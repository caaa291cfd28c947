//! The chunk graph below a commit, walked to find what the other side lacks.
//!
//! commit → parents and root value → tables → each table's primary and index maps → prolly
//! nodes → out-of-line blobs. The walk stops at any chunk the other side has: chunks are
//! content-addressed and a side only ever holds complete closures (a remote's packs hold
//! everything its refs reach; a local store holds everything its refs reach), so a subtree
//! whose root is present is present entirely. Work is therefore in proportion to what is
//! missing, not to the size of the history or the tables.

use crate::error::Result;
use std::collections::HashSet;
use vdb_engine::prolly::node::Node;
use vdb_engine::prolly::NodeStore;
use vdb_engine::repo::Commit;
use vdb_engine::table::{RootValue, Table};
use vdb_engine::Hash;

#[derive(Clone, Copy, Debug)]
enum Kind {
    Commit,
    Root,
    Table,
    Node,
    Blob,
}

/// Every chunk reachable from the commits `starts` that `have` says the other side lacks,
/// parents before nothing in particular (order is irrelevant to correctness).
pub fn missing(ns: &NodeStore, starts: &[Hash], have: &dyn Fn(&Hash) -> bool) -> Result<Vec<Hash>> {
    let mut stack: Vec<(Kind, Hash)> = starts.iter().map(|h| (Kind::Commit, *h)).collect();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    while let Some((kind, addr)) = stack.pop() {
        if have(&addr) || !seen.insert(addr) {
            continue;
        }
        out.push(addr);
        expand(ns, kind, addr, &mut stack)?;
    }
    Ok(out)
}

/// Pushes the children of chunk `addr` (of `kind`) onto `stack`.
fn expand(ns: &NodeStore, kind: Kind, addr: Hash, stack: &mut Vec<(Kind, Hash)>) -> Result<()> {
    match kind {
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
