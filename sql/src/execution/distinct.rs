//! Distinct: passes the first of each group of rows equal under SQL's grouping equality
//! (NULLs equal to each other), keeping their order.

use std::collections::BTreeSet;

use crate::execution::{OrdRow, Rows};

/// The distinct rows of `source`.
pub fn distinct(source: Rows) -> Rows {
    let mut seen = BTreeSet::new();
    Box::new(source.filter(move |row| match row {
        Ok(row) => seen.insert(OrdRow(row.clone())),
        Err(_) => true,
    }))
}
