//! Binding calls of the string, math, date/time, array, json and uuid functions that
//! `expr/functions/` evaluates: each name's argument coercions and result type, as PostgreSQL
//! resolves them. `planner/function.rs` calls [`function`] for names it does not know.

use vdb_engine::value::{Type, Value};

use crate::error::{Error, Result};
use crate::expr::{Builtin, Expr, Function};
use crate::planner::expr::{common_type, Typed};
use crate::planner::function::text_arg;
use crate::types::{numeric_rank, type_name};

use super::is_int;

pub(super) fn call(b: Builtin, args: Vec<Expr>, ty: Type) -> Typed {
    Typed::new(Expr::Function(Function::Builtin(b), args), ty)
}

pub(super) fn no_function(name: &str, args: &[Typed]) -> Error {
    let list: Vec<String> = args
        .iter()
        .map(|a| a.ty.as_ref().map_or("unknown".to_string(), type_name))
        .collect();
    Error::undefined_function(format!(
        "function {name}({}) does not exist",
        list.join(", ")
    ))
}

fn texts(name: &str, args: Vec<Typed>) -> Result<Vec<Expr>> {
    args.into_iter().map(|a| text_arg(name, a)).collect()
}

/// `arg` coerced to `ty` (unknown literals cast; known types must convert implicitly).
pub(super) fn to(arg: Typed, ty: &Type) -> Result<Expr> {
    arg.coerce(ty, "argument")
}

pub(super) fn float_arg(name: &str, arg: Typed) -> Result<Expr> {
    match &arg.ty {
        Some(t) if numeric_rank(t).is_none() => Err(no_function(name, &[arg])),
        Some(Type::Numeric { .. }) => Ok(Expr::Cast(Box::new(arg.expr), Type::Float8)),
        _ => to(arg, &Type::Float8),
    }
}

/// A timestamp-like argument: unknown reads as timestamp, date widens to timestamp.
fn ts_arg(arg: Typed, date_to: &Type) -> Result<(Expr, Type)> {
    match arg.ty.clone() {
        None => Ok((to(arg, &Type::Timestamp)?, Type::Timestamp)),
        Some(Type::Date) => Ok((to(arg, date_to)?, date_to.clone())),
        Some(t) => Ok((arg.expr, t)),
    }
}

/// `enum_first(e)`, `enum_last(e)`, `enum_range(e)` and `enum_range(lower, upper)`: the labels
/// of the arguments' enum type, read when planned (the argument's value is not looked at, but
/// for `enum_range`'s bounds).
fn enum_function(name: &str, mut args: Vec<Typed>) -> Result<Typed> {
    let Some(Type::Enum(key)) = args.iter().find_map(|a| a.ty.clone()) else {
        return Err(no_function(name, &args));
    };
    let ty = Type::Enum(key.clone());
    if args.iter().any(|a| a.ty.as_ref().is_some_and(|t| *t != ty)) {
        return Err(no_function(name, &args));
    }
    let labels: Vec<Value> = crate::types::enums::lookup(&key)
        .map(|e| e.labels.iter().map(|l| Value::Text(l.clone())).collect())
        .unwrap_or_default();
    let label = |l: Option<&Value>| Expr::Literal(l.cloned().unwrap_or(Value::Null));
    let array = Type::Array(Box::new(ty.clone()));
    Ok(match (name, args.len()) {
        ("enum_first", _) => Typed::new(label(labels.first()), ty),
        ("enum_last", _) => Typed::new(label(labels.last()), ty),
        ("enum_range", 1) => Typed::new(
            Expr::Literal(Value::Array(vdb_engine::value::Array::new(labels))),
            array,
        ),
        _ => {
            let upper = to(args.remove(1), &ty)?;
            let lower = to(args.remove(0), &ty)?;
            let labels = Expr::Literal(Value::Array(vdb_engine::value::Array::new(labels)));
            call(Builtin::EnumRange, vec![labels, lower, upper], array)
        }
    })
}

