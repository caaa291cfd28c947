//! Optimizer rules, applied in order to a plan tree. Each rule keeps results the same:
//!
//! 1. [`fold_constants`]: evaluates subexpressions that read no column (casts of literals
//!    included), leaving any that would fail so the error surfaces when the row is reached.
//!    Then [`push_filters`] moves each conjunct of a filter over a join that reads one side
//!    only onto that side (unless that side's unmatched rows are padded with NULLs), and each
//!    conjunct over a projection (a view or derived table) below it, the projection's
//!    expressions in place of its columns, unless they are volatile.
//! 2. [`key_lookup`]: a filter over a scan narrows the scan. On a table with a one-column
//!    primary key, a conjunct `key = constant` or `key <op> constant` gives a point lookup or a
//!    key range on the prolly tree. Otherwise conjuncts `column = constant` (or `IN` a list of
//!    constants, or `= ANY` an array constant) on the leading columns of the primary key or of
//!    a secondary index give prefix scans of that tree: the
//!    one matching the most columns, a complete unique match first, the primary key on a tie
//!    (no second lookup per row). The filter stays, so the range need only be a superset.
//! 3. [`index_join`]: a hash join whose left side is known to be small and whose right side
//!    is a table keyed on a join column becomes a lateral join that looks each left row's
//!    partners up (rule 2 runs again on the right side once the left row's values are bound).
//!    Then [`key_order`] drops a sort by the primary key of a scan that reads in key order.
//! 4. [`prune_versions`]: a filter over a version scan or a row diff drops the versions whose
//!    tags (commit hash, date) make a conjunct false, so `WHERE to_commit = 'abc'` diffs one
//!    pair of versions, and narrows a version scan's key range as rule 2 does.
//! 5. [`order_quals`]: a filter tests its conjuncts cheapest first, as PostgreSQL orders a
//!    scan's quals by their cost, so `WHERE f(x) > 0 AND x < 10` tests `x < 10` first (and a
//!    row it rejects never reaches `f`, nor an error `f` would raise on it).
//! 6. [`prune_columns`]: a projection's output column that nothing above it reads is not
//!    computed, so `SELECT count(*) FROM v` neither evaluates nor fails on the view's
//!    expressions, as PostgreSQL, which flattens the view, does not.

use std::collections::BTreeSet;
use std::ops::Bound;

use vdb_engine::table::Schema;
use vdb_engine::value::{Type, Value};

use crate::expr::{BinaryOp, Expr};
use crate::planner::plan::{
    AggregateCall, AggregateFunction, DiffKey, JoinKind, KeyRange, Plan, SortKey,
};
use crate::types::{cast, value_type};

/// A rewrite of a plan tree.
pub type Rule = fn(Plan) -> Plan;

/// The rules, in the order they run.
pub const RULES: &[(&str, Rule)] = &[
    ("fold_constants", fold_constants),
    ("push_filters", push_filters),
    ("key_lookup", key_lookup),
    ("index_join", index_join),
    ("key_order", key_order),
    ("prune_versions", prune_versions),
    ("order_quals", order_quals),
    ("prune_columns", prune_columns),
];

/// Runs every rule in order.
pub fn optimize(plan: Plan) -> Plan {
    RULES.iter().fold(plan, |plan, (_, rule)| rule(plan))
}

/// Applies `f` to every node, children first.
fn transform(plan: Plan, f: &impl Fn(Plan) -> Plan) -> Plan {
    let boxed = |p: Box<Plan>| Box::new(transform(*p, f));
    let plan = match plan {
        Plan::Filter { source, predicate } => Plan::Filter {
            source: boxed(source),
            predicate,
        },
        Plan::Project { source, exprs } => Plan::Project {
            source: boxed(source),
            exprs,
        },
        Plan::NestedLoopJoin {
            left,
            right,
            predicate,
            kind,
            left_width,
            right_width,
        } => Plan::NestedLoopJoin {
            left: boxed(left),
            right: boxed(right),
            predicate: predicate.map(fold),
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
            left: boxed(left),
            right: boxed(right),
            left_keys,
            right_keys,
            residual: residual.map(fold),
            kind,
            left_width,
            right_width,
        },
        Plan::LateralJoin {
            left,
            right,
            predicate,
            kind,
            left_width,
            right_width,
        } => Plan::LateralJoin {
            left: boxed(left),
            right: boxed(right),
            predicate: predicate.map(fold),
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
            source: boxed(source),
            group_by,
            sets,
            aggregates,
        },
        Plan::ProjectSet { source, exprs } => Plan::ProjectSet {
            source: boxed(source),
            exprs,
        },
        Plan::Sort { source, keys } => Plan::Sort {
            source: boxed(source),
            keys,
        },
        Plan::Window { source, calls } => Plan::Window {
            source: boxed(source),
            calls,
        },
        Plan::SetOperation {
            op,
            all,
            left,
            right,
        } => Plan::SetOperation {
            op,
            all,
            left: boxed(left),
            right: boxed(right),
        },
        Plan::Distinct { source } => Plan::Distinct {
            source: boxed(source),
        },
        Plan::DistinctOn { source, keys } => Plan::DistinctOn {
            source: boxed(source),
            keys,
        },
        Plan::Limit {
            source,
            limit,
            offset,
            ties,
            counts,
        } => Plan::Limit {
            source: boxed(source),
            limit,
            offset,
            ties,
            counts,
        },
        Plan::Insert {
            table,
            source,
            on_conflict,
        } => Plan::Insert {
            table,
            source: boxed(source),
            on_conflict,
        },
        Plan::Update {
            table,
            source,
            assignments,
        } => Plan::Update {
            table,
            source: boxed(source),
            assignments,
        },
        Plan::Returning { source, exprs } => Plan::Returning {
            source: boxed(source),
            exprs,
        },
        Plan::CheckOption { source, checks } => Plan::CheckOption {
            source: boxed(source),
            checks,
        },
        Plan::Delete { table, source } => Plan::Delete {
            table,
            source: boxed(source),
        },
        Plan::SharedCte { name, source, slot } => Plan::SharedCte {
            name,
            source: boxed(source),
            slot,
        },
        Plan::Merge {
            table,
            source,
            source_width,
            arms,
        } => Plan::Merge {
            table,
            source: boxed(source),
            source_width,
            arms,
        },
        Plan::RecursiveUnion {
            name,
            all,
            base,
            recursive,
            slot,
        } => Plan::RecursiveUnion {
            name,
            all,
            base: boxed(base),
            recursive: boxed(recursive),
            slot,
        },
        other => other,
    };
    f(plan)
}

