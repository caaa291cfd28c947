//! Planning a query: its body (a SELECT, VALUES, or a UNION/INTERSECT/EXCEPT of bodies), then
//! ORDER BY, LIMIT and OFFSET.

use sqlparser::ast;
use vdb_engine::value::{Type, Value};

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::planner::context;
use crate::planner::expr::{bind, common_type, ident_name, Scope, Typed};
use crate::planner::plan::{LimitCounts, Plan, SetOperator, SortKey};
use crate::planner::select::{output_position, plan_select, sorted, Output};
use crate::types::{implicit_cast, type_name};

/// The WITH queries of a WITH list, in order; a data-modifying one reads the rows its
/// statement already returned ([`crate::dml_cte`]).
pub fn with_ctes_of(catalog: &Catalog<'_>, with: &ast::With) -> Result<Vec<context::Cte>> {
    let mut ctes = Vec::new();
    for cte in recursive_order(with)? {
        let name = ident_name(&cte.alias.name);
        if ctes.iter().any(|c: &context::Cte| c.name == name) {
            return Err(Error::invalid(
                "42712",
                format!("WITH query name \"{name}\" specified more than once"),
            ));
        }
        let materialized = match crate::dml_cte::statement(&cte.query) {
            Some(_) if crate::dml_cte::result(&name).is_some() => crate::dml_cte::result(&name),
            // Not run (a statement being described): its RETURNING columns, no rows.
            Some(inner) => {
                let planned = context::with_ctes(ctes.clone(), || {
                    crate::planner::statement::plan_statement(catalog, inner)
                })?;
                Some(std::sync::Arc::new(crate::dml_cte::Materialized {
                    columns: planned.columns.unwrap_or_default(),
                    rows: Vec::new(),
                }))
            }
            None => None,
        };
        ctes.push(context::Cte {
            columns: cte.alias.columns.iter().map(ident_name).collect(),
            recursive: with.recursive && crate::planner::recursive::refers_to(&cte.query, &name),
            query: (*cte.query).clone(),
            materialized,
            slot: Default::default(),
            name,
        });
    }
    Ok(ctes)
}

/// The WITH list in the order to plan it: as written, except that under RECURSIVE, where
/// every query sees every other, a query comes after those it reads (`WITH RECURSIVE x AS
/// (... FROM y ...), y AS (...)`). Two queries that read each other are 0A000, as in
/// PostgreSQL.
fn recursive_order(with: &ast::With) -> Result<Vec<&ast::Cte>> {
    let all: Vec<&ast::Cte> = with.cte_tables.iter().collect();
    if !with.recursive {
        return Ok(all);
    }
    let names: Vec<String> = all.iter().map(|c| ident_name(&c.alias.name)).collect();
    let reads = |i: usize, j: usize| {
        i != j && crate::planner::recursive::refers_to(&all[i].query, &names[j])
    };
    let mut placed = vec![false; all.len()];
    let mut order = Vec::with_capacity(all.len());
    while order.len() < all.len() {
        let next = (0..all.len())
            .find(|&i| !placed[i] && (0..all.len()).all(|j| placed[j] || !reads(i, j)));
        let Some(i) = next else {
            return Err(Error::invalid(
                "0A000",
                "mutual recursion between WITH items is not implemented",
            ));
        };
        placed[i] = true;
        order.push(all[i]);
    }
    Ok(order)
}

