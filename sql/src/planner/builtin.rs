//! Binding of the richer types' operators and of the functions beyond the basic slice: the
//! signatures PostgreSQL resolves for dates, times, intervals, arrays, json/jsonb and uuid
//! (`timestamp + interval`, `date - date`, `jsonb -> text`, `int[] @> int[]`, ...), the array
//! constructor, subscripts, `= ANY(array)`, `EXTRACT`, `AT TIME ZONE` and `INTERVAL '..'`;
//! `builtin/functions.rs` binds the string, math, date/time, array and json functions that
//! `expr/functions/` evaluates, `builtin/bytea.rs` the bytea ones and `builtin/misc.rs` the
//! rest (num_nulls, scale, setseed, parse_ident, sizes, session facts).
//!
//! `expr.rs` and `function.rs` call in here before giving up on an operator or function name,
//! so these rules extend theirs without changing them.

use sqlparser::ast;
use vdb_engine::value::{Type, Value};

use crate::error::{Error, Result};
use crate::expr::{BinaryOp, Builtin, Expr, Function};
use crate::planner::expr::{bind, common_type, Scope, Typed};
use crate::planner::function::text_arg;
use crate::types::{numeric_rank, type_name};

mod bytea;
mod compat;
mod extension;
mod extras;
mod functions;
mod misc;
pub(super) use bytea::{function as bytea_function, handles as bytea_handles};
pub(super) use compat::{
    bitwise_not, json_each_columns, operator as compat_operator,
    set_function as compat_set_function,
};
use functions::{call, to};
pub(super) use functions::{function, is_json, record_json};

fn is_int(t: &Type) -> bool {
    matches!(t, Type::Int2 | Type::Int4 | Type::Int8)
}

/// The integer types that convert implicitly to `integer` (date ± integer takes no bigint).
fn is_int4(t: &Type) -> bool {
    matches!(t, Type::Int2 | Type::Int4)
}

fn is_ts(t: &Type) -> bool {
    matches!(t, Type::Timestamp | Type::TimestampTz)
}

fn node(op: BinaryOp, l: Expr, r: Expr, ty: Type) -> Typed {
    Typed::new(Expr::Binary(op, Box::new(l), Box::new(r)), ty)
}

fn no_operator(op: BinaryOp, l: Option<&Type>, r: Option<&Type>) -> Error {
    let name = |t: Option<&Type>| t.map_or("unknown".to_string(), type_name);
    Error::undefined_function(format!(
        "operator does not exist: {} {op} {}",
        name(l),
        name(r)
    ))
}

/// The rank of the date/timestamp family for comparisons: both sides go to the wider.
fn datetime_rank(t: &Type) -> Option<u8> {
    match t {
        Type::Date => Some(0),
        Type::Timestamp => Some(1),
        Type::TimestampTz => Some(2),
        _ => None,
    }
}

/// Binds `l op r` when an operand is a date/time, interval, array, json or jsonb (or the
/// operator is one of theirs); `None` leaves the operator to `expr.rs`'s rules.
pub(super) fn operator(op: BinaryOp, l: &Typed, r: &Typed) -> Option<Result<Typed>> {
    bind_operator(op, l, r).transpose()
}

