//! A set-returning function that the GROUP BY groups by: `SELECT unnest(tags) t, count(*) FROM
//! runs GROUP BY t`. PostgreSQL expands the function below the aggregation (a ProjectSet under
//! the Agg); vdb expands set-returning functions in the select list after it, so such a query
//! is rewritten to expand the function in FROM instead, as a lateral call:
//!
//! ```text
//! SELECT "#srf".v AS t, count(*) FROM runs, unnest(tags) AS "#srf"(v) GROUP BY t
//! ```
//!
//! Each input row meets each element once and a row whose call yields nothing drops out, as
//! with the select-list expansion. Only a lone set-returning item is lifted: several zip
//! together in PostgreSQL, which a join would not do.

use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::planner::expr::{ident_name, output_name};

/// The alias of the lifted call in FROM (not a name a user can write unquoted).
const ALIAS: &str = "#srf";

/// The set-returning functions of one column that can be lifted.
const LIFTABLE: &[&str] = &[
    "unnest",
    "generate_series",
    "generate_subscripts",
    "jsonb_array_elements",
    "jsonb_array_elements_text",
    "json_array_elements",
    "json_array_elements_text",
    "jsonb_object_keys",
    "json_object_keys",
    "regexp_matches",
    "regexp_split_to_table",
    "string_to_table",
];

/// `select` with its grouped set-returning item expanded in FROM, or None when it has none.
pub fn lift(select: &ast::Select) -> Option<ast::Select> {
    let ast::GroupByExpr::Expressions(keys, modifiers) = &select.group_by else {
        return None;
    };
    if keys.is_empty() || !modifiers.is_empty() {
        return None;
    }
    let mut found = select
        .projection
        .iter()
        .enumerate()
        .filter_map(|(i, item)| match item {
            ast::SelectItem::UnnamedExpr(e) => Some((i, e, None)),
            ast::SelectItem::ExprWithAlias { expr, alias } => Some((i, expr, Some(alias))),
            _ => None,
        })
        .filter(|(_, e, _)| is_liftable(e));
    let (position, call, alias) = found.next()?;
    if found.next().is_some() {
        return None;
    }
    let name = alias.map_or_else(|| output_name(call), ident_name);
    let grouped = keys.iter().any(|key| match key {
        ast::Expr::Value(ast::Value::Number(n, _)) => n.parse::<usize>().ok() == Some(position + 1),
        ast::Expr::Identifier(ident) => alias.is_some() && ident_name(ident) == name,
        other => other == call,
    });
    if !grouped {
        return None;
    }
    let from = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&format!("SELECT 1 FROM {call} AS \"{ALIAS}\"(v)"))
        .and_then(|mut p| p.parse_query())
        .ok()?;
    let ast::SetExpr::Select(parsed) = *from.body else {
        return None;
    };
    let column = ast::Expr::CompoundIdentifier(vec![
        ast::Ident::with_quote('"', ALIAS),
        ast::Ident::new("v"),
    ]);
    let mut lifted = select.clone();
    lifted.from.extend(parsed.from);
    lifted.projection[position] = ast::SelectItem::ExprWithAlias {
        expr: column.clone(),
        alias: ast::Ident::with_quote('"', name),
    };
    if let ast::GroupByExpr::Expressions(keys, _) = &mut lifted.group_by {
        for key in keys.iter_mut().filter(|k| *k == call) {
            *key = column.clone();
        }
    }
    Some(lifted)
}

/// Whether `expr` is a call of a liftable set-returning function (no window, no filter).
fn is_liftable(expr: &ast::Expr) -> bool {
    let ast::Expr::Function(f) = expr else {
        return false;
    };
    let [name] = f.name.0.as_slice() else {
        return false;
    };
    f.over.is_none() && f.filter.is_none() && LIFTABLE.contains(&ident_name(name).as_str())
}
