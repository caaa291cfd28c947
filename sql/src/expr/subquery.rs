//! Subqueries used as values: a scalar `(SELECT ...)`, `EXISTS (...)`, `x op ANY/ALL (...)` (and
//! so `IN (SELECT ...)`), and `ARRAY(SELECT ...)`.
//!
//! A subquery holds its plan and the statement's snapshot, so evaluating it runs the plan against
//! the same root as the statement. A correlated subquery's plan names the enclosing row as
//! [`Expr::Outer`]; before each run, the references to the row being evaluated (level 1, or
//! level d+1 inside subqueries nested d deep) are replaced by that row's values. An uncorrelated
//! subquery is constant, so the optimizer's constant folding runs it once; an uncorrelated
//! `x op ANY/ALL (...)` (so `IN` and `NOT IN`) is not constant, since `x` varies, so its rows
//! are computed on the first evaluation and kept ([`Items`]), hashed when the operator is `=`
//! under ANY or `<>` under ALL, so that each later row costs one probe instead of a run of the
//! subquery.

use std::collections::HashSet;
use std::fmt;
use std::mem::Discriminant;
use std::sync::{Arc, OnceLock};

use rustc_hash::FxBuildHasher;

use vdb_engine::value::Value;

use crate::error::{Error, Result};
use crate::execution::hash_join::Key;
use crate::execution::query;
use crate::expr::{quantified_over, BinaryOp, Expr};
use crate::planner::optimize;
use crate::planner::{AggregateCall, LimitCounts, Plan, SortKey};
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
    /// Whether some row of the (uncorrelated) subquery equals `probes`, computed over the
    /// enclosing row, column by column: a correlated `EXISTS (... WHERE inner1 = outer1 AND
    /// inner2 = outer2 ...)` made a hashed semi-join. A NULL on either side never matches.
    SemiJoin { probes: Vec<Expr> },
}

/// A planned subquery.
#[derive(Clone, Debug, PartialEq)]
pub struct Subquery {
    pub kind: SubqueryKind,
    pub plan: Plan,
    /// Whether the plan refers to enclosing rows.
    pub correlated: bool,
    pub snapshot: Arc<Snapshot>,
    /// The rows of an uncorrelated ANY/ALL subquery, once computed.
    pub items: ItemsCache,
}

/// The rows of an uncorrelated ANY/ALL subquery, computed on first use. A clone starts empty,
/// so a plan kept for later statements never carries one run's rows into the next, and two
/// subqueries are equal whatever their caches hold.
#[derive(Default)]
pub struct ItemsCache(OnceLock<Items>);

impl Clone for ItemsCache {
    fn clone(&self) -> Self {
        ItemsCache::default()
    }
}

impl PartialEq for ItemsCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl fmt::Debug for ItemsCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ItemsCache")
    }
}

/// A subquery's single column, kept for `left op ANY/ALL` tests.
pub struct Items {
    /// A semi-join's rows as keys (rows with a NULL left out, as they match nothing).
    keys: Option<HashSet<Key, FxBuildHasher>>,
    values: Vec<Value>,
    /// For `= ANY` and `<> ALL` when every non-NULL value is of one kind (integers of any
    /// width counting as one): those values hashed, and whether a NULL was among them.
    hashed: Option<(Family, HashSet<Key, FxBuildHasher>, bool)>,
}

/// The kind of value a hash set holds: values of one family are equal exactly when
/// `Value::sql_cmp` says so, which is what the set's hashing follows.
type Family = Discriminant<Value>;

fn family(v: &Value) -> Family {
    match v {
        Value::Int2(_) | Value::Int4(_) => std::mem::discriminant(&Value::Int8(0)),
        other => std::mem::discriminant(other),
    }
}

impl Items {
    fn new(values: Vec<Value>, op: BinaryOp, all: bool) -> Items {
        let hashable = matches!((op, all), (BinaryOp::Eq, false) | (BinaryOp::NotEq, true));
        let mut non_null = values.iter().filter(|v| !v.is_null());
        let hashed = match (hashable, non_null.next()) {
            (true, Some(first)) if non_null.all(|v| family(v) == family(first)) => {
                let set = values
                    .iter()
                    .filter(|v| !v.is_null())
                    .map(|v| Key(vec![v.clone()]))
                    .collect();
                Some((family(first), set, values.iter().any(Value::is_null)))
            }
            _ => None,
        };
        Items {
            keys: None,
            values,
            hashed,
        }
    }

    /// A semi-join's rows, hashed by all their columns.
    fn keyed(rows: Vec<Vec<Value>>) -> Items {
        let keys = rows
            .into_iter()
            .filter(|row| !row.iter().any(Value::is_null))
            .map(Key)
            .collect();
        Items {
            keys: Some(keys),
            values: Vec::new(),
            hashed: None,
        }
    }

