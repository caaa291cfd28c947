//! Relation sizes for pg_relation_size, pg_table_size, pg_indexes_size and
//! pg_total_relation_size: the bytes of the prolly-tree chunks that hold a table's rows (its
//! primary key order, so the primary key index has no chunks of its own) and its secondary
//! indexes. Blobs stored out of line are not counted.
//!
//! Walking every leaf would read the whole table, so a node whose children are leaves loads
//! at most [`LEAF_SAMPLE`] of them and scales their average by its child count: exact for
//! small trees, an estimate for large ones, and never more loads than the internal nodes
//! plus a few leaves each.

use vdb_engine::hash::Hash;
use vdb_engine::prolly::NodeStore;
use vdb_engine::table::split_qualified;

use super::{Relation, Snapshot};
use crate::error::{Error, Result};

/// How many leaves under one level-1 node are loaded to estimate the rest.
const LEAF_SAMPLE: usize = 4;

/// What a size function counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeKind {
    /// pg_relation_size and pg_table_size: the rows (or an index's entries).
    Relation,
    /// pg_indexes_size: the secondary indexes.
    Indexes,
    /// pg_total_relation_size: both.
    Total,
}

/// The size of relation (or index) `oid`; `None` when no relation has that OID.
pub fn relation_size(snapshot: &Snapshot, oid: u32, kind: SizeKind) -> Result<Option<u64>> {
    let objects = snapshot.objects()?;
    if let Some(rel) = objects.relations.iter().find(|r| r.oid == oid) {
        return table_size(snapshot, rel, kind).map(Some);
    }
    let Some((rel, index)) = objects.index(oid) else {
        return Ok(None);
    };
    if index.primary || kind == SizeKind::Indexes {
        return Ok(Some(0));
    }
    let Some(table) = load_table(snapshot, rel)? else {
        return Ok(Some(0));
    };
    let position = table
        .schema()
        .indexes
        .iter()
        .position(|i| i.name == index.name);
    match position {
        Some(i) => tree_bytes(&snapshot.ns, table.index_map(i).root()).map(Some),
        None => Ok(Some(0)),
    }
}

fn table_size(snapshot: &Snapshot, rel: &Relation, kind: SizeKind) -> Result<u64> {
    let Some(table) = load_table(snapshot, rel)? else {
        // A view or a `vdb` system table holds no chunks of its own.
        return Ok(0);
    };
    let ns = &snapshot.ns;
    let mut total = 0;
    if kind != SizeKind::Indexes {
        total += tree_bytes(ns, table.rows().root())?;
    }
    if kind != SizeKind::Relation {
        for i in 0..table.schema().indexes.len() {
            total += tree_bytes(ns, table.index_map(i).root())?;
        }
    }
    Ok(total)
}

fn load_table(snapshot: &Snapshot, rel: &Relation) -> Result<Option<vdb_engine::table::Table>> {
    if rel.view.is_some() {
        return Ok(None);
    }
    let key = snapshot
        .root
        .table_names()
        .find(|k| split_qualified(k) == (rel.nspname.as_str(), rel.name.as_str()))
        .map(str::to_string);
    let Some(key) = key else {
        return Ok(None);
    };
    snapshot
        .root
        .get_table(&snapshot.ns, &key)
        .map_err(|e| Error::engine(format!("loading table \"{key}\""), e))
}

/// The bytes of the chunks of the tree at `root` (leaves sampled under each level-1 node).
fn tree_bytes(ns: &NodeStore, root: Hash) -> Result<u64> {
    let load = |addr: &Hash| {
        ns.load(addr)
            .map_err(|e| Error::engine("loading a chunk".to_string(), e))
    };
    let node = load(&root)?;
    let own = node.bytes().len() as u64;
    if node.is_leaf() {
        return Ok(own);
    }
    let children = node.len();
    if node.level() == 1 {
        let sample = children.min(LEAF_SAMPLE);
        let mut sum = 0u64;
        for i in 0..sample {
            sum += load(&node.child(i))?.bytes().len() as u64;
        }
        let estimate = match sample {
            0 => 0,
            _ => sum * children as u64 / sample as u64,
        };
        return Ok(own + estimate);
    }
    let mut total = own;
    for i in 0..children {
        total += tree_bytes(ns, node.child(i))?;
    }
    Ok(total)
}
