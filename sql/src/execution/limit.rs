//! Limit: skips `offset` rows, then passes at most `limit` (errors pass through).

use crate::execution::Rows;

/// LIMIT/OFFSET over `source`.
pub fn limit(source: Rows, limit: Option<u64>, offset: u64) -> Rows {
    let skip = usize::try_from(offset).unwrap_or(usize::MAX);
    let take = limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    Box::new(source.skip(skip).take(take))
}
