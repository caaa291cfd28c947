//! INSERT: checks NOT NULL and primary-key uniqueness (against the table and within the
//! statement), then applies the rows as one batch.

use std::collections::HashSet;

use vdb_engine::prolly::NodeStore;
use vdb_engine::table::{RootValue, RowChange, Schema, Table};
use vdb_engine::value::Value;

use crate::error::{Error, Result};
use crate::execution::Rows;
use crate::expr::Row;
use crate::types::to_pg_text;

/// Inserts the rows of `source` into table `name` (skipping rows whose key is taken when
/// `skip_conflicts`); returns the rows inserted.
pub fn insert(
    name: &str,
    source: Rows,
    skip_conflicts: bool,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<Vec<Row>> {
    let table = load(name, root, ns)?;
    let mut changes = Vec::new();
    let mut written = Vec::new();
    let mut keys = HashSet::new();
    for row in source {
        let row = row?;
        check_not_null(name, table.schema(), &row)?;
        if !table.schema().is_keyless() {
            let key = table
                .key_of(&row)
                .map_err(|e| Error::engine("encoding key", e))?;
            let exists = table
                .get(&key)
                .map_err(|e| Error::engine("reading row", e))?
                .is_some();
            if exists || keys.contains(&key) {
                if skip_conflicts {
                    continue;
                }
                return Err(unique_violation(name, table.schema(), &row));
            }
            keys.insert(key);
        }
        written.push(row.clone());
        changes.push(RowChange::Insert(row));
    }
    save(name, &table, changes, root)?;
    Ok(written)
}

/// Table `name` from `root`.
pub fn load(name: &str, root: &RootValue, ns: &NodeStore) -> Result<Table> {
    root.get_table(ns, name)
        .map_err(|e| Error::engine(format!("loading table \"{name}\""), e))?
        .ok_or_else(|| Error::UndefinedTable(name.to_string()))
}

/// Applies `changes` to `table` and stores it in `root` as `name`.
pub fn save(
    name: &str,
    table: &Table,
    changes: Vec<RowChange>,
    root: &mut RootValue,
) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let table = table
        .apply(changes)
        .map_err(|e| Error::engine(format!("writing table \"{name}\""), e))?;
    root.put_table(name, &table)
        .map_err(|e| Error::engine(format!("saving table \"{name}\""), e))
}

/// 23502 if a NOT NULL column of `row` is NULL.
pub fn check_not_null(name: &str, schema: &Schema, row: &[Value]) -> Result<()> {
    for (column, value) in schema.columns.iter().zip(row) {
        if !column.nullable && value.is_null() {
            return Err(Error::NotNullViolation {
                table: name.to_string(),
                column: column.name.clone(),
            });
        }
    }
    Ok(())
}

/// 23505 for the primary key of `row`, with PostgreSQL's detail line.
pub fn unique_violation(name: &str, schema: &Schema, row: &[Value]) -> Error {
    let positions = schema.key_positions();
    let columns: Vec<&str> = positions
        .iter()
        .map(|&i| schema.columns[i].name.as_str())
        .collect();
    let values: Vec<String> = positions
        .iter()
        .map(|&i| to_pg_text(&row[i]).unwrap_or_else(|| "null".into()))
        .collect();
    Error::UniqueViolation {
        constraint: format!("{name}_pkey"),
        detail: format!(
            "Key ({})=({}) already exists.",
            columns.join(", "),
            values.join(", ")
        ),
    }
}
