//! Binding of the functions and operators `expr/functions/compat.rs` and `sets.rs` evaluate:
//! json_each & co. (set-returning), row_to_json, json[b]_object, json_strip_nulls, the jsonpath
//! functions, regexp_matches / regexp_split_to_table / regexp_instr / regexp_substr, unistr,
//! to_number and to_char on numbers, sqrt/exp/ln/log/power on numeric, and the operators
//! `^`, `&`, `|`, `#`, `~`, `<<`, `>>`, with PostgreSQL's argument and result types.

use vdb_engine::value::Type;

use crate::error::{Error, Result};
use crate::expr::{Builtin, Expr, JsonEachPart, SetFunction};
use crate::planner::expr::Typed;
use crate::planner::function::text_arg;
use crate::types::{numeric_rank, type_name};

use super::functions::{call, no_function, to};
use super::is_int;

const NUMERIC: Type = Type::Numeric {
    precision_scale: None,
};

fn texts(name: &str, args: Vec<Typed>) -> Result<Vec<Expr>> {
    args.into_iter().map(|a| text_arg(name, a)).collect()
}

fn jsonb(arg: Typed) -> Result<Expr> {
    to(arg, &Type::Jsonb)
}

fn is_numeric(a: &Typed) -> bool {
    matches!(a.ty, Some(Type::Numeric { .. }))
}

fn is_float(a: &Typed) -> bool {
    matches!(a.ty, Some(Type::Float4 | Type::Float8))
}

/// Whether [`function`] binds `name(args)`.
pub(super) fn handles(name: &str, args: &[Typed]) -> bool {
    let numeric_call = args.iter().any(is_numeric) && !args.iter().any(is_float);
    match (name, args.len()) {
        ("sqrt" | "exp" | "ln" | "log10", 1) | ("power" | "pow", 2) => numeric_call,
        ("to_char", 2) => args[0]
            .ty
            .as_ref()
            .is_some_and(|t| numeric_rank(t).is_some()),
        ("row_to_json", 1 | 2)
        | ("json_strip_nulls" | "unistr", 1)
        | ("jsonb_object" | "json_object", 1 | 2)
        | ("to_number", 2)
        | (
            "jsonb_path_exists"
            | "jsonb_path_match"
            | "jsonb_path_query_first"
            | "jsonb_path_query_array",
            2..=4,
        )
        | ("regexp_instr", 2..=7)
        | ("regexp_count", 3..=4)
        | ("regexp_substr", 2..=6) => true,
        _ => false,
    }
}