/// Rule 1: constant folding.
pub fn fold_constants(plan: Plan) -> Plan {
    transform(plan, &|node| match node {
        Plan::Filter { source, predicate } => Plan::Filter {
            source,
            predicate: fold(predicate),
        },
        Plan::Project { source, exprs } => Plan::Project {
            source,
            exprs: exprs.into_iter().map(fold).collect(),
        },
        Plan::Values { rows } => Plan::Values {
            rows: rows
                .into_iter()
                .map(|r| r.into_iter().map(fold).collect())
                .collect(),
        },
        Plan::Update {
            table,
            source,
            assignments,
        } => Plan::Update {
            table,
            source,
            assignments: assignments.into_iter().map(|(i, e)| (i, fold(e))).collect(),
        },
        other => other,
    })
}

/// Folds an expression: a constant one becomes its value; otherwise its operands are folded.
fn fold(expr: Expr) -> Expr {
    if matches!(expr, Expr::Literal(_)) {
        return expr;
    }
    if expr.is_constant() {
        if let Ok(v) = expr.eval(&[]) {
            return Expr::Literal(v);
        }
        return expr;
    }
    let mut expr = expr;
    for child in expr.children_mut() {
        *child = fold(std::mem::replace(child, Expr::Literal(Value::Null)));
    }
    expr
}

/// Rule 1b (pushing filters down): a filter over a join hands each conjunct that reads one side only to that side,
/// where rules 2 and 3 can use it: the left side of an INNER or LEFT join, the right side of
/// an INNER or RIGHT join (a side whose unmatched rows are padded with NULLs keeps the
/// conjuncts that would remove padded rows). Conjuncts with subqueries stay where they are.
pub fn push_filters(plan: Plan) -> Plan {
    transform(plan, &|node| match node {
        Plan::Filter { source, predicate } => filter(*source, predicate),
        other => other,
    })
}

/// `source` filtered by `predicate`, with what can go below a join pushed there (recursively,
/// as the pushed filters may sit over joins themselves).
fn filter(source: Plan, predicate: Expr) -> Plan {
    // Two filters in a row become one, so the rules below see a filter over a scan.
    let source = match source {
        Plan::Filter {
            source,
            predicate: inner,
        } => return filter(*source, and(inner, predicate)),
        other => other,
    };
    let source = match source {
        // A filter over a projection (a view's or derived table's, `SELECT * FROM v WHERE
        // id = 5`) goes below it where it reads only columns the projection computes without
        // side effects: the projection's expressions replace the columns, so that the rules
        // below see the filter over the scan (a key lookup, not a full scan), and the
        // projection computes only the rows that pass.
        Plan::Project { source, exprs } => return filter_below_project(*source, exprs, predicate),
        // DISTINCT keeps whole rows, so a condition on them can remove rows before it.
        Plan::Distinct { source } if !reads_outside_row(&predicate) => {
            return Plan::Distinct {
                source: Box::new(filter(*source, predicate)),
            }
        }
        other => other,
    };
    let (left_width, kind) = match &source {
        Plan::HashJoin {
            left_width, kind, ..
        }
        | Plan::NestedLoopJoin {
            left_width, kind, ..
        } => (*left_width, *kind),
        // A lateral join's right side runs once per left row: the left's own conditions go
        // below it, so that the right side never runs for a row they remove (PostgreSQL
        // filters `tl` before calling `jsonb_each(tl.j)`).
        Plan::LateralJoin {
            left_width,
            kind: JoinKind::Inner | JoinKind::Left,
            ..
        } => (*left_width, JoinKind::Left),
        _ => {
            return Plan::Filter {
                source: Box::new(source),
                predicate,
            }
        }
    };
    let to_left = matches!(kind, JoinKind::Inner | JoinKind::Left);
    let to_right = matches!(kind, JoinKind::Inner | JoinKind::Right);
    let (mut left_only, mut right_only, mut kept) = (Vec::new(), Vec::new(), Vec::new());
    for conjunct in split(predicate) {
        match sides(&conjunct, left_width) {
            Some((true, false)) if to_left => left_only.push(conjunct),
            Some((false, true)) if to_right => {
                let mut shifted = conjunct;
                shift_columns(&mut shifted, left_width);
                right_only.push(shifted);
            }
            _ => kept.push(conjunct),
        }
    }
    if left_only.is_empty() && right_only.is_empty() {
        return Plan::Filter {
            source: Box::new(source),
            predicate: conjoin(kept).expect("a filter has a conjunct"),
        };
    }
    let mut joined = source;
    if let Plan::HashJoin { left, right, .. }
    | Plan::NestedLoopJoin { left, right, .. }
    | Plan::LateralJoin { left, right, .. } = &mut joined
    {
        filter_side(left, left_only);
        filter_side(right, right_only);
    }
    match conjoin(kept) {
        Some(predicate) => Plan::Filter {
            source: Box::new(joined),
            predicate,
        },
        None => joined,
    }
}

