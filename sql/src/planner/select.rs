//! Planning a SELECT core: FROM, WHERE, the select list (with `*` and `t.*`), DISTINCT, and the
//! ORDER BY keys, which may name output columns, their positions, or input expressions (those
//! are computed as hidden columns and dropped after the sort).

use sqlparser::ast;
use vdb_engine::value::{Type, Value};

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::planner::aggregate::{contains_aggregate, Grouping};
use crate::planner::expr::{bind, boolean, ident_name, output_name, Scope, Typed};
use crate::planner::grouped_srf;
use crate::planner::grouping_sets::{self, GroupingSets};
use crate::planner::plan::{Plan, SortKey};
use crate::planner::relation::plan_from;
use crate::planner::window::{self, Extracted};

/// A planned query body: its plan and output columns.
pub type Output = (Plan, Vec<(String, Type)>);

/// Binds the expressions of a SELECT: over the input row, or over the aggregation's output.
enum Binder<'a> {
    Plain(&'a Scope),
    Grouped(Grouping, &'a Scope),
}

impl Binder<'_> {
    fn bind(&mut self, expr: &ast::Expr) -> Result<Typed> {
        match self {
            Binder::Plain(scope) => bind(expr, scope),
            Binder::Grouped(grouping, input) => grouping.bind(expr, input),
        }
    }
}

/// Plans `select` with `order_by` applied.
pub fn plan_select(
    catalog: &Catalog<'_>,
    select: &ast::Select,
    order_by: &[ast::OrderByExpr],
) -> Result<Output> {
    check_unsupported(select)?;
    if let Some(lifted) = grouped_srf::lift(select) {
        return plan_select(catalog, &lifted, order_by);
    }
    let windows = window::extract(select, order_by)?;
    let (projection, order_by) = match &windows {
        Some(w) => (w.projection.as_slice(), w.order_by.as_slice()),
        None => (select.projection.as_slice(), order_by),
    };
    let (mut plan, scope) = if select.from.is_empty() {
        (
            Plan::Values {
                rows: vec![Vec::new()],
            },
            Scope::default(),
        )
    } else {
        plan_from(catalog, &select.from, select.selection.as_ref())?
    };
    if let Some(selection) = &select.selection {
        window::forbid(selection, "WHERE")?;
        let predicate = boolean(bind(selection, &scope)?, "WHERE")?;
        plan = Plan::Filter {
            source: Box::new(plan),
            predicate,
        };
    }
    let group_keys = group_keys(select, &scope)?;
    let item_exprs = projection.iter().filter_map(|item| match item {
        ast::SelectItem::UnnamedExpr(e) | ast::SelectItem::ExprWithAlias { expr: e, .. } => Some(e),
        _ => None,
    });
    let window_inputs = windows.as_ref().map(Extracted::inner_exprs);
    let grouped = matches!(&select.group_by, ast::GroupByExpr::Expressions(e, _) if !e.is_empty())
        || select.having.is_some()
        || contains_aggregate(
            item_exprs
                .chain(order_by.iter().map(|o| &o.expr))
                .chain(window_inputs.iter().flatten()),
        );
    if let Some(having) = &select.having {
        window::forbid(having, "HAVING")?;
    }
    let extended;
    let mut binder = if grouped {
        let mut grouping = Grouping::new(group_keys, &scope)?;
        grouping.allow_dependent(&primary_keys(catalog, &select.from), &scope);
        Binder::Grouped(grouping, &scope)
    } else {
        Binder::Plain(&scope)
    };
    let mut window_calls = Vec::new();
    if let Some(w) = &windows {
        window_calls = w.plan_calls(&mut |e| binder.bind(e))?;
        let results = Extracted::result_columns(&window_calls);
        match &mut binder {
            Binder::Plain(_) => {
                extended = Scope {
                    columns: scope.columns.iter().cloned().chain(results).collect(),
                };
                binder = Binder::Plain(&extended);
            }
            Binder::Grouped(grouping, input) => {
                // Find every aggregate first: the window results follow them in the row.
                let items = projection.iter().filter_map(|item| match item {
                    ast::SelectItem::UnnamedExpr(e)
                    | ast::SelectItem::ExprWithAlias { expr: e, .. } => Some(e),
                    _ => None,
                });
                let others = select.having.iter().chain(order_by.iter().map(|o| &o.expr));
                for e in items.chain(others) {
                    let _ = grouping.bind(e, input);
                }
                results.into_iter().for_each(|c| grouping.push_output(c));
            }
        }
    }
    let mut exprs = Vec::new();
    let mut columns = Vec::new();
    for item in projection {
        select_item(
            item,
            &scope,
            !select.from.is_empty(),
            &mut binder,
            &mut exprs,
            &mut columns,
        )?;
    }
    let having = select
        .having
        .as_ref()
        .map(|h| binder.bind(h).and_then(|t| boolean(t, "HAVING")))
        .transpose()?;
    let (distinct, distinct_on) = match &select.distinct {
        None => (false, None),
        Some(ast::Distinct::Distinct) => (true, None),
        Some(ast::Distinct::On(on)) => (false, Some(on)),
    };
    let visible = exprs.len();
    let keys = sort_keys(order_by, &mut binder, &columns, &mut exprs, distinct)?;
    let distinct_on = distinct_on
        .map(|on| distinct_on_keys(on, &mut binder, &columns, &mut exprs, &keys))
        .transpose()?;
    if let Binder::Grouped(grouping, _) = binder {
        plan = Plan::Aggregate {
            source: Box::new(plan),
            group_by: grouping.group_by,
            sets: grouping.sets,
            aggregates: grouping.aggregates,
        };
        if let Some(predicate) = having {
            plan = Plan::Filter {
                source: Box::new(plan),
                predicate,
            };
        }
    }
    if !window_calls.is_empty() {
        plan = Plan::Window {
            source: Box::new(plan),
            calls: window_calls,
        };
    }
    plan = crate::planner::nested_set::project(plan, exprs);
    if distinct {
        for (_, ty) in &columns {
            crate::types::require_equality(ty)?;
        }
        // jsonb values are distinct by jsonb equality (`1` = `1.0`), not by their text.
        plan = if columns.iter().any(|(_, ty)| *ty == Type::Jsonb) {
            Plan::DistinctOn {
                source: Box::new(plan),
                keys: equality_keys(&columns)?,
            }
        } else {
            Plan::Distinct {
                source: Box::new(plan),
            }
        };
    }
    plan = match distinct_on {
        Some(on) => first_of_each(plan, keys, on, visible),
        None => sorted(plan, keys, visible),
    };
    Ok((plan, columns))
}

