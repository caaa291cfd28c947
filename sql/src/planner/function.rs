//! Binding calls of scalar functions (lower, upper, length, substr, trim, replace, left, abs,
//! round, floor, ceil, coalesce, nullif, greatest, least): argument coercion and result types
//! as PostgreSQL resolves them. Aggregate calls are bound by `aggregate.rs`.

use sqlparser::ast;
use vdb_engine::value::{Type, Value};

use crate::error::{Error, Result};
use crate::expr::{BinaryOp, Builtin, Expr, Function, SetFunction};
use crate::planner::expr::{bind, common_type, ident_name, make_binary, Scope, Typed};
use crate::planner::{subquery, system};
use crate::types::{numeric_rank, type_name};

pub(super) fn function(scope: &Scope, f: &ast::Function) -> Result<Typed> {
    match call(scope, f) {
        Err(e) if e.sqlstate() == "42883" => cast_call(scope, f)?.ok_or(e),
        other => other,
    }
}

/// `date(x)`, `text(x)`, `int4(x)` ...: a call of a type's name on one argument, where no
/// function of that name takes it, is a cast, as in PostgreSQL.
fn cast_call(scope: &Scope, f: &ast::Function) -> Result<Option<Typed>> {
    // The type names PostgreSQL's grammar lets stand as a function's name (not `numeric`,
    // `varchar`, `time` or `interval`, whose parentheses hold a type modifier).
    const CASTS: &[&str] = &[
        "date",
        "timestamptz",
        "text",
        "int2",
        "int4",
        "int8",
        "float4",
        "float8",
        "bool",
        "uuid",
        "bytea",
        "json",
        "jsonb",
    ];
    let ([name], ast::FunctionArguments::List(list)) = (&f.name.0[..], &f.args) else {
        return Ok(None);
    };
    let name = ident_name(name);
    let (Some(ty), [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(arg))]) =
        (CASTS.iter().find(|t| **t == name), &list.args[..])
    else {
        return Ok(None);
    };
    let data_type = sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
        .try_with_sql(ty)
        .and_then(|mut p| p.parse_data_type())
        .map_err(|e| Error::invalid("42601", e.to_string()))?;
    let cast = ast::Expr::Cast {
        kind: ast::CastKind::Cast,
        expr: Box::new(arg.clone()),
        data_type,
        format: None,
    };
    // A type that has no cast from the argument's has no such function either.
    match bind(&cast, scope) {
        Err(e) if e.sqlstate() == "42846" => Ok(None),
        other => other.map(Some),
    }
}