/// `overlaps(s1, e1, s2, e2)`: an end given as an interval is a length from its start; the
/// four values then compare as the widest date/time type among them (timestamptz, timestamp,
/// date, time; timestamp for dates with a length), untyped literals taking that type.
fn overlaps(args: Vec<Typed>) -> Result<Typed> {
    fn rank(ty: Option<&Type>) -> u8 {
        match ty {
            Some(Type::TimestampTz) => 4,
            Some(Type::Timestamp) => 3,
            Some(Type::Date) => 2,
            Some(Type::Time) => 1,
            _ => 0,
        }
    }
    let widest = args
        .iter()
        .map(|a| a.ty.as_ref())
        .filter(|t| rank(*t) > 0)
        .max_by_key(|t| rank(*t))
        .flatten()
        .cloned()
        .unwrap_or(Type::TimestampTz);
    // A date period with an interval length ends at a timestamp: compare as timestamps.
    let widest = if widest == Type::Date && args.iter().any(|a| a.ty == Some(Type::Interval)) {
        Type::Timestamp
    } else {
        widest
    };
    let mut bounds = Vec::with_capacity(4);
    let mut args = args.into_iter();
    while let (Some(start), Some(end)) = (args.next(), args.next()) {
        let start = Typed {
            expr: to(start, &widest)?,
            ty: Some(widest.clone()),
        };
        let end = if end.ty == Some(Type::Interval) {
            crate::planner::expr::make_binary(crate::expr::BinaryOp::Add, start.clone(), end)?
                .coerce(&widest, "")?
        } else {
            to(end, &widest)?
        };
        bounds.push(start.expr);
        bounds.push(end);
    }
    Ok(call(Builtin::Overlaps, bounds, Type::Bool))
}

pub(super) fn array_arg(name: &str, arg: Typed) -> Result<(Expr, Type)> {
    match arg.ty.clone() {
        Some(t @ Type::Array(_)) => Ok((arg.expr, t)),
        None => {
            let t = Type::Array(Box::new(Type::Text));
            Ok((to(arg, &t)?, t))
        }
        Some(_) => Err(no_function(name, &[arg])),
    }
}

/// An array and an element argument (array_append, array_position, ...): an untyped array
/// (a bare NULL) takes the array type of the element's type, as PostgreSQL's polymorphic
/// resolution gives it.
pub(super) fn array_and_element(
    name: &str,
    array: Typed,
    element: Typed,
) -> Result<(Expr, Type, Expr)> {
    let (a, t) = match (&array.ty, &element.ty) {
        (None, Some(e)) if !matches!(e, Type::Array(_)) => {
            let t = Type::Array(Box::new(e.clone()));
            (to(array, &t)?, t)
        }
        _ => array_arg(name, array)?,
    };
    let e = to(element, t.element().unwrap_or(&Type::Text))?;
    Ok((a, t, e))
}

fn json_arg(arg: Typed) -> Result<Expr> {
    match &arg.ty {
        Some(Type::Json | Type::Jsonb) => Ok(arg.expr),
        _ => to(arg, &Type::Jsonb),
    }
}

/// Whether values of type `t` already hold json text that the json builders embed as it is:
/// json, jsonb, and arrays of them (element by element).
pub(in crate::planner) fn is_json(t: &Option<Type>) -> bool {
    match t {
        Some(Type::Json | Type::Jsonb) => true,
        Some(Type::Array(inner)) => is_json(&Some((**inner).clone())),
        _ => false,
    }
}

