//! Binding sqlparser expressions: names resolve against a [`Scope`] (qualified `t.c` or bare
//! `c`, ambiguity → 42702), literals get PostgreSQL's types, and implicit coercions become
//! explicit casts. A quoted literal stays "unknown" until an operator or target gives it a type.

use sqlparser::ast;
use vdb_engine::value::{Type, Value};

use crate::error::{Error, Result};
use crate::expr::{BinaryOp, Builtin, Expr, Function};
use crate::planner::builtin;
use crate::planner::function::{floor_ceil, function, text_arg};
use crate::planner::{context, subquery, system};
use crate::types::{self, implicit_cast, numeric_rank, sql_type, type_name, value_type};

/// One column visible to expressions: the relation it comes from and its name and type.
#[derive(Clone, Debug, PartialEq)]
pub struct ScopeColumn {
    pub relation: Option<String>,
    pub name: String,
    pub ty: Type,
    /// A join column merged by USING or NATURAL: reachable only qualified (`a.x`), and left out
    /// of `*` (the merged column stands for it).
    pub hidden: bool,
    /// The one column of a function in FROM that returns a scalar (`jsonb_array_elements(d)
    /// AS e`): a whole-row reference to the FROM item (`e`) is this column's value.
    pub scalar_function: bool,
}

/// The system column a pg_catalog table has (its own OID in every row), as in PostgreSQL.
pub const TABLEOID: &str = "tableoid";

/// The system columns a written row has in RETURNING: the transaction that wrote it, and the
/// one that deleted or locked it (0 for none), so that `RETURNING (xmax = 0) AS inserted`
/// tells an upsert's inserted rows from its updated ones, as in PostgreSQL.
pub const XMIN: &str = "xmin";
pub const XMAX: &str = "xmax";

impl ScopeColumn {
    /// A system column (`tableoid`): hidden from `*` and `t.*`, but found by its name,
    /// qualified or not.
    pub fn is_system(&self) -> bool {
        self.hidden && matches!(self.name.as_str(), TABLEOID | XMIN | XMAX)
    }
}

/// The columns an expression may name, in input-row order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scope {
    pub columns: Vec<ScopeColumn>,
}

impl Scope {
    /// Resolves `[relation.]name` to a row position.
    pub fn resolve(&self, relation: Option<&str>, name: &str) -> Result<usize> {
        let mut found = self.columns.iter().enumerate().filter(|(_, c)| {
            c.name == name
                && match relation {
                    Some(r) => c.relation.as_deref() == Some(r),
                    None => !c.hidden || c.is_system(),
                }
        });
        let Some((i, _)) = found.next() else {
            if let Some(r) = relation {
                if !self
                    .columns
                    .iter()
                    .any(|c| c.relation.as_deref() == Some(r))
                {
                    return Err(Error::invalid(
                        "42P01",
                        format!("missing FROM-clause entry for table \"{r}\""),
                    ));
                }
                return Err(Error::UndefinedColumn(format!(
                    "column {r}.{name} does not exist"
                )));
            }
            return Err(Error::UndefinedColumn(format!(
                "column \"{name}\" does not exist"
            )));
        };
        if found.next().is_some() {
            return Err(Error::AmbiguousColumn(name.to_string()));
        }
        Ok(i)
    }
}

/// An identifier as PostgreSQL folds it: unquoted names are lower-cased.
pub fn ident_name(ident: &ast::Ident) -> String {
    match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_lowercase(),
    }
}

/// A bound expression with its type; `None` is PostgreSQL's "unknown" (a quoted literal or
/// NULL) that takes its type from context.
#[derive(Clone, Debug)]
pub struct Typed {
    pub expr: Expr,
    pub ty: Option<Type>,
}

impl Typed {
    pub(super) fn new(expr: Expr, ty: Type) -> Typed {
        Typed { expr, ty: Some(ty) }
    }

    /// The expression coerced to `target` (an unknown literal is cast; a known type must
    /// convert implicitly).
    pub fn coerce(self, target: &Type, context: &str) -> Result<Expr> {
        match &self.ty {
            // An unknown literal converts now, as PostgreSQL's parser does: a bad literal is
            // an error even where it would never be evaluated (`CASE .. ELSE 'a' END`).
            None if matches!(self.expr, Expr::Literal(Value::Text(_))) => {
                let cast = Expr::Cast(Box::new(self.expr), target.clone());
                match cast.eval(&[]) {
                    Err(e @ Error::InvalidText { .. }) => Err(e),
                    _ => Ok(cast),
                }
            }
            None => Ok(Expr::Cast(Box::new(self.expr), target.clone())),
            Some(t) if t == target => Ok(self.expr),
            Some(t) if implicit_cast(t, target) => Ok(Expr::Cast(
                Box::new(unpadded(self.expr, Some(t), target)),
                target.clone(),
            )),
            Some(t) => Err(Error::mismatch(format!(
                "{context} must be type {}, not type {}",
                type_name(target),
                type_name(t)
            ))),
        }
    }

    /// The type, with unknown resolved to text.
    pub fn resolved_type(&self) -> Type {
        self.ty.clone().unwrap_or(Type::Text)
    }
}