/// Resolves DISTINCT ON items like ORDER BY items (output names and positions first), as
/// columns of the projected row; the leading ORDER BY keys must be among them.
fn distinct_on_keys(
    on: &[ast::Expr],
    binder: &mut Binder<'_>,
    columns: &[(String, Type)],
    exprs: &mut Vec<Expr>,
    keys: &[SortKey],
) -> Result<Vec<usize>> {
    let mut positions = Vec::new();
    for item in on {
        let column = match output_position(item, columns, exprs)? {
            Some(i) => i,
            None => {
                let bound = binder.bind(item)?.expr;
                match exprs.iter().position(|e| *e == bound) {
                    Some(i) => i,
                    None => {
                        exprs.push(bound);
                        exprs.len() - 1
                    }
                }
            }
        };
        positions.push(column);
    }
    for key in keys.iter().take(positions.len()) {
        if !matches!(key.expr, Expr::Column(c) if positions.contains(&c)) {
            return Err(Error::invalid(
                "42P10",
                "SELECT DISTINCT ON expressions must match initial ORDER BY expressions",
            ));
        }
    }
    Ok(positions)
}

/// DISTINCT ON: sorts by `keys`, keeps the first row of each value of the `on` columns, then
/// drops the columns past `visible`.
fn first_of_each(plan: Plan, keys: Vec<SortKey>, on: Vec<usize>, visible: usize) -> Plan {
    let sort_columns = keys.iter().filter_map(|k| match k.expr {
        Expr::Column(i) => Some(i),
        _ => None,
    });
    let width = on
        .iter()
        .copied()
        .chain(sort_columns)
        .map(|c| c + 1)
        .max()
        .unwrap_or(0);
    let mut plan = if keys.is_empty() {
        plan
    } else {
        Plan::Sort {
            source: Box::new(plan),
            keys,
        }
    };
    plan = Plan::DistinctOn {
        source: Box::new(plan),
        keys: on.into_iter().map(Expr::Column).collect(),
    };
    if width > visible {
        plan = Plan::Project {
            source: Box::new(plan),
            exprs: (0..visible).map(Expr::Column).collect(),
        };
    }
    plan
}

