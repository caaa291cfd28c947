//! Planning `WITH RECURSIVE`: a CTE that refers to itself must be `non-recursive-term UNION
//! [ALL] recursive-term`, with the reference only in the recursive term, once, and not inside
//! a subquery expression. The non-recursive term is planned first and fixes the column types;
//! the recursive term is then planned with the CTE's name bound to a working table of those
//! columns ([`context::with_work_table`]), and the two become a [`Plan::RecursiveUnion`], which
//! execution iterates until a round adds no rows.

use std::ops::ControlFlow;

use sqlparser::ast::{self, Visit, Visitor};

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::planner::context::{self, Cte, WorkTable};
use crate::planner::expr::{ident_name, Scope, ScopeColumn};
use crate::planner::plan::{Plan, WorkSlot};
use crate::planner::query::plan_query;
use crate::planner::select::Output;
use crate::types::{implicit_cast, type_name};

/// Counts the references to a relation name in a query, and those inside subquery expressions.
struct References<'a> {
    name: &'a str,
    total: usize,
    in_subquery: usize,
    subquery_depth: usize,
}

impl Visitor for References<'_> {
    type Break = ();

    fn pre_visit_relation(&mut self, relation: &ast::ObjectName) -> ControlFlow<()> {
        if let [single] = relation.0.as_slice() {
            if ident_name(single) == self.name {
                self.total += 1;
                if self.subquery_depth > 0 {
                    self.in_subquery += 1;
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &ast::Expr) -> ControlFlow<()> {
        if is_subquery(expr) {
            self.subquery_depth += 1;
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &ast::Expr) -> ControlFlow<()> {
        if is_subquery(expr) {
            self.subquery_depth -= 1;
        }
        ControlFlow::Continue(())
    }
}

fn is_subquery(expr: &ast::Expr) -> bool {
    matches!(
        expr,
        ast::Expr::Subquery(_) | ast::Expr::InSubquery { .. } | ast::Expr::Exists { .. }
    )
}

/// `(references, references inside subquery expressions)` to `name` in `node`.
fn references<V: Visit>(node: &V, name: &str) -> (usize, usize) {
    let mut v = References {
        name,
        total: 0,
        in_subquery: 0,
        subquery_depth: 0,
    };
    let _ = node.visit(&mut v);
    (v.total, v.in_subquery)
}

/// Whether `query` names the relation `name` anywhere (what makes a WITH RECURSIVE entry
/// recursive).
pub fn refers_to(query: &ast::Query, name: &str) -> bool {
    references(query, name).0 > 0
}

fn malformed(message: String) -> Error {
    Error::invalid("42P19", message)
}

/// Plans the recursive CTE `cte` (called with only the CTEs before it visible).
pub fn plan_recursive_cte(catalog: &Catalog<'_>, cte: &Cte) -> Result<Output> {
    // `x AS (WITH y AS (...) base UNION recursive)`: both terms see y.
    if let Some(with) = &cte.query.with {
        let ctes = crate::planner::query::with_ctes_of(catalog, with)?;
        let mut inner = cte.clone();
        inner.query.with = None;
        return context::with_ctes(ctes, || plan_recursive_cte(catalog, &inner));
    }
    let name = &cte.name;
    let query = &cte.query;
    let ast::SetExpr::SetOperation {
        op: ast::SetOperator::Union,
        set_quantifier,
        left,
        right,
    } = query.body.as_ref()
    else {
        return Err(malformed(format!(
            "recursive query \"{name}\" does not have the form non-recursive-term UNION [ALL] recursive-term"
        )));
    };
    for (present, clause) in [
        (query.order_by.is_some(), "ORDER BY"),
        (query.offset.is_some(), "OFFSET"),
        (query.limit.is_some() || query.fetch.is_some(), "LIMIT"),
    ] {
        if present {
            return Err(Error::invalid(
                "0A000",
                format!("{clause} in a recursive query is not implemented"),
            ));
        }
    }
    if !query.locks.is_empty() {
        return Err(Error::invalid(
            "0A000",
            "FOR UPDATE/SHARE in a recursive query is not implemented",
        ));
    }
    let all = match set_quantifier {
        ast::SetQuantifier::All => true,
        ast::SetQuantifier::Distinct | ast::SetQuantifier::None => false,
        other => return Err(Error::Unsupported(format!("UNION {other}"))),
    };
    if references(left.as_ref(), name).0 > 0 {
        return Err(malformed(format!(
            "recursive reference to query \"{name}\" must not appear within its non-recursive term"
        )));
    }
    let (total, in_subquery) = references(right.as_ref(), name);
    if in_subquery > 0 {
        return Err(malformed(format!(
            "recursive reference to query \"{name}\" must not appear within a subquery"
        )));
    }
    if total > 1 {
        return Err(malformed(format!(
            "recursive reference to query \"{name}\" must not appear more than once"
        )));
    }
    if outer_joined(right, name) {
        return Err(malformed(format!(
            "recursive reference to query \"{name}\" must not appear within an outer join"
        )));
    }
    let (base, mut columns) = plan_query(catalog, &as_query(left))?;
    for (column, rename) in columns.iter_mut().zip(&cte.columns) {
        column.0.clone_from(rename);
    }
    let slot = WorkSlot::default();
    let work = WorkTable {
        name: name.clone(),
        columns: columns.clone(),
        slot: slot.clone(),
    };
    let (recursive, rcols) =
        context::with_work_table(work, || plan_query(catalog, &as_query(right)))?;
    if rcols.len() != columns.len() {
        return Err(Error::invalid(
            "42601",
            "each UNION query must have the same number of columns",
        ));
    }
    if contains_aggregate_over_work(&recursive) {
        return Err(malformed(
            "aggregate functions are not allowed in a recursive query's recursive term".into(),
        ));
    }
    let mut casts = Vec::new();
    for (i, ((_, want), (_, have))) in columns.iter().zip(&rcols).enumerate() {
        // The same type with another modifier (numeric(3,0) and numeric(10,0)) has no common
        // type but the unmodified one, which is not the non-recursive term's.
        let remodified =
            std::mem::discriminant(want) == std::mem::discriminant(have) || modified(want);
        if want == have {
            casts.push(crate::expr::Expr::Column(i));
        } else if implicit_cast(have, want) && !remodified {
            casts.push(crate::expr::Expr::Cast(
                Box::new(crate::expr::Expr::Column(i)),
                want.clone(),
            ));
        } else {
            // The type both terms' values would have: the non-recursive term's without its
            // modifier when they differ only in it, else the recursive term's.
            let overall = if remodified { want } else { have };
            return Err(Error::mismatch(format!(
                "recursive query \"{name}\" column {} has type {want} in non-recursive term but type {} overall",
                i + 1,
                type_name(overall)
            ))
            .with_hint("Cast the output of the non-recursive term to the correct type."));
        }
    }
    let recursive = if casts
        .iter()
        .enumerate()
        .all(|(i, e)| *e == crate::expr::Expr::Column(i))
    {
        recursive
    } else {
        Plan::Project {
            source: Box::new(recursive),
            exprs: casts,
        }
    };
    let plan = Plan::RecursiveUnion {
        name: name.clone(),
        all,
        base: Box::new(base),
        recursive: Box::new(recursive),
        slot,
    };
    Ok((plan, columns))
}

/// Whether `ty` carries a type modifier (a length, precision or scale), which the recursive
/// term's values must have too.
fn modified(ty: &vdb_engine::value::Type) -> bool {
    use vdb_engine::value::Type;
    matches!(
        ty,
        Type::Numeric {
            precision_scale: Some(_),
        } | Type::Varchar(Some(_))
            | Type::Char(_)
    )
}

/// Whether the recursive term `term` names `name` on the side of an outer join that may be
/// NULL-extended (PostgreSQL refuses it: the working table would have to be read again).
fn outer_joined(term: &ast::SetExpr, name: &str) -> bool {
    use ast::JoinOperator as J;
    let ast::SetExpr::Select(select) = term else {
        return false;
    };
    let names = |factor: &ast::TableFactor| references(factor, name).0 > 0;
    select.from.iter().any(|item| {
        let mut left = names(&item.relation);
        item.joins.iter().any(|join| {
            let right = names(&join.relation);
            let refused = match &join.join_operator {
                J::LeftOuter(_) => right,
                J::RightOuter(_) => left,
                J::FullOuter(_) => left || right,
                _ => false,
            };
            left |= right;
            refused
        })
    })
}

/// Whether an Aggregate node of `plan` reads the working table.
fn contains_aggregate_over_work(plan: &Plan) -> bool {
    fn reads_work(plan: &Plan) -> bool {
        matches!(plan, Plan::WorkTable { .. }) || plan.children().into_iter().any(reads_work)
    }
    match plan {
        Plan::Aggregate { source, .. } if reads_work(source) => true,
        _ => plan
            .children()
            .into_iter()
            .any(contains_aggregate_over_work),
    }
}

/// A set-expression term as a query of its own.
pub(crate) fn as_query(body: &ast::SetExpr) -> ast::Query {
    match body {
        ast::SetExpr::Query(q) => (**q).clone(),
        other => ast::Query {
            with: None,
            body: Box::new(other.clone()),
            order_by: None,
            limit: None,
            limit_by: Vec::new(),
            offset: None,
            fetch: None,
            locks: Vec::new(),
            for_clause: None,
            settings: None,
            format_clause: None,
        },
    }
}

/// A reference to the working table in the recursive term, under its alias or name.
pub fn work_table_scope(work: WorkTable, alias: Option<&ast::TableAlias>) -> (Plan, Scope) {
    let relation = alias.map_or(work.name.clone(), |a| ident_name(&a.name));
    let renames: Vec<String> = alias
        .map(|a| a.columns.iter().map(ident_name).collect())
        .unwrap_or_default();
    let columns = work
        .columns
        .iter()
        .enumerate()
        .map(|(i, (name, ty))| ScopeColumn {
            relation: Some(relation.clone()),
            name: renames.get(i).cloned().unwrap_or_else(|| name.clone()),
            ty: ty.clone(),
            hidden: false,
            scalar_function: false,
        })
        .collect();
    let plan = Plan::WorkTable {
        name: work.name,
        slot: work.slot,
    };
    (plan, Scope { columns })
}