fn bind_operator(op: BinaryOp, l: &Typed, r: &Typed) -> Result<Option<Typed>> {
    let (lt, rt) = (l.ty.as_ref(), r.ty.as_ref());
    let (l, r) = (l.clone(), r.clone());
    let bin = |lt: &Type, rt: &Type, result: Type| -> Result<Typed> {
        Ok(node(
            op,
            l.clone().coerce(lt, "")?,
            r.clone().coerce(rt, "")?,
            result,
        ))
    };
    use BinaryOp::{Add, ContainedBy, Contains, Div, Eq, Gt, GtEq, Lt, LtEq, Mul, NotEq, Sub};
    let bound: Result<Typed> = match (op, lt, rt) {
        (BinaryOp::JsonGet { text, path, .. }, Some(Type::Json | Type::Jsonb) | None, _) => {
            let jsonb = lt != Some(&Type::Json);
            let doc = lt.cloned().unwrap_or(Type::Jsonb);
            let key = match (path, rt) {
                (true, _) => Type::Array(Box::new(Type::Text)),
                (false, Some(t)) if is_int(t) => Type::Int4,
                (false, _) => Type::Text,
            };
            let result = if text { Type::Text } else { doc.clone() };
            let op = BinaryOp::JsonGet { text, path, jsonb };
            Ok(node(op, l.coerce(&doc, "")?, r.coerce(&key, "")?, result))
        }
        (Contains | ContainedBy | BinaryOp::Overlap, Some(Type::Array(_)), _)
        | (Contains | ContainedBy | BinaryOp::Overlap, _, Some(Type::Array(_))) => {
            let t = lt.or(rt).cloned().unwrap_or(Type::Text);
            bin(&t, &t, Type::Bool)
        }
        (Contains | ContainedBy, _, _) => bin(&Type::Jsonb, &Type::Jsonb, Type::Bool),
        (Sub, Some(Type::Jsonb), _) => {
            let key = match rt {
                Some(t) if is_int(t) => Type::Int4,
                Some(Type::Array(_)) => Type::Array(Box::new(Type::Text)),
                _ => Type::Text,
            };
            Ok(Typed::new(
                Expr::Function(
                    Function::Builtin(Builtin::JsonbDelete),
                    vec![l.coerce(&Type::Jsonb, "")?, r.coerce(&key, "")?],
                ),
                Type::Jsonb,
            ))
        }
        (BinaryOp::JsonExists, _, _) => bin(&Type::Jsonb, &Type::Text, Type::Bool),
        (BinaryOp::Concat, Some(Type::Array(e)), other)
        | (BinaryOp::Concat, other, Some(Type::Array(e))) => {
            let arr = Type::Array(e.clone());
            let (lt2, rt2) = match (lt, rt) {
                (Some(Type::Array(_)), Some(Type::Array(_)))
                | (Some(Type::Array(_)), None)
                | (None, Some(Type::Array(_))) => (arr.clone(), arr.clone()),
                (Some(Type::Array(_)), _) => (arr.clone(), (**e).clone()),
                _ => ((**e).clone(), arr.clone()),
            };
            let _ = other;
            let both_arrays = lt2 == rt2;
            let (l, r) = (l.coerce(&lt2, "")?, r.coerce(&rt2, "")?);
            if both_arrays {
                // array || array: a NULL side counts as empty, as in PostgreSQL's array_cat.
                Ok(Typed::new(
                    Expr::Function(Function::ArrayCat, vec![l, r]),
                    arr,
                ))
            } else {
                // array || element is array_append, element || array array_prepend: a NULL
                // array counts as empty.
                let f = match lt2 == arr {
                    true => Builtin::ArrayAppend,
                    false => Builtin::ArrayPrepend,
                };
                Ok(Typed::new(
                    Expr::Function(Function::Builtin(f), vec![l, r]),
                    arr,
                ))
            }
        }
        (BinaryOp::Concat, Some(Type::Char(_)), _) | (BinaryOp::Concat, _, Some(Type::Char(_))) => {
            // character(n) loses its padding when it becomes text.
            let text = |t: Typed| -> Result<Expr> {
                match t.ty {
                    Some(Type::Char(_)) => Ok(Expr::Function(
                        Function::Trim(false, true),
                        vec![Expr::Cast(Box::new(t.expr), Type::Text)],
                    )),
                    None => t.coerce(&Type::Text, ""),
                    _ => Ok(t.expr),
                }
            };
            Ok(node(BinaryOp::Concat, text(l)?, text(r)?, Type::Text))
        }
        (BinaryOp::Concat, Some(Type::Jsonb), Some(Type::Jsonb) | None)
        | (BinaryOp::Concat, None, Some(Type::Jsonb)) => Ok(node(
            BinaryOp::JsonConcat,
            l.coerce(&Type::Jsonb, "")?,
            r.coerce(&Type::Jsonb, "")?,
            Type::Jsonb,
        )),
        // json has no comparison operators at all.
        (Eq | NotEq | Lt | LtEq | Gt | GtEq, Some(Type::Json), Some(Type::Json) | None)
        | (Eq | NotEq | Lt | LtEq | Gt | GtEq, None, Some(Type::Json)) => {
            Err(no_operator(op, Some(&Type::Json), Some(&Type::Json)))
        }
        (Eq | NotEq | Lt | LtEq | Gt | GtEq, Some(Type::Jsonb), Some(Type::Jsonb) | None)
        | (Eq | NotEq | Lt | LtEq | Gt | GtEq, None, Some(Type::Jsonb)) => Ok(call(
            Builtin::JsonbCmp(op),
            vec![to(l, &Type::Jsonb)?, to(r, &Type::Jsonb)?],
            Type::Bool,
        )),
        (Eq | NotEq | Lt | LtEq | Gt | GtEq, Some(a), Some(b)) if a != b => {
            let (Some(ra), Some(rb)) = (datetime_rank(a), datetime_rank(b)) else {
                return Ok(None);
            };
            let t = if ra >= rb { a.clone() } else { b.clone() };
            bin(&t, &t, Type::Bool)
        }
        (Add | Sub, Some(Type::Date), Some(t)) if is_int4(t) => {
            bin(&Type::Date, &Type::Int4, Type::Date)
        }
        (Add, Some(t), Some(Type::Date)) if is_int4(t) => bin(&Type::Int4, &Type::Date, Type::Date),
        (Sub, Some(Type::Date), Some(Type::Date) | None) => {
            bin(&Type::Date, &Type::Date, Type::Int4)
        }
        (Add, Some(Type::Date), None) => Err(Error::invalid(
            "42725",
            "operator is not unique: date + unknown",
        )),
        (Add | Sub, Some(Type::Date), Some(Type::Interval)) => {
            bin(&Type::Date, &Type::Interval, Type::Timestamp)
        }
        (Add, Some(Type::Interval), Some(Type::Date)) => {
            bin(&Type::Interval, &Type::Date, Type::Timestamp)
        }
        (Add, Some(Type::Date), Some(Type::Time)) => bin(&Type::Date, &Type::Time, Type::Timestamp),
        (Add, Some(Type::Time), Some(Type::Date)) => bin(&Type::Time, &Type::Date, Type::Timestamp),
        (Add | Sub, Some(t), Some(Type::Interval) | None) if is_ts(t) || *t == Type::Time => {
            if op == Sub && rt.is_none() {
                bin(t, t, Type::Interval)
            } else {
                bin(t, &Type::Interval, t.clone())
            }
        }
        (Add, Some(Type::Interval), Some(t)) if is_ts(t) || *t == Type::Time => {
            bin(&Type::Interval, t, t.clone())
        }
        (Sub, Some(a), Some(b)) if datetime_rank(a).is_some() && datetime_rank(b).is_some() => {
            let t = if datetime_rank(a) >= datetime_rank(b) {
                a
            } else {
                b
            };
            let t = if *t == Type::Date {
                Type::Timestamp
            } else {
                t.clone()
            };
            bin(&t, &t, Type::Interval)
        }
        (Sub, Some(Type::Time), Some(Type::Time)) => bin(&Type::Time, &Type::Time, Type::Interval),
        (Add | Sub, Some(Type::Interval), Some(Type::Interval) | None)
        | (Add | Sub, None, Some(Type::Interval)) => {
            bin(&Type::Interval, &Type::Interval, Type::Interval)
        }
        (Mul | Div, Some(Type::Interval), Some(t)) if numeric_rank(t).is_some() => {
            bin(&Type::Interval, &Type::Float8, Type::Interval)
        }
        (Mul | Div, Some(Type::Interval), None) => {
            bin(&Type::Interval, &Type::Float8, Type::Interval)
        }
        (Mul, Some(t), Some(Type::Interval)) if numeric_rank(t).is_some() => {
            bin(&Type::Float8, &Type::Interval, Type::Interval)
        }
        (Add | Sub | Mul | Div | BinaryOp::Mod, Some(a), b)
            if matches!(
                a,
                Type::Date | Type::Time | Type::Timestamp | Type::TimestampTz | Type::Interval
            ) =>
        {
            Err(no_operator(op, Some(a), b))
        }
        (BinaryOp::Overlap, _, _) => Err(no_operator(op, lt, rt)),
        _ => return Ok(None),
    };
    bound.map(Some)
}

