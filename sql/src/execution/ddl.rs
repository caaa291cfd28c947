//! DDL: CREATE TABLE and DROP TABLE change the root's table map.

use vdb_engine::prolly::NodeStore;
use vdb_engine::table::{RootValue, Schema, Table};

use crate::error::{Error, Result};

/// Creates table `name` (no-op if it exists and `if_not_exists`).
pub fn create_table(
    name: &str,
    schema: Schema,
    if_not_exists: bool,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<()> {
    if root.table_addr(name).is_some() {
        if if_not_exists {
            return Ok(());
        }
        return Err(Error::DuplicateTable(name.to_string()));
    }
    let table = Table::create(ns, schema)
        .map_err(|e| Error::engine(format!("creating table \"{name}\""), e))?;
    root.put_table(name, &table)
        .map_err(|e| Error::engine(format!("saving table \"{name}\""), e))
}

/// Drops the tables; a missing one is an error unless `if_exists`. Checks all before dropping
/// any, so a failed DROP changes nothing.
pub fn drop_tables(names: &[String], if_exists: bool, root: &mut RootValue) -> Result<()> {
    if !if_exists {
        if let Some(missing) = names.iter().find(|n| root.table_addr(n).is_none()) {
            return Err(Error::invalid(
                "42P01",
                format!("table \"{missing}\" does not exist"),
            ));
        }
    }
    for name in names {
        root.remove_table(name);
    }
    Ok(())
}
