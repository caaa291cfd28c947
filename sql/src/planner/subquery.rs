//! Binding subqueries used as values: `(SELECT ...)`, `EXISTS`, `IN (SELECT ...)`,
//! `op ANY/ALL (SELECT ...)` and `ARRAY(SELECT ...)`. The subquery is planned with the enclosing
//! scope pushed on the planning context, so its names that the subquery's own FROM lacks
//! resolve to the enclosing row (a correlated subquery).

use sqlparser::ast;
use vdb_engine::value::Type;

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::expr::{BinaryOp, Expr, Subquery, SubqueryKind};
use crate::planner::context;
use crate::planner::expr::{make_binary, Scope, Typed};
use crate::planner::optimize;
use crate::planner::query::plan_query;
use crate::planner::Plan;

/// Plans `query` under `scope` as a subquery of `kind`; returns it with its columns' types.
fn plan(
    query: &ast::Query,
    scope: &Scope,
    kind: SubqueryKind,
    what: &str,
) -> Result<(Subquery, Vec<Type>)> {
    let Some(snapshot) = context::snapshot() else {
        return Err(Error::Unsupported(format!("{what} outside a session")));
    };
    let (planned, correlated) = context::with_outer(scope, || {
        let catalog = Catalog::new(&snapshot.root, &snapshot.ns);
        plan_query(&catalog, query)
    });
    let (plan, columns) = planned?;
    let types = columns.into_iter().map(|(_, t)| t).collect();
    Ok((
        Subquery {
            kind,
            plan: optimize(plan),
            correlated,
            snapshot,
            items: Default::default(),
        },
        types,
    ))
}

fn single_column(types: &[Type], what: &str) -> Result<Type> {
    match types {
        [t] => Ok(t.clone()),
        _ => Err(Error::invalid(
            "42601",
            format!("subquery {what} must return only one column"),
        )),
    }
}

/// `(SELECT x ...)` as a value.
pub fn scalar(query: &ast::Query, scope: &Scope) -> Result<Typed> {
    let (s, types) = plan(query, scope, SubqueryKind::Scalar, "a subquery")?;
    let ty = single_column(&types, "used as an expression")
        .map_err(|_| Error::invalid("42601", "subquery must return only one column"))?;
    Ok(Typed::new(Expr::Subquery(Box::new(s)), ty))
}

/// `ARRAY(SELECT x ...)`.
pub fn array(query: &ast::Query, scope: &Scope) -> Result<Typed> {
    let (mut s, types) = plan(
        query,
        scope,
        SubqueryKind::Array { arrays: false },
        "ARRAY(subquery)",
    )?;
    let ty = single_column(&types, "in ARRAY()")?;
    // An array column makes an array of one more dimension.
    s.kind = SubqueryKind::Array {
        arrays: matches!(ty, Type::Array(_)),
    };
    let ty = match ty {
        t @ Type::Array(_) => t,
        t => Type::Array(Box::new(t)),
    };
    Ok(Typed::new(Expr::Subquery(Box::new(s)), ty))
}

/// `[NOT] EXISTS (SELECT ...)`.
pub fn exists(query: &ast::Query, negated: bool, scope: &Scope) -> Result<Typed> {
    let (mut s, _) = plan(query, scope, SubqueryKind::Exists, "EXISTS")?;
    let e = match s.correlated.then(|| semi_join(&s.plan)).flatten() {
        // `coalesce(probe = ANY (inner values), false)`: true when some row matches, false
        // otherwise (never NULL, as EXISTS).
        Some((inner, mut probes)) if probes.len() == 1 => {
            s.plan = inner;
            s.correlated = false;
            s.kind = SubqueryKind::Quantified {
                left: Box::new(probes.remove(0)),
                op: BinaryOp::Eq,
                all: false,
            };
            Expr::Coalesce(vec![
                Expr::Subquery(Box::new(s)),
                Expr::Literal(vdb_engine::value::Value::Bool(false)),
            ])
        }
        // Several equalities: the inner rows hashed by all of them.
        Some((inner, probes)) => {
            s.plan = inner;
            s.correlated = false;
            s.kind = SubqueryKind::SemiJoin { probes };
            Expr::Subquery(Box::new(s))
        }
        None => Expr::Subquery(Box::new(s)),
    };
    let e = if negated { Expr::Not(Box::new(e)) } else { e };
    Ok(Typed::new(e, Type::Bool))
}

