//! Subqueries used as values: a scalar `(SELECT ...)`, `EXISTS (...)`, `x op ANY/ALL (...)` (and
//! so `IN (SELECT ...)`), and `ARRAY(SELECT ...)`.
//!
//! A subquery holds its plan and the statement's snapshot, so evaluating it runs the plan against
//! the same root as the statement. A correlated subquery's plan names the enclosing row as
//! [`Expr::Outer`]; before each run, the references to the row being evaluated (level 1, or
//! level d+1 inside subqueries nested d deep) are replaced by that row's values. An uncorrelated
//! subquery is constant, so the optimizer's constant folding runs it once.

use std::fmt;
use std::sync::Arc;

use vdb_engine::value::Value;

use crate::error::{Error, Result};
use crate::execution::query;
use crate::expr::{quantified_over, BinaryOp, Expr};
use crate::planner::optimize;
use crate::planner::{AggregateCall, Plan, SortKey};
use crate::system::Snapshot;

/// What a subquery computes.
#[derive(Clone, Debug, PartialEq)]
pub enum SubqueryKind {
    /// The single column of its at most one row (NULL when empty; 21000 for more rows).
    Scalar,
    /// Whether it returns any row.
    Exists,
    /// `left op ANY (subquery)` / `left op ALL (subquery)`.
    Quantified {
        left: Box<Expr>,
        op: BinaryOp,
        all: bool,
    },
    /// `ARRAY(subquery)`: its single column as an array (of one more dimension when the
    /// column is an array, `arrays`).
    Array { arrays: bool },
}

/// A planned subquery.
#[derive(Clone, Debug, PartialEq)]
pub struct Subquery {
    pub kind: SubqueryKind,
    pub plan: Plan,
    /// Whether the plan refers to enclosing rows.
    pub correlated: bool,
    pub snapshot: Arc<Snapshot>,
}

impl PartialEq for Snapshot {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Subquery {
    /// Runs the subquery for the enclosing `row`.
    pub fn eval(&self, row: &[Value]) -> Result<Value> {
        let plan = if self.correlated {
            // The enclosing row's values are constants now, so a key or index lookup may serve
            // `inner.k = outer.x`, where planning could only scan.
            optimize(bind_plan(self.plan.clone(), 0, row))
        } else {
            self.plan.clone()
        };
        let mut rows = query(plan, &self.snapshot.root, &self.snapshot.ns)?;
        match &self.kind {
            SubqueryKind::Exists => Ok(Value::Bool(rows.next().transpose()?.is_some())),
            SubqueryKind::Scalar => {
                let first = rows.next().transpose()?;
                if rows.next().transpose()?.is_some() {
                    return Err(Error::invalid(
                        "21000",
                        "more than one row returned by a subquery used as an expression",
                    ));
                }
                Ok(first
                    .and_then(|r| r.into_iter().next())
                    .unwrap_or(Value::Null))
            }
            SubqueryKind::Array { arrays } => {
                let values = rows
                    .map(|r| r.map(|r| r.into_iter().next().unwrap_or(Value::Null)))
                    .collect::<Result<Vec<_>>>()?;
                match arrays {
                    true => crate::expr::accumulate_arrays(values),
                    false => Ok(Value::array(values)),
                }
            }
            SubqueryKind::Quantified { left, op, all } => {
                let left = left.eval(row)?;
                let items = rows
                    .map(|r| r.map(|r| r.into_iter().next().unwrap_or(Value::Null)))
                    .collect::<Result<Vec<_>>>()?;
                quantified_over(&left, *op, items, *all)
            }
        }
    }
}

impl fmt::Display for Subquery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plan = self.plan.to_string();
        let plan = plan.trim_end().replace('\n', "; ");
        match &self.kind {
            SubqueryKind::Scalar => write!(f, "(SubPlan: {plan})"),
            SubqueryKind::Exists => write!(f, "EXISTS(SubPlan: {plan})"),
            SubqueryKind::Array { .. } => write!(f, "ARRAY(SubPlan: {plan})"),
            SubqueryKind::Quantified { left, op, all } => {
                let q = if *all { "ALL" } else { "ANY" };
                write!(f, "({left} {op} {q} (SubPlan: {plan}))")
            }
        }
    }
}

