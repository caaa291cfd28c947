//! MERGE: reads every joined row first (the source LEFT JOINed to the target, see
//! [`Plan::Merge`](crate::planner::Plan)), picks each row's action, the first arm of its kind
//! whose condition holds, and then applies them through DELETE, UPDATE and INSERT, which check
//! the table's constraints and run its foreign keys' actions. A target row that two source rows
//! would update or delete fails the statement (21000), as in PostgreSQL.

use std::collections::HashSet;

use vdb_engine::prolly::NodeStore;
use vdb_engine::table::RootValue;
use vdb_engine::value::Value;

use crate::error::{Error, Result};
use crate::execution::{delete, insert, query, sequence, update, Rows};
use crate::expr::Row;
use crate::planner::{MergeAction, MergeArm, Plan};

/// Runs a MERGE into table `table`; returns how many rows it inserted, updated or deleted.
pub fn merge(
    table: &str,
    source: Plan,
    source_width: usize,
    arms: &[MergeArm],
    root: &mut RootValue,
    ns: &NodeStore,
) -> Result<u64> {
    let joined: Vec<Row> = query(source, root, ns)?.collect::<Result<_>>()?;
    let (mut updates, mut deletes, mut inserts) = (Vec::new(), Vec::new(), Vec::new());
    let mut touched = HashSet::new();
    for row in &joined {
        // The target's columns, then its key: NULL when no target row matched.
        let target = &row[source_width..];
        let matched = !target.last().is_some_and(Value::is_null);
        let mut chosen = None;
        for arm in arms.iter().filter(|arm| arm.matched == matched) {
            let holds = match &arm.predicate {
                None => true,
                Some(p) => p.eval(row)? == Value::Bool(true),
            };
            if holds {
                chosen = Some(&arm.action);
                break;
            }
        }
        let Some(action) = chosen else { continue };
        let key = match target.last() {
            Some(Value::Bytea(key)) => Some(key),
            _ => None,
        };
        if matches!(action, MergeAction::Update(_) | MergeAction::Delete) && !touched.insert(key) {
            return Err(Error::invalid(
                "21000",
                "MERGE command cannot affect row a second time",
            ));
        }
        match action {
            MergeAction::Update(assignments) => {
                // The old row, then the new one, then the key: UPDATE sets each column to
                // its new value, so that triggers see OLD and NEW.
                let width = target.len() - 1;
                let mut new_row = target[..width].to_vec();
                for (i, expr) in assignments {
                    new_row[*i] = sequence::eval(expr, row, root)?;
                }
                let mut both = target[..width].to_vec();
                both.extend(new_row);
                both.push(target[width].clone());
                updates.push(both);
            }
            MergeAction::Delete => deletes.push(target.to_vec()),
            MergeAction::Insert(exprs) => inserts.push(sequence::eval_row(exprs, row, root)?),
            MergeAction::Nothing => {}
        }
    }
    let rows = |rows: Vec<Row>| -> Rows { Box::new(rows.into_iter().map(Ok)) };
    let mut affected = 0;
    if !deletes.is_empty() {
        affected += delete::delete(table, rows(deletes), root, ns)?.len();
    }
    if let Some(first) = updates.first() {
        let width = (first.len() - 1) / 2;
        let assignments: Vec<(usize, crate::expr::Expr)> = (0..width)
            .map(|i| (i, crate::expr::Expr::Column(width + i)))
            .collect();
        affected += update::update(table, rows(updates), &assignments, root, ns)?.len();
    }
    if !inserts.is_empty() {
        affected += insert::insert(table, rows(inserts), None, root, ns)?.len();
    }
    Ok(affected as u64)
}
