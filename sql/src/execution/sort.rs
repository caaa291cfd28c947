//! Sort: collects the input, computes each row's keys once, and sorts stably (under a LIMIT,
//! keeping only the rows the limit can reach); NULLs sort last
//! ascending and first descending unless NULLS FIRST/LAST says otherwise (PostgreSQL's rule).

use std::cmp::Ordering;

use vdb_engine::value::Value;

use crate::error::Result;
use crate::execution::Rows;
use crate::expr::Row;
use crate::planner::SortKey;

/// `source` sorted by `keys`.
pub fn sort(source: Rows, keys: &[SortKey]) -> Result<Rows> {
    top_n(source, keys, usize::MAX)
}

/// The first `n` rows of `source` sorted by `keys`, as `sort` would give them, holding at most
/// about twice `n` rows at a time (`ORDER BY .. LIMIT n` over a large input).
pub fn top_n(source: Rows, keys: &[SortKey], n: usize) -> Result<Rows> {
    let prune_at = n.saturating_mul(2).max(1024);
    let mut keyed: Vec<(Vec<Value>, Row)> = Vec::new();
    for row in source {
        let row = row?;
        let k = keys
            .iter()
            .map(|k| k.expr.eval(&row))
            .collect::<Result<Vec<_>>>()?;
        keyed.push((k, row));
        if keyed.len() >= prune_at {
            // Stable: kept rows precede later rows with equal keys, as in the full sort.
            keyed.sort_by(|(a, _), (b, _)| compare_keys(a, b, keys));
            keyed.truncate(n);
        }
    }
    keyed.sort_by(|(a, _), (b, _)| compare_keys(a, b, keys));
    keyed.truncate(n);
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
