//! ALTER TABLE: rebuilds the table under its new schema. Each old row becomes a new row by column
//! id, added and retyped columns get their planned value (evaluated per row, sequence calls
//! included), and the result is checked against every constraint of the new schema (NOT NULL,
//! CHECK, UNIQUE, primary key, foreign keys) before it replaces the table. Keyless tables keep
//! their hidden row ids, so history shows changed cells rather than new rows.

use vdb_engine::prolly::NodeStore;
use vdb_engine::table::{RootValue, RowChange, Table};
use vdb_engine::value::Value;

use crate::error::{Error, Result};
use crate::execution::constraints::{check_existing_rows, check_unique, generate};
use crate::execution::foreign_key::check_validated_children;
use crate::execution::insert::{apply, load, store};
use crate::execution::sequence;
use crate::expr::Row;
use crate::planner::{bind_generated, AlterTable};
use crate::types::cast;

/// Applies `alter` to `root`.
pub fn alter_table(alter: &AlterTable, root: &mut RootValue, ns: &NodeStore) -> Result<()> {
    let name = alter.table.as_str();
    let old = load(name, root, ns)?;
    refuse_dropping_referenced(alter, root, ns)?;
    let cascaded =
        super::view::drop_column_dependents(name, &alter.dropped, alter.cascade, root, ns)?;
    crate::notice::drop_cascades(&cascaded);
    super::view::rename_columns_in_views(name, &alter.renamed, root, ns)?;
    for (seq_name, seq) in &alter.sequences {
        if root.table_addr(seq_name).is_some() || root.get_sequence(seq_name).is_some() {
            return Err(Error::DuplicateTable(seq_name.clone()));
        }
        sequence::forget_mark(seq_name);
        root.put_sequence(seq_name, seq.clone());
    }
    let target = Table::create(ns, alter.schema.clone())
        .map_err(|e| Error::engine(format!("altering table \"{name}\""), e))?;
    let old_schema = old.schema();
    let sources: Vec<Option<usize>> = alter
        .schema
        .columns
        .iter()
        .map(|c| old_schema.position(c.id))
        .collect();
    let fills: Vec<(usize, &crate::expr::Expr)> = alter
        .fills
        .iter()
        .filter_map(|(id, e)| alter.schema.position(*id).map(|p| (p, e)))
        .collect();
    let keep_keys = old_schema.is_keyless() && alter.schema.is_keyless();
    // Generated columns are computed again: a column they read may have changed type.
    let generated = bind_generated(&alter.schema)?;
    let mut changes = Vec::new();
    let mut rows: Vec<Row> = Vec::new();
    for entry in old.scan().map_err(|e| Error::engine("scanning", e))? {
        let (key, old_row) = entry.map_err(|e| Error::engine("scanning", e))?;
        let mut row: Row = sources
            .iter()
            .map(|p| p.map_or(Value::Null, |i| old_row[i].clone()))
            .collect();
        for (position, expr) in &fills {
            let value = sequence::eval(expr, &old_row, root)?;
            row[*position] = cast(value, &alter.schema.columns[*position].ty)?;
        }
        generate(&generated, &mut row)?;
        rows.push(row.clone());
        changes.push(if keep_keys {
            RowChange::Update { key, row }
        } else {
            RowChange::Insert(row)
        });
    }
    let table = apply(name, &target, changes)?;
    if table.count() != rows.len() as u64 {
        return Err(Error::invalid(
            "23505",
            format!(
                "could not create unique index \"{}\"",
                table
                    .schema()
                    .primary_key_name(vdb_engine::table::split_qualified(name).1)
            ),
        ));
    }
    check_existing_rows(name, &table, root, ns)?;
    check_unique(name, &table, &rows)?;
    check_validated_children(name, &table, &rows, root, ns)?;
    store(name, &table, root)?;
    follow_renames(alter, root, ns)
}

/// 2BP01 if a dropped column is referenced by another table's foreign key.
fn refuse_dropping_referenced(alter: &AlterTable, root: &RootValue, ns: &NodeStore) -> Result<()> {
    for other in root.table_names() {
        let table = load(other, root, ns)?;
        for fk in &table.schema().foreign_keys {
            if fk.ref_table == alter.table
                && fk.ref_columns.iter().any(|c| alter.dropped.contains(c))
            {
                return Err(Error::depended_on(
                    &format!("column of table {}", alter.table),
                    &[format!(
                        "constraint {} on table {other} depends on table {}",
                        fk.name, alter.table
                    )],
                ));
            }
        }
    }
    Ok(())
}

/// Renamed columns: foreign keys of other tables name referenced columns by name, and owned
/// sequences name their column.
fn follow_renames(alter: &AlterTable, root: &mut RootValue, ns: &NodeStore) -> Result<()> {
    if alter.renamed.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = root.table_names().map(str::to_string).collect();
    for other in names {
        let table = load(&other, root, ns)?;
        let mut schema = table.schema().clone();
        let mut changed = false;
        for fk in schema
            .foreign_keys
            .iter_mut()
            .filter(|fk| fk.ref_table == alter.table)
        {
            for column in fk.ref_columns.iter_mut() {
                if let Some((_, to)) = alter.renamed.iter().find(|(from, _)| from == column) {
                    *column = to.clone();
                    changed = true;
                }
            }
        }
        if changed {
            let table = table
                .with_schema(schema)
                .map_err(|e| Error::engine(format!("rebuilding table \"{other}\""), e))?;
            store(&other, &table, root)?;
        }
    }
    let owned: Vec<String> = root.sequence_names().map(str::to_string).collect();
    for seq_name in owned {
        if let Some(seq) = root.get_sequence_mut(&seq_name) {
            if let Some((t, c)) = &mut seq.owned_by {
                if *t == alter.table {
                    if let Some((_, to)) = alter.renamed.iter().find(|(from, _)| from == c) {
                        *c = to.clone();
                    }
                }
            }
        }
    }
    Ok(())
}