/// `ARRAY[a, b, ...]`: elements coerced to their common type; `ARRAY[]` stays unknown until a
/// cast gives it a type.
pub(super) fn array(scope: &Scope, elems: &[ast::Expr]) -> Result<Typed> {
    let items = elems
        .iter()
        .map(|e| bind(e, scope))
        .collect::<Result<Vec<_>>>()?;
    if items.is_empty() {
        return Ok(Typed {
            expr: Expr::Function(Function::Builtin(Builtin::MakeArray), Vec::new()),
            ty: None,
        });
    }
    let element = common_type(&items, "ARRAY")?;
    let list = items
        .into_iter()
        .map(|i| i.coerce(&element, "ARRAY"))
        .collect::<Result<Vec<_>>>()?;
    // Items that are arrays make an array of one more dimension, of the same type.
    let (builtin, ty) = match element {
        t @ Type::Array(_) => (Builtin::MakeNestedArray, t),
        t => (Builtin::MakeArray, Type::Array(Box::new(t))),
    };
    Ok(Typed::new(
        Expr::Function(Function::Builtin(builtin), list),
        ty,
    ))
}

/// `j['a'][0]` on jsonb (PostgreSQL 14's subscripting): the path `j #> '{a,0}'`, each
/// subscript an integer or text (an object key, or an array index from the end when negative);
/// slices and other types are 42804.
fn jsonb_subscript(scope: &Scope, base: Typed, subs: &[&ast::Subscript]) -> Result<Typed> {
    let mut path = Vec::with_capacity(subs.len());
    for sub in subs {
        let ast::Subscript::Index { index } = sub else {
            return Err(Error::mismatch("jsonb subscript does not support slices"));
        };
        let key = bind(index, scope)?;
        let key = match &key.ty {
            None => key.coerce(&Type::Text, "jsonb subscript")?,
            Some(Type::Int2 | Type::Int4 | Type::Int8) => {
                Expr::Cast(Box::new(key.expr), Type::Text)
            }
            Some(t) if t.is_text() => key.expr,
            Some(t) => {
                return Err(Error::mismatch(format!(
                    "subscript type {} is not supported",
                    type_name(t)
                )))
            }
        };
        path.push(key);
    }
    Ok(Typed::new(
        Expr::Binary(
            BinaryOp::JsonGet {
                text: false,
                path: true,
                jsonb: true,
            },
            Box::new(base.expr),
            Box::new(Expr::Function(Function::Builtin(Builtin::MakeArray), path)),
        ),
        Type::Jsonb,
    ))
}