/// The GROUP BY keys and grouping sets. An output position (`GROUP BY 1`) stands for its
/// select item, and so does an output name that is not an input column (`GROUP BY total`
/// for `sum(x) AS total` is then a grouping error, as in PostgreSQL).
fn group_keys(select: &ast::Select, input: &Scope) -> Result<GroupingSets> {
    let ast::GroupByExpr::Expressions(exprs, modifiers) = &select.group_by else {
        return Err(Error::Unsupported("GROUP BY ALL".into()));
    };
    if !modifiers.is_empty() {
        return Err(Error::Unsupported("GROUP BY modifiers".into()));
    }
    let item = |e: &ast::Expr| -> Result<ast::Expr> {
        let key = resolve_group_item(select, input, e)?;
        window::forbid(&key, "GROUP BY")?;
        Ok(key)
    };
    grouping_sets::expand(exprs, &item)
}

/// One GROUP BY element: a position or an output alias replaced by its select item.
fn resolve_group_item(select: &ast::Select, input: &Scope, e: &ast::Expr) -> Result<ast::Expr> {
    let items = || {
        select.projection.iter().filter_map(|item| match item {
            ast::SelectItem::UnnamedExpr(e) => Some((e, None)),
            ast::SelectItem::ExprWithAlias { expr, alias } => Some((expr, Some(alias))),
            _ => None,
        })
    };
    match e {
        ast::Expr::Value(ast::Value::Number(n, _)) => {
            // `*` and `t.*` count as the columns they stand for.
            let outputs = select.projection.iter().flat_map(|item| match item {
                ast::SelectItem::UnnamedExpr(e)
                | ast::SelectItem::ExprWithAlias { expr: e, .. } => vec![e.clone()],
                ast::SelectItem::Wildcard(_) => expand_wildcard(input, None)
                    .into_iter()
                    .map(|(e, ..)| e)
                    .collect(),
                ast::SelectItem::QualifiedWildcard(name, _) => {
                    let relation = name.0.last().map(ident_name).unwrap_or_default();
                    expand_wildcard(input, Some(&relation))
                        .into_iter()
                        .map(|(e, ..)| e)
                        .collect()
                }
            });
            let item = n
                .parse::<usize>()
                .ok()
                .and_then(|p| p.checked_sub(1))
                .and_then(|p| outputs.into_iter().nth(p));
            match item {
                Some(e) => Ok(e),
                _ => Err(Error::invalid(
                    "42P10",
                    format!("GROUP BY position {n} is not in select list"),
                )),
            }
        }
        // A name that is no input column (perhaps a FROM item's, as a whole row) is an output
        // alias first, as in PostgreSQL.
        ast::Expr::Identifier(ident) if input.resolve(None, &ident_name(ident)).is_err() => {
            let name = ident_name(ident);
            let mut hits =
                items().filter(|(_, alias)| alias.is_some_and(|a| ident_name(a) == name));
            match (hits.next(), hits.next()) {
                (Some((expr, _)), None) => Ok(expr.clone()),
                (Some(_), Some(_)) => Err(Error::invalid(
                    "42702",
                    format!("GROUP BY \"{name}\" is ambiguous"),
                )),
                _ => Ok(e.clone()),
            }
        }
        other => Ok(other.clone()),
    }
}

/// The tables of FROM that have a primary key: each as its name in the query and the key's
/// column positions in the table (for GROUP BY's functional dependencies).
fn primary_keys(catalog: &Catalog<'_>, from: &[ast::TableWithJoins]) -> Vec<(String, Vec<usize>)> {
    let factors = from
        .iter()
        .flat_map(|t| std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)));
    let mut keyed = Vec::new();
    for factor in factors {
        let ast::TableFactor::Table {
            name,
            alias,
            args: None,
            ..
        } = factor
        else {
            continue;
        };
        if let [single] = name.0.as_slice() {
            let single = ident_name(single);
            if crate::planner::context::cte(&single).is_some()
                || crate::planner::context::work_table(&single).is_some()
            {
                continue;
            }
        }
        let Ok(crate::catalog::TableRef::User(table)) = crate::catalog::resolve_table(name) else {
            continue;
        };
        let Ok(Some(t)) = catalog.get_table(&table) else {
            continue;
        };
        let schema = t.schema();
        if schema.is_keyless() {
            continue;
        }
        let relation = alias.as_ref().map_or_else(
            || vdb_engine::table::split_qualified(&table).1.to_string(),
            |a| ident_name(&a.name),
        );
        keyed.push((relation, schema.key_positions()));
    }
    keyed
}

