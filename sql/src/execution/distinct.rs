//! Distinct: passes the first of each group of rows equal under SQL's grouping equality
//! (NULLs equal to each other), keeping their order; DISTINCT ON compares only its keys.

use std::collections::BTreeSet;

use crate::error::Result;
use crate::execution::{OrdRow, Rows};
use crate::expr::Expr;

/// The distinct rows of `source`.
pub fn distinct(source: Rows) -> Rows {
    let mut seen = BTreeSet::new();
    Box::new(source.filter(move |row| match row {
        Ok(row) => seen.insert(OrdRow(row.clone())),
        Err(_) => true,
    }))
}

/// The rows of `source` whose `keys` values were not seen before (DISTINCT ON: after the sort,
/// the first row of each group).
pub fn distinct_on(source: Rows, keys: Vec<Expr>) -> Rows {
    let mut seen = BTreeSet::new();
    Box::new(source.filter_map(move |row| {
        let row = match row {
            Ok(row) => row,
            Err(e) => return Some(Err(e)),
        };
        let key = match keys
            .iter()
            .map(|k| k.eval(&row))
            .collect::<Result<Vec<_>>>()
        {
            Ok(key) => key,
            Err(e) => return Some(Err(e)),
        };
        seen.insert(OrdRow(key)).then_some(Ok(row))
    }))
}
