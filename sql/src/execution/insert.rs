//! INSERT: checks NOT NULL, CHECK, primary-key and UNIQUE constraints, then stores the new table.
//! A plain INSERT applies its rows as one batch and checks unique indexes against the result;
//! `ON CONFLICT` goes row by row, as PostgreSQL does, so a proposed row sees the rows inserted or
//! updated before it, and a row is never updated twice by one statement (21000).

use bytes::Bytes;
use rustc_hash::FxHashSet;
use vdb_engine::prolly::NodeStore;
use vdb_engine::table::{RootValue, RowChange, Schema, Table};
use vdb_engine::value::Value;

use crate::error::{Error, Result};
use crate::execution::constraints::{check_row, check_unique, checks, generate, key_detail};
use crate::execution::foreign_key::check_children;
use crate::execution::trigger::{Op, Triggers};
use crate::execution::Rows;
use crate::expr::{Expr, Row};
use crate::planner::{bind_generated, ConflictAction, ConflictTarget, OnConflict};

/// Inserts the rows of `source` into table `name`, resolving conflicts as `on_conflict` says;
/// returns the rows written (inserted, or updated by DO UPDATE).
pub fn insert(
    name: &str,
    source: Rows,
    on_conflict: Option<&OnConflict>,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<Vec<Row>> {
    insert_marked(name, source, on_conflict, root, ns).map(|(written, _)| written)
}

/// [`insert`], also telling for each written row whether ON CONFLICT DO UPDATE updated it
/// (rather than inserting it).
pub fn insert_marked(
    name: &str,
    source: Rows,
    on_conflict: Option<&OnConflict>,
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<(Vec<Row>, Vec<bool>)> {
    let mut table = load(name, root, ns)?;
    let triggers = Some(Triggers::new(name, table.schema(), Op::Insert, &[]))
        .filter(|triggers| !triggers.is_empty());
    if let Some(triggers) = &triggers {
        triggers.before_statement(&mut table, root, ns)?;
    }
    let (table, written, updated) = match on_conflict {
        None => {
            let (table, written) = insert_batch(name, &table, source, triggers.as_ref(), root)?;
            let updated = vec![false; written.len()];
            (table, written, updated)
        }
        Some(on_conflict) => {
            insert_each(name, table, source, on_conflict, triggers.as_ref(), root)?
        }
    };
    // NOT NULL and CHECK were checked row by row above, before the rows were applied.
    check_unique(name, &table, &written)?;
    check_children(name, &table, &written, root, ns)?;
    store(name, &table, root)?;
    if let Some(triggers) = &triggers {
        let inserted: Vec<(Option<Row>, Option<Row>)> = written
            .iter()
            .zip(&updated)
            .filter(|(_, updated)| !**updated)
            .map(|(row, _)| (None, Some(row.clone())))
            .collect();
        triggers.after_rows(&inserted, root)?;
        triggers.after_statement(root)?;
    }
    Ok((written, updated))
}

/// A proposed row after the BEFORE ROW triggers (`None`: a trigger skipped it).
fn triggered(triggers: Option<&Triggers>, row: Row, root: &mut RootValue) -> Result<Option<Row>> {
    match triggers {
        Some(triggers) => triggers.before_row(None, Some(row), root),
        None => Ok(Some(row)),
    }
}

/// Points `name` in `root` at `table`.
pub fn store(name: &str, table: &Table, root: &mut RootValue) -> Result<()> {
    root.put_table(name, table)
        .map_err(|e| Error::engine(format!("saving table \"{name}\""), e))
}

/// Plain INSERT: one batch; a taken primary key fails the statement, naming the first row (in
/// the source's order) that takes one.
fn insert_batch(
    name: &str,
    table: &Table,
    source: Rows,
    triggers: Option<&Triggers>,
    root: &mut RootValue,
) -> Result<(Table, Vec<Row>)> {
    let checks = checks(table.schema())?;
    let generated = bind_generated(table.schema())?;
    let mut written = Vec::new();
    // The first row that fails (its source, a trigger, a generated column, NOT NULL or CHECK)
    // ends the batch; a taken key among the rows before it is reported first, as PostgreSQL,
    // inserting row by row, would.
    let mut failed = None;
    for row in source {
        let made = row
            .and_then(|row| triggered(triggers, row, root))
            .and_then(|row| {
                let Some(mut row) = row else {
                    return Ok(None);
                };
                generate(&generated, &mut row)?;
                check_not_null(name, table.schema(), &row)?;
                check_row(name, &checks, &row)?;
                Ok(Some(row))
            });
        match made {
            Ok(Some(row)) => written.push(row),
            Ok(None) => {}
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    let inserted = match written.is_empty() {
        true => table.clone(),
        false => match table.insert_new(&written) {
            Ok(Ok(table)) => table,
            Ok(Err(taken)) => return Err(unique_violation(name, table.schema(), &written[taken])),
            Err(e) => return Err(Error::engine(format!("writing table \"{name}\""), e)),
        },
    };
    match failed {
        Some(e) => Err(e),
        None => Ok((inserted, written)),
    }
}

/// INSERT ... ON CONFLICT: row by row against the table as the statement has left it so far.
fn insert_each(
    name: &str,
    mut table: Table,
    source: Rows,
    on_conflict: &OnConflict,
    triggers: Option<&Triggers>,
    root: &mut RootValue,
) -> Result<(Table, Vec<Row>, Vec<bool>)> {
    let checks = checks(table.schema())?;
    let generated = bind_generated(table.schema())?;
    let mut written = Vec::new();
    let mut updated_rows = Vec::new();
    let mut touched: FxHashSet<Bytes> = FxHashSet::default();
    for row in source {
        let Some(mut row) = triggered(triggers, row?, root)? else {
            continue;
        };
        generate(&generated, &mut row)?;
        check_not_null(name, table.schema(), &row)?;
        check_row(name, &checks, &row)?;
        let Some((key, existing)) = find_conflict(&table, &on_conflict.target, &row)? else {
            if !table.schema().is_keyless() {
                let key = key_of(&table, &row)?;
                if get(&table, &key)?.is_some() {
                    return Err(unique_violation(name, table.schema(), &row));
                }
                touched.insert(key);
            }
            table = apply(name, &table, vec![RowChange::Insert(row.clone())])?;
            written.push(row);
            updated_rows.push(false);
            continue;
        };
        let ConflictAction::Update {
            assignments,
            selection,
        } = &on_conflict.action
        else {
            continue;
        };
        if touched.contains(&key) {
            return Err(Error::invalid(
                "21000",
                "ON CONFLICT DO UPDATE command cannot affect row a second time",
            ));
        }
        let combined: Row = existing.iter().chain(&row).cloned().collect();
        if let Some(selection) = selection {
            if selection.eval(&combined)? != Value::Bool(true) {
                continue;
            }
        }
        let mut updated = assigned(&existing, &combined, assignments)?;
        generate(&generated, &mut updated)?;
        check_not_null(name, table.schema(), &updated)?;
        check_row(name, &checks, &updated)?;
        if !table.schema().is_keyless() {
            touched.insert(key_of(&table, &updated)?);
        }
        touched.insert(key.clone());
        table = apply(
            name,
            &table,
            vec![RowChange::Update {
                key,
                row: updated.clone(),
            }],
        )?;
        written.push(updated);
        updated_rows.push(true);
    }
    Ok((table, written, updated_rows))
}

/// `existing` with each assignment's result over `combined` (existing ++ proposed).
fn assigned(existing: &[Value], combined: &[Value], assignments: &[(usize, Expr)]) -> Result<Row> {
    let mut row = existing.to_vec();
    for (i, expr) in assignments {
        row[*i] = expr.eval(combined)?;
    }
    Ok(row)
}

/// The stored row (its key and values) that `row` conflicts with on `target`, if any.
fn find_conflict(
    table: &Table,
    target: &ConflictTarget,
    row: &[Value],
) -> Result<Option<(Bytes, Row)>> {
    let schema = table.schema();
    let by_key = |table: &Table| -> Result<Option<(Bytes, Row)>> {
        if schema.is_keyless() {
            return Ok(None);
        }
        let key = key_of(table, row)?;
        Ok(get(table, &key)?.map(|existing| (key, existing)))
    };
    let by_index = |i: usize| -> Result<Option<(Bytes, Row)>> {
        let values = table
            .index_values(i, row)
            .map_err(|e| Error::engine("computing index values", e))?;
        let Some(values) = values.filter(|v| schema.indexes[i].collides(v)) else {
            return Ok(None);
        };
        let keys = table
            .index_lookup(i, &values)
            .map_err(|e| Error::engine("reading index", e))?;
        match keys.into_iter().next() {
            Some(key) => Ok(get(table, &key)?.map(|existing| (key, existing))),
            None => Ok(None),
        }
    };
    match target {
        ConflictTarget::PrimaryKey => by_key(table),
        ConflictTarget::Index(name) => {
            match schema.indexes.iter().position(|ix| &ix.name == name) {
                Some(i) => by_index(i),
                None => Ok(None),
            }
        }
        ConflictTarget::Any => {
            if let Some(found) = by_key(table)? {
                return Ok(Some(found));
            }
            for (i, index) in schema.indexes.iter().enumerate() {
                if index.unique {
                    if let Some(found) = by_index(i)? {
                        return Ok(Some(found));
                    }
                }
            }
            Ok(None)
        }
    }
}

fn key_of(table: &Table, row: &[Value]) -> Result<Bytes> {
    table
        .key_of(row)
        .map_err(|e| Error::engine("encoding key", e))
}

fn get(table: &Table, key: &[u8]) -> Result<Option<Row>> {
    table.get(key).map_err(|e| Error::engine("reading row", e))
}

/// `table` with `changes` applied.
pub fn apply(name: &str, table: &Table, changes: Vec<RowChange>) -> Result<Table> {
    if changes.is_empty() {
        return Ok(table.clone());
    }
    table
        .apply(changes)
        .map_err(|e| Error::engine(format!("writing table \"{name}\""), e))
}

/// Table `name` from `root`.
pub fn load(name: &str, root: &RootValue, ns: &NodeStore) -> Result<Table> {
    root.get_table(ns, name)
        .map_err(|e| Error::engine(format!("loading table \"{name}\""), e))?
        .ok_or_else(|| Error::UndefinedTable(name.to_string()))
}

/// 23502 if a NOT NULL column of `row` is NULL.
pub fn check_not_null(name: &str, schema: &Schema, row: &[Value]) -> Result<()> {
    for (column, value) in schema.columns.iter().zip(row) {
        if !column.nullable && value.is_null() {
            return Err(Error::NotNullViolation {
                table: name.to_string(),
                column: column.name.clone(),
                detail: super::constraints::failing_row(row),
            });
        }
    }
    Ok(())
}

/// 23505 for the primary key of `row`, with PostgreSQL's detail line.
pub fn unique_violation(name: &str, schema: &Schema, row: &[Value]) -> Error {
    let positions = schema.key_positions();
    let columns: Vec<String> = positions
        .iter()
        .map(|&i| schema.columns[i].name.clone())
        .collect();
    let values: Vec<Value> = positions.iter().map(|&i| row[i].clone()).collect();
    Error::UniqueViolation {
        table: name.to_string(),
        constraint: schema.primary_key_name(vdb_engine::table::split_qualified(name).1),
        detail: key_detail(&columns, &values, "already exists"),
    }
}