/// `Filter(predicate)` over `Project(exprs)` over `source`, with the conjuncts that can be
/// computed from `source` pushed below the projection.
fn filter_below_project(source: Plan, exprs: Vec<Expr>, predicate: Expr) -> Plan {
    let (mut below, mut kept) = (Vec::new(), Vec::new());
    for conjunct in split(predicate) {
        match through_projection(&conjunct, &exprs) {
            Some(pushed) => below.push(pushed),
            None => kept.push(conjunct),
        }
    }
    let source = match conjoin(below) {
        Some(predicate) => filter(source, predicate),
        None => source,
    };
    let project = Plan::Project {
        source: Box::new(source),
        exprs,
    };
    match conjoin(kept) {
        Some(predicate) => Plan::Filter {
            source: Box::new(project),
            predicate,
        },
        None => project,
    }
}

/// `conjunct`, which reads the output of a projection, rewritten over the projection's input:
/// each column replaced by the expression that computes it. `None` when the conjunct reads
/// beyond the row or is volatile, or a column it reads is computed by a volatile call, a
/// subquery or a set-returning function (evaluating those again, or for rows the projection
/// would not see, changes the answer).
fn through_projection(conjunct: &Expr, exprs: &[Expr]) -> Option<Expr> {
    if reads_outside_row(conjunct) {
        return None;
    }
    let mut ok = true;
    conjunct.walk(&mut |e| {
        if let Expr::Column(c) = e {
            ok &= exprs.get(*c).is_some_and(|x| !reads_outside_row(x));
        }
    });
    if !ok {
        return None;
    }
    fn replace(expr: &mut Expr, exprs: &[Expr]) {
        if let Expr::Column(c) = expr {
            *expr = exprs[*c].clone();
            return;
        }
        for child in expr.children_mut() {
            replace(child, exprs);
        }
    }
    let mut pushed = conjunct.clone();
    replace(&mut pushed, exprs);
    Some(pushed)
}

/// Whether evaluating `expr` depends on more than the row's columns and constants: a
/// subquery, an outer reference, a parameter, a set-returning or volatile call.
fn reads_outside_row(expr: &Expr) -> bool {
    let mut outside = expr.calls_volatile();
    expr.walk(&mut |e| {
        outside |= matches!(
            e,
            Expr::Subquery(_) | Expr::Outer { .. } | Expr::Param(_) | Expr::SetReturning(..)
        );
    });
    outside
}

/// Puts `conjuncts` (if any) over one side of a join, in place.
fn filter_side(side: &mut Plan, conjuncts: Vec<Expr>) {
    if let Some(predicate) = conjoin(conjuncts) {
        let plan = std::mem::replace(side, Plan::Values { rows: Vec::new() });
        *side = filter(plan, predicate);
    }
}

/// The conjuncts of `predicate`, owned.
/// Rule 5: each filter's conjuncts in order of their cost, cheapest first; equal costs keep
/// the written order.
fn order_quals(plan: Plan) -> Plan {
    transform(plan, &|plan| match plan {
        Plan::Filter { source, predicate } => {
            let mut parts = split(predicate);
            parts.sort_by_key(qual_cost);
            Plan::Filter {
                source,
                predicate: conjoin(parts).unwrap_or(Expr::Literal(Value::Bool(true))),
            }
        }
        other => other,
    })
}

/// Rule 6: the output columns of a projection that no node above it reads become NULL
/// instead of their expressions (unless volatile: a sequence still advances). Only the nodes
/// whose reads are known narrow what is needed (filters, sorts, limits, aggregates,
/// projections); any other node needs every column of its inputs.
fn prune_columns(mut plan: Plan) -> Plan {
    prune(&mut plan, None);
    plan
}

