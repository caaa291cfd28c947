//! Limit: skips `offset` rows, then passes at most `limit` (errors pass through); with
//! `FETCH ... WITH TIES`, also the rows after the last one that tie with it.

use std::cmp::Ordering;

use vdb_engine::value::Value;

use crate::error::Result;
use crate::execution::Rows;
use crate::expr::Expr;
use crate::planner::{checked_count, LimitCounts, SortKey};

/// The values of counts that read an enclosing row, once it is bound.
pub fn evaluate_counts(counts: &LimitCounts) -> Result<(Option<u64>, u64)> {
    let value = |e: &Option<Expr>, what| match e {
        Some(e) => checked_count(&e.eval(&[])?, what),
        None => Ok(None),
    };
    let limit = value(&counts.limit, "LIMIT")?;
    let offset = value(&counts.offset, "OFFSET")?.unwrap_or(0);
    Ok((limit, offset))
}

/// LIMIT/OFFSET over `source`; `ties` are the sort keys of `FETCH ... WITH TIES`.
pub fn limit(source: Rows, limit: Option<u64>, offset: u64, ties: Vec<SortKey>) -> Rows {
    let skip = usize::try_from(offset).unwrap_or(usize::MAX);
    let take = limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    if ties.is_empty() || take == 0 {
        return Box::new(source.skip(skip).take(take));
    }
    let mut taken = 0;
    let mut last: Option<Vec<Value>> = None;
    let key = move |row: &[Value]| -> Result<Vec<Value>> {
        ties.iter().map(|k| k.expr.eval(row)).collect()
    };
    Box::new(
        source
            .skip(skip)
            .map(move |row| {
                let row = row?;
                if taken < take {
                    taken += 1;
                    if taken == take {
                        last = Some(key(&row)?);
                    }
                    return Ok(Some(row));
                }
                let tied = match &last {
                    Some(last) => key(&row)?
                        .iter()
                        .zip(last)
                        .all(|(a, b)| a.sql_cmp(b) == Ordering::Equal),
                    None => false,
                };
                Ok(tied.then_some(row))
            })
            .map_while(|row: Result<Option<_>>| row.transpose()),
    )
}