/// Binds a call of one of the functions this module knows; `None` for other names.
pub(in crate::planner) fn function(name: &str, mut args: Vec<Typed>) -> Option<Result<Typed>> {
    if super::compat::handles(name, &args) {
        return Some(super::compat::function(name, args));
    }
    if super::misc::handles(name, &args) {
        return Some(super::misc::function(name, args));
    }
    let n = args.len();
    let b = |x: Builtin| x;
    Some((|| -> Result<Typed> {
        Ok(match (name, n) {
            ("now" | "current_timestamp" | "transaction_timestamp", 0) => {
                call(b(Builtin::Now), vec![], Type::TimestampTz)
            }
            ("statement_timestamp", 0) => {
                call(b(Builtin::StatementTimestamp), vec![], Type::TimestampTz)
            }
            ("clock_timestamp", 0) => call(b(Builtin::ClockTimestamp), vec![], Type::TimestampTz),
            ("concat" | "concat_ws", 0) => return Err(super::extras::no_arguments(name)),
            ("concat", _) => {
                let list = args
                    .into_iter()
                    .map(|a| {
                        if a.ty.is_none() {
                            to(a, &Type::Text)
                        } else {
                            Ok(a.expr)
                        }
                    })
                    .collect::<Result<Vec<_>>>()?;
                call(Builtin::Concat, list, Type::Text)
            }
            ("concat_ws", 1..) => {
                let rest = args.split_off(1);
                let mut list = texts(name, args)?;
                for a in rest {
                    list.push(if a.ty.is_none() {
                        to(a, &Type::Text)?
                    } else {
                        a.expr
                    });
                }
                call(Builtin::ConcatWs, list, Type::Text)
            }
            ("format", 1..) => {
                let rest = args.split_off(1);
                let mut list = texts(name, args)?;
                for a in rest {
                    list.push(if a.ty.is_none() {
                        to(a, &Type::Text)?
                    } else {
                        a.expr
                    });
                }
                call(Builtin::Format, list, Type::Text)
            }
            ("strpos", 2) => call(Builtin::Strpos, texts(name, args)?, Type::Int4),
            ("split_part", 3) => {
                let k = args.pop().map(|a| to(a, &Type::Int4)).transpose()?;
                let mut list = texts(name, args)?;
                list.extend(k);
                call(Builtin::SplitPart, list, Type::Text)
            }
            ("lpad" | "rpad", 2 | 3) => {
                let fill = if n == 3 { args.pop() } else { None };
                let len = args.pop().map(|a| to(a, &Type::Int4)).transpose()?;
                let mut list = texts(name, args)?;
                list.extend(len);
                list.extend(fill.map(|f| text_arg(name, f)).transpose()?);
                let f = if name == "lpad" {
                    Builtin::Lpad
                } else {
                    Builtin::Rpad
                };
                call(f, list, Type::Text)
            }
            ("right" | "repeat", 2) => {
                let k = args.pop().map(|a| to(a, &Type::Int4)).transpose()?;
                let mut list = texts(name, args)?;
                list.extend(k);
                let f = if name == "right" {
                    Builtin::Right
                } else {
                    Builtin::Repeat
                };
                call(f, list, Type::Text)
            }
            ("reverse", 1) => call(Builtin::Reverse, texts(name, args)?, Type::Text),
            ("initcap", 1) => call(Builtin::Initcap, texts(name, args)?, Type::Text),
            ("md5", 1) => call(Builtin::Md5, texts(name, args)?, Type::Text),
            ("hashtext", 1) => call(Builtin::Hashtext, texts(name, args)?, Type::Int4),
            ("starts_with", 2) => call(Builtin::StartsWith, texts(name, args)?, Type::Bool),
            ("regexp_replace", 4..=6)
                if args[3]
                    .ty
                    .as_ref()
                    .is_some_and(|t| numeric_rank(t).is_some()) =>
            {
                // regexp_replace(s, pattern, replacement, start [, N [, flags]]): with a start
                // and no N, only the first match at or after it is replaced.
                let mut rest = args.split_off(3).into_iter();
                let mut list = texts(name, args)?;
                let start = rest.next().map(|a| to(a, &Type::Int4)).transpose()?;
                let nth = rest.next().map(|a| to(a, &Type::Int4)).transpose()?;
                let flags = rest.next().map(|a| text_arg(name, a)).transpose()?;
                list.push(flags.unwrap_or(Expr::Literal(Value::Text(String::new()))));
                list.extend(start);
                list.push(nth.unwrap_or(Expr::Literal(Value::Int4(1))));
                call(Builtin::RegexpReplace, list, Type::Text)
            }
            ("regexp_replace", 3 | 4) => {
                call(Builtin::RegexpReplace, texts(name, args)?, Type::Text)
            }
            ("ascii", 1) => call(Builtin::Ascii, texts(name, args)?, Type::Int4),
            ("chr", 1) => call(
                Builtin::Chr,
                vec![to(args.remove(0), &Type::Int4)?],
                Type::Text,
            ),
            ("octet_length", 1) => {
                let a = args.remove(0);
                // bytea, and char(n) with its padding, count as they are.
                let e = if matches!(a.ty, Some(Type::Bytea | Type::Char(_))) {
                    a.expr
                } else {
                    text_arg(name, a)?
                };
                call(Builtin::OctetLength, vec![e], Type::Int4)
            }
            ("trunc", 1 | 2) => {
                let a = args.remove(0);
                let numeric = Type::Numeric {
                    precision_scale: None,
                };
                if n == 2 || matches!(a.ty, Some(Type::Numeric { .. })) {
                    let mut list = vec![to(a, &numeric)?];
                    list.extend(args.pop().map(|d| to(d, &Type::Int4)).transpose()?);
                    call(Builtin::Trunc, list, numeric)
                } else {
                    call(Builtin::Trunc, vec![float_arg(name, a)?], Type::Float8)
                }
            }
            ("sqrt" | "cbrt" | "exp" | "ln" | "degrees" | "radians", 1) => {
                let f = match name {
                    "sqrt" => Builtin::Sqrt,
                    "cbrt" => Builtin::Cbrt,
                    "exp" => Builtin::Exp,
                    "ln" => Builtin::Ln,
                    "degrees" => Builtin::Degrees,
                    _ => Builtin::Radians,
                };
                call(f, vec![float_arg(name, args.remove(0))?], Type::Float8)
            }
            ("power" | "pow", 2) => {
                let list = args
                    .into_iter()
                    .map(|a| float_arg(name, a))
                    .collect::<Result<Vec<_>>>()?;
                call(Builtin::Power, list, Type::Float8)
            }
            ("log10", 1) => call(
                Builtin::Log10,
                vec![float_arg(name, args.remove(0))?],
                Type::Float8,
            ),
            ("log", 1 | 2) => {
                let float = n == 1
                    && matches!(
                        &args[0].ty,
                        Some(Type::Float4 | Type::Float8 | Type::Int2 | Type::Int4 | Type::Int8)
                    );
                if float {
                    call(
                        Builtin::Log10,
                        vec![float_arg(name, args.remove(0))?],
                        Type::Float8,
                    )
                } else {
                    let numeric = Type::Numeric {
                        precision_scale: None,
                    };
                    let list = args
                        .into_iter()
                        .map(|a| to(a, &numeric))
                        .collect::<Result<Vec<_>>>()?;
                    call(Builtin::Log, list, numeric)
                }
            }
            ("mod", 2) => {
                let ty = common_type(&args, "mod")?;
                let ty = match ty {
                    t if is_int(&t) => t,
                    Type::Numeric { .. } => Type::Numeric {
                        precision_scale: None,
                    },
                    Type::Text => Type::Int4,
                    _ => Type::Numeric {
                        precision_scale: None,
                    },
                };
                let list = args
                    .into_iter()
                    .map(|a| to(a, &ty))
                    .collect::<Result<Vec<_>>>()?;
                call(Builtin::Mod, list, ty)
            }
            ("sign", 1) => {
                let a = args.remove(0);
                if matches!(a.ty, Some(Type::Numeric { .. })) {
                    let t = Type::Numeric {
                        precision_scale: None,
                    };
                    call(Builtin::Sign, vec![a.expr], t)
                } else {
                    call(Builtin::Sign, vec![float_arg(name, a)?], Type::Float8)
                }
            }
            ("pi", 0) => call(Builtin::Pi, vec![], Type::Float8),
            ("random", 0) => call(Builtin::Random, vec![], Type::Float8),
            ("lastval", 0) => call(Builtin::LastVal, vec![], Type::Int8),
            ("pg_sleep", 1) => call(
                Builtin::PgSleep,
                vec![float_arg(name, args.remove(0))?],
                Type::Text,
            ),
            ("pg_notify", 2) => {
                let payload = text_arg(name, args.remove(1))?;
                call(
                    Builtin::PgNotify,
                    vec![text_arg(name, args.remove(0))?, payload],
                    Type::Text,
                )
            }
            ("timezone", 2) => {
                let ts = args.remove(1);
                return super::zone_call(ts, args.remove(0));
            }
            ("date_trunc", 3) => {
                let zone = text_arg(name, args.remove(2))?;
                let x = to(args.remove(1), &Type::TimestampTz)?;
                let unit = text_arg(name, args.remove(0))?;
                call(Builtin::DateTrunc, vec![unit, x, zone], Type::TimestampTz)
            }
            ("date_trunc", 2) => {
                let (x, ty) = ts_arg(args.remove(1), &Type::TimestampTz)?;
                let unit = text_arg(name, args.remove(0))?;
                call(Builtin::DateTrunc, vec![unit, x], ty)
            }
            ("date_part", 2) => {
                let (x, _) = ts_arg(args.remove(1), &Type::Timestamp)?;
                let unit = text_arg(name, args.remove(0))?;
                call(
                    Builtin::DatePart { numeric: false },
                    vec![unit, x],
                    Type::Float8,
                )
            }
            ("to_char", 2) => {
                let fmt = text_arg(name, args.remove(1))?;
                let (x, _) = ts_arg(args.remove(0), &Type::Timestamp)?;
                call(Builtin::ToChar, vec![x, fmt], Type::Text)
            }
            ("age", 1 | 2) => {
                let list = args
                    .into_iter()
                    .map(|a| ts_arg(a, &Type::Timestamp).map(|(e, _)| e))
                    .collect::<Result<Vec<_>>>()?;
                call(Builtin::Age, list, Type::Interval)
            }
            ("make_date", 3) => {
                let list = args
                    .into_iter()
                    .map(|a| to(a, &Type::Int4))
                    .collect::<Result<Vec<_>>>()?;
                call(Builtin::MakeDate, list, Type::Date)
            }
            ("make_time", 3) => {
                let secs = float_arg(name, args.remove(2))?;
                let mut list = args
                    .into_iter()
                    .map(|a| to(a, &Type::Int4))
                    .collect::<Result<Vec<_>>>()?;
                list.push(secs);
                call(Builtin::MakeTime, list, Type::Time)
            }
            ("make_timestamptz", 6 | 7) => {
                let zone = if n == 7 {
                    Some(text_arg(name, args.remove(6))?)
                } else {
                    None
                };
                let secs = float_arg(name, args.remove(5))?;
                let mut list = args
                    .into_iter()
                    .map(|a| to(a, &Type::Int4))
                    .collect::<Result<Vec<_>>>()?;
                list.push(secs);
                list.extend(zone);
                call(Builtin::MakeTimestampTz, list, Type::TimestampTz)
            }
            ("to_timestamp" | "to_date", 2) => {
                let list = texts(name, args)?;
                if name == "to_date" {
                    call(Builtin::ParseFormatted { date: true }, list, Type::Date)
                } else {
                    call(
                        Builtin::ParseFormatted { date: false },
                        list,
                        Type::TimestampTz,
                    )
                }
            }
            ("isfinite", 1) => {
                let a = args.remove(0);
                let a = match a.ty {
                    Some(Type::Date | Type::Timestamp | Type::TimestampTz | Type::Interval) => {
                        a.expr
                    }
                    None => to(a, &Type::TimestampTz)?,
                    Some(_) => return Err(no_function(name, &[a])),
                };
                call(Builtin::IsFinite, vec![a], Type::Bool)
            }
            ("date_bin", 3) => {
                let origin = args.remove(2);
                let (source, ty) = ts_arg(args.remove(1), &Type::Timestamp)?;
                let origin = to(origin, &ty)?;
                let stride = to(args.remove(0), &Type::Interval)?;
                call(Builtin::DateBin, vec![stride, source, origin], ty)
            }
            ("overlaps", 4) => overlaps(args)?,
            (crate::planner::expression_syntax::SUBSTRING_SIMILAR, 3) => {
                let escape = text_arg(name, args.remove(2))?;
                let pattern = text_arg(name, args.remove(1))?;
                let string = text_arg(name, args.remove(0))?;
                let regex = Expr::Function(
                    Function::Builtin(Builtin::SimilarSubstringRegex),
                    vec![pattern, escape],
                );
                call(Builtin::RegexpSubstring, vec![string, regex], Type::Text)
            }
            (crate::planner::expression_syntax::ARRAY_ELEMENT, 3) => {
                let value = args.remove(2);
                let subscript = to(args.remove(1), &Type::Int4)?;
                let (array, ty) = array_arg(name, args.remove(0))?;
                let element = ty.element().cloned().unwrap_or(Type::Text);
                let value = value.coerce(&element, "")?;
                call(Builtin::ArraySetElement, vec![array, subscript, value], ty)
            }
            ("enum_first" | "enum_last" | "enum_range", 1) | ("enum_range", 2) => {
                enum_function(name, args)?
            }
            ("make_timestamp", 6) => {
                let secs = args.pop().map(|a| float_arg(name, a)).transpose()?;
                let mut list = args
                    .into_iter()
                    .map(|a| to(a, &Type::Int4))
                    .collect::<Result<Vec<_>>>()?;
                list.extend(secs);
                call(Builtin::MakeTimestamp, list, Type::Timestamp)
            }
            ("make_interval", 0..=7) => {
                let secs = if n == 7 { args.pop() } else { None };
                let mut list = args
                    .into_iter()
                    .map(|a| to(a, &Type::Int4))
                    .collect::<Result<Vec<_>>>()?;
                list.extend(secs.map(|s| float_arg(name, s)).transpose()?);
                call(Builtin::MakeInterval, list, Type::Interval)
            }
            ("to_timestamp", 1) => call(
                Builtin::ToTimestamp,
                vec![float_arg(name, args.remove(0))?],
                Type::TimestampTz,
            ),
            ("justify_days" | "justify_hours" | "justify_interval", 1) => {
                let f = match name {
                    "justify_days" => Builtin::JustifyDays,
                    "justify_hours" => Builtin::JustifyHours,
                    _ => Builtin::JustifyInterval,
                };
                call(
                    f,
                    vec![to(args.remove(0), &Type::Interval)?],
                    Type::Interval,
                )
            }
            ("gen_random_uuid", 0) => call(Builtin::GenRandomUuid, vec![], Type::Uuid),
            ("array_length" | "array_lower" | "array_upper", 2) => {
                let d = to(args.remove(1), &Type::Int4)?;
                let (a, _) = array_arg(name, args.remove(0))?;
                let f = match name {
                    "array_length" => Builtin::ArrayLength,
                    "array_lower" => Builtin::ArrayLower,
                    _ => Builtin::ArrayUpper,
                };
                call(f, vec![a, d], Type::Int4)
            }
            ("cardinality", 1) => {
                let (a, _) = array_arg(name, args.remove(0))?;
                call(Builtin::Cardinality, vec![a], Type::Int4)
            }
            ("array_append", 2) => {
                let array = args.remove(0);
                let (a, t, e) = array_and_element(name, array, args.remove(0))?;
                call(Builtin::ArrayAppend, vec![a, e], t)
            }
            ("array_prepend", 2) => {
                let array = args.remove(1);
                let (a, t, e) = array_and_element(name, array, args.remove(0))?;
                call(Builtin::ArrayPrepend, vec![e, a], t)
            }
            ("array_cat", 2) => {
                let t = common_type(&args, "array_cat")?;
                if !matches!(t, Type::Array(_)) {
                    return Err(no_function(name, &args));
                }
                let list = args
                    .into_iter()
                    .map(|a| to(a, &t))
                    .collect::<Result<Vec<_>>>()?;
                call(Builtin::ArrayCat, list, t)
            }
            ("array_position", 2 | 3) => {
                let start = if n == 3 { args.pop() } else { None };
                let array = args.remove(0);
                let (a, _, e) = array_and_element(name, array, args.remove(0))?;
                let mut list = vec![a, e];
                list.extend(start.map(|s| to(s, &Type::Int4)).transpose()?);
                call(Builtin::ArrayPosition, list, Type::Int4)
            }
            ("array_to_string", 2 | 3) => {
                let (a, _) = array_arg(name, args.remove(0))?;
                let mut list = vec![a];
                list.extend(texts(name, args)?);
                call(Builtin::ArrayToString, list, Type::Text)
            }
            ("string_to_array", 2 | 3) => call(
                Builtin::StringToArray,
                texts(name, args)?,
                Type::Array(Box::new(Type::Text)),
            ),
            ("array_to_json", 1) => {
                let (a, ty) = array_arg(name, args.remove(0))?;
                call(
                    Builtin::ToJson {
                        jsonb: false,
                        raw: is_json(&Some(ty)),
                    },
                    vec![a],
                    Type::Json,
                )
            }
            ("to_json" | "to_jsonb", 1) => {
                let mut a = args.remove(0);
                if let Some(row) = record_json(&a.expr) {
                    a = Typed::new(row, Type::Json);
                }
                let raw = is_json(&a.ty);
                let e = if a.ty.is_none() {
                    to(a, &Type::Text)?
                } else {
                    a.expr
                };
                let jsonb = name == "to_jsonb";
                let ty = if jsonb { Type::Jsonb } else { Type::Json };
                call(Builtin::ToJson { jsonb, raw }, vec![e], ty)
            }
            ("json_build_object" | "jsonb_build_object", _) => {
                if n % 2 != 0 {
                    return Err(Error::invalid(
                        "22023",
                        "argument list must have even number of elements",
                    ));
                }
                let mut list = Vec::new();
                for (i, a) in args.into_iter().enumerate() {
                    if i % 2 == 0 {
                        list.push(if a.ty.is_none() {
                            to(a, &Type::Text)?
                        } else {
                            a.expr
                        });
                    } else {
                        list.push(json_value(a)?);
                    }
                }
                let jsonb = name.starts_with("jsonb");
                let ty = if jsonb { Type::Jsonb } else { Type::Json };
                call(Builtin::BuildObject { jsonb }, list, ty)
            }
            ("json_build_array" | "jsonb_build_array", _) => {
                let list = args
                    .into_iter()
                    .map(json_value)
                    .collect::<Result<Vec<_>>>()?;
                let jsonb = name.starts_with("jsonb");
                let ty = if jsonb { Type::Jsonb } else { Type::Json };
                call(Builtin::BuildArray { jsonb }, list, ty)
            }
            ("jsonb_typeof" | "json_typeof", 1) => call(
                Builtin::JsonTypeof,
                vec![json_arg(args.remove(0))?],
                Type::Text,
            ),
            ("jsonb_array_length" | "json_array_length", 1) => call(
                Builtin::JsonArrayLength,
                vec![json_arg(args.remove(0))?],
                Type::Int4,
            ),
            ("jsonb_pretty", 1) => call(
                Builtin::JsonbPretty,
                vec![to(args.remove(0), &Type::Jsonb)?],
                Type::Text,
            ),
            _ => return super::extras::function(name, args),
        })
    })())
    .filter(|r| {
        !matches!(
            r,
            Err(Error::TypeMismatch {
                undefined_function: true,
                ..
            })
        ) || known(name)
            || super::extras::NAMES.contains(&name)
            || super::extension::NAMES.contains(&name)
    })
}