/// Prunes `plan`'s projections, given the columns of its output that are read (`None`: all).
fn prune(plan: &mut Plan, needed: Option<&BTreeSet<usize>>) {
    let with = |exprs: Vec<&Expr>| -> Option<BTreeSet<usize>> {
        let mut cols = needed?.clone();
        cols.extend(columns_read(exprs)?);
        Some(cols)
    };
    match plan {
        Plan::Project { source, exprs } => {
            if let Some(needed) = needed {
                for (i, e) in exprs.iter_mut().enumerate() {
                    if !needed.contains(&i) && !e.calls_volatile() {
                        *e = Expr::Literal(Value::Null);
                    }
                }
            }
            let below = columns_read(exprs.iter().collect());
            prune(source, below.as_ref());
        }
        Plan::Filter { source, predicate } => {
            let below = with(vec![predicate]);
            prune(source, below.as_ref());
        }
        Plan::Sort { source, keys }
        | Plan::Limit {
            source, ties: keys, ..
        } => {
            let below = with(keys.iter().map(|k| &k.expr).collect());
            prune(source, below.as_ref());
        }
        Plan::Aggregate {
            source,
            group_by,
            aggregates,
            ..
        } => {
            let mut exprs: Vec<&Expr> = group_by.iter().collect();
            for call in aggregates.iter() {
                exprs.extend(call.arg.iter());
                exprs.extend(call.filter.iter());
                exprs.extend(call.order_by.iter().map(|k| &k.expr));
                exprs.extend(call.direct_args.iter());
            }
            let below = columns_read(exprs);
            prune(source, below.as_ref());
        }
        other => {
            for child in other.children_mut() {
                prune(child, None);
            }
        }
    }
}

/// The input columns `exprs` read; `None` when one holds a correlated subquery, which reads
/// the row in ways not listed here.
fn columns_read(exprs: Vec<&Expr>) -> Option<BTreeSet<usize>> {
    let (mut cols, mut all) = (BTreeSet::new(), false);
    for e in exprs {
        e.walk(&mut |x| match x {
            Expr::Column(c) => {
                cols.insert(*c);
            }
            Expr::Subquery(s) if s.correlated => all = true,
            _ => {}
        });
    }
    (!all).then_some(cols)
}

/// A conjunct's evaluation cost as PostgreSQL estimates a qual's: one per operator or function
/// call, none for columns, constants, AND / OR / NOT and IS NULL, much more for a subquery or
/// a user function.
fn qual_cost(e: &Expr) -> u32 {
    let mut cost = 0u32;
    e.walk(&mut |x| {
        let step = match x {
            Expr::Subquery(_) => 1000,
            Expr::UserFunction(..) => 100,
            Expr::Binary(BinaryOp::And | BinaryOp::Or, ..) => 0,
            Expr::Binary(..)
            | Expr::Function(..)
            | Expr::Like { .. }
            | Expr::Regex { .. }
            | Expr::Quantified { .. }
            | Expr::Cast(..)
            | Expr::Negate(_) => 1,
            _ => 0,
        };
        cost = cost.saturating_add(step);
    });
    cost
}

pub(super) fn split(predicate: Expr) -> Vec<Expr> {
    match predicate {
        Expr::Binary(BinaryOp::And, l, r) => {
            let mut parts = split(*l);
            parts.extend(split(*r));
            parts
        }
        other => vec![other],
    }
}

fn and(a: Expr, b: Expr) -> Expr {
    Expr::Binary(BinaryOp::And, Box::new(a), Box::new(b))
}

/// The conjunction of `parts`, None when there are none.
pub(super) fn conjoin(parts: Vec<Expr>) -> Option<Expr> {
    parts.into_iter().reduce(and)
}

/// Whether `expr` reads columns left of `left_width` and right of it; None when it holds a
/// subquery or reads an enclosing row (it then stays where it was written).
fn sides(expr: &Expr, left_width: usize) -> Option<(bool, bool)> {
    let (mut left, mut right, mut movable) = (false, false, true);
    expr.walk(&mut |e| match e {
        Expr::Column(c) if *c < left_width => left = true,
        Expr::Column(_) => right = true,
        Expr::Subquery(_) | Expr::Outer { .. } | Expr::Param(_) => movable = false,
        _ => {}
    });
    movable.then_some((left, right))
}

/// Renumbers the columns of a conjunct over the joined row as columns of the right side.
fn shift_columns(expr: &mut Expr, left_width: usize) {
    if let Expr::Column(c) = expr {
        *c -= left_width;
        return;
    }
    for child in expr.children_mut() {
        shift_columns(child, left_width);
    }
}

/// Rule 2: primary-key point and range lookups.
pub fn key_lookup(plan: Plan) -> Plan {
    transform(plan, &|node| match node {
        Plan::Filter { source, predicate } => match *source {
            Plan::Scan {
                table,
                schema,
                range: KeyRange::All,
                with_key,
                reverse,
            } => {
                let range = match key_range(&schema, &predicate) {
                    KeyRange::All => prefix_range(&schema, &predicate),
                    narrowed => narrowed,
                };
                Plan::Filter {
                    source: Box::new(Plan::Scan {
                        table,
                        schema,
                        range,
                        with_key,
                        reverse,
                    }),
                    predicate,
                }
            }
            other => Plan::Filter {
                source: Box::new(other),
                predicate,
            },
        },
        other => other,
    })
}