/// Binds `expr` against `scope`.
pub fn bind(expr: &ast::Expr, scope: &Scope) -> Result<Typed> {
    use ast::Expr as E;
    match expr {
        // CURRENT_ROLE and CURRENT_SCHEMA are reserved words for their functions, as CURRENT_USER
        // is; sqlparser reads them as names.
        E::Identifier(ident)
            if ident.quote_style.is_none()
                && ["current_role", "current_schema"]
                    .iter()
                    .any(|k| ident.value.eq_ignore_ascii_case(k)) =>
        {
            let name = ident.value.to_ascii_lowercase();
            system::catalog_function(&name, Vec::new())?.ok_or(Error::Unsupported(name))
        }
        E::Identifier(ident) => column(scope, None, ident),
        E::CompoundIdentifier(parts) => match parts.as_slice() {
            [rel, col] => column(scope, Some(&ident_name(rel)), col),
            [_schema, rel, col] => column(scope, Some(&ident_name(rel)), col),
            _ => Err(Error::Unsupported(format!("column reference {expr}"))),
        },
        E::Value(v) => literal(v),
        E::TypedString { data_type, value } => {
            let ty = sql_type(data_type)?;
            let v = types::cast(Value::Text(value.clone()), &ty)?;
            Ok(builtin::precision_cast(
                data_type,
                Typed::new(Expr::Literal(v), ty),
            ))
        }
        E::Nested(inner) => bind(inner, scope),
        E::BinaryOp { left, op, right } => match (row_items(left), row_items(right)) {
            (Some(l), Some(r)) => bind(&row_comparison(&l, op, &r)?, scope),
            (Some(l), None) if l.len() > 1 && subquery_of(right).is_some() => {
                let query = subquery_of(right).unwrap_or_else(|| unreachable!());
                bind(&row_subquery_comparison(&l, op, query)?, scope)
            }
            _ => {
                let (l, r) = (bind(left, scope)?, bind(right, scope)?);
                match (whole_row_fields(&l, scope), whole_row_fields(&r, scope)) {
                    (Some(l), Some(r)) => whole_row_comparison(l, op, r),
                    _ => binary(l, op, r),
                }
            }
        },
        E::UnaryOp {
            op: ast::UnaryOperator::Minus,
            expr: inner,
        } if matches!(
            &**inner,
            E::BinaryOp {
                op: ast::BinaryOperator::PGExp,
                ..
            }
        ) =>
        {
            // PostgreSQL's unary minus binds tighter than `^` (-2 ^ 2 = 4); sqlparser's
            // does not, so the minus moves onto the leftmost operand.
            bind(&negate_leftmost(inner), scope)
        }
        E::UnaryOp {
            op:
                op @ (ast::UnaryOperator::PGSquareRoot
                | ast::UnaryOperator::PGCubeRoot
                | ast::UnaryOperator::PGAbs),
            expr: inner,
        } => {
            // `|/ x`, `||/ x` and `@ x` are PostgreSQL's operator spellings of sqrt, cbrt and
            // abs.
            let name = match op {
                ast::UnaryOperator::PGSquareRoot => "sqrt",
                ast::UnaryOperator::PGCubeRoot => "cbrt",
                _ => "abs",
            };
            bind(&ast_call(name, std::slice::from_ref(inner)), scope)
        }
        E::UnaryOp { op, expr } => unary(*op, bind(expr, scope)?),
        E::IsNull(e) | E::IsNotNull(e) => {
            let negated = matches!(expr, E::IsNotNull(_));
            match row_items(e) {
                Some(items) if !items.is_empty() => row_is_null(&items, negated, scope),
                _ => {
                    let bound = bind(e, scope)?;
                    // A whole-row reference `t IS [NOT] NULL` tests every field, as ROW(...)
                    // does: the row is NULL when all are, NOT NULL when none is.
                    if let Some(fields) = whole_row_fields(&bound, scope) {
                        return Ok(all_fields_null(fields, negated));
                    }
                    Ok(Typed::new(
                        Expr::IsNull(Box::new(bound.expr), negated),
                        Type::Bool,
                    ))
                }
            }
        }
        E::IsUnknown(e) | E::IsNotUnknown(e) => {
            let negated = matches!(expr, E::IsNotUnknown(_));
            let test = boolean(bind(e, scope)?, "IS UNKNOWN")?;
            Ok(Typed::new(
                Expr::IsNull(Box::new(test), negated),
                Type::Bool,
            ))
        }
        E::IsTrue(e) => is_bool(bind(e, scope)?, true, false),
        E::IsFalse(e) => is_bool(bind(e, scope)?, false, false),
        E::IsNotTrue(e) => is_bool(bind(e, scope)?, true, true),
        E::IsNotFalse(e) => is_bool(bind(e, scope)?, false, true),
        E::IsDistinctFrom(l, r) | E::IsNotDistinctFrom(l, r) => {
            let negated = matches!(expr, E::IsNotDistinctFrom(..));
            let (l, r) = (bind(l, scope)?, bind(r, scope)?);
            match (whole_row_fields(&l, scope), whole_row_fields(&r, scope)) {
                (Some(l), Some(r)) => whole_rows_distinct(l, r, negated),
                _ => distinct_from(l, r, negated),
            }
        }
        E::Between {
            expr,
            negated,
            low,
            high,
        } => between(scope, expr, *negated, low, high),
        E::InList {
            expr,
            list,
            negated,
        } => match row_items(expr) {
            Some(row) => bind(&row_in_list(&row, list, *negated)?, scope),
            None => in_list(scope, expr, list, *negated),
        },
        // `LIKE ANY (ARRAY[...])` parses with `any` set, `LIKE ALL (...)` as a call of all().
        E::Like {
            negated,
            any,
            expr: operand,
            pattern,
            escape_char,
        }
        | E::ILike {
            negated,
            any,
            expr: operand,
            pattern,
            escape_char,
        } if !*any || like_quantified(pattern).is_some() => {
            let ilike = matches!(expr, E::ILike { .. });
            let escape = escape_char.as_deref();
            if like_quantified(pattern).is_some() {
                like_any(scope, operand, pattern, escape, *negated, ilike)
            } else {
                like(scope, operand, pattern, escape, *negated, ilike)
            }
        }
        E::SimilarTo {
            negated,
            expr,
            pattern,
            escape_char,
        } => similar_to(scope, expr, pattern, escape_char.as_deref(), *negated),
        E::Case {
            operand,
            conditions,
            results,
            else_result,
        } => case(
            scope,
            operand.as_deref(),
            conditions,
            results,
            else_result.as_deref(),
        ),
        E::Cast {
            expr,
            data_type,
            format: None,
            kind,
        } => {
            // A cast to a domain is the cast to its base type, then the domain's checks.
            if let Some((key, domain)) = crate::catalog::domain_of(data_type) {
                let base = E::Cast {
                    kind: kind.clone(),
                    expr: expr.clone(),
                    data_type: crate::params::data_type(&domain.base)?,
                    format: None,
                };
                let t = bind(&base, scope)?;
                return Ok(Typed {
                    expr: super::domain::checked(t.expr, &key)?,
                    ty: t.ty,
                });
            }
            let ty = match system::cast_target(data_type)? {
                system::CastTarget::Regclass => {
                    return system::cast_to_reg(bind(expr, scope)?, true)
                }
                system::CastTarget::Regtype => {
                    return system::cast_to_reg(bind(expr, scope)?, false)
                }
                system::CastTarget::Regproc => return system::cast_to_regproc(bind(expr, scope)?),
                system::CastTarget::Regname(kind) => {
                    return system::cast_to_regname(bind(expr, scope)?, kind)
                }
                system::CastTarget::Plain(ty) => ty,
            };
            let inner = bind(expr, scope)?;
            if ty.is_text() {
                if let Some(name) = system::reg_to_text(&inner)? {
                    return Ok(name);
                }
            }
            // A whole-row reference as text is the record's text, `(1,"b c")`.
            let inner = if ty.is_text() {
                whole_row_as_record(inner)
            } else {
                inner
            };
            // json converts only to text and jsonb; jsonb also to a boolean or a number.
            let convertible = match &inner.ty {
                Some(Type::Json) => ty.is_text() || ty == Type::Jsonb,
                Some(Type::Jsonb) => {
                    ty.is_text()
                        || matches!(ty, Type::Json | Type::Bool)
                        || numeric_rank(&ty).is_some()
                }
                _ => true,
            };
            if !convertible {
                return Err(Error::invalid(
                    "42846",
                    format!(
                        "cannot cast type {} to {}",
                        type_name(&inner.resolved_type()),
                        type_name(&ty)
                    ),
                ));
            }
            let inner_ty = inner.ty.clone();
            let mut inner_expr = unpadded(inner.expr, inner.ty.as_ref(), &ty);
            // A json number becomes an integer through numeric, rounding as PostgreSQL's
            // jsonb-to-int cast does (`'3.5'::jsonb::int` is 4).
            if inner.ty == Some(Type::Jsonb) && matches!(ty, Type::Int2 | Type::Int4 | Type::Int8) {
                let numeric = Type::Numeric {
                    precision_scale: None,
                };
                inner_expr = Expr::Cast(Box::new(inner_expr), numeric);
            }
            let cast = Expr::Cast(Box::new(inner_expr), ty.clone());
            // An explicit cast to varchar(n) truncates where an assignment would fail.
            if let Type::Varchar(Some(n)) = ty {
                let unpadded = unpadded(bind(expr, scope)?.expr, inner_ty.as_ref(), &ty);
                let unlimited = Expr::Cast(Box::new(unpadded), Type::Varchar(None));
                let left = Expr::Function(
                    Function::Left,
                    vec![
                        unlimited,
                        Expr::Literal(Value::Int4(i32::try_from(n).unwrap_or(i32::MAX))),
                    ],
                );
                return Ok(Typed::new(left, ty));
            }
            Ok(builtin::precision_cast(data_type, Typed::new(cast, ty)))
        }
        E::Function(f) => function(scope, f),
        E::Array(a) => builtin::array(scope, &a.elem),
        E::Subscript { expr, subscript } => builtin::subscript(scope, expr, subscript),
        E::Extract { field, expr, .. } => builtin::extract(scope, field, expr),
        E::Interval(iv) => builtin::interval(scope, iv),
        E::AtTimeZone {
            timestamp,
            time_zone,
        } => builtin::at_time_zone(scope, timestamp, time_zone),
        E::Position { expr, r#in } => {
            let args = vec![bind(r#in, scope)?, bind(expr, scope)?];
            if builtin::bytea_handles("position", &args) {
                return builtin::bytea_function("position", args);
            }
            let list = args
                .into_iter()
                .map(|a| text_arg("position", a))
                .collect::<Result<Vec<_>>>()?;
            Ok(Typed::new(
                Expr::Function(Function::Builtin(Builtin::Strpos), list),
                Type::Int4,
            ))
        }
        E::Floor {
            expr,
            field: ast::CeilFloorKind::DateTimeField(ast::DateTimeField::NoDateTime),
        } => floor_ceil("floor", bind(expr, scope)?),
        E::Ceil {
            expr,
            field: ast::CeilFloorKind::DateTimeField(ast::DateTimeField::NoDateTime),
        } => floor_ceil("ceil", bind(expr, scope)?),
        E::Substring {
            expr,
            substring_from: Some(from),
            substring_for: None,
            ..
        } if bind(from, scope)?.ty.as_ref().is_none_or(Type::is_text) => {
            // substring(s from pattern): a POSIX regular expression.
            let list = vec![
                text_arg("substring", bind(expr, scope)?)?,
                text_arg("substring", bind(from, scope)?)?,
            ];
            Ok(Typed::new(
                Expr::Function(Function::Builtin(Builtin::RegexpSubstring), list),
                Type::Text,
            ))
        }
        E::Overlay {
            expr,
            overlay_what,
            overlay_from,
            overlay_for,
        } => {
            let (s, what) = (bind(expr, scope)?, bind(overlay_what, scope)?);
            if builtin::bytea_handles("overlay", &[s.clone(), what.clone()]) {
                let mut args = vec![s, what, bind(overlay_from, scope)?];
                if let Some(count) = overlay_for {
                    args.push(bind(count, scope)?);
                }
                return builtin::bytea_function("overlay", args);
            }
            let mut list = vec![
                text_arg("overlay", s)?,
                text_arg("overlay", what)?,
                bind(overlay_from, scope)?.coerce(&Type::Int4, "overlay")?,
            ];
            if let Some(count) = overlay_for {
                list.push(bind(count, scope)?.coerce(&Type::Int4, "overlay")?);
            }
            Ok(Typed::new(
                Expr::Function(Function::Builtin(Builtin::Overlay), list),
                Type::Text,
            ))
        }
        E::Substring {
            expr,
            substring_from,
            substring_for,
            ..
        } => {
            let s = bind(expr, scope)?;
            if s.ty == Some(Type::Bytea) {
                let mut args = vec![s];
                args.push(match substring_from {
                    Some(f) => bind(f, scope)?,
                    None => Typed::new(Expr::Literal(Value::Int4(1)), Type::Int4),
                });
                if let Some(count) = substring_for {
                    args.push(bind(count, scope)?);
                }
                return builtin::bytea_function("substring", args);
            }
            let mut list = vec![text_arg("substring", s)?];
            let from = match substring_from {
                Some(f) => bind(f, scope)?.coerce(&Type::Int4, "substring")?,
                None => Expr::Literal(Value::Int4(1)),
            };
            list.push(from);
            if let Some(count) = substring_for {
                list.push(bind(count, scope)?.coerce(&Type::Int4, "substring")?);
            }
            Ok(Typed::new(
                Expr::Function(Function::Substr, list),
                Type::Text,
            ))
        }
        E::Trim {
            expr,
            trim_where,
            trim_what,
            trim_characters: None,
        } => {
            let func = match trim_where {
                None | Some(ast::TrimWhereField::Both) => Function::Trim(true, true),
                Some(ast::TrimWhereField::Leading) => Function::Trim(true, false),
                Some(ast::TrimWhereField::Trailing) => Function::Trim(false, true),
            };
            let s = bind(expr, scope)?;
            if s.ty == Some(Type::Bytea) {
                let name = match func {
                    Function::Trim(true, false) => "ltrim",
                    Function::Trim(false, true) => "rtrim",
                    _ => "btrim",
                };
                let mut args = vec![s];
                if let Some(what) = trim_what {
                    args.push(bind(what, scope)?);
                }
                return builtin::bytea_function(name, args);
            }
            let mut list = vec![text_arg("btrim", s)?];
            if let Some(what) = trim_what {
                list.push(text_arg("btrim", bind(what, scope)?)?);
            }
            Ok(Typed::new(Expr::Function(func, list), Type::Text))
        }
        E::Subquery(q) => subquery::scalar(q, scope),
        E::Exists { subquery, negated } => subquery::exists(subquery, *negated, scope),
        E::InSubquery {
            expr,
            subquery,
            negated,
        } if row_items(expr).is_some_and(|items| items.len() > 1) => {
            let items = row_items(expr).unwrap_or_default();
            bind(&row_in_subquery(&items, subquery, *negated)?, scope)
        }
        E::InSubquery {
            expr,
            subquery,
            negated,
        } => {
            let (op, all) = if *negated {
                (BinaryOp::NotEq, true)
            } else {
                (BinaryOp::Eq, false)
            };
            subquery::quantified(bind(expr, scope)?, op, subquery, all, scope)
        }
        E::AnyOp {
            left,
            compare_op,
            right,
            ..
        } => match (row_items(left), subquery_of(right)) {
            (Some(items), Some(query)) if items.len() > 1 => bind(
                &row_quantified_subquery(&items, compare_op, query, false)?,
                scope,
            ),
            _ => quantified(scope, left, compare_op, right, false),
        },
        E::AllOp {
            left,
            compare_op,
            right,
        } => match (row_items(left), subquery_of(right)) {
            (Some(items), Some(query)) if items.len() > 1 => bind(
                &row_quantified_subquery(&items, compare_op, query, true)?,
                scope,
            ),
            _ => quantified(scope, left, compare_op, right, true),
        },
        E::Collate { expr, .. } => bind(expr, scope),
        E::Tuple(items) => record(scope, items),
        // `(t).a`: a field of a whole-row reference is that relation's column.
        E::CompositeAccess { expr: inner, key } => {
            let row = match &**inner {
                E::Nested(row) => &**row,
                row => row,
            };
            match row {
                E::Identifier(relation) => column(scope, Some(&ident_name(relation)), key),
                E::QualifiedWildcard(name) if name.0.len() == 1 => {
                    column(scope, Some(&ident_name(&name.0[0])), key)
                }
                _ => Err(Error::Unsupported(format!("expression {expr}"))),
            }
        }
        // `(t.*)` where a value is expected is the whole row `t`.
        E::QualifiedWildcard(name) if name.0.len() == 1 => {
            let relation = ident_name(&name.0[0]);
            whole_row(scope, None, &relation).ok_or_else(|| {
                Error::invalid(
                    "42P01",
                    format!("missing FROM-clause entry for table \"{relation}\""),
                )
            })
        }
        other => Err(Error::Unsupported(format!("expression {other}"))),
    }
}

fn column(scope: &Scope, relation: Option<&str>, ident: &ast::Ident) -> Result<Typed> {
    let name = ident_name(ident);
    match scope.resolve(relation, &name) {
        Ok(i) => Ok(Typed::new(Expr::Column(i), scope.columns[i].ty.clone())),
        Err(e @ (Error::UndefinedColumn(_) | Error::InvalidStatement { .. })) => {
            match context::resolve_outer(relation, &name) {
                Some((level, index, column)) => {
                    Ok(Typed::new(Expr::Outer { level, index }, column.ty))
                }
                None => whole_row(scope, relation, &name)
                    .or_else(|| outer_whole_row(relation, &name))
                    .ok_or(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// A whole-row reference `t` (a FROM item's name where a column was expected), as the json
/// object of its columns (`row_to_json`'s form): what `to_jsonb(t)`, `row_to_json(t)` and
/// `json_agg(t)` take. vdb has no record type, so the row travels as json.
fn whole_row(scope: &Scope, relation: Option<&str>, name: &str) -> Option<Typed> {
    if relation.is_some() {
        return None;
    }
    let mut visible = scope
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.relation.as_deref() == Some(name) && !c.hidden);
    if let (Some((i, c)), None) = (visible.next(), visible.next()) {
        if c.scalar_function {
            return Some(Typed::new(Expr::Column(i), c.ty.clone()));
        }
    }
    let mut args = Vec::new();
    for (i, c) in scope.columns.iter().enumerate() {
        if c.relation.as_deref() == Some(name) && !c.hidden {
            args.push(Expr::Literal(Value::Text(c.name.clone())));
            args.push(Expr::Function(
                Function::Builtin(Builtin::JsonArg {
                    raw: builtin::is_json(&Some(c.ty.clone())),
                }),
                vec![Expr::Column(i)],
            ));
        }
    }
    if args.is_empty() {
        return None;
    }
    Some(Typed::new(
        Expr::Function(Function::Builtin(Builtin::RowJson), args),
        Type::Json,
    ))
}

/// A whole-row reference to an enclosing query's FROM item, its columns read as outer
/// references.
fn outer_whole_row(relation: Option<&str>, name: &str) -> Option<Typed> {
    fn columns_to_outer(e: &mut Expr, level: usize) {
        if let Expr::Column(index) = *e {
            *e = Expr::Outer { level, index };
            return;
        }
        for child in e.children_mut() {
            columns_to_outer(child, level);
        }
    }
    let (level, mut typed) = context::resolve_outer_with(|s| whole_row(s, relation, name))?;
    columns_to_outer(&mut typed.expr, level);
    Some(typed)
}

/// A select-list item that is a whole-row reference prints as PostgreSQL prints a record,
/// `(1,"b c")`, rather than as the json object the reference is bound to (which is what the
/// json functions that take rows want).
pub fn whole_row_as_record(t: Typed) -> Typed {
    let Expr::Function(Function::Builtin(Builtin::RowJson), args) = &t.expr else {
        return t;
    };
    let columns: Option<Vec<Expr>> = args
        .chunks(2)
        .map(|pair| match pair {
            [_, Expr::Function(Function::Builtin(Builtin::JsonArg { .. }), inner)] => {
                inner.first().cloned()
            }
            _ => None,
        })
        .collect();
    match columns {
        Some(columns) => Typed::new(
            Expr::Function(Function::Builtin(Builtin::RecordText), columns),
            Type::Text,
        ),
        None => t,
    }
}

/// The fields of a whole-row reference `t` of the current query level (bound as the json object
/// [`Builtin::RowJson`] builds), typed from `scope`; `None` for any other expression.
fn whole_row_fields(t: &Typed, scope: &Scope) -> Option<Vec<Typed>> {
    let Expr::Function(Function::Builtin(Builtin::RowJson), args) = &t.expr else {
        return None;
    };
    args.chunks(2)
        .map(|pair| match pair {
            [_, Expr::Function(Function::Builtin(Builtin::JsonArg { .. }), inner)] => {
                match inner.as_slice() {
                    [Expr::Column(i)] => scope
                        .columns
                        .get(*i)
                        .map(|c| Typed::new(Expr::Column(*i), c.ty.clone())),
                    _ => None,
                }
            }
            _ => None,
        })
        .collect()
}

/// 42804 unless two rows have as many fields.
fn same_width(l: &[Typed], r: &[Typed]) -> Result<()> {
    if l.len() == r.len() {
        return Ok(());
    }
    Err(Error::invalid(
        "42804",
        "cannot compare record types with different numbers of columns",
    ))
}

/// `t1 op t2` for two whole-row references. Whole rows compare as PostgreSQL's record
/// operators do (not as row constructors): field by field, NULL equal to NULL and greater than
/// any value, so the answer is never NULL.
fn whole_row_comparison(
    left: Vec<Typed>,
    op: &ast::BinaryOperator,
    right: Vec<Typed>,
) -> Result<Typed> {
    use ast::BinaryOperator as Op;
    same_width(&left, &right)?;
    let (strict, or_equal) = match op {
        Op::Eq => return whole_rows_distinct(left, right, true),
        Op::NotEq => return whole_rows_distinct(left, right, false),
        Op::Lt => (BinaryOp::Lt, false),
        Op::LtEq => (BinaryOp::Lt, true),
        Op::Gt => (BinaryOp::Gt, false),
        Op::GtEq => (BinaryOp::Gt, true),
        other => {
            return Err(Error::Unsupported(format!(
                "operator {other} on row expressions"
            )))
        }
    };
    // From the last field back: `l strict r OR (l = r AND rest)`, the last field's rest being
    // whether equal rows count.
    let mut out = Expr::Literal(Value::Bool(or_equal));
    for (l, r) in left.into_iter().zip(right).rev() {
        let (le, re) = (l.expr.clone(), r.expr.clone());
        let same = distinct_from(l.clone(), r.clone(), true)?.expr;
        // NULL sorts last: below a NULL for `<`, above a value for `>`.
        let (left_null, right_null) = if strict == BinaryOp::Lt {
            (
                Expr::Literal(Value::Bool(false)),
                Expr::Literal(Value::Bool(true)),
            )
        } else {
            (
                Expr::IsNull(Box::new(re.clone()), true),
                Expr::Literal(Value::Bool(false)),
            )
        };
        let before = Expr::Case {
            operand: None,
            whens: vec![
                (Expr::IsNull(Box::new(le), false), left_null),
                (Expr::IsNull(Box::new(re), false), right_null),
            ],
            otherwise: Some(Box::new(make_binary(strict, l, r)?.expr)),
        };
        out = Expr::Binary(
            BinaryOp::Or,
            Box::new(before),
            Box::new(Expr::Binary(BinaryOp::And, Box::new(same), Box::new(out))),
        );
    }
    Ok(Typed::new(out, Type::Bool))
}

/// `t1 IS [NOT] DISTINCT FROM t2` for two whole-row references: whether some field differs.
fn whole_rows_distinct(left: Vec<Typed>, right: Vec<Typed>, negated: bool) -> Result<Typed> {
    same_width(&left, &right)?;
    let mut any: Option<Typed> = None;
    for (l, r) in left.into_iter().zip(right) {
        let differs = distinct_from(l, r, false)?;
        any = Some(match any {
            None => differs,
            Some(a) => binary(a, &ast::BinaryOperator::Or, differs)?,
        });
    }
    let any = any.ok_or_else(|| Error::Unsupported("comparison of empty rows".into()))?;
    if negated {
        Ok(Typed::new(Expr::Not(Box::new(any.expr)), Type::Bool))
    } else {
        Ok(any)
    }
}

/// `left op ANY/ALL (right)`: over a subquery's rows or an array's elements.
fn quantified(
    scope: &Scope,
    left: &ast::Expr,
    op: &ast::BinaryOperator,
    right: &ast::Expr,
    all: bool,
) -> Result<Typed> {
    let left = bind(left, scope)?;
    let Typed { expr, .. } = binary(
        left.clone(),
        op,
        Typed {
            expr: Expr::Literal(Value::Null),
            ty: left.ty.clone(),
        },
    )?;
    let Expr::Binary(op, _, _) = expr else {
        return Err(Error::Unsupported(format!("operator {op} with ANY/ALL")));
    };
    let inner = match right {
        ast::Expr::Nested(inner) => inner.as_ref(),
        other => other,
    };
    if let ast::Expr::Subquery(q) = inner {
        return subquery::quantified(left, op, q, all, scope);
    }
    let array = bind(inner, scope)?;
    let element = match &array.ty {
        Some(Type::Array(e)) => (**e).clone(),
        None => left.resolved_type(),
        Some(other) => {
            return Err(Error::invalid(
                "42809",
                format!(
                    "op ANY/ALL (array) requires array on right side, not {}",
                    type_name(other)
                ),
            ))
        }
    };
    let array_ty = Type::Array(Box::new(element.clone()));
    let array = array.coerce(&array_ty, "ANY/ALL")?;
    let probe = make_binary(op, left, Typed::new(Expr::Literal(Value::Null), element))?;
    let left = match probe.expr {
        Expr::Binary(_, l, _) => *l,
        other => other,
    };
    Ok(Typed::new(
        Expr::Quantified {
            left: Box::new(left),
            op,
            array: Box::new(array),
            all,
        },
        Type::Bool,
    ))
}

fn literal(v: &ast::Value) -> Result<Typed> {
    use ast::Value as V;
    match v {
        V::Number(text, _) => {
            let value = types::number_literal(text)?;
            let ty = value_type(&value).unwrap_or(Type::Text);
            Ok(Typed::new(Expr::Literal(value), ty))
        }
        V::SingleQuotedString(s)
        | V::EscapedStringLiteral(s)
        | V::UnicodeStringLiteral(s)
        | V::DollarQuotedString(ast::DollarQuotedString { value: s, .. }) => Ok(Typed {
            expr: Expr::Literal(Value::Text(s.clone())),
            ty: None,
        }),
        V::Boolean(b) => Ok(Typed::new(Expr::Literal(Value::Bool(*b)), Type::Bool)),
        V::Null => Ok(Typed {
            expr: Expr::Literal(Value::Null),
            ty: None,
        }),
        V::Placeholder(p) => {
            let n = p
                .strip_prefix('$')
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| *n >= 1)
                .ok_or_else(|| Error::invalid("42P02", format!("there is no parameter {p}")))?;
            Ok(Typed {
                expr: Expr::Param(n - 1),
                ty: context::param_type(n - 1),
            })
        }
        other => Err(Error::Unsupported(format!("literal {other}"))),
    }
}

/// Coerces an operand to boolean for AND/OR/NOT/WHERE, with PostgreSQL's error.
pub fn boolean(t: Typed, context: &str) -> Result<Expr> {
    t.coerce(&Type::Bool, &format!("argument of {context}"))
}

fn binary(l: Typed, op: &ast::BinaryOperator, r: Typed) -> Result<Typed> {
    use ast::BinaryOperator as B;
    let (l, r) = match super::range::operator(l, op, r)? {
        Ok(bound) => return Ok(bound),
        Err(operands) => operands,
    };
    let op = match op {
        B::Plus => BinaryOp::Add,
        B::Minus => BinaryOp::Sub,
        B::Multiply => BinaryOp::Mul,
        B::Divide => BinaryOp::Div,
        B::Modulo => BinaryOp::Mod,
        B::Eq => BinaryOp::Eq,
        B::NotEq => BinaryOp::NotEq,
        B::Lt => BinaryOp::Lt,
        B::LtEq => BinaryOp::LtEq,
        B::Gt => BinaryOp::Gt,
        B::GtEq => BinaryOp::GtEq,
        B::And => BinaryOp::And,
        B::Or => BinaryOp::Or,
        B::StringConcat => BinaryOp::Concat,
        B::PGRegexMatch => return regex(l, r, false, false),
        B::PGRegexIMatch => return regex(l, r, false, true),
        B::PGRegexNotMatch => return regex(l, r, true, false),
        B::PGRegexNotIMatch => return regex(l, r, true, true),
        B::PGLikeMatch => return like_typed(l, r, false, false),
        B::PGILikeMatch => return like_typed(l, r, false, true),
        B::PGNotLikeMatch => return like_typed(l, r, true, false),
        B::PGNotILikeMatch => return like_typed(l, r, true, true),
        B::PGStartsWith => {
            let list = vec![l.coerce(&Type::Text, "^@")?, r.coerce(&Type::Text, "^@")?];
            return Ok(Typed::new(
                Expr::Function(Function::Builtin(Builtin::StartsWith), list),
                Type::Bool,
            ));
        }
        B::PGCustomBinaryOperator(parts)
            if parts.len() == 2 && parts[0].eq_ignore_ascii_case("pg_catalog") =>
        {
            let op = match parts[1].as_str() {
                "~" => B::PGRegexMatch,
                "~*" => B::PGRegexIMatch,
                "!~" => B::PGRegexNotMatch,
                "!~*" => B::PGRegexNotIMatch,
                "=" => B::Eq,
                "<>" => B::NotEq,
                "<" => B::Lt,
                "<=" => B::LtEq,
                ">" => B::Gt,
                ">=" => B::GtEq,
                "||" => B::StringConcat,
                "~~" => {
                    return like_typed(l, r, false, false);
                }
                other => return Err(Error::Unsupported(format!("operator pg_catalog.{other}"))),
            };
            return binary(l, &op, r);
        }
        B::Arrow | B::LongArrow | B::HashArrow | B::HashLongArrow => BinaryOp::JsonGet {
            text: matches!(op, B::LongArrow | B::HashLongArrow),
            path: matches!(op, B::HashArrow | B::HashLongArrow),
            jsonb: true,
        },
        B::AtArrow => BinaryOp::Contains,
        B::ArrowAt => BinaryOp::ContainedBy,
        B::Question => BinaryOp::JsonExists,
        B::QuestionPipe | B::QuestionAnd | B::HashMinus => {
            let (f, key) = match op {
                B::HashMinus => (Builtin::JsonbDeletePath, Type::Array(Box::new(Type::Text))),
                _ => (
                    Builtin::JsonbExistsAny {
                        all: matches!(op, B::QuestionAnd),
                    },
                    Type::Array(Box::new(Type::Text)),
                ),
            };
            let ty = if f == Builtin::JsonbDeletePath {
                Type::Jsonb
            } else {
                Type::Bool
            };
            let list = vec![l.coerce(&Type::Jsonb, "")?, r.coerce(&key, "")?];
            return Ok(Typed::new(Expr::Function(Function::Builtin(f), list), ty));
        }
        B::PGOverlap => BinaryOp::Overlap,
        B::AtQuestion | B::AtAt => {
            let f = if matches!(op, B::AtQuestion) {
                Builtin::JsonPathExists
            } else {
                Builtin::JsonPathMatch
            };
            // The operators are silent: an error evaluating the path is NULL.
            let list = vec![
                l.coerce(&Type::Jsonb, "")?,
                text_arg("jsonpath", r)?,
                Expr::Literal(Value::Text("{}".into())),
                Expr::Literal(Value::Bool(true)),
            ];
            return Ok(Typed::new(
                Expr::Function(Function::Builtin(f), list),
                Type::Bool,
            ));
        }
        B::PGExp => return builtin::compat_operator("^", l, r),
        B::BitwiseAnd => return builtin::compat_operator("&", l, r),
        B::BitwiseOr => return builtin::compat_operator("|", l, r),
        B::PGBitwiseXor => return builtin::compat_operator("#", l, r),
        B::PGBitwiseShiftLeft => return builtin::compat_operator("<<", l, r),
        B::PGBitwiseShiftRight => return builtin::compat_operator(">>", l, r),
        other => return Err(Error::Unsupported(format!("operator {other}"))),
    };
    make_binary(op, l, r)
}

/// `l ~ r` and its forms: both sides text.
fn regex(l: Typed, r: Typed, negated: bool, case_insensitive: bool) -> Result<Typed> {
    let text = |t: Typed| -> Result<Expr> {
        match &t.ty {
            Some(ty) if !ty.is_text() => Err(Error::undefined_function(format!(
                "operator does not exist: {} ~ unknown",
                type_name(ty)
            ))),
            _ => t.coerce(&Type::Text, "~"),
        }
    };
    Ok(Typed::new(
        Expr::Regex {
            expr: Box::new(text(l)?),
            pattern: Box::new(text(r)?),
            negated,
            case_insensitive,
        },
        Type::Bool,
    ))
}

/// `l ~~ r` (LIKE) over bound operands.
fn like_typed(l: Typed, r: Typed, negated: bool, ci: bool) -> Result<Typed> {
    Ok(Typed::new(
        Expr::Like {
            expr: Box::new(l.coerce(&Type::Text, "LIKE")?),
            pattern: Box::new(r.coerce(&Type::Text, "LIKE")?),
            negated,
            case_insensitive: ci,
        },
        Type::Bool,
    ))
}

/// Builds `l op r` with PostgreSQL's operand resolution.
pub fn make_binary(op: BinaryOp, l: Typed, r: Typed) -> Result<Typed> {
    // time converts implicitly to interval (an implicit pg_cast), so `timestamp + time` is
    // `timestamp + interval`, as PostgreSQL resolves it.
    let timestamp = |t: &Typed| matches!(t.ty, Some(Type::Timestamp | Type::TimestampTz));
    let as_interval =
        |t: Typed| Typed::new(Expr::Cast(Box::new(t.expr), Type::Interval), Type::Interval);
    let (l, r) = match op {
        BinaryOp::Add | BinaryOp::Sub if timestamp(&l) && r.ty == Some(Type::Time) => {
            (l, as_interval(r))
        }
        BinaryOp::Add if l.ty == Some(Type::Time) && timestamp(&r) => (as_interval(l), r),
        _ => (l, r),
    };
    if let Some(bound) = builtin::operator(op, &l, &r) {
        return bound;
    }
    let node = |l: Expr, r: Expr| Expr::Binary(op, Box::new(l), Box::new(r));
    match op {
        BinaryOp::And | BinaryOp::Or => {
            let name = if op == BinaryOp::And { "AND" } else { "OR" };
            Ok(Typed::new(
                node(boolean(l, name)?, boolean(r, name)?),
                Type::Bool,
            ))
        }
        BinaryOp::Concat
            if matches!(l.ty, Some(Type::Array(_))) || matches!(r.ty, Some(Type::Array(_))) =>
        {
            let ty =
                l.ty.clone()
                    .filter(|t| matches!(t, Type::Array(_)))
                    .or_else(|| r.ty.clone())
                    .unwrap_or(Type::Array(Box::new(Type::Text)));
            // An element on either side is appended or prepended as it is.
            let side = |t: Typed| match &t.ty {
                Some(Type::Array(_)) | None => t.coerce(&ty, "||"),
                Some(_) => Ok(t.expr),
            };
            let (l, r) = (side(l)?, side(r)?);
            Ok(Typed::new(
                Expr::Function(Function::ArrayCat, vec![l, r]),
                ty,
            ))
        }
        BinaryOp::Concat
            if [&l.ty, &r.ty].contains(&&Some(Type::Bytea))
                && [&l.ty, &r.ty]
                    .iter()
                    .all(|t| matches!(t, None | Some(Type::Bytea))) =>
        {
            let list = vec![l.coerce(&Type::Bytea, "||")?, r.coerce(&Type::Bytea, "||")?];
            Ok(Typed::new(
                Expr::Function(Function::Builtin(Builtin::ByteaConcat), list),
                Type::Bytea,
            ))
        }
        BinaryOp::Concat => {
            // `text || anynonarray` and its mirror: one side must be a string or untyped.
            if let (Some(a), Some(b)) = (&l.ty, &r.ty) {
                if !a.is_text() && !b.is_text() {
                    return Err(operator_error(op, a, b, false));
                }
            }
            let l = if l.ty.is_none() {
                l.coerce(&Type::Text, "")?
            } else {
                l.expr
            };
            let r = if r.ty.is_none() {
                r.coerce(&Type::Text, "")?
            } else {
                r.expr
            };
            Ok(Typed::new(node(l, r), Type::Text))
        }
        _ => {
            let comparison = !matches!(
                op,
                BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod
            );
            let (mut lt, mut rt) = operand_types(op, &l, &r)?;
            let result = if comparison {
                Type::Bool
            } else {
                arithmetic_type(&lt, &rt)
            };
            if result == Type::Float8 && (lt == Type::Float4 || rt == Type::Float4) {
                (lt, rt) = (Type::Float8, Type::Float8);
            }
            let (mut le, mut re) = (l.coerce(&lt, "")?, r.coerce(&rt, "")?);
            // char(n) compares without its padding against char(n), varchar or an untyped
            // literal ('ab'::char(4) = 'ab'::char(2)); against text it became text above.
            if comparison
                && (matches!(lt, Type::Char(_)) || matches!(rt, Type::Char(_)))
                && lt.is_text()
                && rt.is_text()
            {
                let trim = |e: Expr| Expr::Function(Function::Trim(false, true), vec![e]);
                (le, re) = (trim(le), trim(re));
            }
            // Enums compare by their labels' order, not as text.
            if matches!(lt, Type::Enum(_)) && lt == rt {
                le = types::enums::position(le, &lt);
                re = types::enums::position(re, &rt);
            }
            Ok(Typed::new(node(le, re), result))
        }
    }
}

/// `expr` of type `from` as it converts to `to`: a char(n) value loses its trailing blanks
/// on its way to text or varchar, as in PostgreSQL (`'ab '::char(4)::text` is `ab`).
pub(super) fn unpadded(expr: Expr, from: Option<&Type>, to: &Type) -> Expr {
    if matches!(from, Some(Type::Char(_))) && matches!(to, Type::Text | Type::Varchar(_)) {
        Expr::Function(Function::Trim(false, true), vec![expr])
    } else {
        expr
    }
}

/// The types both operands are coerced to: an unknown side takes the other's type; known sides
/// must both be numeric, both text, or the same type.
fn operand_types(op: BinaryOp, l: &Typed, r: &Typed) -> Result<(Type, Type)> {
    let comparison = !matches!(
        op,
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod
    );
    match (&l.ty, &r.ty) {
        (None, None) if comparison => Ok((Type::Text, Type::Text)),
        (None, None) => Err(operator_error(op, &Type::Text, &Type::Text, true)),
        (Some(t), None) | (None, Some(t)) => {
            // The unknown side takes the other's type without its length or precision, as
            // PostgreSQL resolves it: `varchar5_col = 'longer text'` is false, not an error.
            let t = &base_type(t);
            if !comparison && numeric_rank(t).is_none() {
                return Err(operator_error(op, t, t, false));
            }
            Ok((t.clone(), t.clone()))
        }
        (Some(a), Some(b)) => {
            let both_numeric = numeric_rank(a).is_some() && numeric_rank(b).is_some();
            let enums = matches!(a, Type::Enum(_)) || matches!(b, Type::Enum(_));
            let ok = both_numeric
                || (comparison && (a == b || (!enums && a.is_text() && b.is_text())))
                || (comparison
                    && matches!(
                        (a, b),
                        (Type::Date, Type::Timestamp) | (Type::Timestamp, Type::Date)
                    ));
            if !ok {
                return Err(operator_error(op, a, b, false));
            }
            if comparison
                && (matches!(
                    (a, b),
                    (Type::Date, Type::Timestamp) | (Type::Timestamp, Type::Date)
                ))
            {
                return Ok((Type::Timestamp, Type::Timestamp));
            }
            // char(n) against text compares as text, the char side losing its padding.
            if comparison
                && matches!(
                    (a, b),
                    (Type::Char(_), Type::Text) | (Type::Text, Type::Char(_))
                )
            {
                return Ok((Type::Text, Type::Text));
            }
            Ok((a.clone(), b.clone()))
        }
    }
}

/// A type without its modifier: `varchar(n)` → `varchar`, `numeric(p,s)` → `numeric`.
pub(super) fn base_type(t: &Type) -> Type {
    match t {
        Type::Varchar(_) => Type::Varchar(None),
        Type::Numeric { .. } => Type::Numeric {
            precision_scale: None,
        },
        other => other.clone(),
    }
}

fn operator_error(op: BinaryOp, a: &Type, b: &Type, unknown: bool) -> Error {
    if unknown {
        return Error::invalid(
            "42725",
            format!("operator is not unique: unknown {op} unknown"),
        );
    }
    Error::undefined_function(format!(
        "operator does not exist: {} {op} {}",
        type_name(a),
        type_name(b)
    ))
}

/// The result type of arithmetic: the wider operand (numeric with float is double precision).
fn arithmetic_type(a: &Type, b: &Type) -> Type {
    let (ra, rb) = (numeric_rank(a).unwrap_or(0), numeric_rank(b).unwrap_or(0));
    let wide = if ra >= rb { a } else { b };
    match wide {
        Type::Numeric { .. } => Type::Numeric {
            precision_scale: None,
        },
        // float4 with any other numeric type resolves to float8 (PostgreSQL's preferred type).
        Type::Float4 if a != b => Type::Float8,
        other => other.clone(),
    }
}

/// `ROW(a, b)` / `(a, b)` as a value: its text form `(1,a)` (vdb has no record type, so the
/// row travels as text; `pg_typeof` still answers `record`).
pub(super) fn record(scope: &Scope, items: &[ast::Expr]) -> Result<Typed> {
    let list = items
        .iter()
        .map(|e| {
            let t = bind(e, scope)?;
            Ok(match t.ty {
                None => t.coerce(&Type::Text, "ROW")?,
                // A json field keeps its type visible (a cast to itself), so that the row
                // made json (`row_to_json(ROW(...))`) embeds it rather than quoting it.
                Some(ty @ (Type::Json | Type::Jsonb)) => Expr::Cast(Box::new(t.expr), ty),
                Some(_) => t.expr,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Typed::new(
        Expr::Function(Function::Builtin(Builtin::RecordText), list),
        Type::Text,
    ))
}

/// `-<literal>` folded as PostgreSQL's grammar does it, on the literal's text: the sign is
/// toggled and the text typed again, so -2147483648 is an integer and -(-2147483648) a bigint.
fn negate_literal(t: &Typed) -> Option<Typed> {
    let Expr::Literal(v @ (Value::Int4(_) | Value::Int8(_) | Value::Numeric(_))) = &t.expr else {
        if let (Expr::Literal(v), Some(_)) = (&t.expr, &t.ty) {
            let negated = Expr::Negate(Box::new(Expr::Literal(v.clone())))
                .eval(&[])
                .ok()?;
            return Some(Typed {
                expr: Expr::Literal(negated),
                ty: t.ty.clone(),
            });
        }
        return None;
    };
    let text = types::to_pg_text(v)?;
    let negated = match text.strip_prefix('-') {
        Some(rest) => rest.to_string(),
        None => format!("-{text}"),
    };
    let integer = !matches!(v, Value::Numeric(_)) || !negated.contains(['.', 'e', 'N', 'I']);
    if integer {
        if let Ok(n) = negated.parse::<i32>() {
            return Some(Typed::new(Expr::Literal(Value::Int4(n)), Type::Int4));
        }
        if let Ok(n) = negated.parse::<i64>() {
            return Some(Typed::new(Expr::Literal(Value::Int8(n)), Type::Int8));
        }
    }
    let n = negated.parse::<vdb_engine::value::Numeric>().ok()?;
    Some(Typed::new(
        Expr::Literal(Value::Numeric(n)),
        Type::Numeric {
            precision_scale: None,
        },
    ))
}

/// `a ^ b ^ c` with the minus in front moved onto `a`.
fn negate_leftmost(e: &ast::Expr) -> ast::Expr {
    match e {
        ast::Expr::BinaryOp {
            left,
            op: op @ ast::BinaryOperator::PGExp,
            right,
        } => ast::Expr::BinaryOp {
            left: Box::new(negate_leftmost(left)),
            op: op.clone(),
            right: right.clone(),
        },
        other => ast::Expr::UnaryOp {
            op: ast::UnaryOperator::Minus,
            expr: Box::new(other.clone()),
        },
    }
}

/// The call `name(args...)` as sqlparser would have parsed it; `name` may be schema-qualified.
pub(crate) fn ast_call(name: &str, args: &[ast::Expr]) -> ast::Expr {
    ast::Expr::Function(ast::Function {
        name: ast::ObjectName(name.split('.').map(ast::Ident::new).collect()),
        parameters: ast::FunctionArguments::None,
        args: ast::FunctionArguments::List(ast::FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .iter()
                .map(|a| ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(a.clone())))
                .collect(),
            clauses: Vec::new(),
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: Vec::new(),
    })
}

fn unary(op: ast::UnaryOperator, t: Typed) -> Result<Typed> {
    match op {
        ast::UnaryOperator::Not => Ok(Typed::new(
            Expr::Not(Box::new(boolean(t, "NOT")?)),
            Type::Bool,
        )),
        ast::UnaryOperator::Plus => Ok(t),
        ast::UnaryOperator::Minus => {
            // Fold `-<literal>` so that -2147483648 is an integer, as PostgreSQL's lexer does.
            if let Some(folded) = negate_literal(&t) {
                return Ok(folded);
            }
            let Some(ty) = t.ty.clone() else {
                return Err(Error::invalid("42725", "operator is not unique: - unknown"));
            };
            if numeric_rank(&ty).is_none() && ty != Type::Interval {
                return Err(Error::undefined_function(format!(
                    "operator does not exist: - {}",
                    type_name(&ty)
                )));
            }
            Ok(Typed::new(Expr::Negate(Box::new(t.coerce(&ty, "")?)), ty))
        }
        ast::UnaryOperator::PGBitwiseNot => builtin::bitwise_not(t),
        // PostgreSQL 14 removed the factorial operators.
        ast::UnaryOperator::PGPostfixFactorial | ast::UnaryOperator::PGPrefixFactorial => Err(
            Error::invalid("42601", format!("syntax error at or near \"{op}\"")),
        ),
        other => Err(Error::Unsupported(format!("operator {other}"))),
    }
}

fn is_bool(t: Typed, value: bool, negated: bool) -> Result<Typed> {
    let e = boolean(t, "IS TRUE")?;
    // x IS TRUE ≡ coalesce(x = true, false); IS NOT TRUE is its negation.
    let eq = Expr::Binary(
        BinaryOp::Eq,
        Box::new(e),
        Box::new(Expr::Literal(Value::Bool(value))),
    );
    let test = Expr::Coalesce(vec![eq, Expr::Literal(Value::Bool(false))]);
    let test = if negated {
        Expr::Not(Box::new(test))
    } else {
        test
    };
    Ok(Typed::new(test, Type::Bool))
}

/// `l IS [NOT] DISTINCT FROM r`: equality in which NULL equals NULL, as
/// `CASE WHEN l IS NULL THEN r IS NOT NULL WHEN r IS NULL THEN true ELSE l <> r END`.
fn distinct_from(l: Typed, r: Typed, negated: bool) -> Result<Typed> {
    let (le, re) = (l.expr.clone(), r.expr.clone());
    let ne = make_binary(BinaryOp::NotEq, l, r)?.expr;
    let test = Expr::Case {
        operand: None,
        whens: vec![
            (
                Expr::IsNull(Box::new(le), false),
                Expr::IsNull(Box::new(re.clone()), true),
            ),
            (
                Expr::IsNull(Box::new(re), false),
                Expr::Literal(Value::Bool(true)),
            ),
        ],
        otherwise: Some(Box::new(ne)),
    };
    let test = if negated {
        Expr::Not(Box::new(test))
    } else {
        test
    };
    Ok(Typed::new(test, Type::Bool))
}

fn between(
    scope: &Scope,
    expr: &ast::Expr,
    negated: bool,
    low: &ast::Expr,
    high: &ast::Expr,
) -> Result<Typed> {
    let e = bind(expr, scope)?;
    let (low, symmetric) = super::expression_syntax::take_symmetric(low);
    let (low, high) = (bind(low, scope)?, bind(high, scope)?);
    let within = |low: Typed, high: Typed| {
        let lo = make_binary(BinaryOp::GtEq, e.clone(), low)?;
        let hi = make_binary(BinaryOp::LtEq, e.clone(), high)?;
        make_binary(BinaryOp::And, lo, hi)
    };
    let both = if symmetric {
        // PostgreSQL's reading: either order of the bounds.
        let forward = within(low.clone(), high.clone())?;
        make_binary(BinaryOp::Or, forward, within(high, low)?)?
    } else {
        within(low, high)?
    };
    if negated {
        return Ok(Typed::new(Expr::Not(Box::new(both.expr)), Type::Bool));
    }
    Ok(both)
}

fn in_list(scope: &Scope, expr: &ast::Expr, list: &[ast::Expr], negated: bool) -> Result<Typed> {
    let e = bind(expr, scope)?;
    let items = list
        .iter()
        .map(|x| bind(x, scope))
        .collect::<Result<Vec<_>>>()?;
    let ty =
        e.ty.clone()
            .or_else(|| items.iter().find_map(|i| i.ty.clone()))
            .unwrap_or(Type::Text);
    let mut bound = Vec::new();
    for item in items {
        // Checks that each item compares with the expression, as `e = item` would.
        let (_, it) = operand_types(
            BinaryOp::Eq,
            &Typed {
                expr: Expr::Literal(Value::Null),
                ty: Some(ty.clone()),
            },
            &item,
        )?;
        bound.push(item.coerce(&it, "")?);
    }
    Ok(Typed::new(
        Expr::InList(Box::new(e.coerce(&ty, "")?), bound, negated),
        Type::Bool,
    ))
}

/// `expr SIMILAR TO pattern [ESCAPE e]`: the pattern rewritten to an anchored regex.
fn similar_to(
    scope: &Scope,
    expr: &ast::Expr,
    pattern: &ast::Expr,
    escape: Option<&str>,
    negated: bool,
) -> Result<Typed> {
    let l = bind(expr, scope)?;
    let p = bind(pattern, scope)?.coerce(&Type::Text, "SIMILAR TO")?;
    let esc = Expr::Literal(Value::Text(escape.unwrap_or("\\").to_string()));
    let regex = Expr::Function(Function::Builtin(Builtin::SimilarToRegex), vec![p, esc]);
    self::regex(l, Typed::new(regex, Type::Text), negated, false)
}

/// The patterns of `x LIKE ANY (ARRAY[p, q])` or `x LIKE ALL (ARRAY[p, q])` (sqlparser reads
/// ALL as a function call), and whether it is ALL; an array constructor's elements only.
fn like_quantified(pattern: &ast::Expr) -> Option<(Vec<ast::Expr>, bool)> {
    let (inner, all) = match pattern {
        ast::Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case("all") => {
            let ast::FunctionArguments::List(list) = &f.args else {
                return None;
            };
            match list.args.as_slice() {
                [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e))] => (e, true),
                _ => return None,
            }
        }
        other => (other, false),
    };
    let mut inner = inner;
    while let ast::Expr::Nested(e) = inner {
        inner = e;
    }
    match inner {
        ast::Expr::Array(array) if !array.elem.is_empty() => Some((array.elem.clone(), all)),
        _ => None,
    }
}

/// `x [NOT] [I]LIKE ANY|ALL (ARRAY[p, q])`: the LIKE tests OR-ed (ANY) or AND-ed (ALL), which
/// gives ANY/ALL's answer with NULLs too.
fn like_any(
    scope: &Scope,
    expr: &ast::Expr,
    pattern: &ast::Expr,
    escape: Option<&str>,
    negated: bool,
    ci: bool,
) -> Result<Typed> {
    let (patterns, all) = like_quantified(pattern).unwrap_or_default();
    let op = if all { BinaryOp::And } else { BinaryOp::Or };
    let mut combined = None;
    for p in &patterns {
        let test = like(scope, expr, p, escape, negated, ci)?.expr;
        combined = Some(match combined {
            None => test,
            Some(acc) => Expr::Binary(op, Box::new(acc), Box::new(test)),
        });
    }
    Ok(Typed::new(
        combined.unwrap_or(Expr::Literal(Value::Bool(all))),
        Type::Bool,
    ))
}

fn like(
    scope: &Scope,
    expr: &ast::Expr,
    pattern: &ast::Expr,
    escape: Option<&str>,
    negated: bool,
    ci: bool,
) -> Result<Typed> {
    let text = |t: Typed| -> Result<Expr> {
        match &t.ty {
            Some(ty) if !ty.is_text() => Err(Error::undefined_function(format!(
                "operator does not exist: {} ~~ unknown",
                type_name(ty)
            ))),
            // PostgreSQL matches a char(n) value with its padding (bpcharlike).
            Some(Type::Char(_)) => Ok(t.expr),
            _ => t.coerce(&Type::Text, "LIKE"),
        }
    };
    Ok(Typed::new(
        Expr::Like {
            expr: Box::new(text(bind(expr, scope)?)?),
            pattern: Box::new({
                let p = text(bind(pattern, scope)?)?;
                match escape {
                    // LIKE's own escape is `\`; another one is rewritten to it.
                    Some(e) if e != "\\" => Expr::Function(
                        Function::Builtin(Builtin::LikeEscape),
                        vec![p, Expr::Literal(Value::Text(e.to_string()))],
                    ),
                    _ => p,
                }
            }),
            negated,
            case_insensitive: ci,
        },
        Type::Bool,
    ))
}

/// `ROW(a, b) IS [NOT] NULL`: true when every field is null (IS NULL) or every field is not
/// null (IS NOT NULL), so `ROW(1, NULL)` is neither.
fn row_is_null(items: &[ast::Expr], negated: bool, scope: &Scope) -> Result<Typed> {
    let fields = items
        .iter()
        .map(|e| bind(e, scope))
        .collect::<Result<Vec<_>>>()?;
    Ok(all_fields_null(fields, negated))
}

/// Whether every field IS NULL (`negated`: IS NOT NULL), as a row's null test reads.
fn all_fields_null(fields: Vec<Typed>, negated: bool) -> Typed {
    let mut tests = fields
        .into_iter()
        .map(|f| Expr::IsNull(Box::new(f.expr), negated));
    let first = tests.next().unwrap_or(Expr::Literal(Value::Bool(true)));
    let all = tests.fold(first, |acc, t| {
        Expr::Binary(BinaryOp::And, Box::new(acc), Box::new(t))
    });
    Typed::new(all, Type::Bool)
}

/// `(a, b) [NOT] IN (SELECT x, y ...)` as the expression PostgreSQL's row comparison answers:
/// true when a subquery row equals the row field by field, else NULL when some row has no field
/// that differs (a NULL comparison), else false.
fn row_in_subquery(items: &[ast::Expr], subquery: &ast::Query, negated: bool) -> Result<ast::Expr> {
    let names: Vec<String> = (1..=items.len()).map(|i| format!("__vdb_in_{i}")).collect();
    let exists = |null_ok: bool| {
        let tests: Vec<String> = names
            .iter()
            .zip(items)
            .map(|(n, e)| match null_ok {
                false => format!("{n} = ({e})"),
                true => format!("({n} = ({e})) IS NOT FALSE"),
            })
            .collect();
        format!(
            "EXISTS (SELECT 1 FROM ({subquery}) AS __vdb_in ({}) WHERE {})",
            names.join(", "),
            tests.join(" AND ")
        )
    };
    let text = format!(
        "{}(CASE WHEN {} THEN true WHEN {} THEN NULL ELSE false END)",
        if negated { "NOT " } else { "" },
        exists(false),
        exists(true)
    );
    sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
        .try_with_sql(&text)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| Error::Unsupported(format!("row IN subquery: {e}")))
}

/// The query of a (parenthesized) subquery expression.
fn subquery_of(e: &ast::Expr) -> Option<&ast::Query> {
    match e {
        ast::Expr::Subquery(q) => Some(q),
        ast::Expr::Nested(inner) => subquery_of(inner),
        _ => None,
    }
}

/// The names a row-versus-subquery rewrite gives the subquery's columns, and the row of them.
fn subquery_columns(items: &[ast::Expr]) -> (String, String) {
    let names: Vec<String> = (1..=items.len())
        .map(|i| format!("__vdb_sub_{i}"))
        .collect();
    (names.join(", "), format!("({})", names.join(", ")))
}

fn parse_rewritten(text: &str, what: &str) -> Result<ast::Expr> {
    sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| Error::Unsupported(format!("{what}: {e}")))
}

/// `ROW(a, b) op (SELECT x, y ...)`: the comparison made inside the subquery, over its one
/// row, so that no row gives NULL and more than one fails with 21000, as in PostgreSQL.
fn row_subquery_comparison(
    items: &[ast::Expr],
    op: &ast::BinaryOperator,
    subquery: &ast::Query,
) -> Result<ast::Expr> {
    let (names, row) = subquery_columns(items);
    let left = items.iter().map(ToString::to_string).collect::<Vec<_>>();
    let text = format!(
        "(SELECT ({}) {op} {row} FROM ({subquery}) AS __vdb_sub ({names}))",
        left.join(", ")
    );
    parse_rewritten(&text, "row comparison with a subquery")
}

/// `ROW(a, b) op ANY / ALL (SELECT x, y ...)`: true / false as soon as one row's row
/// comparison is (ANY) or is not (ALL), else NULL if one row's comparison is NULL.
fn row_quantified_subquery(
    items: &[ast::Expr],
    op: &ast::BinaryOperator,
    subquery: &ast::Query,
    all: bool,
) -> Result<ast::Expr> {
    let (names, row) = subquery_columns(items);
    let left = items.iter().map(ToString::to_string).collect::<Vec<_>>();
    let comparison = format!("(({}) {op} {row})", left.join(", "));
    let exists = |test: &str| {
        format!("EXISTS (SELECT 1 FROM ({subquery}) AS __vdb_sub ({names}) WHERE {test})")
    };
    let (decisive, decided) = if all {
        (format!("NOT {comparison}"), "false")
    } else {
        (comparison.clone(), "true")
    };
    let text = format!(
        "(CASE WHEN {} THEN {decided} WHEN {} THEN NULL ELSE {} END)",
        exists(&decisive),
        exists(&format!("{comparison} IS NULL")),
        if all { "true" } else { "false" }
    );
    parse_rewritten(&text, "row comparison with ANY or ALL")
}

/// The fields of a row constructor, `(a, b)` or `ROW(a, b)`.
pub(super) fn row_items(e: &ast::Expr) -> Option<Vec<ast::Expr>> {
    match e {
        ast::Expr::Tuple(items) => Some(items.clone()),
        ast::Expr::Nested(inner) => row_items(inner),
        ast::Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case("row") => {
            let ast::FunctionArguments::List(list) = &f.args else {
                return None;
            };
            list.args
                .iter()
                .map(|a| match a {
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Some(e.clone()),
                    _ => None,
                })
                .collect()
        }
        _ => None,
    }
}

/// A comparison of two rows as PostgreSQL defines it, written out over their fields: `=` is
/// every pair equal, `<>` some pair different, and the orderings compare pairs left to right
/// until one differs (`(a, b) < (c, d)` is `a < c OR (a = c AND b < d)`), so NULLs give NULL
/// exactly where PostgreSQL's row comparison does.
fn row_comparison(
    left: &[ast::Expr],
    op: &ast::BinaryOperator,
    right: &[ast::Expr],
) -> Result<ast::Expr> {
    use ast::BinaryOperator as Op;
    if left.len() != right.len() {
        return Err(Error::invalid(
            "42601",
            "unequal number of entries in row expressions",
        ));
    }
    let pair = |l: &ast::Expr, op: Op, r: &ast::Expr| ast::Expr::BinaryOp {
        left: Box::new(ast::Expr::Nested(Box::new(l.clone()))),
        op,
        right: Box::new(ast::Expr::Nested(Box::new(r.clone()))),
    };
    let join = |a: ast::Expr, op: Op, b: ast::Expr| ast::Expr::BinaryOp {
        left: Box::new(a),
        op,
        right: Box::new(b),
    };
    let pairs = left.iter().zip(right);
    let strict = match op {
        Op::Eq | Op::NotEq => {
            let (each, all) = if *op == Op::Eq {
                (Op::Eq, Op::And)
            } else {
                (Op::NotEq, Op::Or)
            };
            return pairs
                .map(|(l, r)| pair(l, each.clone(), r))
                .reduce(|a, b| join(a, all.clone(), b))
                .ok_or_else(|| Error::Unsupported("comparison of empty rows".into()));
        }
        Op::Lt | Op::LtEq => Op::Lt,
        Op::Gt | Op::GtEq => Op::Gt,
        other => {
            return Err(Error::Unsupported(format!(
                "operator {other} on row expressions"
            )))
        }
    };
    let mut fields = pairs.rev();
    let (l, r) = fields
        .next()
        .ok_or_else(|| Error::Unsupported("comparison of empty rows".into()))?;
    let mut out = pair(l, op.clone(), r);
    for (l, r) in fields {
        let tie = join(
            pair(l, Op::Eq, r),
            Op::And,
            ast::Expr::Nested(Box::new(out)),
        );
        out = join(
            pair(l, strict.clone(), r),
            Op::Or,
            ast::Expr::Nested(Box::new(tie)),
        );
    }
    Ok(out)
}

/// `row [NOT] IN (row, ...)`: the row equal to one of the list's rows.
fn row_in_list(row: &[ast::Expr], list: &[ast::Expr], negated: bool) -> Result<ast::Expr> {
    let mut any = None;
    for item in list {
        let other = row_items(item).ok_or_else(|| {
            Error::invalid("42601", "unequal number of entries in row expressions")
        })?;
        let eq = ast::Expr::Nested(Box::new(row_comparison(
            row,
            &ast::BinaryOperator::Eq,
            &other,
        )?));
        any = Some(match any {
            None => eq,
            Some(acc) => ast::Expr::BinaryOp {
                left: Box::new(acc),
                op: ast::BinaryOperator::Or,
                right: Box::new(eq),
            },
        });
    }
    let any = any.ok_or_else(|| Error::Unsupported("an empty IN list".into()))?;
    Ok(if negated {
        ast::Expr::UnaryOp {
            op: ast::UnaryOperator::Not,
            expr: Box::new(ast::Expr::Nested(Box::new(any))),
        }
    } else {
        any
    })
}

/// Resolves the common type of CASE/COALESCE branches: the first known type, the others must
/// convert to it implicitly (or it to them, in which case the wider one wins). A type modifier
/// survives only when every known type carries the same one, as in PostgreSQL
/// (`coalesce(x::numeric(8,4), 1)` is plain numeric, so the 1 keeps its scale).
pub(super) fn common_type<'a>(
    items: impl IntoIterator<Item = &'a Typed>,
    context: &str,
) -> Result<Type> {
    let mut ty: Option<Type> = None;
    // A type modifier (varchar(n), numeric(p, s)) is kept only when every item has it: an
    // unknown literal has none, as in PostgreSQL's select_common_typmod.
    let mut mixed = false;
    let mut unknown = false;
    for t in items.into_iter().filter_map(|i| {
        unknown |= i.ty.is_none();
        i.ty.as_ref()
    }) {
        mixed |= ty.as_ref().is_some_and(|cur| cur != t);
        ty = Some(match ty {
            None => t.clone(),
            Some(cur) if implicit_cast(t, &cur) => cur,
            Some(cur) if implicit_cast(&cur, t) => t.clone(),
            Some(cur) => {
                return Err(Error::mismatch(format!(
                    "{context} types {} and {} cannot be matched",
                    type_name(&cur),
                    type_name(t)
                )))
            }
        });
    }
    Ok(match ty {
        Some(ty) if mixed || unknown => base_type(&ty),
        Some(ty) => ty,
        None => Type::Text,
    })
}

fn case(
    scope: &Scope,
    operand: Option<&ast::Expr>,
    conditions: &[ast::Expr],
    results: &[ast::Expr],
    else_result: Option<&ast::Expr>,
) -> Result<Typed> {
    let operand = operand.map(|o| bind(o, scope)).transpose()?;
    let mut whens = Vec::new();
    for c in conditions {
        let c = bind(c, scope)?;
        whens.push(match &operand {
            Some(o) => {
                let (_, ct) = operand_types(BinaryOp::Eq, o, &c)?;
                c.coerce(&ct, "")?
            }
            None => boolean(c, "CASE/WHEN")?,
        });
    }
    let mut branches = results
        .iter()
        .map(|r| bind(r, scope))
        .collect::<Result<Vec<_>>>()?;
    if let Some(e) = else_result {
        branches.push(bind(e, scope)?);
    }
    let ty = common_type(&branches, "CASE")?;
    let mut coerced = branches
        .into_iter()
        .map(|b| b.coerce(&ty, "CASE"))
        .collect::<Result<Vec<_>>>()?;
    let otherwise = if else_result.is_some() {
        coerced.pop().map(Box::new)
    } else {
        None
    };
    let operand = match operand {
        Some(o) => {
            let oty = o.resolved_type();
            Some(Box::new(o.coerce(&oty, "")?))
        }
        None => None,
    };
    Ok(Typed::new(
        Expr::Case {
            operand,
            whens: whens.into_iter().zip(coerced).collect(),
            otherwise,
        },
        ty,
    ))
}

/// The column name PostgreSQL gives an unaliased select item.
pub fn output_name(expr: &ast::Expr) -> String {
    use ast::Expr as E;
    match expr {
        E::Identifier(i) => ident_name(i),
        E::CompoundIdentifier(parts) => parts.last().map(ident_name).unwrap_or_default(),
        E::QualifiedWildcard(name) => name.0.last().map(ident_name).unwrap_or_default(),
        E::Nested(inner) if crate::params::is_bound(inner) => "?column?".into(),
        E::Nested(inner) => output_name(inner),
        E::Function(f) => match f.name.0.last().map(ident_name).unwrap_or_default() {
            n if n == super::expression_syntax::SUBSTRING_SIMILAR => "substring".into(),
            n => n,
        },
        E::Cast {
            expr, data_type, ..
        } => {
            // As PostgreSQL's FigureColname: a name from the operand (a column, a function,
            // ARRAY...) wins over the type's; a constant's, or a type's, does not.
            let inner = output_name(expr);
            match cast_name(data_type) {
                Some(n) if name_strength(expr) < 2 => n,
                _ => inner,
            }
        }
        // A CASE takes its ELSE branch's name when that is a real one (`ELSE x` names it x).
        E::Case {
            else_result: Some(otherwise),
            ..
        } if name_strength(otherwise) == 2 => output_name(otherwise),
        E::Case { .. } => "case".into(),
        E::Array(_) => "array".into(),
        E::Subscript { expr, .. } => output_name(expr),
        E::Extract { .. } => "extract".into(),
        E::AtTimeZone { .. } => "timezone".into(),
        E::Collate { expr, .. } => output_name(expr),
        E::Interval(_) => "interval".into(),
        E::Position { .. } => "position".into(),
        E::Ceil { .. } => "ceil".into(),
        E::Floor { .. } => "floor".into(),
        E::Substring { .. } => "substring".into(),
        E::Overlay { .. } => "overlay".into(),
        E::Trim { trim_where, .. } => match trim_where {
            Some(ast::TrimWhereField::Leading) => "ltrim",
            Some(ast::TrimWhereField::Trailing) => "rtrim",
            _ => "btrim",
        }
        .into(),
        E::Exists { negated: false, .. } => "exists".into(),
        E::Subquery(q) => subquery_output_name(q),
        E::Tuple(_) => "row".into(),
        E::CompositeAccess { key, .. } => ident_name(key),
        E::TypedString { data_type, .. } => {
            cast_name(data_type).unwrap_or_else(|| "?column?".into())
        }
        _ => "?column?".into(),
    }
}

/// How strongly `expr`'s [`output_name`] names it, as PostgreSQL's FigureColnameInternal
/// ranks names: 2 for a column's, a function's or a keyword's, 1 for a type's (a cast of a
/// constant, `interval '1 day'`, a CASE without a named ELSE), 0 for none (`?column?`).
fn name_strength(expr: &ast::Expr) -> u8 {
    use ast::Expr as E;
    match expr {
        E::Nested(inner) if crate::params::is_bound(inner) => 0,
        E::Nested(inner) | E::Collate { expr: inner, .. } => name_strength(inner),
        E::Cast { expr, .. } => name_strength(expr).max(1),
        E::TypedString { .. } | E::Interval(_) => 1,
        E::Case { else_result, .. } => match else_result {
            Some(otherwise) if name_strength(otherwise) == 2 => 2,
            _ => 1,
        },
        E::Value(_) => 0,
        other if output_name(other) == "?column?" => 0,
        _ => 2,
    }
}

/// A scalar subquery's column is named after its one select item (`?column?` otherwise).
fn subquery_output_name(q: &ast::Query) -> String {
    match q.body.as_ref() {
        ast::SetExpr::Select(s) => match s.projection.as_slice() {
            [ast::SelectItem::ExprWithAlias { alias, .. }] => ident_name(alias),
            [ast::SelectItem::UnnamedExpr(e)] => output_name(e),
            _ => "?column?".into(),
        },
        _ => "?column?".into(),
    }
}

/// PostgreSQL names a cast column after the type's internal name.
fn cast_name(dt: &ast::DataType) -> Option<String> {
    let target = match system::cast_target(dt).ok()? {
        system::CastTarget::Regclass => return Some("regclass".into()),
        system::CastTarget::Regtype => return Some("regtype".into()),
        system::CastTarget::Regproc => return Some("regproc".into()),
        system::CastTarget::Regname(system::RegName::Namespace) => {
            return Some("regnamespace".into())
        }
        system::CastTarget::Regname(system::RegName::Role) => return Some("regrole".into()),
        system::CastTarget::Plain(t) => t,
    };
    if let ast::DataType::Custom(name, _) = dt {
        return name.0.last().map(|i| i.value.to_lowercase());
    }
    Some(
        match target {
            Type::Bool => "bool",
            Type::Int2 => "int2",
            Type::Int4 => "int4",
            Type::Int8 => "int8",
            Type::Float4 => "float4",
            Type::Float8 => "float8",
            Type::Numeric { .. } => "numeric",
            Type::Text => "text",
            Type::Varchar(_) => "varchar",
            Type::Date => "date",
            Type::Timestamp => "timestamp",
            Type::Bytea => "bytea",
            Type::Char(_) => "bpchar",
            Type::Time => "time",
            Type::TimestampTz => "timestamptz",
            Type::Interval => "interval",
            Type::Uuid => "uuid",
            Type::Json => "json",
            Type::Jsonb => "jsonb",
            Type::Enum(key) => return Some(vdb_engine::table::split_qualified(&key).1.into()),
            Type::Range(kind) => kind.name(),
            Type::Array(element) => {
                return cast_name(&match *element {
                    Type::Int2 => ast::DataType::Int2(None),
                    Type::Int4 => ast::DataType::Int4(None),
                    Type::Int8 => ast::DataType::Int8(None),
                    Type::Float4 => ast::DataType::Float4,
                    Type::Float8 => ast::DataType::Float8,
                    Type::Text => ast::DataType::Text,
                    Type::Bool => ast::DataType::Bool,
                    Type::Date => ast::DataType::Date,
                    Type::Uuid => ast::DataType::Uuid,
                    Type::Numeric { .. } => ast::DataType::Numeric(ast::ExactNumberInfo::None),
                    _ => return None,
                })
            }
        }
        .into(),
    )
}
