//! Constraint checks shared by the write executors and ALTER TABLE: NOT NULL, UNIQUE (through
//! the table's unique indexes), CHECK, and the child side of foreign keys (`foreign_key.rs`). Writers apply their changes to a copy of the table,
//! check the rows they wrote against that new state, and only then store it, so a violation
//! leaves the root as it was.

use vdb_engine::prolly::NodeStore;
use vdb_engine::table::{RootValue, Schema, Table};
use vdb_engine::value::Value;

use crate::error::{Error, Result};
use crate::execution::foreign_key::check_children;
use crate::execution::insert::check_not_null;
use crate::expr::{Expr, Row};
use crate::planner::bind_check;
use crate::types::to_pg_text;

/// PostgreSQL's detail line for a key: `Key (a, b)=(1, x) already exists.`
pub fn key_detail(names: &[String], values: &[Value], verb: &str) -> String {
    let values: Vec<String> = values
        .iter()
        .map(|v| to_pg_text(v).unwrap_or_else(|| "null".into()))
        .collect();
    format!("Key ({})=({}) {verb}.", names.join(", "), values.join(", "))
}

/// The bound CHECK constraints of `schema`, in name order: PostgreSQL checks a row against
/// them in that order, so the first that fails (the one the error names) is the same.
pub fn checks(schema: &Schema) -> Result<Vec<(String, Expr)>> {
    let mut checks = schema
        .checks
        .iter()
        .map(|c| Ok((c.name.clone(), bind_check(schema, &c.expr)?)))
        .collect::<Result<Vec<_>>>()?;
    checks.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(checks)
}

/// The primary-map keys of the rows of `table` that make a CHECK constraint false, each with
/// the constraint's name (`vdb_verify_constraints`).
pub fn failed_checks(table: &Table) -> Result<Vec<(bytes::Bytes, String)>> {
    let checks = checks(table.schema())?;
    let mut out = Vec::new();
    if checks.is_empty() {
        return Ok(out);
    }
    for entry in table.scan().map_err(|e| Error::engine("scanning", e))? {
        let (key, row) = entry.map_err(|e| Error::engine("scanning", e))?;
        for (constraint, expr) in &checks {
            if expr.eval(&row)? == Value::Bool(false) {
                out.push((key.clone(), constraint.clone()));
            }
        }
    }
    Ok(out)
}

/// Computes the generated columns of `row` (`generated` from `planner::bind_generated`), before
/// its constraints are checked, as PostgreSQL computes them.
pub fn generate(generated: &[(usize, Expr)], row: &mut [Value]) -> Result<()> {
    for (position, expr) in generated {
        row[*position] = expr.eval(row)?;
    }
    Ok(())
}

/// 23514 if a CHECK constraint is false for `row` (NULL passes, as in PostgreSQL).
pub fn check_row(name: &str, checks: &[(String, Expr)], row: &[Value]) -> Result<()> {
    for (constraint, expr) in checks {
        if expr.eval(row)? == Value::Bool(false) {
            return Err(Error::CheckViolation {
                table: name.to_string(),
                constraint: constraint.clone(),
                message: format!(
                    "new row for relation \"{}\" violates check constraint \"{constraint}\"",
                    vdb_engine::table::split_qualified(name).1
                ),
                detail: failing_row(row),
            });
        }
    }
    Ok(())
}

/// PostgreSQL's DETAIL line for a row that fails a NOT NULL or CHECK constraint.
pub fn failing_row(row: &[Value]) -> String {
    let cells: Vec<String> = row
        .iter()
        .map(|v| to_pg_text(v).unwrap_or_else(|| "null".into()))
        .collect();
    format!("Failing row contains ({}).", cells.join(", "))
}

/// 23505 if a written row shares the values of a unique index with another row of `table` (the
/// table `name` as it is after the write). Rows with a NULL in the index never conflict,
/// unless the index is NULLS NOT DISTINCT.
pub fn check_unique(name: &str, table: &Table, written: &[Row]) -> Result<()> {
    let schema = table.schema();
    for (i, index) in schema.indexes.iter().enumerate() {
        if !index.unique {
            continue;
        }
        for row in written {
            let values = table
                .index_values(i, row)
                .map_err(|e| Error::engine("computing index values", e))?;
            let Some(values) = values.filter(|v| index.collides(v)) else {
                continue;
            };
            let holders = table
                .index_lookup(i, &values)
                .map_err(|e| Error::engine("reading index", e))?;
            if holders.len() > 1 {
                let names = index_part_names(schema, index);
                return Err(Error::UniqueViolation {
                    table: name.to_string(),
                    constraint: index.name.clone(),
                    detail: key_detail(&names, &values, "already exists"),
                });
            }
        }
    }
    Ok(())
}

