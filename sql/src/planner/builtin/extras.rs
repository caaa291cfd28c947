//! Binding of the further text, math and array functions (evaluated by
//! `expr/functions/{codec,math,containers}.rs`): translate, to_hex, quote_ident/literal/nullable,
//! bit_length, encode/decode, regexp_match/split_to_array/like/count, div, gcd/lcm,
//! the trigonometric functions, width_bucket, factorial, array_dims/ndims/positions/remove/
//! replace, and `pg_typeof`, whose answer the argument's type fixes at planning time.

use vdb_engine::value::{Type, Value};

use crate::error::{Error, Result};
use crate::expr::{Builtin, Expr};
use crate::planner::expr::{common_type, Typed};
use crate::planner::function::text_arg;
use crate::types::{numeric_rank, type_name};

use super::functions::{array_arg, call, float_arg, no_function, to};
use super::is_int;

/// The names this module binds (so a wrong call reports its argument types).
pub(super) const NAMES: &[&str] = &[
    "pg_typeof",
    "translate",
    "to_hex",
    "quote_ident",
    "quote_literal",
    "quote_nullable",
    "bit_length",
    "encode",
    "decode",
    "regexp_match",
    "regexp_split_to_array",
    "regexp_like",
    "regexp_count",
    "div",
    "gcd",
    "lcm",
    "sin",
    "cos",
    "tan",
    "cot",
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "tanh",
    "sind",
    "cosd",
    "tand",
    "cotd",
    "asind",
    "acosd",
    "atand",
    "asinh",
    "acosh",
    "atanh",
    "atan2",
    "atan2d",
    "width_bucket",
    "factorial",
    "array_dims",
    "array_ndims",
    "array_positions",
    "array_remove",
    "array_replace",
    "array_fill",
    "trim_array",
    "jsonb_set",
    "jsonb_set_lax",
    "jsonb_insert",
    "jsonb_strip_nulls",
    "jsonb_extract_path",
    "jsonb_extract_path_text",
    "json_extract_path",
    "json_extract_path_text",
];

const NUMERIC: Type = Type::Numeric {
    precision_scale: None,
};

/// The name `pg_typeof` prints for a type (`unknown` for an untyped literal).
fn regtype_name(ty: Option<&Type>) -> String {
    match ty {
        None => "unknown".into(),
        Some(Type::Char(_)) => "character".into(),
        Some(Type::Varchar(_)) => "character varying".into(),
        Some(Type::Array(e)) => format!("{}[]", regtype_name(Some(e))),
        Some(t) => type_name(t),
    }
}

fn texts(name: &str, args: Vec<Typed>) -> Result<Vec<Expr>> {
    args.into_iter().map(|a| text_arg(name, a)).collect()
}

fn ints(args: Vec<Typed>, ty: &Type) -> Result<Vec<Expr>> {
    args.into_iter().map(|a| to(a, ty)).collect()
}

