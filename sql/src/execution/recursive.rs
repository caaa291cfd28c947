//! The recursive union of `WITH RECURSIVE`, as PostgreSQL runs it: the non-recursive term's rows
//! are emitted and become the working table; each round puts the working table into the plan's
//! [`WorkSlot`], builds the recursive term's operators afresh and emits their rows, which become
//! the next round's working table; it stops when a round emits nothing. UNION (without ALL)
//! drops every row already emitted, which is what ends a walk over a graph with cycles. Rows
//! stream, so an endless recursion under a LIMIT stops when the LIMIT has its rows; without
//! one it runs as long as PostgreSQL's would (there is no recursion limit).

use std::collections::BTreeSet;

use vdb_engine::prolly::NodeStore;
use vdb_engine::table::RootValue;

use crate::error::Result;
use crate::execution::{query, OrdRow, Rows};
use crate::expr::Row;
use crate::planner::{Plan, WorkSlot};

/// The rows of the working table that `slot` holds now.
pub fn work_table(slot: &WorkSlot) -> Rows {
    let rows = slot.rows();
    Box::new((0..rows.len()).map(move |i| Ok(rows[i].clone())))
}

/// `base UNION [ALL] recursive`, iterated.
pub fn recursive_union(
    all: bool,
    base: Rows,
    recursive: Plan,
    slot: WorkSlot,
    root: &RootValue,
    ns: &NodeStore,
) -> Rows {
    Box::new(RecursiveUnion {
        all,
        current: base,
        produced: Vec::new(),
        seen: BTreeSet::new(),
        recursive,
        slot,
        root: root.clone(),
        ns: ns.clone(),
        failed: false,
    })
}

struct RecursiveUnion {
    all: bool,
    /// The operators of the round running now.
    current: Rows,
    /// This round's rows so far: the next round's working table.
    produced: Vec<Row>,
    /// Every row emitted (UNION only).
    seen: BTreeSet<OrdRow>,
    recursive: Plan,
    slot: WorkSlot,
    root: RootValue,
    ns: NodeStore,
    failed: bool,
}

impl Iterator for RecursiveUnion {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Result<Row>> {
        if self.failed {
            return None;
        }
        loop {
            match self.current.next() {
                Some(Ok(row)) => {
                    if !self.all && !self.seen.insert(OrdRow(row.clone())) {
                        continue;
                    }
                    self.produced.push(row.clone());
                    return Some(Ok(row));
                }
                Some(Err(e)) => {
                    self.failed = true;
                    return Some(Err(e));
                }
                None if self.produced.is_empty() => return None,
                None => {
                    self.slot.set(std::mem::take(&mut self.produced));
                    match query(self.recursive.clone(), &self.root, &self.ns) {
                        Ok(rows) => self.current = rows,
                        Err(e) => {
                            self.failed = true;
                            return Some(Err(e));
                        }
                    }
                }
            }
        }
    }
}