/// Plans a query with its output columns.
pub fn plan_query(catalog: &Catalog<'_>, query: &ast::Query) -> Result<Output> {
    if let Some(rewritten) = rewrite_string_agg(query) {
        return plan_query(catalog, &rewritten);
    }
    if let Some(with) = &query.with {
        let ctes = with_ctes_of(catalog, with)?;
        let mut inner = query.clone();
        inner.with = None;
        return context::with_ctes(ctes, || plan_query(catalog, &inner));
    }
    check_row_locks(query)?;
    if query.fetch.as_ref().is_some_and(|f| f.percent)
        || !query.limit_by.is_empty()
        || query.for_clause.is_some()
        || query.settings.is_some()
        || query.format_clause.is_some()
    {
        return Err(Error::Unsupported("this query clause".into()));
    }
    let order_by: &[ast::OrderByExpr] = query.order_by.as_ref().map_or(&[], |o| &o.exprs);
    let (mut plan, columns) = match query.body.as_ref() {
        ast::SetExpr::Select(select) => plan_select(catalog, select, order_by)?,
        ast::SetExpr::Query(inner)
            if query.order_by.is_none()
                && query.limit.is_none()
                && query.offset.is_none()
                && query.fetch.is_none() =>
        {
            return plan_query(catalog, inner)
        }
        body => {
            let (plan, columns) = plan_set_expr(catalog, body)?;
            let keys = order_by
                .iter()
                .map(|item| {
                    let Some(i) = output_position(&item.expr, &columns, &[])? else {
                        // A name that is no output column does not exist here (PostgreSQL
                        // sorts a set operation's result by its output columns only).
                        if let ast::Expr::Identifier(name) = &item.expr {
                            return Err(Error::UndefinedColumn(format!(
                                "column \"{}\" does not exist",
                                ident_name(name)
                            )));
                        }
                        if !matches!(body, ast::SetExpr::SetOperation { .. }) {
                            return Err(Error::Unsupported(
                                "ORDER BY expressions other than output columns here".into(),
                            ));
                        }
                        return Err(Error::invalid(
                            "0A000",
                            "invalid UNION/INTERSECT/EXCEPT ORDER BY clause: only result \
                             column names can be used",
                        ));
                    };
                    let descending = item.asc == Some(false);
                    Ok(SortKey {
                        expr: crate::types::sort_key(Expr::Column(i), &columns[i].1)?,
                        descending,
                        nulls_first: item.nulls_first.unwrap_or(descending),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let visible = columns.len();
            (sorted(plan, keys, visible), columns)
        }
    };
    if query.limit.is_some() && query.fetch.is_some() {
        return Err(Error::invalid("42601", "cannot use both LIMIT and FETCH"));
    }
    let limit_expr = match (&query.limit, &query.fetch) {
        (Some(e), _) => Some(count_expr(e, "LIMIT")?),
        (None, Some(fetch)) => Some(match &fetch.quantity {
            Some(e) => count_expr(e, "FETCH")?,
            None => Expr::Literal(Value::Int8(1)),
        }),
        (None, None) => None,
    };
    let offset_expr = query
        .offset
        .as_ref()
        .map(|o| count_expr(&o.value, "OFFSET"))
        .transpose()?;
    // Counts that read an enclosing row are evaluated per run of the bound plan.
    let mut correlated = false;
    for e in limit_expr.iter().chain(&offset_expr) {
        e.walk(&mut |x| correlated |= matches!(x, Expr::Outer { .. }));
    }
    let (limit, offset, counts) = if correlated {
        let counts = LimitCounts {
            limit: limit_expr,
            offset: offset_expr,
        };
        (None, 0, Some(Box::new(counts)))
    } else {
        let limit = match &limit_expr {
            Some(e) => count_value(e, "LIMIT")?,
            None => None,
        };
        let offset = match &offset_expr {
            Some(e) => count_value(e, "OFFSET")?.unwrap_or(0),
            None => 0,
        };
        (limit, offset, None)
    };
    if query.fetch.as_ref().is_some_and(|f| f.with_ties) {
        if order_by.is_empty() {
            return Err(Error::invalid(
                "42601",
                "WITH TIES cannot be specified without ORDER BY clause",
            ));
        }
        if limit.is_none() && counts.is_none() {
            return Err(Error::invalid(
                "2201W",
                "row count cannot be null in FETCH FIRST ... WITH TIES clause",
            ));
        }
        return Ok((limit_with_ties(plan, limit, offset, counts)?, columns));
    }
    if limit.is_some() || offset > 0 || counts.is_some() {
        plan = Plan::Limit {
            source: Box::new(plan),
            limit,
            offset,
            ties: Vec::new(),
            counts,
        };
    }
    Ok((plan, columns))
}

/// `FETCH ... WITH TIES`: the limit goes right above the query's sort, whose keys decide
/// what ties, beneath the projections that drop the sort's hidden key columns.
fn limit_with_ties(
    plan: Plan,
    limit: Option<u64>,
    offset: u64,
    counts: Option<Box<LimitCounts>>,
) -> Result<Plan> {
    match plan {
        Plan::Project { source, exprs } => Ok(Plan::Project {
            source: Box::new(limit_with_ties(*source, limit, offset, counts)?),
            exprs,
        }),
        Plan::Sort { source, keys } => Ok(Plan::Limit {
            ties: keys.clone(),
            source: Box::new(Plan::Sort { source, keys }),
            limit,
            offset,
            counts,
        }),
        _ => Err(Error::Unsupported("FETCH WITH TIES over this query".into())),
    }
}

/// Plans a query body that is not a plain SELECT: VALUES, a parenthesized query, or a set
/// operation, whose two sides are coerced to common column types.
fn plan_set_expr(catalog: &Catalog<'_>, body: &ast::SetExpr) -> Result<Output> {
    match body {
        ast::SetExpr::Select(select) => plan_select(catalog, select, &[]),
        ast::SetExpr::Values(values) => plan_values(&values.rows),
        ast::SetExpr::Query(query) => plan_query(catalog, query),
        // `TABLE name` (where sqlparser reads it, as an operand of a set operation): the
        // query `SELECT * FROM name`.
        ast::SetExpr::Table(table) => {
            let parts = [table.schema_name.as_deref(), table.table_name.as_deref()];
            let name = ast::ObjectName(parts.into_iter().flatten().map(ast::Ident::new).collect());
            let select = crate::session::parse(&format!("SELECT * FROM {name}"))?;
            match select.as_slice() {
                [ast::Statement::Query(query)] => plan_query(catalog, query),
                _ => Err(Error::Unsupported(format!("query {table}"))),
            }
        }
        ast::SetExpr::SetOperation {
            op,
            set_quantifier,
            left,
            right,
        } => {
            let (op, name) = match op {
                ast::SetOperator::Union => (SetOperator::Union, "UNION"),
                ast::SetOperator::Intersect => (SetOperator::Intersect, "INTERSECT"),
                ast::SetOperator::Except => (SetOperator::Except, "EXCEPT"),
            };
            let all = match set_quantifier {
                ast::SetQuantifier::All => true,
                ast::SetQuantifier::Distinct | ast::SetQuantifier::None => false,
                other => return Err(Error::Unsupported(format!("{name} {other}"))),
            };
            let (lp, lc) = plan_set_expr(catalog, left)?;
            let (rp, rc) = plan_set_expr(catalog, right)?;
            if lc.len() != rc.len() {
                return Err(Error::invalid(
                    "42601",
                    format!("each {name} query must have the same number of columns"),
                ));
            }
            let (unknown_l, unknown_r) = (unknown_columns(&lp), unknown_columns(&rp));
            let mut columns = Vec::new();
            for (i, ((name_l, a), (_, b))) in lc.iter().zip(&rc).enumerate() {
                // A literal of unknown type (`NULL`, `'text'`) takes the other side's type.
                let ty = if unknown_l.contains(&i) && !unknown_r.contains(&i) {
                    b.clone()
                } else if (unknown_r.contains(&i) && !unknown_l.contains(&i)) || implicit_cast(b, a)
                {
                    a.clone()
                } else if implicit_cast(a, b) {
                    b.clone()
                } else {
                    return Err(Error::mismatch(format!(
                        "{name} types {} and {} cannot be matched",
                        type_name(a),
                        type_name(b)
                    )));
                };
                // The sides' type modifiers survive only when they agree (and neither side is
                // an unknown literal): varchar(5) UNION varchar(20) is varchar.
                let ty = if a != b || unknown_l.contains(&i) || unknown_r.contains(&i) {
                    crate::planner::expr::base_type(&ty)
                } else {
                    ty
                };
                if !all {
                    crate::types::require_equality(&ty)?;
                }
                columns.push((name_l.clone(), ty));
            }
            let left = coerce_columns(lp, &lc, &columns);
            let right = coerce_columns(rp, &rc, &columns);
            // UNION of jsonb columns drops duplicates by jsonb equality (`1` = `1.0`): a
            // UNION ALL, then the first row of each group of equal sort keys.
            if op == SetOperator::Union && !all && columns.iter().any(|(_, t)| *t == Type::Jsonb) {
                let keys = super::select::equality_keys(&columns)?;
                let union_all = Plan::SetOperation {
                    op,
                    all: true,
                    left: Box::new(left),
                    right: Box::new(right),
                };
                let plan = Plan::DistinctOn {
                    source: Box::new(union_all),
                    keys,
                };
                return Ok((plan, columns));
            }
            let plan = Plan::SetOperation {
                op,
                all,
                left: Box::new(left),
                right: Box::new(right),
            };
            Ok((plan, columns))
        }
        other => Err(Error::Unsupported(
            format!("query {other}").chars().take(60).collect(),
        )),
    }
}

/// The output columns of a set operation's side that are literals of unknown type: a SELECT
/// list's bare `NULL` or string literal (their type, text, is only a default).
fn unknown_columns(plan: &Plan) -> Vec<usize> {
    match plan {
        Plan::Project { exprs, .. } => exprs
            .iter()
            .enumerate()
            .filter(|(_, e)| matches!(e, Expr::Literal(Value::Null | Value::Text(_))))
            .map(|(i, _)| i)
            .collect(),
        _ => Vec::new(),
    }
}

/// Casts the columns of `plan` whose type differs from the target's.
fn coerce_columns(plan: Plan, have: &[(String, Type)], want: &[(String, Type)]) -> Plan {
    if have.iter().zip(want).all(|((_, a), (_, b))| a == b) {
        return plan;
    }
    let exprs = have
        .iter()
        .zip(want)
        .enumerate()
        .map(|(i, ((_, a), (_, b)))| {
            if a == b {
                Expr::Column(i)
            } else {
                let column = crate::planner::expr::unpadded(Expr::Column(i), Some(a), b);
                Expr::Cast(Box::new(column), b.clone())
            }
        })
        .collect();
    Plan::Project {
        source: Box::new(plan),
        exprs,
    }
}

/// A LIMIT or OFFSET count: a constant bigint, NULL meaning none.
/// A LIMIT, FETCH or OFFSET count bound as a bigint expression. It may read the enclosing
/// query's row, never its own.
fn count_expr(expr: &ast::Expr, what: &str) -> Result<Expr> {
    let bound = bind(expr, &Scope::default())?;
    // A numeric or float count is rounded to a bigint (`LIMIT 2.5` is 3), as PostgreSQL's
    // assignment cast does.
    match &bound.ty {
        Some(Type::Numeric { .. } | Type::Float4 | Type::Float8) => {
            Ok(Expr::Cast(Box::new(bound.expr), Type::Int8))
        }
        _ => bound.coerce(&Type::Int8, what),
    }
}

/// The value of a count that reads no row; `None` for NULL (no limit), and for `LIMIT $1`
/// while a prepared statement is described, before its parameters are known: the count does
/// not change the columns (executing it substitutes the value first).
fn count_value(expr: &Expr, what: &str) -> Result<Option<u64>> {
    let mut parameter = false;
    expr.walk(&mut |e| parameter |= matches!(e, Expr::Param(_)));
    if parameter {
        return Ok(None);
    }
    checked_count(&expr.eval(&[])?, what)
}

/// A count's value checked: NULL is none, a negative count is 2201W (LIMIT) or 2201X (OFFSET).
pub(crate) fn checked_count(value: &Value, what: &str) -> Result<Option<u64>> {
    match value {
        Value::Null => Ok(None),
        Value::Int8(n) => u64::try_from(*n).map(Some).map_err(|_| {
            let state = if what == "LIMIT" { "2201W" } else { "2201X" };
            Error::invalid(state, format!("{what} must not be negative"))
        }),
        _ => Err(Error::mismatch(format!(
            "argument of {what} must be type bigint"
        ))),
    }
}

/// Plans `VALUES (..), (..)`: columns `column1..n` of the common type of their values.
pub fn plan_values(rows: &[Vec<ast::Expr>]) -> Result<Output> {
    let scope = Scope::default();
    let bound: Vec<Vec<Typed>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|e| bind(e, &scope))
                .collect::<Result<Vec<_>>>()
        })
        .collect::<Result<_>>()?;
    let width = bound.first().map_or(0, Vec::len);
    if bound.iter().any(|r| r.len() != width) {
        return Err(Error::invalid(
            "42601",
            "VALUES lists must all be the same length",
        ));
    }
    let mut columns = Vec::new();
    for i in 0..width {
        let ty = common_type(bound.iter().map(|r| &r[i]), "VALUES")?;
        columns.push((format!("column{}", i + 1), ty));
    }
    let rows = bound
        .into_iter()
        .map(|row| {
            row.into_iter()
                .zip(&columns)
                .map(|(t, (_, ty))| t.coerce(ty, "VALUES"))
                .collect()
        })
        .collect::<Result<_>>()?;
    Ok((Plan::Values { rows }, columns))
}

/// `string_agg(x, d [ORDER BY k])` is `array_to_string(array_agg(x [ORDER BY k]), d)`: both skip
/// NULL inputs in the result and give NULL over no rows. Returns the rewritten query, or `None`
/// when it calls no string_agg.
fn rewrite_string_agg(query: &ast::Query) -> Option<ast::Query> {
    use std::ops::ControlFlow;

    use ast::VisitorMut;

    struct Rewriter {
        changed: bool,
    }
    impl VisitorMut for Rewriter {
        type Break = ();
        /// A select item that is a string_agg call keeps its name.
        fn pre_visit_query(&mut self, query: &mut ast::Query) -> ControlFlow<()> {
            if let ast::SetExpr::Select(select) = query.body.as_mut() {
                for item in &mut select.projection {
                    if let ast::SelectItem::UnnamedExpr(e @ ast::Expr::Function(_)) = item {
                        if crate::planner::expr::output_name(e) == "string_agg" {
                            *item = ast::SelectItem::ExprWithAlias {
                                expr: e.clone(),
                                alias: ast::Ident::with_quote('"', "string_agg"),
                            };
                        }
                    }
                }
            }
            ControlFlow::Continue(())
        }
        fn post_visit_expr(&mut self, expr: &mut ast::Expr) -> ControlFlow<()> {
            let ast::Expr::Function(f) = expr else {
                return ControlFlow::Continue(());
            };
            let is_string_agg = matches!(
                f.name.0.last().map(ident_name).as_deref(),
                Some("string_agg")
            );
            let ast::FunctionArguments::List(list) = &f.args else {
                return ControlFlow::Continue(());
            };
            if !is_string_agg || list.args.len() != 2 {
                return ControlFlow::Continue(());
            }
            let mut inner = f.clone();
            inner.name = ast::ObjectName(vec![ast::Ident::new("array_agg")]);
            let mut inner_list = list.clone();
            // A NULL delimiter joins with nothing between the values: coalesce(d, '').
            let delimiter = inner_list.args.pop().map(|d| {
                let mut coalesce = f.clone();
                coalesce.name = ast::ObjectName(vec![ast::Ident::new("coalesce")]);
                coalesce.filter = None;
                coalesce.over = None;
                coalesce.within_group = Vec::new();
                let empty = ast::Expr::Value(ast::Value::SingleQuotedString(String::new()));
                coalesce.args = ast::FunctionArguments::List(ast::FunctionArgumentList {
                    duplicate_treatment: None,
                    args: vec![
                        d,
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(empty)),
                    ],
                    clauses: Vec::new(),
                });
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(ast::Expr::Function(coalesce)))
            });
            // string_agg's value is text (or bytea): a quoted literal is text, where a bare
            // array_agg would find it ambiguous.
            if let Some(ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(
                value @ ast::Expr::Value(ast::Value::SingleQuotedString(_)),
            ))) = inner_list.args.first_mut()
            {
                *value = ast::Expr::Cast {
                    kind: ast::CastKind::DoubleColon,
                    expr: Box::new(value.clone()),
                    data_type: ast::DataType::Text,
                    format: None,
                };
            }
            // string_agg skips NULL inputs and is NULL when none is left; array_agg keeps them,
            // so they are filtered out (in windows too: a frame of only NULLs is NULL).
            if let Some(ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(value))) =
                inner_list.args.first()
            {
                let not_null = ast::Expr::IsNotNull(Box::new(value.clone()));
                inner.filter = Some(Box::new(match inner.filter.take() {
                    Some(filter) => ast::Expr::BinaryOp {
                        left: Box::new(ast::Expr::Nested(filter)),
                        op: ast::BinaryOperator::And,
                        right: Box::new(not_null),
                    },
                    None => not_null,
                }));
            }
            inner.args = ast::FunctionArguments::List(inner_list);
            let mut outer = f.clone();
            outer.name = ast::ObjectName(vec![ast::Ident::new("array_to_string")]);
            outer.filter = None;
            outer.over = None;
            outer.within_group = Vec::new();
            outer.args = ast::FunctionArguments::List(ast::FunctionArgumentList {
                duplicate_treatment: None,
                args: std::iter::once(ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(
                    ast::Expr::Function(inner),
                )))
                .chain(delimiter)
                .collect(),
                clauses: Vec::new(),
            });
            *expr = ast::Expr::Function(outer);
            self.changed = true;
            ControlFlow::Continue(())
        }
    }
    // Most queries call no string_agg: they are not copied.
    struct Finder;
    impl ast::Visitor for Finder {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &ast::Expr) -> ControlFlow<()> {
            match expr {
                ast::Expr::Function(f)
                    if f.name.0.last().map(ident_name).as_deref() == Some("string_agg") =>
                {
                    ControlFlow::Break(())
                }
                _ => ControlFlow::Continue(()),
            }
        }
    }
    if ast::Visit::visit(query, &mut Finder).is_continue() {
        return None;
    }
    let mut rewritten = query.clone();
    let mut rewriter = Rewriter { changed: false };
    let _ = ast::VisitMut::visit(&mut rewritten, &mut rewriter);
    rewriter.changed.then_some(rewritten)
}