/// `a[i]`, `a[i][j]`, `a[lo:hi]`, `a[lo:][:hi][i]`...: the chain of subscripts on one base is
/// one operation, as in PostgreSQL. Without a slice it fetches an element (one subscript per
/// dimension); with any slice every subscript is a slice, `[i]` meaning `[1:i]`.
pub(super) fn subscript(scope: &Scope, base: &ast::Expr, sub: &ast::Subscript) -> Result<Typed> {
    let mut subs = vec![sub];
    let mut base = base;
    while let ast::Expr::Subscript { expr, subscript } = base {
        subs.push(subscript);
        base = expr;
    }
    subs.reverse();
    let a = bind(base, scope)?;
    if a.ty == Some(Type::Jsonb) {
        return jsonb_subscript(scope, a, &subs);
    }
    let Some(array_ty @ Type::Array(_)) = a.ty.clone() else {
        let t = a.ty.as_ref().map_or("unknown".to_string(), type_name);
        return Err(Error::mismatch(format!(
            "cannot subscript type {t} because it does not support subscripting"
        )));
    };
    if subs.len() > vdb_engine::value::MAX_DIMS {
        return Err(Error::invalid(
            "54000",
            format!(
                "number of array dimensions ({}) exceeds the maximum allowed ({})",
                subs.len(),
                vdb_engine::value::MAX_DIMS
            ),
        ));
    }
    let index =
        |e: &ast::Expr| -> Result<Expr> { bind(e, scope)?.coerce(&Type::Int4, "array subscript") };
    let is_slice = subs
        .iter()
        .any(|s| matches!(s, ast::Subscript::Slice { .. }));
    let mut args = vec![a.expr];
    if !is_slice {
        for s in &subs {
            if let ast::Subscript::Index { index: i } = s {
                args.push(index(i)?);
            }
        }
        let element = array_ty.element().cloned().unwrap_or(Type::Text);
        return Ok(Typed::new(
            Expr::Function(Function::Builtin(Builtin::Subscript), args),
            element,
        ));
    }
    let mut open = 0u16;
    for (k, s) in subs.iter().enumerate() {
        match s {
            ast::Subscript::Index { index: i } => {
                args.push(Expr::Literal(Value::Int4(1)));
                args.push(index(i)?);
            }
            ast::Subscript::Slice {
                lower_bound,
                upper_bound,
                stride: None,
            } => {
                for (bit, bound) in [(2 * k, lower_bound), (2 * k + 1, upper_bound)] {
                    match bound {
                        Some(e) => args.push(index(e)?),
                        None => {
                            open |= 1 << bit;
                            args.push(Expr::Literal(Value::Null));
                        }
                    }
                }
            }
            other => return Err(Error::Unsupported(format!("array subscript {other}"))),
        }
    }
    Ok(Typed::new(
        Expr::Function(Function::Builtin(Builtin::Slice { open }), args),
        array_ty,
    ))
}