/// The narrowest key range the predicate's conjuncts give on a one-column primary key.
fn key_range(schema: &Schema, predicate: &Expr) -> KeyRange {
    let [key_id] = schema.primary_key.as_slice() else {
        return KeyRange::All;
    };
    let Some(position) = schema.position(*key_id) else {
        return KeyRange::All;
    };
    let key_type = &schema.columns[position].ty;
    let (mut lo, mut hi) = (Bound::Unbounded, Bound::Unbounded);
    for conjunct in predicate.conjuncts() {
        let Expr::Binary(op, l, r) = conjunct else {
            continue;
        };
        let (op, value) = match (l.as_ref(), r.as_ref()) {
            (Expr::Column(c), Expr::Literal(v)) if *c == position => (*op, v),
            (Expr::Literal(v), Expr::Column(c)) if *c == position => (flip(*op), v),
            _ => continue,
        };
        let Some(value) = key_value(value, key_type) else {
            continue;
        };
        match op {
            BinaryOp::Eq => return KeyRange::Point(value),
            BinaryOp::Gt => lo = Bound::Excluded(value),
            BinaryOp::GtEq => lo = Bound::Included(value),
            BinaryOp::Lt => hi = Bound::Excluded(value),
            BinaryOp::LtEq => hi = Bound::Included(value),
            _ => {}
        }
    }
    match (&lo, &hi) {
        (Bound::Unbounded, Bound::Unbounded) => KeyRange::All,
        _ => KeyRange::Range(lo, hi),
    }
}

/// The most key prefixes one narrowed scan looks up (the product of its IN lists); past it
/// the scan reads every row.
const MAX_PREFIXES: usize = 4096;

/// The most rows a join's left side may be known to hold for rule 3 to look up its partners.
const LOOKUP_JOIN_ROWS: u64 = 1000;

/// Rule 3: an INNER or LEFT hash join whose left side is known to be small (a key lookup, a
/// prefix scan, a short LIMIT or VALUES, or a join of those) and whose right side is a table
/// scan keyed on a join column becomes a lateral join: the right scan is filtered by
/// `right_key = left value` for each left row, and rule 2 turns that into a lookup when the
/// row's values are bound. A hash join would read the whole right table to build its table.
pub fn index_join(plan: Plan) -> Plan {
    transform(plan, &|node| match node {
        Plan::HashJoin {
            left,
            right,
            left_keys,
            right_keys,
            residual,
            kind,
            left_width,
            right_width,
        } if matches!(kind, JoinKind::Inner | JoinKind::Left)
            && small(&left)
            && keyed_scan(&right, &right_keys)
            && left_keys.iter().all(reads_only_columns) =>
        {
            let equalities = right_keys.into_iter().zip(left_keys).map(|(r, mut l)| {
                outer(&mut l);
                Expr::Binary(BinaryOp::Eq, Box::new(r), Box::new(l))
            });
            let (scan, filter) = match *right {
                Plan::Filter { source, predicate } => (source, Some(predicate)),
                scan => (Box::new(scan), None),
            };
            let predicate = conjoin(filter.into_iter().chain(equalities).collect())
                .expect("a hash join has a key");
            Plan::LateralJoin {
                left,
                right: Box::new(Plan::Filter {
                    source: scan,
                    predicate,
                }),
                predicate: residual,
                kind,
                left_width,
                right_width,
            }
        }
        other => other,
    })
}

/// Rule 3b: a sort by the leading primary-key columns of a (filtered, projected) table scan
/// that reads in key order is dropped, the scan reading backward for a descending sort of a
/// one-column key; `ORDER BY id DESC LIMIT 10` then reads ten rows. Likewise `min(key)` or
/// `max(key)` alone reads one row.
pub fn key_order(plan: Plan) -> Plan {
    transform(plan, &|node| match node {
        Plan::Sort { source, keys } => match in_key_order(&source, &keys) {
            Some(true) => reverse_scan(*source),
            Some(false) => *source,
            None => Plan::Sort { source, keys },
        },
        Plan::Aggregate {
            source,
            group_by,
            sets,
            aggregates,
        } => {
            // min(key) or max(key) alone is the first row of the scan read in that order.
            let order = match aggregates.as_slice() {
                [AggregateCall {
                    function: function @ (AggregateFunction::Min | AggregateFunction::Max),
                    arg: Some(arg @ Expr::Column(_)),
                    distinct: false,
                    filter: None,
                    ..
                }] if group_by.is_empty() => {
                    let key = SortKey {
                        expr: arg.clone(),
                        descending: *function == AggregateFunction::Max,
                        nulls_first: false,
                    };
                    in_key_order(&source, &[key])
                }
                _ => None,
            };
            let source = match order {
                Some(descending) => Box::new(Plan::Limit {
                    source: Box::new(if descending {
                        reverse_scan(*source)
                    } else {
                        *source
                    }),
                    limit: Some(1),
                    offset: 0,
                    ties: Vec::new(),
                    counts: None,
                }),
                None => source,
            };
            Plan::Aggregate {
                source,
                group_by,
                sets,
                aggregates,
            }
        }
        other => other,
    })
}