/// Binds `name(args)`, one of the calls [`handles`] accepts.
pub(super) fn function(name: &str, mut args: Vec<Typed>) -> Result<Typed> {
    let n = args.len();
    let numeric_call = args.iter().any(is_numeric) && !args.iter().any(is_float);
    {
        Ok(match (name, n) {
            ("sqrt" | "exp" | "ln" | "log10", 1) if numeric_call => {
                let f = match name {
                    "sqrt" => Builtin::Sqrt,
                    "exp" => Builtin::Exp,
                    "ln" => Builtin::Ln,
                    _ => Builtin::Log10,
                };
                call(f, vec![to(args.remove(0), &NUMERIC)?], NUMERIC)
            }
            ("power" | "pow", 2) if numeric_call => {
                let list = args
                    .into_iter()
                    .map(|a| to(a, &NUMERIC))
                    .collect::<Result<Vec<_>>>()?;
                call(Builtin::Power, list, NUMERIC)
            }
            ("row_to_json", 1 | 2) => {
                let a = args.remove(0);
                let json = match a.ty {
                    // A cast to json, a no-op on json, keeps a whole-row argument from
                    // being taken for a bare `t` (a record) in the select list.
                    Some(Type::Json) => {
                        Typed::new(Expr::Cast(Box::new(a.expr), Type::Json), Type::Json)
                    }
                    _ => match super::functions::record_json(&a.expr) {
                        Some(row) => Typed::new(Expr::Cast(Box::new(row), Type::Json), Type::Json),
                        None => return Err(no_function(name, &[a])),
                    },
                };
                match args.pop() {
                    Some(pretty) => {
                        let pretty = to(pretty, &Type::Bool)?;
                        call(Builtin::JsonRowPretty, vec![json.expr, pretty], Type::Json)
                    }
                    None => json,
                }
            }
            ("json_strip_nulls", 1) => call(
                Builtin::JsonStripNulls,
                vec![to(args.remove(0), &Type::Json)?],
                Type::Json,
            ),
            ("jsonb_object" | "json_object", 1 | 2) => {
                let arr = Type::Array(Box::new(Type::Text));
                let list = args
                    .into_iter()
                    .map(|a| to(a, &arr))
                    .collect::<Result<Vec<_>>>()?;
                let jsonb = name == "jsonb_object";
                let ty = if jsonb { Type::Jsonb } else { Type::Json };
                call(Builtin::JsonObject { jsonb }, list, ty)
            }
            (
                "jsonb_path_exists"
                | "jsonb_path_match"
                | "jsonb_path_query_first"
                | "jsonb_path_query_array",
                2..=4,
            ) => {
                let list = jsonpath_args(name, args)?;
                let (f, ty) = match name {
                    "jsonb_path_exists" => (Builtin::JsonPathExists, Type::Bool),
                    "jsonb_path_match" => (Builtin::JsonPathMatch, Type::Bool),
                    "jsonb_path_query_first" => (Builtin::JsonPathQueryFirst, Type::Jsonb),
                    _ => (Builtin::JsonPathQueryArray, Type::Jsonb),
                };
                call(f, list, ty)
            }
            ("unistr", 1) => call(Builtin::Unistr, texts(name, args)?, Type::Text),
            ("regexp_count", 3..=4) => {
                let mut list = Vec::new();
                for (i, a) in args.into_iter().enumerate() {
                    list.push(if i == 2 {
                        to(a, &Type::Int4)?
                    } else {
                        text_arg(name, a)?
                    });
                }
                call(Builtin::RegexpCountFrom, list, Type::Int4)
            }
            ("regexp_instr", 2..=7) | ("regexp_substr", 2..=6) => {
                let instr = name == "regexp_instr";
                let flags_at = if instr { 5 } else { 4 };
                let mut list = Vec::new();
                for (i, a) in args.into_iter().enumerate() {
                    list.push(if i < 2 || i == flags_at {
                        text_arg(name, a)?
                    } else {
                        to(a, &Type::Int4)?
                    });
                }
                if instr {
                    call(Builtin::RegexpInstr, list, Type::Int4)
                } else {
                    call(Builtin::RegexpSubstr, list, Type::Text)
                }
            }
            ("to_number", 2) => call(Builtin::ToNumber, texts(name, args)?, NUMERIC),
            ("to_char", 2) => {
                let fmt = text_arg(name, args.remove(1))?;
                call(
                    Builtin::NumberToChar,
                    vec![args.remove(0).expr, fmt],
                    Type::Text,
                )
            }
            _ => return Err(no_function(name, &args)),
        })
    }
}

/// Binds a set-returning call this module knows (`None` for other names).
pub(in crate::planner) fn set_function(name: &str, args: &mut Vec<Typed>) -> Result<Option<Typed>> {
    let n = args.len();
    Ok(Some(match (name, n) {
        ("jsonb_each" | "jsonb_each_text" | "json_each" | "json_each_text", 1) => {
            let (doc, text, jsonb) = json_each_arg(name, args.remove(0))?;
            Typed::new(
                Expr::SetReturning(
                    SetFunction::JsonEach {
                        part: JsonEachPart::Record,
                        text,
                        jsonb,
                    },
                    vec![doc],
                ),
                Type::Text,
            )
        }
        ("regexp_matches", 2 | 3) => {
            let list = texts(name, std::mem::take(args))?;
            Typed::new(
                Expr::SetReturning(SetFunction::RegexpMatches, list),
                Type::Array(Box::new(Type::Text)),
            )
        }
        ("regexp_split_to_table", 2 | 3) => {
            let list = texts(name, std::mem::take(args))?;
            Typed::new(
                Expr::SetReturning(SetFunction::RegexpSplit, list),
                Type::Text,
            )
        }
        ("jsonb_path_query", 2..=4) => Typed::new(
            Expr::SetReturning(
                SetFunction::JsonPathQuery,
                jsonpath_args(name, std::mem::take(args))?,
            ),
            Type::Jsonb,
        ),
        _ => return Ok(None),
    }))
}

