//! LATERAL join: the right plan names the left row as `Expr::Outer` level 1, so it is bound to
//! each left row's values and run once per left row; rows pair as in a nested loop, and a LEFT
//! join keeps a left row without partners, padded with NULLs.

use vdb_engine::prolly::NodeStore;
use vdb_engine::table::RootValue;
use vdb_engine::value::Value;

use crate::error::Result;
use crate::execution::join::{joined, passes};
use crate::execution::{query, Rows};
use crate::expr::{bind_plan, Expr, Row};
use crate::planner::{optimize, JoinKind, Plan};

/// What a lateral join needs besides its left input.
#[derive(Debug)]
pub struct Lateral {
    pub right: Plan,
    pub predicate: Option<Expr>,
    pub kind: JoinKind,
    pub right_width: usize,
}

/// Joins each left row with the rows of `lateral.right` run for it.
pub fn lateral(left: Rows, lateral: Lateral, root: &RootValue, ns: &NodeStore) -> Rows {
    let root = root.clone();
    let ns = ns.clone();
    Box::new(left.flat_map(move |l| -> Rows {
        match l.and_then(|l| rows_for(l, &lateral, &root, &ns)) {
            Ok(rows) => Box::new(rows.into_iter().map(Ok)),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }))
}

fn rows_for(left: Row, lateral: &Lateral, root: &RootValue, ns: &NodeStore) -> Result<Vec<Row>> {
    // The left row's values are constants now: a key or index lookup may serve the right side.
    let plan = optimize(bind_plan(lateral.right.clone(), 0, &left));
    let mut out = Vec::new();
    for r in query(plan, root, ns)? {
        let row = joined(&left, &r?);
        if passes(lateral.predicate.as_ref(), &row)? {
            out.push(row);
        }
    }
    if out.is_empty() && lateral.kind.keeps_left() {
        let mut row = left;
        row.extend(std::iter::repeat_n(Value::Null, lateral.right_width));
        out.push(row);
    }
    Ok(out)
}