/// Whether sorting `source` by `keys` is reading its scan in key order (Some(false)) or in
/// reverse key order (Some(true)); None when a sort is needed.
fn in_key_order(source: &Plan, keys: &[SortKey]) -> Option<bool> {
    // Follow each sort key through a projection to a column of the scanned row.
    let (exprs, below) = match source {
        Plan::Project { source, exprs } => (Some(exprs), source.as_ref()),
        other => (None, other),
    };
    let scan = match below {
        Plan::Filter { source, .. } => source.as_ref(),
        other => other,
    };
    let Plan::Scan {
        schema,
        range,
        reverse: false,
        ..
    } = scan
    else {
        return None;
    };
    let descending = keys.first()?.descending;
    if keys.len() > schema.primary_key.len() || keys.iter().any(|k| k.descending != descending) {
        return None;
    }
    let ordered = match range {
        KeyRange::All | KeyRange::Point(_) | KeyRange::Range(..) => true,
        KeyRange::Prefix { index: None, .. } => !descending,
        KeyRange::Prefix { .. } => false,
    };
    if !ordered || (descending && schema.primary_key.len() != 1) {
        return None;
    }
    for (key, id) in keys.iter().zip(&schema.primary_key) {
        let Expr::Column(c) = &key.expr else {
            return None;
        };
        let column = match exprs {
            Some(exprs) => match exprs.get(*c)? {
                Expr::Column(column) => *column,
                _ => return None,
            },
            None => *c,
        };
        // Types whose key encoding sorts exactly as ORDER BY compares them (floats' NaN and
        // -0.0 and intervals' equal spellings are left to the sort).
        let position = schema.position(*id)?;
        let ty = &schema.columns[position].ty;
        let plain = ty.is_text()
            || matches!(
                ty,
                Type::Bool
                    | Type::Int2
                    | Type::Int4
                    | Type::Int8
                    | Type::Numeric { .. }
                    | Type::Date
                    | Type::Timestamp
                    | Type::TimestampTz
                    | Type::Uuid
            );
        if column != position || !plain {
            return None;
        }
    }
    Some(descending)
}

/// The same plan with its scan reading backward (`in_key_order` found the scan).
fn reverse_scan(plan: Plan) -> Plan {
    match plan {
        Plan::Project { source, exprs } => Plan::Project {
            source: Box::new(reverse_scan(*source)),
            exprs,
        },
        Plan::Filter { source, predicate } => Plan::Filter {
            source: Box::new(reverse_scan(*source)),
            predicate,
        },
        Plan::Scan {
            table,
            schema,
            range,
            with_key,
            ..
        } => Plan::Scan {
            table,
            schema,
            range,
            with_key,
            reverse: true,
        },
        other => other,
    }
}

/// Whether `plan` gives at most about `LOOKUP_JOIN_ROWS` rows, as far as its shape shows.
fn small(plan: &Plan) -> bool {
    match plan {
        Plan::Scan { range, .. } => match range {
            KeyRange::Point(_) => true,
            KeyRange::Prefix { prefixes, .. } => (prefixes.len() as u64) <= LOOKUP_JOIN_ROWS,
            KeyRange::All | KeyRange::Range(..) => false,
        },
        Plan::Values { rows } => (rows.len() as u64) <= LOOKUP_JOIN_ROWS,
        Plan::Limit {
            limit: Some(n),
            ties,
            ..
        } => *n <= LOOKUP_JOIN_ROWS && ties.is_empty(),
        Plan::Filter { source, .. }
        | Plan::Project { source, .. }
        | Plan::Sort { source, .. }
        | Plan::Distinct { source } => small(source),
        Plan::LateralJoin { left, .. } => small(left),
        _ => false,
    }
}

/// Whether `plan` is a table scan (perhaps filtered) whose primary key or an index starts with
/// a column among `keys`.
fn keyed_scan(plan: &Plan, keys: &[Expr]) -> bool {
    let scan = match plan {
        Plan::Filter { source, .. } => source.as_ref(),
        other => other,
    };
    let Plan::Scan {
        schema,
        range: KeyRange::All,
        with_key: false,
        ..
    } = scan
    else {
        return false;
    };
    let leads = |ids: &[u32]| {
        ids.first()
            .and_then(|id| schema.position(*id))
            .is_some_and(|p| keys.iter().any(|k| matches!(k, Expr::Column(c) if *c == p)))
    };
    leads(&schema.primary_key)
        || schema
            .indexes
            .iter()
            .any(|ix| ix.is_plain() && leads(&ix.columns))
}

/// Whether `expr` reads nothing but its own row's columns and constants (no subquery, no
/// enclosing row), so that it can be moved into the lateral side as the enclosing row.
fn reads_only_columns(expr: &Expr) -> bool {
    let mut only = true;
    expr.walk(&mut |e| {
        if matches!(e, Expr::Subquery(_) | Expr::Outer { .. } | Expr::Param(_)) {
            only = false;
        }
    });
    only
}

/// The left row's columns in `expr` as the enclosing row of a lateral plan.
fn outer(expr: &mut Expr) {
    if let Expr::Column(index) = *expr {
        *expr = Expr::Outer { level: 1, index };
        return;
    }
    for child in expr.children_mut() {
        outer(child);
    }
}

