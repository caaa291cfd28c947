//! Filter: passes the rows for which the predicate is true (not false, not NULL).

use vdb_engine::value::Value;

use crate::execution::Rows;
use crate::expr::Expr;

/// Rows of `source` that satisfy `predicate`.
pub fn filter(source: Rows, predicate: Expr) -> Rows {
    Box::new(source.filter_map(move |row| match row {
        Ok(row) => match predicate.eval(&row) {
            Ok(Value::Bool(true)) => Some(Ok(row)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        },
        Err(e) => Some(Err(e)),
    }))
}
