//! Statement parameters (`$1`, `$2`, ...) of the extended query protocol.
//!
//! A prepared statement is kept as its parsed AST. Describing it plans the AST with each `$n`
//! bound as an [`Expr::Param`] of unknown type (or cast to the type the client declared), and
//! reads each parameter's type off the casts the planner inserted around it: `id = $1` against
//! an `integer` column becomes `id = CAST($1 AS integer)`, exactly as an unknown literal would.
//! Executing it substitutes each value into a copy of the AST as a literal (an untyped quoted
//! string for a parameter of unknown type, `CAST('...' AS type)` for a typed one), so a bound
//! statement plans and optimizes like the same statement written with literals.

use std::ops::ControlFlow;

use sqlparser::ast::{self, visit_expressions, visit_expressions_mut, CastKind, Statement};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use vdb_engine::value::{Type, Value};

use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::planner::Plan;
use crate::types::to_pg_text;

/// One bound parameter value.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    /// A value of unknown type, as text (`None` is NULL): it takes its type from context.
    Unknown(Option<String>),
    /// A value of a known type (possibly NULL).
    Typed(Value, Type),
}

/// The 1-based index of a `$n` placeholder.
fn placeholder_index(expr: &ast::Expr) -> Option<usize> {
    match expr {
        ast::Expr::Value(ast::Value::Placeholder(p)) => p
            .strip_prefix('$')?
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1),
        _ => None,
    }
}

/// The number of parameters `statement` takes: the highest `$n` it names.
pub fn count(statement: &Statement) -> usize {
    let mut highest = 0;
    let _ = visit_expressions(statement, |expr| {
        if let Some(n) = placeholder_index(expr) {
            highest = highest.max(n);
        }
        ControlFlow::<()>::Continue(())
    });
    highest
}

/// The parameters that are a LIMIT, OFFSET or FETCH count (`LIMIT $1`, or `$1` cast by a
/// declared type): PostgreSQL types them bigint, and the plan, which has no count while they
/// are unknown, does not show them.
pub fn count_params(statement: &Statement) -> Vec<usize> {
    struct Counts(Vec<usize>);
    impl ast::Visitor for Counts {
        type Break = ();
        fn pre_visit_query(&mut self, query: &ast::Query) -> ControlFlow<()> {
            let counts = [
                query.limit.as_ref(),
                query.offset.as_ref().map(|o| &o.value),
                query.fetch.as_ref().and_then(|f| f.quantity.as_ref()),
            ];
            for mut expr in counts.into_iter().flatten() {
                while let ast::Expr::Cast { expr: inner, .. } | ast::Expr::Nested(inner) = expr {
                    expr = inner;
                }
                self.0.extend(placeholder_index(expr).map(|n| n - 1));
            }
            ControlFlow::Continue(())
        }
    }
    let mut counts = Counts(Vec::new());
    let _ = ast::Visit::visit(statement, &mut counts);
    counts.0
}

/// sqlparser's form of a vdb type, for casts written into an AST.
pub(crate) fn data_type(ty: &Type) -> Result<ast::DataType> {
    let text = ty.to_string();
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&text)
        .and_then(|mut p| p.parse_data_type())
        .map_err(|e| Error::invalid("XX000", format!("type {text} does not parse: {e}")))
}

/// `expr` cast to `ty`, as a parameter is bound: in two pairs of parentheses, which mark the
/// cast as the binding's, not the statement's (see [`is_bound`]).
fn cast(expr: ast::Expr, ty: &Type) -> Result<ast::Expr> {
    let cast = ast::Expr::Cast {
        kind: CastKind::DoubleColon,
        expr: Box::new(expr),
        data_type: data_type(ty)?,
        format: None,
    };
    Ok(ast::Expr::Nested(Box::new(ast::Expr::Nested(Box::new(
        cast,
    )))))
}

/// Whether `expr` (inside a pair of parentheses) is a parameter as [`declare`] and
/// [`substitute`] or [`substitute_exprs`] bound it, rather than a cast the statement wrote: a select list names it
/// `?column?`, as PostgreSQL names a bare `$1` whatever its declared type.
pub fn is_bound(expr: &ast::Expr) -> bool {
    let ast::Expr::Nested(inner) = expr else {
        return false;
    };
    matches!(
        inner.as_ref(),
        ast::Expr::Cast { expr, kind: CastKind::DoubleColon, format: None, .. }
            if matches!(
                expr.as_ref(),
                ast::Expr::Value(
                    ast::Value::Placeholder(_)
                        | ast::Value::SingleQuotedString(_)
                        | ast::Value::Null
                ) | ast::Expr::Nested(_)
            )
    )
}