/// A jsonpath function's arguments: the jsonb document, the path text, and `vars` (jsonb) and
/// `silent` (boolean) when given.
fn jsonpath_args(name: &str, args: Vec<Typed>) -> Result<Vec<Expr>> {
    let mut list = Vec::with_capacity(args.len());
    for (i, arg) in args.into_iter().enumerate() {
        list.push(match i {
            1 => text_arg(name, arg)?,
            3 => to(arg, &Type::Bool)?,
            _ => jsonb(arg)?,
        });
    }
    Ok(list)
}

/// The document of a json_each call and the call's (text, jsonb) flags.
fn json_each_arg(name: &str, arg: Typed) -> Result<(Expr, bool, bool)> {
    let jsonb = name.starts_with("jsonb");
    let doc = to(arg, if jsonb { &Type::Jsonb } else { &Type::Json })?;
    Ok((doc, name.ends_with("_text"), jsonb))
}

/// A column of a multi-column set function: its name, expression and type.
pub(in crate::planner) type SetColumn = (&'static str, Expr, Type);

/// The columns of `json_each(doc)` in FROM: (key, value) expressions and their types.
pub(in crate::planner) fn json_each_columns(
    name: &str,
    args: &[Typed],
) -> Result<Option<Vec<SetColumn>>> {
    if !matches!(
        name,
        "jsonb_each" | "jsonb_each_text" | "json_each" | "json_each_text"
    ) || args.len() != 1
    {
        return Ok(None);
    }
    let (doc, text, jsonb) = json_each_arg(name, args[0].clone())?;
    let value_ty = match (text, jsonb) {
        (true, _) => Type::Text,
        (false, true) => Type::Jsonb,
        (false, false) => Type::Json,
    };
    let part = |part| {
        Expr::SetReturning(
            SetFunction::JsonEach { part, text, jsonb },
            vec![doc.clone()],
        )
    };
    Ok(Some(vec![
        ("key", part(JsonEachPart::Key), Type::Text),
        ("value", part(JsonEachPart::Value), value_ty),
    ]))
}

/// Binds `l ^ r` and the integer bitwise operators (`op` as PostgreSQL spells it).
pub(in crate::planner) fn operator(op: &'static str, l: Typed, r: Typed) -> Result<Typed> {
    if op == "^" {
        let numeric = (is_numeric(&l) || is_numeric(&r)) && !is_float(&l) && !is_float(&r);
        let ty = if numeric { NUMERIC } else { Type::Float8 };
        for a in [&l, &r] {
            if a.ty.as_ref().is_some_and(|t| numeric_rank(t).is_none()) {
                return Err(operator_error(op, &l, &r));
            }
        }
        let list = vec![to(l, &ty)?, to(r, &ty)?];
        return Ok(call(Builtin::Power, list, ty));
    }
    let int = |a: &Typed| a.ty.as_ref().is_none_or(is_int);
    if !int(&l) || !int(&r) {
        return Err(operator_error(op, &l, &r));
    }
    let (lt, rt) = if matches!(op, "<<" | ">>") {
        (l.ty.clone().unwrap_or(Type::Int4), Type::Int4)
    } else {
        let wide = [&l.ty, &r.ty]
            .into_iter()
            .flatten()
            .max_by_key(|t| numeric_rank(t))
            .cloned()
            .unwrap_or(Type::Int4);
        (wide.clone(), wide)
    };
    let list = vec![to(l, &lt)?, to(r, &rt)?];
    Ok(call(Builtin::Bitwise(op), list, lt))
}

/// `~ x` on an integer.
pub(in crate::planner) fn bitwise_not(x: Typed) -> Result<Typed> {
    let ty = x.ty.clone().unwrap_or(Type::Int4);
    if !is_int(&ty) {
        return Err(Error::undefined_function(format!(
            "operator does not exist: ~ {}",
            type_name(&ty)
        )));
    }
    Ok(call(Builtin::Bitwise("~"), vec![to(x, &ty)?], ty))
}

fn operator_error(op: &str, l: &Typed, r: &Typed) -> Error {
    let name = |t: &Typed| t.ty.as_ref().map_or("unknown".to_string(), type_name);
    Error::undefined_function(format!(
        "operator does not exist: {} {op} {}",
        name(l),
        name(r)
    ))
}
