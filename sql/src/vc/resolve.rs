//! Writes to `vdb_conflicts_t`, Dolt's way of resolving merge conflicts row by row from SQL:
//!
//! - `DELETE FROM vdb_conflicts_t [WHERE ...]` marks the matching conflicts resolved, keeping
//!   the table's row as it now stands in the working set;
//! - `UPDATE vdb_conflicts_t SET our_c = ... [WHERE ...]` writes the new `our_` values through
//!   to the table's row (as an upsert, so every constraint is checked); the conflict stays until
//!   it is deleted.
//!
//! This module recognizes such statements and builds the queries and upserts they stand for;
//! [`crate::Session`] runs them, since clearing a conflict changes the branch's working set,
//! not the statement's root value (like a procedure, it is not undone by ROLLBACK).

use sqlparser::ast::{self, AssignmentTarget, FromTable, SelectItem, SetExpr, Statement};
use vdb_engine::table::Schema;
use vdb_engine::value::Value;

use super::patch::{ident, typed_literal};
use crate::catalog::table_name;
use crate::error::{Error, Result};
use crate::planner::ident_name;

/// The prefix of the per-table conflicts tables.
const PREFIX: &str = "vdb_conflicts_";

/// A write to `vdb_conflicts_t`.
#[derive(Debug)]
pub struct ConflictWrite {
    /// The conflicted table `t`.
    pub table: String,
    pub selection: Option<ast::Expr>,
    /// UPDATE: the table column each assignment sets (without `our_`) and its value. Empty for
    /// DELETE.
    pub assignments: Vec<(String, ast::Expr)>,
}

impl ConflictWrite {
    pub fn is_delete(&self) -> bool {
        self.assignments.is_empty()
    }

    /// The query giving, per matching conflict, its id (the row's primary-map key), then (for
    /// UPDATE) the row the table should hold: each column's assigned value or its `our_` value.
    pub fn query(&self, schema: &Schema) -> Result<Statement> {
        let mut columns = vec!["vdb_conflict_id".to_string()];
        if !self.is_delete() {
            for (name, _) in &self.assignments {
                if schema.get_column(name).is_none() {
                    return Err(Error::UndefinedColumn(format!(
                        "column \"our_{name}\" of relation \"{PREFIX}{}\" does not exist",
                        vdb_engine::table::split_qualified(&self.table).1
                    )));
                }
            }
            columns.extend(
                schema
                    .columns
                    .iter()
                    .map(|c| ident(&format!("our_{}", c.name))),
            );
        }
        // `s.t`'s conflicts are `s.vdb_conflicts_t`.
        let (namespace, local) = vdb_engine::table::split_qualified(&self.table);
        let sql = format!(
            "SELECT {} FROM {}.{}",
            columns.join(", "),
            ident(namespace),
            ident(&format!("{PREFIX}{local}"))
        );
        let mut statement = crate::parse(&sql)?.remove(0);
        let Statement::Query(query) = &mut statement else {
            unreachable!("a SELECT parses to a query");
        };
        let SetExpr::Select(select) = query.body.as_mut() else {
            unreachable!("a plain SELECT has a select body");
        };
        select.selection = self.selection.clone();
        for (name, value) in &self.assignments {
            let i = schema
                .columns
                .iter()
                .position(|c| &c.name == name)
                .expect("checked above");
            select.projection[i + 1] = SelectItem::UnnamedExpr(value.clone());
        }
        Ok(statement)
    }

    /// The upsert that writes `row` (the query's columns after the id) to the table.
    pub fn upsert(&self, schema: &Schema, row: &[Value]) -> Result<Statement> {
        let names: Vec<String> = schema.columns.iter().map(|c| ident(&c.name)).collect();
        let values: Vec<String> = schema
            .columns
            .iter()
            .zip(row)
            .map(|(c, v)| typed_literal(v, &c.ty))
            .collect();
        let keys: Vec<String> = schema
            .primary_key
            .iter()
            .filter_map(|id| schema.columns.iter().find(|c| c.id == *id))
            .map(|c| ident(&c.name))
            .collect();
        if keys.is_empty() {
            return Err(unsupported(&format!(
                "UPDATE of the conflicts of keyless table \"{}\" (resolve them with \
                 vdb_conflicts_resolve, or DELETE them after editing the table)",
                self.table
            )));
        }
        let updates: Vec<String> = names
            .iter()
            .map(|n| format!("{n} = EXCLUDED.{n}"))
            .collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {}",
            ident(&self.table),
            names.join(", "),
            values.join(", "),
            keys.join(", "),
            updates.join(", ")
        );
        Ok(crate::parse(&sql)?.remove(0))
    }
}