/// The unique indexes of `table` (its state before an UPDATE) checked row by row in the
/// order the UPDATE changes its rows, as PostgreSQL checks a unique index at each row: a row
/// may take values a row changed before it gave up, not values a later row still holds
/// (`SET u = u + 1` over 1, 2 fails at the first row; `SET u = u - 1` succeeds). `moves` are
/// the (old, new) rows. A statement that ends with duplicates fails in [`check_unique`] too.
pub fn check_unique_moves(name: &str, table: &Table, moves: &[(Row, Option<Row>)]) -> Result<()> {
    use std::collections::HashSet;
    let schema = table.schema();
    let values_of = |i: usize, row: &Row| -> Result<Option<Vec<Value>>> {
        let values = table
            .index_values(i, row)
            .map_err(|e| Error::engine("computing index values", e))?;
        Ok(values.filter(|v| schema.indexes[i].collides(v)))
    };
    for (i, index) in schema.indexes.iter().enumerate() {
        if !index.unique {
            continue;
        }
        // Values as their debug text: Value has no Hash, and equal values print alike.
        let mut taken: HashSet<String> = HashSet::new();
        let mut vacated: HashSet<String> = HashSet::new();
        for (old, new) in moves {
            let Some(new) = new else { continue };
            let before = values_of(i, old)?;
            let Some(after) = values_of(i, new)? else {
                if let Some(before) = before {
                    vacated.insert(format!("{before:?}"));
                }
                continue;
            };
            if before.as_ref() == Some(&after) {
                continue;
            }
            let key = format!("{after:?}");
            let held_before = !table
                .index_lookup(i, &after)
                .map_err(|e| Error::engine("reading index", e))?
                .is_empty();
            if taken.contains(&key) || (held_before && !vacated.contains(&key)) {
                let names = index_part_names(schema, index);
                return Err(Error::UniqueViolation {
                    table: name.to_string(),
                    constraint: index.name.clone(),
                    detail: key_detail(&names, &after, "already exists"),
                });
            }
            if let Some(before) = before {
                let before = format!("{before:?}");
                taken.remove(&before);
                vacated.insert(before);
            }
            vacated.remove(&key);
            taken.insert(key);
        }
    }
    Ok(())
}

/// The parts of `index` as PostgreSQL's key detail names them: a column by its name, an
/// expression by its text.
pub fn index_part_names(schema: &Schema, index: &vdb_engine::table::IndexDef) -> Vec<String> {
    let mut expressions = index.expressions.iter();
    index
        .columns
        .iter()
        .map(|&id| match schema.column_by_id(id) {
            Some(column) => column.name.clone(),
            None => expressions
                .next()
                .map(|e| e.sql.clone())
                .unwrap_or_default(),
        })
        .collect()
}

/// Checks rows written to table `name` (`table` is its state after the write): NOT NULL,
/// CHECK, UNIQUE, and that their foreign keys find their parent rows in `root`.
pub fn check_written(
    name: &str,
    table: &Table,
    written: &[Row],
    root: &RootValue,
    ns: &NodeStore,
) -> Result<()> {
    check_local(name, table, written)?;
    check_children(name, table, written, root, ns)
}

/// The checks of `check_written` that need only the table itself: NOT NULL, CHECK, UNIQUE.
pub fn check_local(name: &str, table: &Table, written: &[Row]) -> Result<()> {
    let checks = checks(table.schema())?;
    for row in written {
        check_not_null(name, table.schema(), row)?;
        check_row(name, &checks, row)?;
    }
    check_unique(name, table, written)
}

/// Checks every row of `table` against its schema's NOT NULL and CHECK constraints (ALTER TABLE
/// adding a constraint or changing a column), with PostgreSQL's ALTER wording; NOT VALID
/// checks are left out.
pub fn check_existing_rows(
    name: &str,
    table: &Table,
    _root: &RootValue,
    _ns: &NodeStore,
) -> Result<()> {
    let schema = table.schema();
    // A NOT VALID constraint holds only for rows written since it was added.
    let unvalidated = |name: &String| schema.checks.iter().any(|c| &c.name == name && c.not_valid);
    let mut checks = checks(schema)?;
    checks.retain(|(name, _)| !unvalidated(name));
    for entry in table.scan().map_err(|e| Error::engine("scanning", e))? {
        let (_, row) = entry.map_err(|e| Error::engine("scanning", e))?;
        for (column, value) in schema.columns.iter().zip(&row) {
            if !column.nullable && value.is_null() {
                return Err(Error::invalid(
                    "23502",
                    format!(
                        "column \"{}\" of relation \"{name}\" contains null values",
                        column.name
                    ),
                ));
            }
        }
        for (constraint, expr) in &checks {
            if expr.eval(&row)? == Value::Bool(false) {
                return Err(Error::CheckViolation {
                    table: name.to_string(),
                    constraint: constraint.clone(),
                    message: format!(
                        "check constraint \"{constraint}\" of relation \"{}\" is violated by some row",
                        vdb_engine::table::split_qualified(name).1
                    ),
                    detail: String::new(),
                });
            }
        }
    }
    Ok(())
}