/// A correlated `EXISTS (SELECT <constants> FROM .. WHERE inner = outer [AND inner2 = outer2
/// ...] AND rest)` whose only references to the enclosing row are the `outer`s (reading
/// nothing of the subquery's own rows) and whose `inner`s and `rest` read only its own rows:
/// the plan of `SELECT inner, inner2, ... FROM .. WHERE rest`, which no longer depends on the
/// enclosing row, and the `outer`s over the enclosing row. EXISTS is then whether some row of
/// those equals the `outer`s, computed once and hashed (a hashed semi-join), where the
/// correlated subquery would run once per enclosing row. `None` for any other shape, or where
/// anything is volatile.
fn semi_join(plan: &Plan) -> Option<(Plan, Vec<Expr>)> {
    let filter = match plan {
        Plan::Project { source, exprs } if exprs.iter().all(|e| matches!(e, Expr::Literal(_))) => {
            &**source
        }
        other => other,
    };
    let Plan::Filter { source, predicate } = filter else {
        return None;
    };
    let mut source_pure = true;
    source.walk_exprs(&mut |e| source_pure &= own_rows_only(e));
    if !source_pure {
        return None;
    }
    let (mut outers, mut inners) = (Vec::new(), Vec::new());
    let mut rest = Vec::new();
    for conjunct in super::optimizer::split(predicate.clone()) {
        if let Expr::Binary(BinaryOp::Eq, l, r) = &conjunct {
            let pair = match (enclosing_only(l), enclosing_only(r)) {
                (Some(outer), None) if own_rows_only(r) => Some((outer, (**r).clone())),
                (None, Some(outer)) if own_rows_only(l) => Some((outer, (**l).clone())),
                _ => None,
            };
            if let Some((outer, inner)) = pair {
                outers.push(outer);
                inners.push(inner);
                continue;
            }
        }
        if !own_rows_only(&conjunct) {
            return None;
        }
        rest.push(conjunct);
    }
    if outers.is_empty() {
        return None;
    }
    let source = match super::optimizer::conjoin(rest) {
        Some(predicate) => Plan::Filter {
            source: source.clone(),
            predicate,
        },
        None => (**source).clone(),
    };
    let plan = Plan::Project {
        source: Box::new(source),
        exprs: inners,
    };
    Some((optimize(plan), outers))
}

/// Whether `e` reads only the subquery's own rows: no enclosing row, no subquery, nothing
/// volatile.
fn own_rows_only(e: &Expr) -> bool {
    let mut pure = true;
    e.walk(&mut |x| match x {
        Expr::Outer { .. } | Expr::Subquery(_) => pure = false,
        Expr::Function(f, _) if f.is_volatile() => pure = false,
        _ => {}
    });
    pure
}

/// `e` over the enclosing row (its level-1 references as columns) when it reads that row and
/// nothing else: no column of the subquery's own rows, no farther query, no subquery, nothing
/// volatile.
fn enclosing_only(e: &Expr) -> Option<Expr> {
    let (mut reads_outer, mut ok) = (false, true);
    e.walk(&mut |x| match x {
        Expr::Outer { level: 1, .. } => reads_outer = true,
        Expr::Outer { .. } | Expr::Column(_) | Expr::Subquery(_) | Expr::Param(_) => ok = false,
        Expr::Function(f, _) if f.is_volatile() => ok = false,
        _ => {}
    });
    if !(ok && reads_outer) {
        return None;
    }
    fn to_columns(e: &mut Expr) {
        if let Expr::Outer { index, .. } = *e {
            *e = Expr::Column(index);
            return;
        }
        for child in e.children_mut() {
            to_columns(child);
        }
    }
    let mut e = e.clone();
    to_columns(&mut e);
    Some(e)
}

/// `left op ANY (SELECT ...)` / `left op ALL (SELECT ...)`; `IN` is `= ANY`, `NOT IN` is
/// `<> ALL`.
pub fn quantified(
    left: Typed,
    op: BinaryOp,
    query: &ast::Query,
    all: bool,
    scope: &Scope,
) -> Result<Typed> {
    let placeholder = SubqueryKind::Exists;
    let (mut s, types) = plan(query, scope, placeholder, "a quantified subquery")?;
    let ty = single_column(&types, "has too many columns")
        .map_err(|_| Error::invalid("42601", "subquery has too many columns"))?;
    // Types the comparison as `left op <column>` would be typed, to coerce `left`, and the
    // column as that comparison takes it (a char(n) value without its padding, an integer as
    // numeric against a numeric), computed over the subquery's rows.
    let probe = make_binary(op, left.clone(), Typed::new(Expr::Column(0), ty))?;
    let left = match probe.expr {
        Expr::Binary(_, l, r) => {
            if *r != Expr::Column(0) {
                s.plan = Plan::Project {
                    source: Box::new(s.plan),
                    exprs: vec![*r],
                };
            }
            *l
        }
        _ => left.expr,
    };
    s.kind = SubqueryKind::Quantified {
        left: Box::new(left),
        op,
        all,
    };
    Ok(Typed::new(Expr::Subquery(Box::new(s)), Type::Bool))
}
