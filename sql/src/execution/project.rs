//! Project: computes each output row from an input row.

use crate::execution::Rows;
use crate::expr::Expr;

/// Each row of `source` mapped through `exprs`.
pub fn project(source: Rows, exprs: Vec<Expr>) -> Rows {
    Box::new(source.map(move |row| {
        let row = row?;
        exprs.iter().map(|e| e.eval(&row)).collect()
    }))
}