fn call(scope: &Scope, f: &ast::Function) -> Result<Typed> {
    let name = f
        .name
        .0
        .iter()
        .map(ident_name)
        .collect::<Vec<_>>()
        .join(".");
    if let Some(call) = super::sequence::clock_or_random(&name, &f.args) {
        return Ok(call);
    }
    let short = name.strip_prefix("pg_catalog.").unwrap_or(&name);
    if crate::vc::procedures::is_procedure(short.strip_prefix("vdb.").unwrap_or(short)) {
        return Err(Error::invalid(
            "0A000",
            format!("{short}() must be called on its own: SELECT {short}(...)"),
        ));
    }
    match &f.args {
        ast::FunctionArguments::None if system::is_keyword_function(short) => {
            if let Some(t) = system::catalog_function(short, Vec::new())? {
                return Ok(t);
            }
        }
        ast::FunctionArguments::Subquery(q) if short == "array" => {
            return subquery::array(q, scope);
        }
        ast::FunctionArguments::List(list) if short == "row" && list.clauses.is_empty() => {
            let items: Option<Vec<Vec<ast::Expr>>> = list
                .args
                .iter()
                .map(|a| match a {
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => {
                        Some(vec![e.clone()])
                    }
                    // `ROW(t.*)` holds t's columns.
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::QualifiedWildcard(t)) => {
                        let relation = t.0.last().map(ident_name)?;
                        let columns: Vec<ast::Expr> = scope
                            .columns
                            .iter()
                            .filter(|c| c.relation.as_deref() == Some(&relation) && !c.hidden)
                            .map(|c| {
                                ast::Expr::CompoundIdentifier(vec![
                                    ast::Ident::with_quote('"', relation.clone()),
                                    ast::Ident::with_quote('"', c.name.clone()),
                                ])
                            })
                            .collect();
                        (!columns.is_empty()).then_some(columns)
                    }
                    _ => None,
                })
                .collect();
            if let Some(items) = items {
                return super::expr::record(scope, &items.concat());
            }
        }
        _ => {}
    }
    let list = match &f.args {
        ast::FunctionArguments::List(list) => list,
        ast::FunctionArguments::None => {
            return crate::planner::builtin::niladic(&name)
                .ok_or_else(|| Error::Unsupported(format!("function call {f}")));
        }
        ast::FunctionArguments::Subquery(_) => {
            return Err(Error::Unsupported(format!("function call {f}")));
        }
    };
    if f.over.is_some() {
        // A window call the SELECT list's windowing did not take: in WHERE, a JOIN condition,
        // an UPDATE or DELETE, RETURNING, ...
        return Err(Error::invalid(
            "42P20",
            "window functions are not allowed here",
        ));
    }
    if f.filter.is_some()
        || !f.within_group.is_empty()
        || list.duplicate_treatment.is_some()
        || !list.clauses.is_empty()
    {
        return Err(Error::Unsupported(format!("function call {f}")));
    }
    if super::aggregate::is_aggregate(f) {
        return Err(Error::invalid(
            "42803",
            "aggregate functions are not allowed here",
        ));
    }
    let bare = name.strip_prefix("pg_catalog.").unwrap_or(&name);
    if f.name.0.len() <= 2 && super::window::is_window_only(bare) {
        return Err(Error::invalid(
            "42809",
            format!("window function {bare} requires an OVER clause"),
        ));
    }
    if let Some(call) = super::sequence::sequence_function(scope, &name, &list.args)? {
        return Ok(call);
    }
    if let Some(call) = super::user_function::call(scope, &f.name, &list.args)? {
        return Ok(call);
    }
    if let Some(call) = variadic_call(scope, f, &name, &list.args)? {
        return Ok(call);
    }
    let mut args = Vec::new();
    let positional = named_arguments(&name, &list.args)?;
    for arg in positional.as_ref().unwrap_or(&list.args) {
        match arg {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => args.push(bind(e, scope)?),
            _ => return Err(Error::Unsupported(format!("function argument {arg}"))),
        }
    }
    let name = name
        .strip_prefix("pg_catalog.")
        .unwrap_or(&name)
        .to_string();
    if let Some(t) = set_function(&name, args.clone())? {
        return Ok(t);
    }
    if f.filter.is_none() && f.over.is_none() {
        let catalog_args = args.clone();
        if let Some(t) = system::catalog_function(&name, catalog_args)? {
            return Ok(t);
        }
    }
    if super::range::handles(&name, &args) {
        return super::range::function(&name, args);
    }
    if crate::planner::builtin::bytea_handles(&name, &args) {
        return crate::planner::builtin::bytea_function(&name, args);
    }
    match (name.as_str(), args.len()) {
        ("lower" | "upper", 1) => {
            let func = if name == "lower" {
                Function::Lower
            } else {
                Function::Upper
            };
            let arg = text_arg(&name, args.remove(0))?;
            Ok(Typed::new(Expr::Function(func, vec![arg]), Type::Text))
        }
        ("substr" | "substring", 2 | 3) => {
            let count = if args.len() == 3 { args.pop() } else { None };
            let from = args
                .pop()
                .map(|f| f.coerce(&Type::Int4, "substr"))
                .transpose()?;
            let mut list = vec![text_arg(&name, args.remove(0))?];
            list.extend(from);
            list.extend(count.map(|c| c.coerce(&Type::Int4, "substr")).transpose()?);
            Ok(Typed::new(
                Expr::Function(Function::Substr, list),
                Type::Text,
            ))
        }
        ("btrim" | "ltrim" | "rtrim", 1 | 2) => {
            let func = match name.as_str() {
                "btrim" => Function::Trim(true, true),
                "ltrim" => Function::Trim(true, false),
                _ => Function::Trim(false, true),
            };
            let list = args
                .into_iter()
                .map(|a| text_arg(&name, a))
                .collect::<Result<Vec<_>>>()?;
            Ok(Typed::new(Expr::Function(func, list), Type::Text))
        }
        ("pg_size_pretty", 1) => {
            // pg_size_pretty(numeric) prints the same units.
            let arg = args.remove(0);
            let arg = match arg.ty {
                Some(Type::Numeric { .. }) => Expr::Cast(Box::new(arg.expr), Type::Int8),
                _ => arg.coerce(&Type::Int8, "pg_size_pretty")?,
            };
            Ok(Typed::new(
                Expr::Function(Function::SizePretty, vec![arg]),
                Type::Text,
            ))
        }
        ("replace", 3) => {
            let list = args
                .into_iter()
                .map(|a| text_arg(&name, a))
                .collect::<Result<Vec<_>>>()?;
            Ok(Typed::new(
                Expr::Function(Function::Replace, list),
                Type::Text,
            ))
        }
        ("floor" | "ceil" | "ceiling", 1) => floor_ceil(&name, args.remove(0)),
        ("left", 2) => {
            let n = args
                .pop()
                .map(|n| n.coerce(&Type::Int4, "left"))
                .transpose()?;
            let arg = text_arg(&name, args.remove(0))?;
            let n = n.unwrap_or(Expr::Literal(Value::Null));
            Ok(Typed::new(
                Expr::Function(Function::Left, vec![arg, n]),
                Type::Text,
            ))
        }
        ("length" | "char_length" | "character_length" | "textlen", 1) => {
            let a = args.remove(0);
            // character(n) does not count its padding.
            let padded = matches!(a.ty, Some(Type::Char(_)));
            let mut arg = text_arg(&name, a)?;
            if padded {
                arg = Expr::Function(Function::Trim(false, true), vec![arg]);
            }
            Ok(Typed::new(
                Expr::Function(Function::Length, vec![arg]),
                Type::Int4,
            ))
        }
        ("abs", 1) => {
            let arg = args.remove(0);
            let ty = arg.ty.clone().unwrap_or(Type::Float8);
            if numeric_rank(&ty).is_none() {
                return Err(no_function(&name, &[ty]));
            }
            Ok(Typed::new(
                Expr::Function(Function::Abs, vec![arg.coerce(&ty, "")?]),
                ty,
            ))
        }
        ("round", 1) => {
            let arg = args.remove(0);
            let ty = match arg.ty.clone().unwrap_or(Type::Float8) {
                Type::Numeric { .. } => Type::Numeric {
                    precision_scale: None,
                },
                t if numeric_rank(&t).is_some() => Type::Float8,
                t => return Err(no_function(&name, &[t])),
            };
            Ok(Typed::new(
                Expr::Function(Function::Round, vec![arg.coerce(&ty, "")?]),
                ty,
            ))
        }
        ("round", 2) => {
            let digits = args.pop().map(|d| d.coerce(&Type::Int4, "")).transpose()?;
            let numeric = Type::Numeric {
                precision_scale: None,
            };
            let arg = args.remove(0).coerce(&numeric, "")?;
            Ok(Typed::new(
                Expr::Function(
                    Function::Round,
                    vec![arg, digits.unwrap_or(Expr::Literal(Value::Int4(0)))],
                ),
                numeric,
            ))
        }
        ("nullif", 2) => {
            let b = args.pop().ok_or_else(|| no_function(&name, &[]))?;
            let a = args.remove(0);
            // The result is `=`'s left operand, which a right operand of a wider numeric
            // category promotes (NULLIF(1, 2.0) is numeric; integers and floats compare
            // across their widths without promotion).
            let left = a.resolved_type();
            let ty = match (numeric_rank(&left), b.ty.as_ref().and_then(numeric_rank)) {
                (Some(l), Some(r)) if l < r && !(r <= 2 || l >= 4) => b.ty.clone().unwrap_or(left),
                _ => left,
            };
            let a_expr = a.clone().coerce(&ty, "NULLIF")?;
            let eq = make_binary(BinaryOp::Eq, a, b)?.expr;
            let case = Expr::Case {
                operand: None,
                whens: vec![(eq, Expr::Literal(Value::Null))],
                otherwise: Some(Box::new(a_expr)),
            };
            Ok(Typed::new(case, ty))
        }
        // GREATEST and LEAST are grammar in PostgreSQL, which needs at least one argument.
        ("greatest" | "least", 0) => Err(Error::invalid("42601", "syntax error at or near \")\"")),
        ("greatest" | "least", _) => {
            let ty = common_type(&args, &name.to_uppercase())?;
            let list = args
                .into_iter()
                .map(|a| a.coerce(&ty, &name))
                .collect::<Result<Vec<_>>>()?;
            let greatest = name == "greatest";
            let func = match ty {
                Type::Json => {
                    return Err(Error::undefined_function(
                        "could not identify a comparison function for type json",
                    ))
                }
                // jsonb compares by jsonb's order, not as text.
                Type::Jsonb => Function::Builtin(Builtin::JsonbExtreme { greatest }),
                _ if greatest => Function::Greatest,
                _ => Function::Least,
            };
            Ok(Typed::new(Expr::Function(func, list), ty))
        }
        ("coalesce", _) if !args.is_empty() => {
            let ty = common_type(&args, "COALESCE")?;
            let list = args
                .into_iter()
                .map(|a| a.coerce(&ty, "COALESCE"))
                .collect::<Result<Vec<_>>>()?;
            Ok(Typed::new(Expr::Coalesce(list), ty))
        }
        ("count" | "sum" | "avg" | "min" | "max", _) => {
            Err(Error::Unsupported("aggregate functions".into()))
        }
        _ => {
            let types: Vec<Type> = args.iter().map(Typed::resolved_type).collect();
            match crate::planner::builtin::function(&name, args) {
                Some(bound) => bound,
                None => Err(no_function(&name, &types)),
            }
        }
    }
}