/// Replaces, in `plan` nested `depth` subqueries deep, the references to the row being
/// evaluated (level `depth + 1`) by that row's values.
pub(crate) fn bind_plan(plan: Plan, depth: usize, row: &[Value]) -> Plan {
    let b = |p: Box<Plan>| Box::new(bind_plan(*p, depth, row));
    let e = |x: Expr| bind_expr(x, depth, row);
    match plan {
        Plan::Values { rows } => Plan::Values {
            rows: rows
                .into_iter()
                .map(|r| r.into_iter().map(e).collect())
                .collect(),
        },
        Plan::Filter { source, predicate } => Plan::Filter {
            source: b(source),
            predicate: e(predicate),
        },
        Plan::Project { source, exprs } => Plan::Project {
            source: b(source),
            exprs: exprs.into_iter().map(e).collect(),
        },
        Plan::ProjectSet { source, exprs } => Plan::ProjectSet {
            source: b(source),
            exprs: exprs.into_iter().map(e).collect(),
        },
        Plan::NestedLoopJoin {
            left,
            right,
            predicate,
            kind,
            left_width,
            right_width,
        } => Plan::NestedLoopJoin {
            left: b(left),
            right: b(right),
            predicate: predicate.map(e),
            kind,
            left_width,
            right_width,
        },
        Plan::HashJoin {
            left,
            right,
            left_keys,
            right_keys,
            residual,
            kind,
            left_width,
            right_width,
        } => Plan::HashJoin {
            left: b(left),
            right: b(right),
            left_keys: left_keys.into_iter().map(e).collect(),
            right_keys: right_keys.into_iter().map(e).collect(),
            residual: residual.map(e),
            kind,
            left_width,
            right_width,
        },
        // The right side is one level deeper: its level 1 is the left row.
        Plan::LateralJoin {
            left,
            right,
            predicate,
            kind,
            right_width,
        } => Plan::LateralJoin {
            left: b(left),
            right: Box::new(bind_plan(*right, depth + 1, row)),
            predicate: predicate.map(e),
            kind,
            right_width,
        },
        Plan::Aggregate {
            source,
            group_by,
            sets,
            aggregates,
        } => Plan::Aggregate {
            source: b(source),
            group_by: group_by.into_iter().map(e).collect(),
            sets,
            aggregates: aggregates
                .into_iter()
                .map(|a| AggregateCall {
                    arg: a.arg.map(e),
                    filter: a.filter.map(e),
                    direct_args: a.direct_args.into_iter().map(e).collect(),
                    order_by: a
                        .order_by
                        .into_iter()
                        .map(|k| SortKey {
                            expr: e(k.expr),
                            ..k
                        })
                        .collect(),
                    ..a
                })
                .collect(),
        },
        Plan::Sort { source, keys } => Plan::Sort {
            source: b(source),
            keys: keys
                .into_iter()
                .map(|k| SortKey {
                    expr: e(k.expr),
                    ..k
                })
                .collect(),
        },
        Plan::SetOperation {
            op,
            all,
            left,
            right,
        } => Plan::SetOperation {
            op,
            all,
            left: b(left),
            right: b(right),
        },
        Plan::Window { source, calls } => Plan::Window {
            source: b(source),
            calls: calls
                .into_iter()
                .map(|c| c.map_exprs(&mut |x| bind_expr(x, depth, row)))
                .collect(),
        },
        Plan::Distinct { source } => Plan::Distinct { source: b(source) },
        Plan::DistinctOn { source, keys } => Plan::DistinctOn {
            source: b(source),
            keys: keys.into_iter().map(e).collect(),
        },
        Plan::Limit {
            source,
            limit,
            offset,
            ties,
        } => Plan::Limit {
            source: b(source),
            limit,
            offset,
            ties: ties
                .into_iter()
                .map(|k| SortKey {
                    expr: e(k.expr),
                    ..k
                })
                .collect(),
        },
        other => other,
    }
}

fn bind_expr(expr: Expr, depth: usize, row: &[Value]) -> Expr {
    let b = |x: Box<Expr>| Box::new(bind_expr(*x, depth, row));
    let list = |l: Vec<Expr>| l.into_iter().map(|x| bind_expr(x, depth, row)).collect();
    match expr {
        Expr::Outer { level, index } if level == depth + 1 => {
            Expr::Literal(row.get(index).cloned().unwrap_or(Value::Null))
        }
        Expr::Binary(op, l, r) => Expr::Binary(op, b(l), b(r)),
        Expr::Negate(x) => Expr::Negate(b(x)),
        Expr::Not(x) => Expr::Not(b(x)),
        Expr::IsNull(x, n) => Expr::IsNull(b(x), n),
        Expr::Cast(x, t) => Expr::Cast(b(x), t),
        Expr::Domain(x, d) => Expr::Domain(b(x), d),
        Expr::InList(x, l, n) => Expr::InList(b(x), list(l), n),
        Expr::Like {
            expr,
            pattern,
            negated,
            case_insensitive,
        } => Expr::Like {
            expr: b(expr),
            pattern: b(pattern),
            negated,
            case_insensitive,
        },
        Expr::Regex {
            expr,
            pattern,
            negated,
            case_insensitive,
        } => Expr::Regex {
            expr: b(expr),
            pattern: b(pattern),
            negated,
            case_insensitive,
        },
        Expr::Case {
            operand,
            whens,
            otherwise,
        } => Expr::Case {
            operand: operand.map(b),
            whens: whens
                .into_iter()
                .map(|(w, t)| (bind_expr(w, depth, row), bind_expr(t, depth, row)))
                .collect(),
            otherwise: otherwise.map(b),
        },
        Expr::Coalesce(l) => Expr::Coalesce(list(l)),
        Expr::Function(f, l) => Expr::Function(f, list(l)),
        Expr::Array(l) => Expr::Array(list(l)),
        Expr::SetReturning(f, l) => Expr::SetReturning(f, list(l)),
        Expr::Catalog(f, l, s) => Expr::Catalog(f, list(l), s),
        Expr::UserFunction(c, l) => Expr::UserFunction(c, list(l)),
        Expr::Quantified {
            left,
            op,
            array,
            all,
        } => Expr::Quantified {
            left: b(left),
            op,
            array: b(array),
            all,
        },
        Expr::Subscript(a, i) => Expr::Subscript(b(a), b(i)),
        Expr::Subquery(s) => {
            let Subquery {
                kind,
                plan,
                correlated,
                snapshot,
            } = *s;
            let kind = match kind {
                SubqueryKind::Quantified { left, op, all } => SubqueryKind::Quantified {
                    left: b(left),
                    op,
                    all,
                },
                other => other,
            };
            let plan = if correlated {
                bind_plan(plan, depth + 1, row)
            } else {
                plan
            };
            Expr::Subquery(Box::new(Subquery {
                kind,
                plan,
                correlated,
                snapshot,
            }))
        }
        other => other,
    }
}