/// `EXTRACT(field FROM x)`: numeric, as PostgreSQL 14+ returns.
pub(super) fn extract(scope: &Scope, field: &ast::DateTimeField, e: &ast::Expr) -> Result<Typed> {
    let name = match field {
        ast::DateTimeField::Custom(i) => i.value.to_lowercase(),
        other => other.to_string().to_lowercase(),
    };
    let x = bind(e, scope)?;
    let x = match x.ty {
        None => x.coerce(&Type::Timestamp, "")?,
        _ => x.expr,
    };
    Ok(Typed::new(
        Expr::Function(
            Function::Builtin(Builtin::DatePart { numeric: true }),
            vec![Expr::Literal(Value::Text(name)), x],
        ),
        Type::Numeric {
            precision_scale: None,
        },
    ))
}

/// `INTERVAL '1' DAY` and `INTERVAL '1 day'`.
pub(super) fn interval(scope: &Scope, iv: &ast::Interval) -> Result<Typed> {
    let v = bind(&iv.value, scope)?;
    let unit = iv
        .leading_field
        .as_ref()
        .map(|f| f.to_string().to_lowercase());
    let expr = match (&v.expr, unit) {
        (Expr::Literal(Value::Text(s)), Some(u)) if s.trim().parse::<f64>().is_ok() => {
            Expr::Literal(Value::Text(format!("{s} {u}")))
        }
        _ => v.expr,
    };
    let value = crate::types::cast(
        Expr::Cast(Box::new(expr), Type::Interval).eval(&[])?,
        &Type::Interval,
    )?;
    Ok(Typed::new(Expr::Literal(value), Type::Interval))
}

/// A cast to `timestamp(p)` / `time(p)`: the cast, then rounding to p fractional digits; an
/// explicit cast to `character(n)` truncates where an assignment would fail.
pub(super) fn precision_cast(data_type: &ast::DataType, cast: Typed) -> Typed {
    if let (Expr::Cast(inner, Type::Char(n)), Some(ty)) = (&cast.expr, &cast.ty) {
        let text = Expr::Cast(inner.clone(), Type::Text);
        let left = Expr::Function(
            Function::Left,
            vec![
                text,
                Expr::Literal(Value::Int4(i32::try_from(*n).unwrap_or(i32::MAX))),
            ],
        );
        return Typed::new(Expr::Cast(Box::new(left), ty.clone()), ty.clone());
    }
    let p = match data_type {
        ast::DataType::Timestamp(Some(p), _) | ast::DataType::Time(Some(p), _) => *p,
        _ => return cast,
    };
    if p >= 6 {
        return cast;
    }
    let ty = cast.resolved_type();
    Typed::new(
        Expr::Function(
            Function::Builtin(Builtin::RoundSeconds(u8::try_from(p).unwrap_or(6))),
            vec![cast.expr],
        ),
        ty,
    )
}

/// `ts AT TIME ZONE zone`: timestamptz becomes timestamp (local time there), timestamp becomes
/// timestamptz (read as local time there).
pub(super) fn at_time_zone(scope: &Scope, ts: &ast::Expr, zone: &ast::Expr) -> Result<Typed> {
    zone_call(bind(ts, scope)?, bind(zone, scope)?)
}

/// `timezone(zone, ts)`, the function behind `AT TIME ZONE`.
pub(super) fn zone_call(t: Typed, z: Typed) -> Result<Typed> {
    let (t, result) = match t.ty.clone() {
        Some(Type::TimestampTz) | None => (to(t, &Type::TimestampTz)?, Type::Timestamp),
        Some(Type::Date) => (to(t, &Type::TimestampTz)?, Type::Timestamp),
        Some(Type::Timestamp) => (t.expr, Type::TimestampTz),
        Some(other) => {
            return Err(Error::undefined_function(format!(
                "function timezone(unknown, {}) does not exist",
                type_name(&other)
            )))
        }
    };
    let z = match z.ty {
        Some(Type::Interval) => z.expr,
        _ => text_arg("timezone", z)?,
    };
    Ok(call(Builtin::AtTimeZone, vec![t, z], result))
}

/// `current_timestamp`, `current_date`, `localtimestamp`, `localtime` (no parentheses).
pub(super) fn niladic(name: &str) -> Option<Typed> {
    let now = Expr::Function(Function::Builtin(Builtin::Now), Vec::new());
    Some(match name {
        "current_timestamp" | "now" | "transaction_timestamp" => Typed::new(now, Type::TimestampTz),
        "current_date" => Typed::new(
            Expr::Function(Function::Builtin(Builtin::CurrentDate), Vec::new()),
            Type::Date,
        ),
        "localtimestamp" => Typed::new(Expr::Cast(Box::new(now), Type::Timestamp), Type::Timestamp),
        // vdb has no time with time zone: current_time is the local time.
        "localtime" | "current_time" => {
            Typed::new(Expr::Cast(Box::new(now), Type::Time), Type::Time)
        }
        _ => return None,
    })
}