/// `ROW(a, b)` (bound as its record text) as the json object PostgreSQL makes of a record,
/// `{"f1":a,"f2":b}`; `None` for any other expression. The fields' types are not kept, so a
/// json field becomes a json string.
pub(in crate::planner) fn record_json(expr: &Expr) -> Option<Expr> {
    let Expr::Function(Function::Builtin(Builtin::RecordText), fields) = expr else {
        return None;
    };
    let mut args = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        args.push(Expr::Literal(Value::Text(format!("f{}", i + 1))));
        let raw = matches!(field, Expr::Cast(_, Type::Json | Type::Jsonb));
        args.push(Expr::Function(
            Function::Builtin(Builtin::JsonArg { raw }),
            vec![field.clone()],
        ));
    }
    Some(Expr::Function(Function::Builtin(Builtin::RowJson), args))
}

/// A build_object/build_array value: its json text, NULL as `null`.
fn json_value(a: Typed) -> Result<Expr> {
    if let Some(row) = record_json(&a.expr) {
        return Ok(row);
    }
    let raw = is_json(&a.ty);
    let e = if a.ty.is_none() {
        to(a, &Type::Text)?
    } else {
        a.expr
    };
    Ok(Expr::Function(
        Function::Builtin(Builtin::JsonArg { raw }),
        vec![e],
    ))
}