/// The best prefix scan that `part = constant` and `part IN (constants)` conjuncts allow (see
/// rule 2), or every row. A part is a column, or an expression an index is built on
/// (`lower(email) = 'x'` reads the index on `(lower(email))`); a partial index serves only a
/// predicate that contains each conjunct of its own.
fn prefix_range(schema: &Schema, predicate: &Expr) -> KeyRange {
    // Per column, the values an equality or IN conjunct allows, when all are exact key values;
    // and the same for conjuncts over other expressions, kept as written.
    let mut allowed: Vec<Option<Vec<Value>>> = vec![None; schema.columns.len()];
    let mut expressions: Vec<(&Expr, &[Value])> = Vec::new();
    let mut expression_values: Vec<(Expr, Vec<Value>)> = Vec::new();
    for conjunct in predicate.conjuncts() {
        let Some((part, values)) = allowed_values(conjunct) else {
            continue;
        };
        let Expr::Column(c) = part else {
            expression_values.push((part.clone(), values));
            continue;
        };
        if *c >= allowed.len() || allowed[*c].is_some() {
            continue;
        }
        let ty = &schema.columns[*c].ty;
        allowed[*c] = values
            .iter()
            .map(|v| key_value(v, ty))
            .collect::<Option<Vec<Value>>>();
    }
    expressions.extend(expression_values.iter().map(|(e, v)| (e, v.as_slice())));
    if allowed.iter().all(Option::is_none) && expressions.is_empty() {
        return KeyRange::All;
    }
    // The prefixes of the leading parts that have values.
    let leading = |index: Option<String>, parts: Vec<Option<Vec<Value>>>, unique: bool| {
        let mut prefixes: Vec<Vec<Value>> = vec![Vec::new()];
        let mut width = 0;
        for values in &parts {
            let Some(values) = values else {
                break;
            };
            if prefixes.len() * values.len() > MAX_PREFIXES {
                break;
            }
            prefixes = prefixes
                .iter()
                .flat_map(|p| {
                    values.iter().map(move |v| {
                        let mut longer = p.clone();
                        longer.push(v.clone());
                        longer
                    })
                })
                .collect();
            width += 1;
        }
        Candidate {
            index,
            prefixes,
            width,
            unique: unique && width == parts.len(),
        }
    };
    let columns = |ids: &[u32]| -> Vec<Option<Vec<Value>>> {
        ids.iter()
            .map(|id| schema.position(*id).and_then(|p| allowed[p].clone()))
            .collect()
    };
    let mut candidates = Vec::new();
    if !schema.is_keyless() {
        candidates.push(leading(None, columns(&schema.primary_key), true));
    }
    for index in &schema.indexes {
        let parts = if index.is_plain() {
            columns(&index.columns)
        } else {
            match index_parts(schema, index, predicate, &allowed, &expressions) {
                Some(parts) => parts,
                None => continue,
            }
        };
        candidates.push(leading(Some(index.name.clone()), parts, index.unique));
    }
    // The first of the best: the primary key wins a tie.
    let best = candidates
        .into_iter()
        .filter(|c| c.width > 0)
        .rev()
        .max_by_key(|c| (c.unique, c.width));
    match best {
        Some(c) => KeyRange::Prefix {
            index: c.index,
            prefixes: c.prefixes,
        },
        None => KeyRange::All,
    }
}

/// The values `predicate` allows for each part of an expression or partial `index`, or None
/// when the index cannot serve it (its predicate is not among the conjuncts, or its texts no
/// longer bind).
fn index_parts(
    schema: &Schema,
    index: &vdb_engine::table::IndexDef,
    predicate: &Expr,
    allowed: &[Option<Vec<Value>>],
    expressions: &[(&Expr, &[Value])],
) -> Option<Vec<Option<Vec<Value>>>> {
    use crate::planner::constraint::bind_over_table;
    if let Some(text) = &index.predicate {
        let required = bind_over_table(schema, text, "index predicate").ok()?.expr;
        let present: Vec<&Expr> = predicate.conjuncts();
        if !required
            .conjuncts()
            .into_iter()
            .all(|c| present.contains(&c))
        {
            return None;
        }
    }
    let mut texts = index.expressions.iter();
    let mut parts = Vec::with_capacity(index.columns.len());
    for id in &index.columns {
        if let Some(p) = schema.position(*id) {
            parts.push(allowed[p].clone());
            continue;
        }
        let expr = texts.next()?;
        let bound = bind_over_table(schema, &expr.sql, "index expression")
            .ok()?
            .expr;
        parts.push(
            expressions
                .iter()
                .find(|(e, _)| **e == bound)
                .and_then(|(_, values)| {
                    values
                        .iter()
                        .map(|v| key_value(v, &expr.ty))
                        .collect::<Option<Vec<Value>>>()
                }),
        );
    }
    Some(parts)
}

/// A tree a prefix scan could read: the primary key (`index` None) or a secondary index, the
/// prefixes its leading columns allow, how many columns they cover, and whether they pick at
/// most one row each.
struct Candidate {
    index: Option<String>,
    prefixes: Vec<Vec<Value>>,
    width: usize,
    unique: bool,
}