/// `SELECT ... FOR UPDATE / FOR SHARE [OF t] [NOWAIT | SKIP LOCKED]`: accepted where PostgreSQL
/// accepts it, and otherwise refused with its error. vdb takes no row locks: a transaction
/// reads a snapshot, and of two transactions that write one row the later commit fails with
/// 40001, so a row "locked" here is protected by that check at COMMIT instead of by waiting.
fn check_row_locks(query: &ast::Query) -> Result<()> {
    let Some(lock) = query.locks.first() else {
        return Ok(());
    };
    let strength = format!("FOR {}", lock.lock_type);
    let refuse = |what: &str| {
        Err(Error::invalid(
            "0A000",
            format!("{strength} is not allowed with {what}"),
        ))
    };
    let ast::SetExpr::Select(select) = query.body.as_ref() else {
        if let ast::SetExpr::SetOperation { .. } = query.body.as_ref() {
            return refuse("UNION/INTERSECT/EXCEPT");
        }
        return Ok(());
    };
    if select.distinct.is_some() {
        return refuse("DISTINCT clause");
    }
    if !matches!(&select.group_by, ast::GroupByExpr::Expressions(e, _) if e.is_empty()) {
        return refuse("GROUP BY clause");
    }
    if select.having.is_some() {
        return refuse("HAVING clause");
    }
    let items: Vec<&ast::Expr> = select
        .projection
        .iter()
        .filter_map(|item| match item {
            ast::SelectItem::UnnamedExpr(e) | ast::SelectItem::ExprWithAlias { expr: e, .. } => {
                Some(e)
            }
            _ => None,
        })
        .collect();
    // A window call is an aggregate call too, to contains_aggregate: windows first.
    if crate::planner::window::contains_window(items.iter().copied()) {
        return refuse("window functions");
    }
    if crate::planner::aggregate::contains_aggregate(items.iter().copied()) {
        return refuse("aggregate functions");
    }
    for lock in &query.locks {
        let Some(of) = &lock.of else { continue };
        let name = of.0.last().map(ident_name).unwrap_or_default();
        let found = select.from.iter().any(|t| {
            std::iter::once(&t.relation)
                .chain(t.joins.iter().map(|j| &j.relation))
                .any(|r| relation_name(r).as_deref() == Some(name.as_str()))
        });
        if !found {
            return Err(Error::invalid(
                "42P01",
                format!(
                    "relation \"{name}\" in FOR {} clause not found in FROM clause",
                    lock.lock_type
                ),
            ));
        }
    }
    Ok(())
}

/// The name a FROM item is known by: its alias, else its table name.
fn relation_name(relation: &ast::TableFactor) -> Option<String> {
    match relation {
        ast::TableFactor::Table { alias: Some(a), .. }
        | ast::TableFactor::Derived { alias: Some(a), .. }
        | ast::TableFactor::Function { alias: Some(a), .. } => Some(ident_name(&a.name)),
        ast::TableFactor::Table { name, .. } => name.0.last().map(ident_name),
        _ => None,
    }
}
