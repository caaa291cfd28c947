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
    let (s, _) = plan(query, scope, SubqueryKind::Exists, "EXISTS")?;
    let e = Expr::Subquery(Box::new(s));
    let e = if negated { Expr::Not(Box::new(e)) } else { e };
    Ok(Typed::new(e, Type::Bool))
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