    /// `left op ANY/ALL (these values)`, as [`quantified_over`] computes it.
    fn test(&self, left: &Value, op: BinaryOp, all: bool) -> Result<Value> {
        let probe = match &self.hashed {
            Some((kind, ..)) if !left.is_null() => as_family(left, *kind),
            _ => None,
        };
        match (&self.hashed, probe) {
            (Some((_, set, has_null)), Some(probe)) => {
                // `= ANY`: true when found; else NULL when a NULL was among the values, else
                // false. `<> ALL` is its negation.
                let found = probe.is_some_and(|probe| set.contains(&Key(vec![probe])));
                let any = match (found, has_null) {
                    (true, _) => Value::Bool(true),
                    (false, true) => Value::Null,
                    (false, false) => Value::Bool(false),
                };
                Ok(match (all, any) {
                    (true, Value::Bool(b)) => Value::Bool(!b),
                    (_, v) => v,
                })
            }
            _ => quantified_over(left, op, &self.values, all),
        }
    }
}

/// `v` as a value of family `kind` that `=` finds equal to the same members `v` is equal to:
/// `Some(None)` when no member can equal it (a fraction among integers), `None` when `v` cannot
/// be put in that family (and every member must be compared with `v`).
fn as_family(v: &Value, kind: Family) -> Option<Option<Value>> {
    use bigdecimal::{BigDecimal, ToPrimitive};
    use vdb_engine::value::Numeric;
    if family(v) == kind {
        return Some(Some(v.clone()));
    }
    let integer = match v {
        Value::Int2(n) => Some(i64::from(*n)),
        Value::Int4(n) => Some(i64::from(*n)),
        Value::Int8(n) => Some(*n),
        _ => None,
    };
    match (v, integer) {
        (_, Some(n)) if kind == family(&Value::Numeric(Numeric::NaN)) => {
            Some(Some(Value::Numeric(Numeric::Finite(BigDecimal::from(n)))))
        }
        (Value::Numeric(n), None) if kind == family(&Value::Int8(0)) => Some(match n {
            Numeric::Finite(d) if d.is_integer() => d.to_i64().map(Value::Int8),
            _ => None,
        }),
        _ => None,
    }
}

impl PartialEq for Snapshot {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Subquery {
    /// Runs the subquery for the enclosing `row`.
    pub fn eval(&self, row: &[Value]) -> Result<Value> {
        if let SubqueryKind::SemiJoin { probes } = &self.kind {
            let probe = probes
                .iter()
                .map(|p| p.eval(row))
                .collect::<Result<Vec<_>>>()?;
            if probe.iter().any(Value::is_null) {
                return Ok(Value::Bool(false));
            }
            let items = match self.items.0.get() {
                Some(items) => items,
                None => {
                    let rows = query(self.plan.clone(), &self.snapshot.root, &self.snapshot.ns)?
                        .collect::<Result<Vec<_>>>()?;
                    self.items.0.get_or_init(|| Items::keyed(rows))
                }
            };
            let found = items
                .keys
                .as_ref()
                .is_some_and(|keys| keys.contains(&Key(probe)));
            return Ok(Value::Bool(found));
        }
        if let (SubqueryKind::Quantified { left, op, all }, false) = (&self.kind, self.correlated) {
            let left = left.eval(row)?;
            if let Some(items) = self.items.0.get() {
                return items.test(&left, *op, *all);
            }
            let rows = query(self.plan.clone(), &self.snapshot.root, &self.snapshot.ns)?;
            let values = rows
                .map(|r| r.map(|r| r.into_iter().next().unwrap_or(Value::Null)))
                .collect::<Result<Vec<_>>>()?;
            return self
                .items
                .0
                .get_or_init(|| Items::new(values, *op, *all))
                .test(&left, *op, *all);
        }
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
            SubqueryKind::SemiJoin { .. } => Err(Error::invalid(
                "XX000",
                "internal error: a semi-join subquery evaluated row by row",
            )),
            SubqueryKind::Quantified { left, op, all } => {
                let left = left.eval(row)?;
                let items = rows
                    .map(|r| r.map(|r| r.into_iter().next().unwrap_or(Value::Null)))
                    .collect::<Result<Vec<_>>>()?;
                quantified_over(&left, *op, &items, *all)
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
            SubqueryKind::SemiJoin { probes } => {
                let probes: Vec<String> = probes.iter().map(ToString::to_string).collect();
                write!(f, "(({}) IN (hashed SubPlan: {plan}))", probes.join(", "))
            }
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
            left_width,
            right_width,
        } => Plan::LateralJoin {
            left: b(left),
            right: Box::new(bind_plan(*right, depth + 1, row)),
            predicate: predicate.map(e),
            kind,
            left_width,
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
            counts,
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
            counts: counts.map(|c| {
                Box::new(LimitCounts {
                    limit: c.limit.map(e),
                    offset: c.offset.map(e),
                })
            }),
        },
        // A WITH RECURSIVE query inside the subquery reads the outer row at the same level.
        Plan::RecursiveUnion {
            name,
            all,
            base,
            recursive,
            slot,
        } => Plan::RecursiveUnion {
            name,
            all,
            base: b(base),
            recursive: b(recursive),
            slot,
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
                items,
            } = *s;
            let kind = match kind {
                SubqueryKind::Quantified { left, op, all } => SubqueryKind::Quantified {
                    left: b(left),
                    op,
                    all,
                },
                SubqueryKind::SemiJoin { probes } => SubqueryKind::SemiJoin {
                    probes: probes
                        .into_iter()
                        .map(|p| bind_expr(p, depth, row))
                        .collect(),
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
                items,
            }))
        }
        other => other,
    }
}
