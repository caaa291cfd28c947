//! The join driver and the nested-loop join. The right input is collected; each left row is
//! paired with the right rows a [`Matcher`] finds for it (every pair passing the ON condition,
//! for the nested loop). A left row without a match is kept for LEFT and FULL joins, padded with
//! NULLs; after the left input ends, RIGHT and FULL joins emit each right row that never
//! matched, NULLs on the left.

use vdb_engine::value::Value;

use crate::error::Result;
use crate::execution::Rows;
use crate::expr::{Expr, Row};
use crate::planner::JoinKind;

/// Finds a left row's partners among the right rows: their positions and the joined rows.
pub trait Matcher {
    fn matches(&self, left: &Row, right: &[Row]) -> Result<Vec<(usize, Row)>>;
}

/// Every right row for which `predicate` (None: true) holds over the joined row.
struct NestedLoop {
    predicate: Option<Expr>,
}

impl Matcher for NestedLoop {
    fn matches(&self, left: &Row, right: &[Row]) -> Result<Vec<(usize, Row)>> {
        let mut out = Vec::new();
        for (i, r) in right.iter().enumerate() {
            let row = joined(left, r);
            if passes(self.predicate.as_ref(), &row)? {
                out.push((i, row));
            }
        }
        Ok(out)
    }
}

/// `left` followed by `right`.
pub fn joined(left: &[Value], right: &[Value]) -> Row {
    let mut row = Vec::with_capacity(left.len() + right.len());
    row.extend_from_slice(left);
    row.extend_from_slice(right);
    row
}

/// Whether `predicate` (None: true) is true over `row`.
pub fn passes(predicate: Option<&Expr>, row: &[Value]) -> Result<bool> {
    match predicate {
        Some(p) => Ok(p.eval(row)? == Value::Bool(true)),
        None => Ok(true),
    }
}

/// Joins `left` with `right` on `predicate` (None: every pair).
pub fn nested_loop(
    left: Rows,
    right: Rows,
    predicate: Option<Expr>,
    kind: JoinKind,
    widths: (usize, usize),
) -> Result<Rows> {
    let right: Vec<Row> = right.collect::<Result<_>>()?;
    Ok(drive(left, right, NestedLoop { predicate }, kind, widths))
}

/// The joined rows of `left` and the collected `right` under `matcher`.
pub fn drive<M: Matcher + 'static>(
    left: Rows,
    right: Vec<Row>,
    matcher: M,
    kind: JoinKind,
    widths: (usize, usize),
) -> Rows {
    Box::new(Join {
        matched: vec![false; right.len()],
        left,
        right,
        matcher,
        kind,
        widths,
        pending: Vec::new().into_iter(),
        tail: None,
        finished: false,
    })
}

struct Join<M> {
    left: Rows,
    right: Vec<Row>,
    matcher: M,
    kind: JoinKind,
    /// Column counts of the left and right rows (for NULL padding).
    widths: (usize, usize),
    /// Which right rows have matched some left row.
    matched: Vec<bool>,
    /// Joined rows of the current left row not yet returned.
    pending: std::vec::IntoIter<Row>,
    /// After the left input: the next right row to consider for emitting unmatched.
    tail: Option<usize>,
    finished: bool,
}

impl<M: Matcher> Join<M> {
    /// The rows one left row gives.
    fn rows_for(&mut self, left: Row) -> Result<Vec<Row>> {
        let found = self.matcher.matches(&left, &self.right)?;
        if found.is_empty() {
            if self.kind.keeps_left() {
                let mut row = left;
                row.extend(std::iter::repeat_n(Value::Null, self.widths.1));
                return Ok(vec![row]);
            }
            return Ok(Vec::new());
        }
        Ok(found
            .into_iter()
            .map(|(i, row)| {
                self.matched[i] = true;
                row
            })
            .collect())
    }

    /// The next right row that never matched, padded with NULLs on the left.
    fn next_unmatched(&mut self, from: usize) -> Option<Row> {
        let i = (from..self.right.len()).find(|&i| !self.matched[i])?;
        self.tail = Some(i + 1);
        let mut row: Row = std::iter::repeat_n(Value::Null, self.widths.0).collect();
        row.extend_from_slice(&self.right[i]);
        Some(row)
    }
}

impl<M: Matcher> Iterator for Join<M> {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Result<Row>> {
        loop {
            if self.finished {
                return None;
            }
            if let Some(row) = self.pending.next() {
                return Some(Ok(row));
            }
            if let Some(from) = self.tail {
                let row = self.next_unmatched(from);
                self.finished = row.is_none();
                return row.map(Ok);
            }
            match self.left.next() {
                None if self.kind.keeps_right() => self.tail = Some(0),
                None => self.finished = true,
                Some(Err(e)) => return Some(Err(e)),
                Some(Ok(l)) => match self.rows_for(l) {
                    Ok(rows) => self.pending = rows.into_iter(),
                    Err(e) => return Some(Err(e)),
                },
            }
        }
    }
}
