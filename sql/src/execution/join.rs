//! Nested-loop join: collects the right input, then pairs each left row with every right row
//! for which the ON condition is true; a LEFT JOIN keeps an unmatched left row, padded with
//! NULLs.

use std::rc::Rc;

use vdb_engine::value::Value;

use crate::error::Result;
use crate::execution::Rows;
use crate::expr::{Expr, Row};

/// Joins `left` with `right` on `predicate` (None: every pair).
pub fn nested_loop(
    left: Rows,
    right: Rows,
    predicate: Option<Expr>,
    outer: bool,
    right_width: usize,
) -> Result<Rows> {
    let right: Rc<Vec<Row>> = Rc::new(right.collect::<Result<_>>()?);
    let predicate = Rc::new(predicate);
    Ok(Box::new(left.flat_map(move |l| -> Rows {
        match l {
            Ok(l) => match join_row(&l, &right, predicate.as_ref().as_ref(), outer, right_width) {
                Ok(rows) => Box::new(rows.into_iter().map(Ok)),
                Err(e) => Box::new(std::iter::once(Err(e))),
            },
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    })))
}

/// The joined rows for one left row.
fn join_row(
    left: &Row,
    right: &[Row],
    predicate: Option<&Expr>,
    outer: bool,
    right_width: usize,
) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    for r in right {
        let mut row = left.clone();
        row.extend(r.iter().cloned());
        let keep = match predicate {
            Some(p) => p.eval(&row)? == Value::Bool(true),
            None => true,
        };
        if keep {
            out.push(row);
        }
    }
    if out.is_empty() && outer {
        let mut row = left.clone();
        row.extend(std::iter::repeat_n(Value::Null, right_width));
        out.push(row);
    }
    Ok(out)
}