/// Wraps `plan` in a sort by `keys`, then drops columns past `visible`.
pub fn sorted(mut plan: Plan, keys: Vec<SortKey>, visible: usize) -> Plan {
    if keys.is_empty() {
        return plan;
    }
    // Keys are columns, or columns wrapped to sort by their type's order (`types::sort_key`).
    let mut width = 0;
    for k in &keys {
        k.expr.walk(&mut |e| {
            if let Expr::Column(i) = e {
                width = width.max(i + 1);
            }
        });
    }
    plan = Plan::Sort {
        source: Box::new(plan),
        keys,
    };
    if width > visible {
        plan = Plan::Project {
            source: Box::new(plan),
            exprs: (0..visible).map(Expr::Column).collect(),
        };
    }
    plan
}

fn check_unsupported(select: &ast::Select) -> Result<()> {
    if select.top.is_some()
        || select.into.is_some()
        || !select.lateral_views.is_empty()
        || select.qualify.is_some()
        || select.prewhere.is_some()
        || select.connect_by.is_some()
    {
        return Err(Error::Unsupported(
            format!("this SELECT clause: {select}")
                .chars()
                .take(80)
                .collect(),
        ));
    }
    Ok(())
}

/// The columns `*` (relation `None`) or `t.*` stands for: each as an expression naming it,
/// its output name, and its position when only the position can name it.
fn expand_wildcard(
    scope: &Scope,
    relation: Option<&str>,
) -> Vec<(ast::Expr, String, Option<usize>)> {
    scope
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| match relation {
            None => !c.hidden,
            Some(r) => c.relation.as_deref() == Some(r) && !c.is_system(),
        })
        .map(|(i, c)| {
            // A name two columns of one relation share (`(SELECT 1 AS x, 2 AS x) s`) is
            // ambiguous to refer to, but `*` still expands to both, as in PostgreSQL.
            let shared = scope
                .columns
                .iter()
                .filter(|o| o.relation == c.relation && o.name == c.name)
                .count()
                > 1;
            let direct = shared.then_some(i);
            if c.relation.is_none() {
                // A merged USING column: its bare name resolves to it alone.
                let name = ast::Expr::Identifier(ast::Ident::with_quote('"', &c.name));
                return (name, c.name.clone(), direct);
            }
            let mut parts: Vec<ast::Ident> = c
                .relation
                .iter()
                .map(|r| ast::Ident::with_quote('"', r))
                .collect();
            parts.push(ast::Ident::with_quote('"', &c.name));
            (ast::Expr::CompoundIdentifier(parts), c.name.clone(), direct)
        })
        .collect()
}

fn select_item(
    item: &ast::SelectItem,
    scope: &Scope,
    has_from: bool,
    binder: &mut Binder<'_>,
    exprs: &mut Vec<Expr>,
    columns: &mut Vec<(String, Type)>,
) -> Result<()> {
    let expand = |relation: Option<&str>| expand_wildcard(scope, relation);
    let items: Vec<(ast::Expr, String, Option<usize>)> = match item {
        ast::SelectItem::Wildcard(_) => {
            if scope.columns.is_empty() && !has_from {
                return Err(Error::invalid(
                    "42601",
                    "SELECT * with no tables specified is not valid",
                ));
            }
            expand(None)
        }
        ast::SelectItem::QualifiedWildcard(name, _) => {
            let relation = name.0.last().map(ident_name).unwrap_or_default();
            if !scope
                .columns
                .iter()
                .any(|c| c.relation.as_deref() == Some(&relation))
            {
                return Err(Error::invalid(
                    "42P01",
                    format!("missing FROM-clause entry for table \"{relation}\""),
                ));
            }
            expand(Some(&relation))
        }
        ast::SelectItem::UnnamedExpr(e) => vec![(e.clone(), output_name(e), None)],
        ast::SelectItem::ExprWithAlias { expr, alias } => {
            vec![(expr.clone(), ident_name(alias), None)]
        }
    };
    for (expr, name, direct) in items {
        let t = match (direct, &binder) {
            (Some(i), Binder::Plain(scope)) => {
                Typed::new(Expr::Column(i), scope.columns[i].ty.clone())
            }
            _ => crate::planner::expr::whole_row_as_record(binder.bind(&expr)?),
        };
        columns.push((name, t.resolved_type()));
        exprs.push(t.expr);
    }
    Ok(())
}

