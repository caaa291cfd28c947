//! Sort: collects the input, computes each row's keys once, and sorts stably; NULLs sort last
//! ascending and first descending unless NULLS FIRST/LAST says otherwise (PostgreSQL's rule).

use std::cmp::Ordering;

use vdb_engine::value::Value;

use crate::error::Result;
use crate::execution::Rows;
use crate::expr::Row;
use crate::planner::SortKey;

/// `source` sorted by `keys`.
pub fn sort(source: Rows, keys: &[SortKey]) -> Result<Rows> {
    let mut keyed: Vec<(Vec<Value>, Row)> = Vec::new();
    for row in source {
        let row = row?;
        let k = keys
            .iter()
            .map(|k| k.expr.eval(&row))
            .collect::<Result<Vec<_>>>()?;
        keyed.push((k, row));
    }
    keyed.sort_by(|(a, _), (b, _)| compare_keys(a, b, keys));
    Ok(Box::new(keyed.into_iter().map(|(_, row)| Ok(row))))
}

pub(super) fn compare_keys(a: &[Value], b: &[Value], keys: &[SortKey]) -> Ordering {
    for ((x, y), key) in a.iter().zip(b).zip(keys) {
        let ord = match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => {
                if key.nulls_first {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (false, true) => {
                if key.nulls_first {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (false, false) => {
                let ord = x.sql_cmp(y);
                if key.descending {
                    ord.reverse()
                } else {
                    ord
                }
            }
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}
