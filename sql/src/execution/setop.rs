//! Set operations. UNION ALL chains its inputs; UNION adds a distinct pass. INTERSECT and
//! EXCEPT collect the right input into a multiset (an ordered map of row → count, rows equal
//! under `Value::sql_cmp`, NULLs equal) and stream the left input against it.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::Result;
use crate::execution::{distinct, OrdRow, Rows};
use crate::planner::SetOperator;

/// `left op [ALL] right`.
pub fn set_operation(op: SetOperator, all: bool, left: Rows, right: Rows) -> Result<Rows> {
    if op == SetOperator::Union {
        let both: Rows = Box::new(left.chain(right));
        return Ok(if all { both } else { distinct::distinct(both) });
    }
    let mut counts: BTreeMap<OrdRow, usize> = BTreeMap::new();
    for row in right {
        *counts.entry(OrdRow(row?)).or_default() += 1;
    }
    let mut emitted = BTreeSet::new();
    let intersect = op == SetOperator::Intersect;
    Ok(Box::new(left.filter_map(move |row| {
        let row = match row {
            Ok(row) => row,
            Err(e) => return Some(Err(e)),
        };
        let key = OrdRow(row);
        let in_right = counts.get(&key).is_some_and(|c| *c > 0);
        let keep = if all {
            if in_right {
                if let Some(c) = counts.get_mut(&key) {
                    *c -= 1;
                }
            }
            in_right == intersect
        } else {
            in_right == intersect && !emitted.contains(&key)
        };
        if !keep {
            return None;
        }
        if !all {
            emitted.insert(OrdRow(key.0.clone()));
        }
        Some(Ok(key.0))
    })))
}