/// Resolves ORDER BY items to sort keys over the projected row, appending hidden columns.
fn sort_keys(
    order_by: &[ast::OrderByExpr],
    binder: &mut Binder<'_>,
    columns: &[(String, Type)],
    exprs: &mut Vec<Expr>,
    distinct: bool,
) -> Result<Vec<SortKey>> {
    let visible = exprs.len();
    let mut keys = Vec::new();
    for item in order_by {
        if item.with_fill.is_some() {
            return Err(Error::Unsupported("ORDER BY ... WITH FILL".into()));
        }
        let position = output_position(&item.expr, columns, &exprs[..visible])?;
        let mut key_type = position.and_then(|i| columns.get(i)).map(|c| c.1.clone());
        let column =
            match position {
                Some(i) => i,
                None => {
                    let typed = binder.bind(&item.expr)?;
                    key_type = typed.ty;
                    let bound = typed.expr;
                    match exprs[..visible].iter().position(|e| *e == bound) {
                        Some(i) => i,
                        None if distinct => return Err(Error::invalid(
                            "42P10",
                            "for SELECT DISTINCT, ORDER BY expressions must appear in select list",
                        )),
                        None => {
                            exprs.push(bound);
                            exprs.len() - 1
                        }
                    }
                }
            };
        let descending = item.asc == Some(false);
        // An enum sorts by its labels' order, jsonb by jsonb's order, not as text.
        let expr = match &key_type {
            Some(ty) => crate::types::sort_key(Expr::Column(column), ty)?,
            None => Expr::Column(column),
        };
        keys.push(SortKey {
            expr,
            descending,
            nulls_first: item.nulls_first.unwrap_or(descending),
        });
    }
    Ok(keys)
}

/// An ORDER BY item that names an output column (`ORDER BY 2`, or a bare output name). A name
/// that several output columns have is ambiguous unless `exprs` (the columns' expressions,
/// when known) shows them to be one expression (`SELECT a, a ... ORDER BY a`).
pub fn output_position(
    expr: &ast::Expr,
    columns: &[(String, Type)],
    exprs: &[Expr],
) -> Result<Option<usize>> {
    match expr {
        ast::Expr::Value(ast::Value::Number(n, _)) => {
            let position = match crate::types::number_literal(n)? {
                Value::Int4(p) => usize::try_from(p).ok(),
                _ => None,
            };
            match position {
                Some(p) if p >= 1 && p <= columns.len() => Ok(Some(p - 1)),
                _ => Err(Error::invalid(
                    "42P10",
                    format!("ORDER BY position {n} is not in select list"),
                )),
            }
        }
        ast::Expr::Identifier(ident) => {
            let name = ident_name(ident);
            let hits: Vec<usize> = (0..columns.len())
                .filter(|&i| columns[i].0 == name)
                .collect();
            let same = |i: usize| exprs.get(i).is_some_and(|e| Some(e) == exprs.get(hits[0]));
            match hits.as_slice() {
                [] => Ok(None),
                [i] => Ok(Some(*i)),
                [first, rest @ ..] if rest.iter().all(|&i| same(i)) => Ok(Some(*first)),
                _ => Err(Error::AmbiguousColumn(name)),
            }
        }
        _ => Ok(None),
    }
}

/// Keys that are equal exactly when rows of `columns` are equal as PostgreSQL compares them:
/// each column itself, or for jsonb its sort key (`1` = `1.0`), for DISTINCT and UNION.
pub(super) fn equality_keys(columns: &[(String, Type)]) -> Result<Vec<Expr>> {
    columns
        .iter()
        .enumerate()
        .map(|(i, (_, ty))| match ty {
            Type::Jsonb => crate::types::sort_key(Expr::Column(i), ty),
            _ => Ok(Expr::Column(i)),
        })
        .collect()
}
