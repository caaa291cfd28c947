//! DELETE: removes the rows of its source (each ending with its key) in one batch, then runs the
//! actions of foreign keys that reference them (`foreign_key.rs`) and the table's triggers
//! (`trigger.rs`).

use vdb_engine::prolly::NodeStore;
use vdb_engine::table::{RootValue, RowChange};

use crate::error::Result;
use crate::execution::foreign_key::{enforce_parent, Removed};
use crate::execution::insert::{apply, load, store};
use crate::execution::scan::take_key;
use crate::execution::trigger::{Op, Triggers};
use crate::execution::Rows;
use crate::expr::Row;

/// Deletes the rows of `source` from table `name`; returns how many.
pub fn delete(name: &str, source: Rows, root: &mut RootValue, ns: &NodeStore) -> Result<Vec<Row>> {
    let mut table = load(name, root, ns)?;
    let triggers = Some(Triggers::new(name, table.schema(), Op::Delete, &[]))
        .filter(|triggers| !triggers.is_empty());
    if let Some(triggers) = &triggers {
        triggers.before_statement(&mut table, root, ns)?;
    }
    let mut changes = Vec::new();
    let mut written = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for row in source {
        let mut row = row?;
        let key = take_key(&mut row)?;
        // DELETE ... USING: a row joined to several USING rows is deleted once.
        if !seen.insert(key.clone()) {
            continue;
        }
        if let Some(triggers) = &triggers {
            if triggers.before_row(Some(&row), None, root)?.is_none() {
                continue;
            }
        }
        changes.push(RowChange::Delete(key));
        written.push(row);
    }
    let table = apply(name, &table, changes)?;
    store(name, &table, root)?;
    let removed: Vec<Removed> = written.iter().map(|row| (row.clone(), None)).collect();
    enforce_parent(name, &removed, root, ns, 0)?;
    if let Some(triggers) = &triggers {
        let rows: Vec<(Option<Row>, Option<Row>)> = written
            .iter()
            .map(|row| (Some(row.clone()), None))
            .collect();
        triggers.after_rows(&rows, root)?;
        triggers.after_statement(root)?;
    }
    Ok(written)
}
