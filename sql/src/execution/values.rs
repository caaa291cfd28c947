//! VALUES: evaluates each row of expressions when it is pulled; and COPY's data, whose rows
//! of text fields are read the same way.

use std::sync::Arc;

use vdb_engine::value::Value;

use crate::execution::Rows;
use crate::expr::Expr;

/// The rows of a VALUES list.
pub fn values(rows: Vec<Vec<Expr>>) -> Rows {
    Box::new(
        rows.into_iter()
            .map(|row| row.iter().map(|e| e.eval(&[])).collect()),
    )
}

/// The rows of a COPY's data as text values (NULL for a missing field), one at a time.
pub fn fields(rows: Arc<Vec<Vec<Option<String>>>>) -> Rows {
    Box::new((0..rows.len()).map(move |i| {
        Ok(rows[i]
            .iter()
            .map(|field| {
                field
                    .as_ref()
                    .map_or(Value::Null, |text| Value::Text(text.clone()))
            })
            .collect())
    }))
}