/// A call whose last argument is `VARIADIC arr` (spelled `"variadic"(arr)` by the session's
/// parser fallback): an `ARRAY[...]` constructor passes its elements as the arguments;
/// num_nulls / num_nonnulls count any array's elements, and concat / concat_ws join them (as
/// `array_to_string`, which skips NULLs as they do); other functions refuse any other array
/// (0A000). `None` for a call without one.
fn variadic_call(
    scope: &Scope,
    f: &ast::Function,
    name: &str,
    args: &[ast::FunctionArg],
) -> Result<Option<Typed>> {
    let inner = match args.last() {
        Some(ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(ast::Expr::Function(f)))) if matches!(f.name.0.as_slice(), [i] if i.quote_style == Some('"') && i.value == "variadic") => {
            match &f.args {
                ast::FunctionArguments::List(l) => match l.args.as_slice() {
                    [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e))] => e,
                    _ => return Err(Error::Unsupported("VARIADIC of several values".into())),
                },
                _ => return Err(Error::Unsupported("VARIADIC without a value".into())),
            }
        }
        _ => return Ok(None),
    };
    let short = name.strip_prefix("pg_catalog.").unwrap_or(name);
    let elements = match inner {
        ast::Expr::Array(array) if !array.elem.iter().any(|e| matches!(e, ast::Expr::Array(_))) => {
            Some(&array.elem)
        }
        _ => None,
    };
    if let Some(elements) = elements {
        let mut spread = args[..args.len() - 1].to_vec();
        spread.extend(
            elements
                .iter()
                .map(|e| ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e.clone()))),
        );
        let mut call = f.clone();
        if let ast::FunctionArguments::List(list) = &mut call.args {
            list.args = spread;
        }
        return function(scope, &call).map(Some);
    }
    if matches!(short, "concat" | "concat_ws")
        && args.len() == 1 + usize::from(short == "concat_ws")
    {
        let array = variadic_array(inner, scope)?;
        let separator = match args.first() {
            Some(ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(sep))) if args.len() == 2 => {
                bind(sep, scope)?
            }
            _ => Typed::new(Expr::Literal(Value::Text(String::new())), Type::Text),
        };
        let joined = crate::planner::builtin::function("array_to_string", vec![array, separator])
            .ok_or_else(|| Error::Unsupported(format!("VARIADIC arguments of {short}")))??;
        return Ok(Some(joined));
    }
    if short == "format" && args.len() == 2 {
        let array = variadic_array(inner, scope)?;
        let fmt = match args.first() {
            Some(ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(fmt))) => bind(fmt, scope)?,
            _ => return Err(Error::Unsupported("VARIADIC arguments of format".into())),
        };
        let fmt = fmt.coerce(&Type::Text, "format")?;
        let array = array.expr;
        return Ok(Some(Typed::new(
            Expr::Function(Function::Builtin(Builtin::FormatVariadic), vec![fmt, array]),
            Type::Text,
        )));
    }
    if !matches!(short, "num_nulls" | "num_nonnulls") || args.len() != 1 {
        return Err(Error::Unsupported(format!("VARIADIC arguments of {short}")));
    }
    let array = variadic_array(inner, scope)?.expr;
    let nulls = short == "num_nulls";
    Ok(Some(Typed::new(
        Expr::Function(
            Function::Builtin(Builtin::NumNullsArray { nulls }),
            vec![array],
        ),
        Type::Int4,
    )))
}