/// Whether `name` is one of this module's functions (so a wrong call reports its types).
fn known(name: &str) -> bool {
    [
        "concat",
        "concat_ws",
        "format",
        "strpos",
        "split_part",
        "lpad",
        "rpad",
        "right",
        "repeat",
        "reverse",
        "initcap",
        "md5",
        "hashtext",
        "starts_with",
        "regexp_replace",
        "ascii",
        "chr",
        "octet_length",
        "trunc",
        "sqrt",
        "cbrt",
        "exp",
        "ln",
        "degrees",
        "radians",
        "power",
        "pow",
        "log10",
        "log",
        "mod",
        "sign",
        "pi",
        "random",
        "lastval",
        "pg_sleep",
        "pg_notify",
        "timezone",
        "date_trunc",
        "date_part",
        "to_char",
        "age",
        "make_date",
        "make_timestamp",
        "make_time",
        "make_timestamptz",
        "to_date",
        "isfinite",
        "date_bin",
        "overlaps",
        crate::planner::expression_syntax::ARRAY_ELEMENT,
        crate::planner::expression_syntax::SUBSTRING_SIMILAR,
        "enum_first",
        "enum_last",
        "enum_range",
        "make_interval",
        "to_timestamp",
        "justify_days",
        "justify_hours",
        "justify_interval",
        "gen_random_uuid",
        "array_length",
        "array_lower",
        "array_upper",
        "cardinality",
        "array_append",
        "array_prepend",
        "array_cat",
        "array_position",
        "array_to_string",
        "string_to_array",
        "to_json",
        "array_to_json",
        "to_jsonb",
        "json_build_object",
        "jsonb_build_object",
        "json_build_array",
        "jsonb_build_array",
        "jsonb_typeof",
        "json_typeof",
        "jsonb_array_length",
        "json_array_length",
        "jsonb_pretty",
        "now",
    ]
    .contains(&name)
}
