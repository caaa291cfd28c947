//! REFRESH MATERIALIZED VIEW: a materialized view's rows replaced by its query's. The rows the
//! query gives again keep their hidden row ids, so a refresh that changes a few rows changes
//! a few entries of the table's maps, and the commit after it (and `vdb diff`) shows only
//! those rows.

use std::collections::HashMap;

use bytes::Bytes;
use vdb_engine::codec::encode_row;
use vdb_engine::prolly::NodeStore;
use vdb_engine::table::{RootValue, RowChange, Table};
use vdb_engine::value::Type;

use super::insert::{insert, load, store};
use crate::error::{Error, Result};
use crate::planner::Plan;

/// Refreshes materialized view `name` with the rows of `source` (its query, planned), or
/// empties it and marks it unpopulated when there is no source (`WITH NO DATA`).
pub fn refresh(
    name: &str,
    source: Option<Plan>,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<()> {
    let table = load(name, root, ns)?;
    let Some(mut definition) = table.schema().materialized.clone() else {
        return Err(Error::invalid(
            "0A000",
            format!("\"{name}\" is not a materialized view"),
        ));
    };
    definition.populated = source.is_some();
    let table = table.with_materialized(Some(definition));
    let Some(source) = source else {
        let empty = Table::create(ns, table.schema().clone())
            .map_err(|e| Error::engine(format!("emptying \"{name}\""), e))?;
        return store(name, &empty, root);
    };
    let rows = super::sequence::rows(source, root, ns)?.collect::<Result<Vec<_>>>()?;
    let types: Vec<Type> = table
        .schema()
        .columns
        .iter()
        .map(|c| c.ty.clone())
        .collect();
    let encoded = |row: &[vdb_engine::value::Value]| -> Result<Vec<u8>> {
        let mut out = Vec::new();
        encode_row(row, &types, &mut out)
            .map_err(|e| Error::engine(format!("refreshing \"{name}\""), e))?;
        Ok(out)
    };
    // The old rows by content: each new row equal to one of them keeps it.
    let mut old: HashMap<Vec<u8>, Vec<Bytes>> = HashMap::new();
    for entry in table
        .scan()
        .map_err(|e| Error::engine(format!("reading \"{name}\""), e))?
    {
        let (key, row) = entry.map_err(|e| Error::engine(format!("reading \"{name}\""), e))?;
        old.entry(encoded(&row)?).or_default().push(key);
    }
    let mut fresh = Vec::new();
    for row in rows {
        match old.get_mut(&encoded(&row)?).and_then(Vec::pop) {
            Some(_) => {}
            None => fresh.push(row),
        }
    }
    let gone = old.into_values().flatten().map(RowChange::Delete);
    let table = table
        .apply(gone)
        .map_err(|e| Error::engine(format!("refreshing \"{name}\""), e))?;
    store(name, &table, root)?;
    insert(name, Box::new(fresh.into_iter().map(Ok)), None, root, ns)?;
    Ok(())
}