/// The conflict write `statement` is, if it is a DELETE from or an UPDATE of a
/// `vdb_conflicts_t` table. Forms these tables cannot take (RETURNING, USING, FROM, a
/// non-`our_` column) are refused with 0A000.
pub fn recognize(statement: &Statement) -> Result<Option<ConflictWrite>> {
    match statement {
        Statement::Delete(delete) => {
            let tables = match &delete.from {
                FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => t,
            };
            let [from] = tables.as_slice() else {
                return Ok(None);
            };
            let Some(table) = conflicts_table(&from.relation)? else {
                return Ok(None);
            };
            if !from.joins.is_empty()
                || delete.using.is_some()
                || delete.returning.is_some()
                || delete.limit.is_some()
                || !delete.order_by.is_empty()
            {
                return Err(unsupported("this form of DELETE"));
            }
            Ok(Some(ConflictWrite {
                table,
                selection: delete.selection.clone(),
                assignments: Vec::new(),
            }))
        }
        Statement::Update {
            table: target,
            assignments,
            from,
            selection,
            returning,
            ..
        } => {
            let Some(table) = conflicts_table(&target.relation)? else {
                return Ok(None);
            };
            if !target.joins.is_empty() || from.is_some() || returning.is_some() {
                return Err(unsupported("this form of UPDATE"));
            }
            let mut sets = Vec::new();
            for assignment in assignments {
                let AssignmentTarget::ColumnName(name) = &assignment.target else {
                    return Err(unsupported("a tuple assignment"));
                };
                let column = name.0.last().map(ident_name).unwrap_or_default();
                let Some(base) = column.strip_prefix("our_") else {
                    return Err(unsupported(&format!(
                        "setting column \"{column}\" (only our_ columns can be set: they write \
                         through to table \"{table}\")"
                    )));
                };
                sets.push((base.to_string(), assignment.value.clone()));
            }
            Ok(Some(ConflictWrite {
                table,
                selection: selection.clone(),
                assignments: sets,
            }))
        }
        _ => Ok(None),
    }
}

/// The conflicted table a `vdb_conflicts_t` relation names.
fn conflicts_table(relation: &ast::TableFactor) -> Result<Option<String>> {
    let ast::TableFactor::Table { name, .. } = relation else {
        return Ok(None);
    };
    let name = table_name(name)?;
    // `s.vdb_conflicts_t` is the conflicts of `s.t`.
    let (schema, local) = vdb_engine::table::split_qualified(&name);
    Ok(local
        .strip_prefix(PREFIX)
        .filter(|t| !t.is_empty())
        .map(|t| vdb_engine::table::qualified(schema, t)))
}

fn unsupported(what: &str) -> Error {
    Error::Unsupported(format!("{what} on a vdb_conflicts_ table"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recognized(sql: &str) -> Option<ConflictWrite> {
        recognize(&crate::parse(sql).unwrap().remove(0)).unwrap()
    }

    #[test]
    fn recognizes_deletes_and_updates_of_conflicts_tables_only() {
        let delete = recognized("DELETE FROM vdb_conflicts_labels WHERE our_id = 1").unwrap();
        assert_eq!(delete.table, "labels");
        assert!(delete.is_delete() && delete.selection.is_some());
        let update = recognized("UPDATE vdb_conflicts_labels SET our_label = their_label").unwrap();
        assert_eq!(update.assignments.len(), 1);
        assert_eq!(update.assignments[0].0, "label");
        assert!(recognized("DELETE FROM labels WHERE id = 1").is_none());
        assert!(recognized("UPDATE vdb_conflicts SET x = 1").is_none());
    }

    #[test]
    fn refuses_writes_to_other_than_our_columns() {
        let statement = crate::parse("UPDATE vdb_conflicts_t SET their_v = 1")
            .unwrap()
            .remove(0);
        let err = recognize(&statement).unwrap_err();
        assert_eq!(err.sqlstate(), "0A000");
    }
}