/// The value after VARIADIC, bound: an array, or 42804 (an untyped literal too, as in
/// PostgreSQL).
fn variadic_array(inner: &ast::Expr, scope: &Scope) -> Result<Typed> {
    let array = bind(inner, scope)?;
    match array.ty {
        Some(Type::Array(_)) => Ok(array),
        ref other => Err(Error::invalid(
            "42804",
            format!(
                "VARIADIC argument must be an array, not type {}",
                other.as_ref().map_or("unknown".into(), type_name)
            ),
        )),
    }
}

/// `floor(x)` / `ceil(x)`: numeric stays numeric, other numbers become double precision.
pub(super) fn floor_ceil(name: &str, arg: Typed) -> Result<Typed> {
    let func = if name == "floor" {
        Function::Floor
    } else {
        Function::Ceil
    };
    let ty = match arg.ty.clone().unwrap_or(Type::Float8) {
        Type::Numeric { .. } => Type::Numeric {
            precision_scale: None,
        },
        t if numeric_rank(&t).is_some() => Type::Float8,
        t => return Err(no_function(name, &[t])),
    };
    Ok(Typed::new(
        Expr::Function(func, vec![arg.coerce(&ty, "")?]),
        ty,
    ))
}

pub(super) fn text_arg(name: &str, arg: Typed) -> Result<Expr> {
    match &arg.ty {
        Some(t) if !t.is_text() => Err(no_function(name, std::slice::from_ref(t))),
        _ => arg.coerce(&Type::Text, ""),
    }
}