/// Binds `name(args)` if it is one of [`NAMES`].
pub(super) fn function(name: &str, mut args: Vec<Typed>) -> Result<Typed> {
    let n = args.len();
    Ok(match (name, n) {
        ("pg_typeof", 1) => {
            let name = match &args[0].expr {
                Expr::Function(crate::expr::Function::Builtin(Builtin::RecordText), _) => {
                    "record".to_string()
                }
                // A value cast to a domain is of the domain, though it is held as its base.
                Expr::Domain(_, domain) => domain.name.clone(),
                Expr::Function(
                    crate::expr::Function::Builtin(
                        Builtin::Setseed | Builtin::PgSleep | Builtin::PgNotify,
                    ),
                    _,
                ) => "void".to_string(),
                // The catalog's OID types, which vdb computes with as integers.
                Expr::Catalog(f, ..) => {
                    use crate::expr::catalog::{CatalogFunction as F, RegName};
                    match f {
                        F::RegclassIn | F::ToRegclass => "regclass".to_string(),
                        F::RegtypeIn | F::ToRegtype => "regtype".to_string(),
                        F::RegprocIn => "regproc".to_string(),
                        F::RegnameIn {
                            kind: RegName::Namespace,
                            ..
                        } => "regnamespace".to_string(),
                        F::RegnameIn {
                            kind: RegName::Role,
                            ..
                        } => "regrole".to_string(),
                        _ => regtype_name(args[0].ty.as_ref()),
                    }
                }
                _ => regtype_name(args[0].ty.as_ref()),
            };
            Typed::new(Expr::Literal(Value::Text(name)), Type::Text)
        }
        ("translate", 3) => call(Builtin::Translate, texts(name, args)?, Type::Text),
        ("to_hex", 1) => {
            let ty = match &args[0].ty {
                Some(Type::Int8) => Type::Int8,
                Some(t) if !is_int(t) => return Err(no_function(name, &args)),
                _ => Type::Int4,
            };
            call(Builtin::ToHex, ints(args, &ty)?, Type::Text)
        }
        ("quote_ident", 1) => call(Builtin::QuoteIdent, texts(name, args)?, Type::Text),
        ("quote_literal" | "quote_nullable", 1) => {
            let a = args.remove(0);
            let e = match a.ty {
                None => to(a, &Type::Text)?,
                Some(ref t) if t.is_text() => a.expr,
                Some(_) => Expr::Cast(Box::new(a.expr), Type::Text),
            };
            let f = if name == "quote_literal" {
                Builtin::QuoteLiteral
            } else {
                Builtin::QuoteNullable
            };
            call(f, vec![e], Type::Text)
        }
        ("bit_length", 1) => {
            let a = args.remove(0);
            let e = if a.ty == Some(Type::Bytea) {
                a.expr
            } else {
                text_arg(name, a)?
            };
            call(Builtin::BitLength, vec![e], Type::Int4)
        }
        ("encode", 2) => {
            let f = text_arg(name, args.remove(1))?;
            call(
                Builtin::Encode,
                vec![to(args.remove(0), &Type::Bytea)?, f],
                Type::Text,
            )
        }
        ("decode", 2) => call(Builtin::Decode, texts(name, args)?, Type::Bytea),
        ("regexp_match", 2 | 3) => call(
            Builtin::RegexpMatch,
            texts(name, args)?,
            Type::Array(Box::new(Type::Text)),
        ),
        ("regexp_split_to_array", 2 | 3) => call(
            Builtin::RegexpSplitToArray,
            texts(name, args)?,
            Type::Array(Box::new(Type::Text)),
        ),
        ("regexp_like", 2 | 3) => call(Builtin::RegexpLike, texts(name, args)?, Type::Bool),
        ("regexp_count", 2) => call(Builtin::RegexpCount, texts(name, args)?, Type::Int4),
        ("div", 2) => call(Builtin::Div, ints(args, &NUMERIC)?, NUMERIC),
        ("gcd" | "lcm", 2) => {
            let ty = match common_type(&args, name)? {
                t @ (Type::Int4 | Type::Int8) => t,
                Type::Int2 | Type::Text => Type::Int4,
                Type::Numeric { .. } => NUMERIC,
                _ => return Err(no_function(name, &args)),
            };
            let f = if name == "gcd" {
                Builtin::Gcd
            } else {
                Builtin::Lcm
            };
            call(f, ints(args, &ty)?, ty)
        }
        (
            "sin" | "cos" | "tan" | "cot" | "asin" | "acos" | "atan" | "sinh" | "cosh" | "tanh"
            | "sind" | "cosd" | "tand" | "cotd" | "asind" | "acosd" | "atand" | "asinh" | "acosh"
            | "atanh",
            1,
        ) => {
            const NAMES: [&str; 20] = [
                "sin", "cos", "tan", "cot", "asin", "acos", "atan", "sinh", "cosh", "tanh", "sind",
                "cosd", "tand", "cotd", "asind", "acosd", "atand", "asinh", "acosh", "atanh",
            ];
            let f = NAMES
                .iter()
                .find(|n| **n == name)
                .copied()
                .unwrap_or("tanh");
            call(
                Builtin::Trig(f),
                vec![float_arg(name, args.remove(0))?],
                Type::Float8,
            )
        }
        ("atan2", 2) => {
            let list = args
                .into_iter()
                .map(|a| float_arg(name, a))
                .collect::<Result<Vec<_>>>()?;
            call(Builtin::Atan2, list, Type::Float8)
        }
        ("atan2d", 2) => {
            let list = args
                .into_iter()
                .map(|a| float_arg(name, a))
                .collect::<Result<Vec<_>>>()?;
            call(Builtin::Atan2d, list, Type::Float8)
        }
        ("width_bucket", 4) => {
            let count = to(
                args.pop().ok_or_else(|| no_function(name, &[]))?,
                &Type::Int4,
            )?;
            let ty = match common_type(&args, name)? {
                Type::Float4 | Type::Float8 => Type::Float8,
                t if numeric_rank(&t).is_some() || t == Type::Text => NUMERIC,
                _ => return Err(no_function(name, &args)),
            };
            let mut list = ints(args, &ty)?;
            list.push(count);
            call(Builtin::WidthBucket, list, Type::Int4)
        }
        ("width_bucket", 2) => {
            let thresholds = args.pop().ok_or_else(|| no_function(name, &[]))?;
            let (array, array_type) = array_arg(name, thresholds)?;
            let element = array_type.element().cloned().unwrap_or(Type::Text);
            let x = to(args.pop().ok_or_else(|| no_function(name, &[]))?, &element)?;
            call(Builtin::WidthBucketArray, vec![x, array], Type::Int4)
        }
        ("factorial", 1) => call(Builtin::Factorial, ints(args, &Type::Int8)?, NUMERIC),
        ("array_dims" | "array_ndims", 1) => {
            let (a, _) = array_arg(name, args.remove(0))?;
            if name == "array_dims" {
                call(Builtin::ArrayDims, vec![a], Type::Text)
            } else {
                call(Builtin::ArrayNdims, vec![a], Type::Int4)
            }
        }
        ("array_positions" | "array_remove", 2) => {
            let array = args.remove(0);
            let (a, t, e) = super::functions::array_and_element(name, array, args.remove(0))?;
            if name == "array_positions" {
                call(
                    Builtin::ArrayPositions,
                    vec![a, e],
                    Type::Array(Box::new(Type::Int4)),
                )
            } else {
                call(Builtin::ArrayRemove, vec![a, e], t)
            }
        }
        ("array_fill", 2 | 3) => {
            let value = args.remove(0);
            let Some(element) = value.ty.clone() else {
                return Err(Error::invalid(
                    "42804",
                    "could not determine polymorphic type because input has type unknown",
                ));
            };
            let ints = Type::Array(Box::new(Type::Int4));
            let mut list = vec![value.expr];
            for a in args {
                if !matches!(a.ty, None | Some(Type::Array(_))) {
                    return Err(no_function(name, &[a]));
                }
                list.push(to(a, &ints)?);
            }
            let ty = match element {
                t @ Type::Array(_) => t,
                t => Type::Array(Box::new(t)),
            };
            call(Builtin::ArrayFill, list, ty)
        }
        ("trim_array", 2) => {
            let n = to(args.remove(1), &Type::Int4)?;
            let (a, t) = array_arg(name, args.remove(0))?;
            call(Builtin::TrimArray, vec![a, n], t)
        }
        ("array_replace", 3) => {
            let (a, t) = array_arg(name, args.remove(0))?;
            let el = t.element().cloned().unwrap_or(Type::Text);
            let x = to(args.remove(0), &el)?;
            let y = to(args.remove(0), &el)?;
            call(Builtin::ArrayReplace, vec![a, x, y], t)
        }
        ("jsonb_set" | "jsonb_insert", 3 | 4) => {
            let flag = if n == 4 { args.pop() } else { None };
            let value = to(
                args.pop().ok_or_else(|| no_function(name, &[]))?,
                &Type::Jsonb,
            )?;
            let path = to(
                args.pop().ok_or_else(|| no_function(name, &[]))?,
                &Type::Array(Box::new(Type::Text)),
            )?;
            let mut list = vec![to(args.remove(0), &Type::Jsonb)?, path, value];
            list.extend(flag.map(|f| to(f, &Type::Bool)).transpose()?);
            let f = if name == "jsonb_set" {
                Builtin::JsonbSet
            } else {
                Builtin::JsonbInsert
            };
            call(f, list, Type::Jsonb)
        }
        ("jsonb_set_lax", 3..=5) => {
            let treatment = if n == 5 { args.pop() } else { None };
            let create = if n >= 4 { args.pop() } else { None };
            let mut list = Vec::with_capacity(5);
            for (arg, ty) in
                args.drain(..)
                    .zip([Type::Jsonb, Type::Array(Box::new(Type::Text)), Type::Jsonb])
            {
                list.push(to(arg, &ty)?);
            }
            list.push(match create {
                Some(c) => to(c, &Type::Bool)?,
                None => Expr::Literal(Value::Bool(true)),
            });
            list.push(match treatment {
                Some(t) => to(t, &Type::Text)?,
                None => Expr::Literal(Value::Text("use_json_null".into())),
            });
            call(Builtin::JsonbSetLax, list, Type::Jsonb)
        }
        ("jsonb_strip_nulls", 1) => call(
            Builtin::JsonbStripNulls,
            vec![to(args.remove(0), &Type::Jsonb)?],
            Type::Jsonb,
        ),
        (
            "jsonb_extract_path"
            | "jsonb_extract_path_text"
            | "json_extract_path"
            | "json_extract_path_text",
            1..,
        ) if !name.starts_with("json_") => {
            let text = name.ends_with("_text");
            let doc = to(args.remove(0), &Type::Jsonb)?;
            let mut list = vec![doc];
            list.extend(texts(name, args)?);
            let ty = if text { Type::Text } else { Type::Jsonb };
            call(Builtin::JsonbExtractPath { text }, list, ty)
        }
        ("json_extract_path" | "json_extract_path_text", 1..) => {
            // The found value's text as the document writes it, as json keeps it.
            let text = name.ends_with("_text");
            let doc = to(args.remove(0), &Type::Json)?;
            let mut list = vec![doc];
            list.extend(texts(name, args)?);
            let ty = if text { Type::Text } else { Type::Json };
            call(Builtin::JsonExtractPath { text }, list, ty)
        }
        _ if super::extension::NAMES.contains(&name) => {
            return super::extension::function(name, args)
        }
        _ => return Err(no_function(name, &args)),
    })
}

/// The error of a call with no arguments to a function that needs some (`concat()`).
pub(super) fn no_arguments(name: &str) -> Error {
    no_function(name, &[])
}
