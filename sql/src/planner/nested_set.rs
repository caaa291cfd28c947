//! Set-returning functions inside select-list expressions (`generate_series(...)::date`,
//! `unnest(a) + 1`).
//!
//! A ProjectSet node expands only top-level calls. When a call sits inside an expression, the
//! calls are hoisted into a ProjectSet that passes the input columns the list reads through
//! and appends one column per call, and a Project above it computes the original expressions
//! with each call replaced by its column, as PostgreSQL evaluates them per expanded row.

use crate::expr::Expr;
use crate::planner::plan::Plan;

/// The projection of `exprs` over `source`: a Project, a ProjectSet, or for set-returning
/// calls nested in expressions a ProjectSet under a Project.
pub fn project(source: Plan, mut exprs: Vec<Expr>) -> Plan {
    let top_level = |e: &Expr| e.is_set_call();
    let nested = exprs
        .iter()
        .any(|e| !top_level(e) && contains(e, &Expr::is_set_call));
    // A subquery's plan may read any input column, which the pass-through below would not
    // know to keep; such lists keep the plain ProjectSet (and its error).
    let subquery = exprs
        .iter()
        .any(|e| contains(e, &|x| matches!(x, Expr::Subquery(_))));
    if !nested || subquery {
        return if exprs.iter().any(top_level) {
            Plan::ProjectSet {
                source: Box::new(source),
                exprs,
            }
        } else {
            Plan::Project {
                source: Box::new(source),
                exprs,
            }
        };
    }
    let mut width = 0;
    for e in &exprs {
        e.walk(&mut |x| {
            if let Expr::Column(i) = x {
                width = width.max(i + 1);
            }
        });
    }
    let mut calls = Vec::new();
    for e in &mut exprs {
        hoist(e, width, &mut calls);
    }
    let inner = (0..width).map(Expr::Column).chain(calls).collect();
    Plan::Project {
        source: Box::new(Plan::ProjectSet {
            source: Box::new(source),
            exprs: inner,
        }),
        exprs,
    }
}

/// Whether `e` or a subexpression satisfies `test`.
fn contains(e: &Expr, test: &impl Fn(&Expr) -> bool) -> bool {
    let mut found = false;
    e.walk(&mut |x| found |= test(x));
    found
}

/// Replaces each set-returning call in `e` by the column `width + k` of the k-th call moved to
/// `calls`.
fn hoist(e: &mut Expr, width: usize, calls: &mut Vec<Expr>) {
    if e.is_set_call() {
        let column = Expr::Column(width + calls.len());
        calls.push(std::mem::replace(e, column));
        return;
    }
    for child in e.children_mut() {
        hoist(child, width, calls);
    }
}