/// The column and constants of `column = c`, `column IN (c1, c2, ...)` or
/// `column = ANY('{...}')`.
fn allowed_values(conjunct: &Expr) -> Option<(&Expr, Vec<Value>)> {
    let is_part = |e: &Expr| !matches!(e, Expr::Literal(_));
    match conjunct {
        Expr::Binary(BinaryOp::Eq, l, r) => match (l.as_ref(), r.as_ref()) {
            (part, Expr::Literal(v)) | (Expr::Literal(v), part) if is_part(part) => {
                Some((part, vec![v.clone()]))
            }
            _ => None,
        },
        Expr::InList(part, list, false) if is_part(part) => {
            let values = list
                .iter()
                .map(|e| match e {
                    Expr::Literal(v) => Some(v.clone()),
                    _ => None,
                })
                .collect::<Option<Vec<Value>>>()?;
            Some((part, values))
        }
        Expr::Quantified {
            left,
            op: BinaryOp::Eq,
            array,
            all: false,
        } => match (left.as_ref(), array.as_ref()) {
            (part, Expr::Literal(Value::Array(a))) if is_part(part) => {
                Some((part, a.elements().to_vec()))
            }
            _ => None,
        },
        _ => None,
    }
}

/// `a op b` as `b op' a`.
fn flip(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::LtEq => BinaryOp::GtEq,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::GtEq => BinaryOp::LtEq,
        other => other,
    }
}

/// The constant as a value of the key's type, when that conversion is exact: same type, or an
/// integer into a wider-or-equal integer type that holds it, or text into text.
fn key_value(value: &Value, key_type: &Type) -> Option<Value> {
    let ty = value_type(value)?;
    let integer = |t: &Type| matches!(t, Type::Int2 | Type::Int4 | Type::Int8);
    let exact = ty == *key_type
        || (integer(&ty) && integer(key_type))
        || (ty.is_text() && key_type.is_text());
    if !exact {
        return None;
    }
    cast(value.clone(), key_type).ok()
}

/// The key a row diff's filter asks for: a conjunct `to_k = v` or `from_k = v` on its key
/// column, with `v` exactly a key value. Every row of the diff that passes has that key on one
/// side, so comparing only that key's rows in each pair loses none.
fn diff_point(predicate: &Expr, at: &DiffKey) -> Option<Value> {
    let positions = [at.to, at.from];
    predicate.conjuncts().into_iter().find_map(|conjunct| {
        let Expr::Binary(BinaryOp::Eq, l, r) = conjunct else {
            return None;
        };
        let value = match (l.as_ref(), r.as_ref()) {
            (Expr::Column(c), Expr::Literal(v)) | (Expr::Literal(v), Expr::Column(c))
                if positions.contains(&Some(*c)) =>
            {
                v
            }
            _ => return None,
        };
        key_value(value, &at.ty)
    })
}

/// Rule 4: version pruning (see the module header).
pub fn prune_versions(plan: Plan) -> Plan {
    transform(plan, &|node| match node {
        Plan::Filter { source, predicate } => {
            let source = match *source {
                Plan::VersionScan {
                    table,
                    schema,
                    versions,
                    range,
                } => {
                    let width = schema.columns.len();
                    let versions = versions
                        .into_iter()
                        .filter(|v| admits(&predicate, &[(width, &v.tags)]))
                        .collect();
                    let range = match range {
                        KeyRange::All => key_range(&schema, &predicate),
                        narrowed => narrowed,
                    };
                    Plan::VersionScan {
                        table,
                        schema,
                        versions,
                        range,
                    }
                }
                Plan::RowDiff {
                    table,
                    pairs,
                    key_at,
                    key,
                } => {
                    let key = key.or_else(|| {
                        let at = key_at.as_ref()?;
                        diff_point(&predicate, at)
                    });
                    let pairs = pairs
                        .into_iter()
                        .filter(|p| {
                            let to_tags = p.to.columns.len();
                            let from_tags = to_tags + p.to.tags.len() + p.from.columns.len();
                            admits(
                                &predicate,
                                &[(to_tags, &p.to.tags), (from_tags, &p.from.tags)],
                            )
                        })
                        .collect();
                    Plan::RowDiff {
                        table,
                        pairs,
                        key_at,
                        key,
                    }
                }
                other => other,
            };
            Plan::Filter {
                source: Box::new(source),
                predicate,
            }
        }
        other => other,
    })
}

/// Whether rows with these tag values (each `(position, values)`) can satisfy `predicate`:
/// false only if a conjunct that reads nothing but tags is false or NULL for them.
fn admits(predicate: &Expr, tags: &[(usize, &Vec<Value>)]) -> bool {
    let len = tags
        .iter()
        .map(|(at, values)| at + values.len())
        .max()
        .unwrap_or(0);
    let mut row = vec![Value::Null; len];
    let mut known = vec![false; len];
    for (at, values) in tags {
        for (i, v) in values.iter().enumerate() {
            row[at + i] = v.clone();
            known[at + i] = true;
        }
    }
    predicate.conjuncts().into_iter().all(|conjunct| {
        let mut only_tags = true;
        let mut reads_column = false;
        conjunct.walk(&mut |e| match e {
            Expr::Column(i) => {
                reads_column = true;
                only_tags &= known.get(*i).copied().unwrap_or(false);
            }
            Expr::Subquery(_) | Expr::Outer { .. } | Expr::Param(_) => only_tags = false,
            _ => {}
        });
        if !(only_tags && reads_column) {
            return true;
        }
        !matches!(conjunct.eval(&row), Ok(Value::Bool(false) | Value::Null))
    })
}
