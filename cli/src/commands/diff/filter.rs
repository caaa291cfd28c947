//! `vdb diff --where EXPR`: keeps the row changes for which a SQL boolean expression is true.
//!
//! The expression sees Dolt's diff columns: `diff_type` (`'added'`, `'deleted'` or
//! `'modified'`), then `from_C` and `to_C` for every column C (NULL on the side where the row,
//! or the column, is absent). It is evaluated by vdb-sql itself, so any expression a WHERE
//! clause accepts works: the changed rows become a `VALUES` list, every value cast to its
//! column's type, and `SELECT n FROM (VALUES ...) AS d(n, diff_type, from_..., to_...) WHERE
//! EXPR` returns the indexes of the rows to keep. Rows go in batches so that no single query
//! grows without bound, and only the column pairs whose names the expression mentions are
//! listed (so a column of a type the SQL layer cannot yet cast does not get in the way of a
//! filter on another). A table that lacks a column the expression names is skipped, so that
//! one filter can run over a diff of several tables; if it fits no table with row changes, that
//! is an error naming the column. The expression must be one expression: text with a statement-ending
//! `;` is refused, so a filter can never run a second statement.

use super::Column;
use crate::context::Result;
use crate::fail;
use crate::statements::Splitter;
use std::collections::BTreeSet;
use std::sync::Arc;
use vdb_engine::repo::{Repository, RowDiff, TableDiff};
use vdb_engine::table::Schema;
use vdb_engine::value::{Type, Value};
use vdb_sql::vc::patch::{ident, quote, typed_literal};
use vdb_sql::{Session, StatementResult};

/// Rows per `VALUES` query.
const BATCH: usize = 500;

/// What a filter made of a table's row changes.
#[derive(Debug)]
pub enum Filtered {
    /// The rows for which the expression is true (all of them were evaluated).
    Kept(Vec<RowDiff>),
    /// Nothing was evaluated: there were no row changes.
    Empty,
    /// The expression names a column this table does not have (42703); the message says which.
    NotApplicable(String),
}

/// The rows of `rows` (changes of table `d`) for which `expr` is true.
pub fn keep(
    repo: &Arc<Repository>,
    branch: &str,
    d: &TableDiff,
    columns: &[Column],
    rows: Vec<RowDiff>,
    expr: &str,
) -> Result<Filtered> {
    if rows.is_empty() {
        return Ok(Filtered::Empty);
    }
    if !Splitter::new().push(expr).is_empty() {
        fail!("--where takes one SQL expression, not statements: remove the ';'");
    }
    let mentioned = expr.to_lowercase();
    let columns: Vec<Column> = columns
        .iter()
        .filter(|(name, _, _)| {
            let name = name.to_lowercase();
            mentioned.contains(&format!("from_{name}")) || mentioned.contains(&format!("to_{name}"))
        })
        .cloned()
        .collect();
    let columns = columns.as_slice();
    let from = d.from.as_ref().map(|t| t.schema());
    let to = d.to.as_ref().map(|t| t.schema());
    let types: Vec<(Type, Type)> = columns
        .iter()
        .map(|(_, i, j)| {
            let old = column_type(from, *i);
            let new = column_type(to, *j);
            (
                old.clone()
                    .unwrap_or_else(|| new.clone().unwrap_or(Type::Text)),
                new.or(old).unwrap_or(Type::Text),
            )
        })
        .collect();
    let mut names = vec!["n".to_string(), "diff_type".to_string()];
    names.extend(columns.iter().map(|c| ident(&format!("from_{}", c.0))));
    names.extend(columns.iter().map(|c| ident(&format!("to_{}", c.0))));
    let mut session = Session::new(repo.clone(), branch);
    let mut kept = BTreeSet::new();
    for (batch, chunk) in rows.chunks(BATCH).enumerate() {
        let values: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(k, row)| tuple(batch * BATCH + k, row, columns, &types))
            .collect();
        let query = format!(
            "SELECT n FROM (VALUES {}) AS d({}) WHERE ({expr})",
            values.join(", "),
            names.join(", ")
        );
        let results = match session.execute(&query) {
            Ok(results) => results,
            Err(e) => {
                let message = format!("--where {expr:?} cannot be evaluated: {e}");
                if e.sqlstate() == "42703" {
                    return Ok(Filtered::NotApplicable(message));
                }
                return Err(message.into());
            }
        };
        for result in results {
            if let StatementResult::Rows { rows, .. } = result {
                kept.extend(rows.iter().filter_map(|r| match r.first() {
                    Some(Value::Int4(n)) => usize::try_from(*n).ok(),
                    _ => None,
                }));
            }
        }
    }
    Ok(Filtered::Kept(
        rows.into_iter()
            .enumerate()
            .filter(|(n, _)| kept.contains(n))
            .map(|(_, row)| row)
            .collect(),
    ))
}

fn column_type(schema: Option<&Schema>, position: Option<usize>) -> Option<Type> {
    Some(schema?.columns.get(position?)?.ty.clone())
}

/// One `VALUES` tuple: the row's index, its diff type, its old and its new values.
fn tuple(n: usize, row: &RowDiff, columns: &[Column], types: &[(Type, Type)]) -> String {
    let (kind, old, new): (&str, Option<&[Value]>, Option<&[Value]>) = match row {
        RowDiff::Added { row, .. } => ("added", None, Some(row)),
        RowDiff::Deleted { row, .. } => ("deleted", Some(row), None),
        RowDiff::Modified { old, new, .. } => ("modified", Some(old), Some(new)),
    };
    let mut parts = vec![
        format!("CAST({n} AS integer)"),
        format!("CAST({} AS text)", quote(kind)),
    ];
    let side = |values: Option<&[Value]>, position: Option<usize>| {
        values
            .zip(position)
            .and_then(|(v, p)| v.get(p))
            .unwrap_or(&Value::Null)
            .clone()
    };
    for ((_, i, _), (old_ty, _)) in columns.iter().zip(types) {
        parts.push(typed_literal(&side(old, *i), old_ty));
    }
    for ((_, _, j), (_, new_ty)) in columns.iter().zip(types) {
        parts.push(typed_literal(&side(new, *j), new_ty));
    }
    format!("({})", parts.join(", "))
}
