//! DELETE: removes the rows of its source (each ending with its key) in one batch.

use bytes::Bytes;
use vdb_engine::prolly::NodeStore;
use vdb_engine::table::{RootValue, RowChange};
use vdb_engine::value::Value;

use crate::error::{Error, Result};
use crate::execution::insert::{load, save};
use crate::execution::Rows;
use crate::expr::Row;

/// Deletes the rows of `source` from table `name`; returns how many.
pub fn delete(name: &str, source: Rows, root: &mut RootValue, ns: &NodeStore) -> Result<Vec<Row>> {
    let table = load(name, root, ns)?;
    let mut changes = Vec::new();
    let mut written = Vec::new();
    for row in source {
        let mut row = row?;
        let Some(Value::Bytea(key)) = row.pop() else {
            return Err(Error::invalid(
                "XX000",
                "internal error: scan row without key",
            ));
        };
        changes.push(RowChange::Delete(Bytes::from(key)));
        written.push(row);
    }
    save(name, &table, changes, root)?;
    Ok(written)
}
