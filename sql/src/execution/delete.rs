//! DELETE: removes the rows of its source (each ending with its key) in one batch.

use vdb_engine::prolly::NodeStore;
use vdb_engine::table::{RootValue, RowChange};

use crate::error::Result;
use crate::execution::insert::{apply, load, store};
use crate::execution::scan::take_key;
use crate::execution::Rows;
use crate::expr::Row;

/// Deletes the rows of `source` from table `name`; returns how many.
pub fn delete(name: &str, source: Rows, root: &mut RootValue, ns: &NodeStore) -> Result<Vec<Row>> {
    let table = load(name, root, ns)?;
    let mut changes = Vec::new();
    let mut written = Vec::new();
    for row in source {
        let mut row = row?;
        let key = take_key(&mut row)?;
        changes.push(RowChange::Delete(key));
        written.push(row);
    }
    let table = apply(name, &table, changes)?;
    store(name, &table, root)?;
    Ok(written)
}