fn no_function(name: &str, types: &[Type]) -> Error {
    let list: Vec<String> = types.iter().map(type_name).collect();
    Error::undefined_function(format!(
        "function {name}({}) does not exist",
        list.join(", ")
    ))
}

/// Binds a set-returning function call (`unnest`, `generate_subscripts`, `generate_series`,
/// `pg_partition_ancestors`), if `name` is one, to an [`Expr::SetReturning`] that a
/// ProjectSet node expands.
pub(super) fn set_function(name: &str, mut args: Vec<Typed>) -> Result<Option<Typed>> {
    let name = name.to_string();
    let t = match (name.as_str(), args.len()) {
        ("unnest", 1) => {
            let arg = args.remove(0);
            let Some(Type::Array(element)) = arg.ty.clone() else {
                return Err(Error::undefined_function(format!(
                    "function unnest({}) does not exist",
                    type_name(&arg.resolved_type())
                )));
            };
            Ok(Typed::new(
                Expr::SetReturning(SetFunction::Unnest, vec![arg.expr]),
                *element,
            ))
        }
        ("json_array_elements" | "json_object_keys", 1) => {
            let arg = args.remove(0).coerce(&Type::Json, &name)?;
            let (f, ty) = match name.as_str() {
                "json_object_keys" => (SetFunction::JsonObjectKeysRaw, Type::Text),
                _ => (
                    SetFunction::JsonArrayElementsRaw { text: false },
                    Type::Json,
                ),
            };
            Ok(Typed::new(Expr::SetReturning(f, vec![arg]), ty))
        }
        ("string_to_table", 2 | 3) => {
            let list = args
                .into_iter()
                .map(|a| text_arg(&name, a))
                .collect::<Result<Vec<_>>>()?;
            Ok(Typed::new(
                Expr::SetReturning(SetFunction::StringToTable, list),
                Type::Text,
            ))
        }
        (
            "jsonb_array_elements"
            | "jsonb_array_elements_text"
            | "json_array_elements_text"
            | "jsonb_object_keys",
            1,
        ) => {
            let arg = args.remove(0);
            if name == "json_array_elements_text" && arg.ty != Some(Type::Jsonb) {
                // json keeps its elements' text as written.
                return Ok(Some(Typed::new(
                    Expr::SetReturning(
                        SetFunction::JsonArrayElementsRaw { text: true },
                        vec![arg.coerce(&Type::Json, &name)?],
                    ),
                    Type::Text,
                )));
            }
            let arg = match arg.ty {
                Some(Type::Json | Type::Jsonb) => arg.expr,
                _ => arg.coerce(&Type::Jsonb, &name)?,
            };
            let (f, ty) = match name.as_str() {
                "jsonb_object_keys" => (SetFunction::JsonObjectKeys, Type::Text),
                "jsonb_array_elements" => {
                    (SetFunction::JsonArrayElements { text: false }, Type::Jsonb)
                }
                _ => (SetFunction::JsonArrayElements { text: true }, Type::Text),
            };
            Ok(Typed::new(Expr::SetReturning(f, vec![arg]), ty))
        }
        ("generate_subscripts", 2 | 3) => {
            let reverse = match args.len() {
                3 => args
                    .pop()
                    .map(|r| r.coerce(&Type::Bool, &name))
                    .transpose()?,
                _ => None,
            };
            let dim = args
                .pop()
                .map(|d| d.coerce(&Type::Int4, &name))
                .transpose()?;
            let arg = args.remove(0);
            if !matches!(arg.ty, Some(Type::Array(_))) {
                return Err(Error::undefined_function(format!(
                    "function generate_subscripts({}, integer) does not exist",
                    type_name(&arg.resolved_type())
                )));
            }
            let mut list = vec![arg.expr];
            list.extend(dim);
            list.extend(reverse);
            Ok(Typed::new(
                Expr::SetReturning(SetFunction::GenerateSubscripts, list),
                Type::Int4,
            ))
        }
        // The session's channels, as an array the rows unnest.
        ("pg_listening_channels", 0) => {
            let channels = system::catalog(
                crate::expr::catalog::CatalogFunction::ListeningChannels,
                Vec::new(),
                Type::Array(Box::new(Type::Text)),
            )?;
            Ok(Typed::new(
                Expr::SetReturning(SetFunction::Unnest, vec![channels.expr]),
                Type::Text,
            ))
        }
        ("pg_partition_ancestors", 1) => {
            let arg = args.remove(0);
            let arg = if arg.ty.is_none() {
                system::cast_to_reg(arg, true)?.expr
            } else {
                arg.expr
            };
            Ok(Typed::new(
                Expr::SetReturning(SetFunction::PartitionAncestors, vec![arg]),
                Type::Int4,
            ))
        }
        ("generate_series", 2 | 3)
            if args
                .iter()
                .any(|a| !matches!(a.ty, None | Some(Type::Int2 | Type::Int4 | Type::Int8))) =>
        {
            let step = if args.len() == 3 { args.pop() } else { None };
            let ty = match common_type(&args, &name)? {
                Type::Date | Type::TimestampTz => Type::TimestampTz,
                Type::Timestamp => Type::Timestamp,
                t if numeric_rank(&t).is_some() => Type::Numeric {
                    precision_scale: None,
                },
                _ => {
                    return Err(Error::undefined_function(format!(
                        "function generate_series({}) does not exist",
                        args.iter()
                            .map(|a| type_name(&a.resolved_type()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )))
                }
            };
            let step_ty = if matches!(ty, Type::Numeric { .. }) {
                ty.clone()
            } else {
                Type::Interval
            };
            if step.is_none() && step_ty == Type::Interval {
                return Err(Error::undefined_function(format!(
                    "function generate_series({}, {}) does not exist",
                    type_name(&ty),
                    type_name(&ty)
                )));
            }
            let mut list = args
                .into_iter()
                .map(|a| a.coerce(&ty, &name))
                .collect::<Result<Vec<_>>>()?;
            list.extend(step.map(|s| s.coerce(&step_ty, &name)).transpose()?);
            Ok(Typed::new(
                Expr::SetReturning(SetFunction::GenerateSeries, list),
                ty,
            ))
        }
        ("generate_series", 2 | 3) => {
            let ty = if args.iter().any(|a| a.ty == Some(Type::Int8)) {
                Type::Int8
            } else {
                Type::Int4
            };
            let list = args
                .into_iter()
                .map(|a| a.coerce(&ty, &name))
                .collect::<Result<Vec<_>>>()?;
            Ok(Typed::new(
                Expr::SetReturning(SetFunction::GenerateSeries, list),
                ty,
            ))
        }
        _ => return crate::planner::builtin::compat_set_function(&name, &mut args),
    };
    t.map(Some)
}

/// The parameter names and defaults of the built-in functions that take named arguments
/// (`make_interval(years => 1, days => 3)`).
fn parameters(name: &str) -> Option<&'static [(&'static str, &'static str)]> {
    match name {
        "make_interval" => Some(&[
            ("years", "0"),
            ("months", "0"),
            ("weeks", "0"),
            ("days", "0"),
            ("hours", "0"),
            ("mins", "0"),
            ("secs", "0.0"),
        ]),
        "parse_ident" => Some(&[("str", ""), ("strict", "true")]),
        "jsonb_path_exists"
        | "jsonb_path_match"
        | "jsonb_path_query"
        | "jsonb_path_query_array"
        | "jsonb_path_query_first" => Some(&[
            ("target", ""),
            ("path", ""),
            ("vars", "'{}'"),
            ("silent", "false"),
        ]),
        _ => None,
    }
}

/// A call with named arguments rewritten to positional ones (defaults filling the gaps), or
/// `None` if it has none. Unknown or repeated names fail as in PostgreSQL (42883, 42601).
fn named_arguments(name: &str, args: &[ast::FunctionArg]) -> Result<Option<Vec<ast::FunctionArg>>> {
    if !args
        .iter()
        .any(|a| matches!(a, ast::FunctionArg::Named { .. }))
    {
        return Ok(None);
    }
    let Some(params) = parameters(name) else {
        return Err(Error::Unsupported(format!(
            "named arguments of function {name}"
        )));
    };
    let mut slots: Vec<Option<ast::Expr>> = vec![None; params.len()];
    let mut named_seen = false;
    for (i, arg) in args.iter().enumerate() {
        let (at, expr) = match arg {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) if !named_seen => (i, e),
            ast::FunctionArg::Named {
                name: param,
                arg: ast::FunctionArgExpr::Expr(e),
                ..
            } => {
                named_seen = true;
                let wanted = param.value.to_lowercase();
                let at = params
                    .iter()
                    .position(|(p, _)| *p == wanted)
                    .ok_or_else(|| {
                        Error::undefined_function(format!(
                            "function {name} has no parameter named {wanted}"
                        ))
                    })?;
                (at, e)
            }
            _ => {
                return Err(Error::invalid(
                    "42601",
                    "positional argument cannot follow named argument",
                ))
            }
        };
        let slot = slots.get_mut(at).ok_or_else(|| {
            Error::undefined_function(format!("function {name} has too many arguments"))
        })?;
        if slot.replace(expr.clone()).is_some() {
            return Err(Error::invalid(
                "42601",
                format!("argument name \"{}\" used more than once", params[at].0),
            ));
        }
    }
    // A parameter without a default ("") must be given; `true`/`false` defaults are booleans,
    // quoted ones strings, others numbers.
    slots
        .into_iter()
        .zip(params)
        .map(|(slot, (param, default))| {
            let expr = match (slot, *default) {
                (Some(e), _) => e,
                (None, "") => {
                    return Err(Error::undefined_function(format!(
                        "function {name} needs parameter {param}"
                    )))
                }
                (None, "true" | "false") => {
                    ast::Expr::Value(ast::Value::Boolean(*default == "true"))
                }
                // A quoted default is a string literal (jsonpath's `vars` => '{}').
                (None, d) if d.starts_with('\'') => ast::Expr::Value(
                    ast::Value::SingleQuotedString(d.trim_matches('\'').to_string()),
                ),
                (None, d) => ast::Expr::Value(ast::Value::Number(d.to_string(), false)),
            };
            Ok(ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(expr)))
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}