/// Wraps each `$n` whose type the client declared in a cast to that type.
pub fn declare(statement: &mut Statement, declared: &[Option<Type>]) -> Result<()> {
    let mut failure = None;
    let _ = visit_expressions_mut(statement, |expr| {
        if let Some(Some(ty)) = placeholder_index(expr).and_then(|n| declared.get(n - 1)) {
            match cast(expr.clone(), ty) {
                Ok(casted) => *expr = casted,
                Err(e) => {
                    failure = Some(e);
                    return ControlFlow::Break(());
                }
            }
        }
        ControlFlow::Continue(())
    });
    failure.map_or(Ok(()), Err)
}

/// Replaces each `$n` by the expression `args[n - 1]` (in parentheses), as SQL's `EXECUTE name
/// (args)` binds them; [`declare`] has already cast each `$n` whose type PREPARE declared. The
/// caller has checked that there are as many arguments as parameters.
pub fn substitute_exprs(statement: &mut Statement, args: &[ast::Expr]) {
    let _ = visit_expressions_mut(statement, |expr| {
        if let Some(arg) = placeholder_index(expr).and_then(|n| args.get(n - 1)) {
            *expr = ast::Expr::Nested(Box::new(arg.clone()));
        }
        ControlFlow::<()>::Continue(())
    });
}

/// Replaces each `$n` by the literal form of `params[n - 1]`.
pub fn substitute(statement: &mut Statement, params: &[Param]) -> Result<()> {
    let mut failure = None;
    let _ = visit_expressions_mut(statement, |expr| {
        let Some(n) = placeholder_index(expr) else {
            return ControlFlow::Continue(());
        };
        let literal = match params.get(n - 1) {
            None => Err(Error::invalid(
                "42P02",
                format!("there is no parameter ${n}"),
            )),
            Some(Param::Unknown(None)) => Ok(ast::Expr::Value(ast::Value::Null)),
            Some(Param::Unknown(Some(text))) => Ok(ast::Expr::Value(
                ast::Value::SingleQuotedString(text.clone()),
            )),
            Some(Param::Typed(value, ty)) => {
                let inner = match to_pg_text(value) {
                    None => ast::Expr::Value(ast::Value::Null),
                    Some(text) => ast::Expr::Value(ast::Value::SingleQuotedString(text)),
                };
                cast(inner, ty)
            }
        };
        match literal {
            Ok(literal) => {
                *expr = literal;
                ControlFlow::Continue(())
            }
            Err(e) => {
                failure = Some(e);
                ControlFlow::Break(())
            }
        }
    });
    failure.map_or(Ok(()), Err)
}

/// Each parameter's type as the plan uses it: the type of the first cast applied to it, else
/// `text` (what PostgreSQL resolves an unconstrained unknown to).
pub fn infer(plan: &Plan, count: usize) -> Vec<Type> {
    let mut types: Vec<Option<Type>> = vec![None; count];
    plan.walk_exprs(&mut |expr| {
        expr.walk(&mut |e| {
            if let Expr::Cast(inner, ty) = e {
                if let Expr::Param(i) = **inner {
                    if let Some(slot @ None) = types.get_mut(i) {
                        *slot = Some(ty.clone());
                    }
                }
            }
        });
    });
    types.into_iter().map(|t| t.unwrap_or(Type::Text)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(sql: &str) -> Statement {
        crate::session::parse(sql).unwrap().remove(0)
    }

    #[test]
    fn counts_the_highest_placeholder() {
        assert_eq!(count(&one("SELECT $2 + 1, $1")), 2);
        assert_eq!(count(&one("SELECT 1")), 0);
    }

    #[test]
    fn substitution_writes_literals_that_plan_like_written_ones() {
        let mut s = one("SELECT * FROM t WHERE a = $1 AND b = $2 AND c = $3");
        substitute(
            &mut s,
            &[
                Param::Unknown(Some("it's".into())),
                Param::Typed(Value::Int8(7), Type::Int8),
                Param::Unknown(None),
            ],
        )
        .unwrap();
        assert_eq!(
            s.to_string(),
            "SELECT * FROM t WHERE a = 'it''s' AND b = (('7'::BIGINT)) AND c = NULL"
        );
    }

    #[test]
    fn a_bound_parameter_is_told_from_a_written_cast() {
        let mut s = one("SELECT $1, ('7'::BIGINT), $2::text");
        substitute(
            &mut s,
            &[
                Param::Typed(Value::Int8(7), Type::Int8),
                Param::Typed(Value::Int2(1), Type::Int2),
            ],
        )
        .unwrap();
        let Statement::Query(query) = &s else {
            panic!("{s}")
        };
        let ast::SetExpr::Select(select) = query.body.as_ref() else {
            panic!("{s}")
        };
        let bound: Vec<bool> = select
            .projection
            .iter()
            .map(|item| match item {
                ast::SelectItem::UnnamedExpr(ast::Expr::Nested(inner)) => is_bound(inner),
                _ => false,
            })
            .collect();
        assert_eq!(bound, [true, false, false]);
    }

    #[test]
    fn a_missing_parameter_is_42p02() {
        let mut s = one("SELECT $3");
        let err = substitute(&mut s, &[]).unwrap_err();
        assert_eq!(err.sqlstate(), "42P02");
    }
}
