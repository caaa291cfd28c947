//! jsonb functions and operators that take a document apart or edit it: `-` (a key, an index
//! or a set of keys), `#-` (a path), `?|` / `?&`, jsonb_set, jsonb_set_lax, jsonb_insert,
//! jsonb_strip_nulls
//! and jsonb_extract_path(_text). Documents arrive as jsonb text and leave normalized.

use vdb_engine::value::Value;

use super::{int_arg, text_arg, Builtin};
use crate::error::{Error, Result};
use crate::types::json::{self, Json};

/// Evaluates `b` if it is one of this module's functions.
pub(super) fn eval(b: Builtin, args: &[Value]) -> Option<Result<Value>> {
    let is_ours = matches!(
        b,
        Builtin::JsonbDelete
            | Builtin::JsonbDeletePath
            | Builtin::JsonbExistsAny { .. }
            | Builtin::JsonbSet
            | Builtin::JsonbSetLax
            | Builtin::JsonbInsert
            | Builtin::JsonbStripNulls
            | Builtin::JsonbExtractPath { .. }
    );
    if !is_ours {
        return None;
    }
    Some(eval_ours(b, args))
}

fn eval_ours(b: Builtin, args: &[Value]) -> Result<Value> {
    if b == Builtin::JsonbSetLax {
        return set_lax(args);
    }
    let doc = json::parse(text_arg(args.first()).unwrap_or_default(), "jsonb")?;
    let out = |j: Json| Ok(Value::Text(j.normalize().to_jsonb_text()));
    match b {
        Builtin::JsonbDelete => out(delete(doc, args.get(1))?),
        Builtin::JsonbDeletePath => {
            let path = texts(args.get(1));
            out(edit_path(doc, &path, &Edit::Delete)?)
        }
        Builtin::JsonbExistsAny { all } => {
            let keys = texts(args.get(1));
            let hit = |k: &String| doc.exists(k);
            Ok(Value::Bool(if all {
                keys.iter().all(hit)
            } else {
                keys.iter().any(hit)
            }))
        }
        Builtin::JsonbSet | Builtin::JsonbInsert => {
            let path = texts(args.get(1));
            // An empty path names no place to put the value: the target (not a scalar) is
            // returned as it is.
            if path.is_empty() {
                return match doc {
                    Json::Object(_) | Json::Array(_) => out(doc),
                    _ => Err(Error::invalid("22023", "cannot set path in scalar")),
                };
            }
            let value = json::parse(text_arg(args.get(2)).unwrap_or_default(), "jsonb")?;
            let flag = matches!(args.get(3), Some(Value::Bool(true)));
            let edit = if b == Builtin::JsonbSet {
                Edit::Set {
                    value,
                    create: args.get(3).is_none() || flag,
                }
            } else {
                Edit::Insert { value, after: flag }
            };
            out(edit_path(doc, &path, &edit)?)
        }
        Builtin::JsonbStripNulls => out(strip_nulls(doc)),
        Builtin::JsonbExtractPath { text } => {
            let path: Vec<String> = args[1..]
                .iter()
                .map(|v| text_arg(Some(v)).unwrap_or_default().to_string())
                .collect();
            Ok(match doc.path(&path) {
                None => Value::Null,
                Some(j) if text => j.as_text().map_or(Value::Null, Value::Text),
                Some(j) => Value::Text(j.to_jsonb_text()),
            })
        }
        _ => Ok(Value::Null),
    }
}

/// `jsonb_set_lax`: `jsonb_set` when the new value is not NULL; otherwise what
/// `null_value_treatment` says (a JSON null, the path deleted, the target unchanged, or an
/// error). NULL for a NULL target, path or `create`, as in PostgreSQL.
fn set_lax(args: &[Value]) -> Result<Value> {
    let arg = |i: usize| args.get(i).unwrap_or(&Value::Null);
    if arg(0).is_null() || arg(1).is_null() || arg(3).is_null() {
        return Ok(Value::Null);
    }
    let treatment = text_arg(args.get(4));
    let known = [
        "use_json_null",
        "delete_key",
        "return_target",
        "raise_exception",
    ];
    let Some(treatment) = treatment.filter(|t| known.contains(t)) else {
        return Err(Error::invalid(
            "22023",
            "null_value_treatment must be \"delete_key\", \"return_target\", \"use_json_null\", or \"raise_exception\"",
        ));
    };
    let set = |value: Value| {
        let mut list = args[..4].to_vec();
        list[2] = value;
        eval_ours(Builtin::JsonbSet, &list)
    };
    if !arg(2).is_null() {
        return set(arg(2).clone());
    }
    match treatment {
        "use_json_null" => set(Value::Text("null".into())),
        "delete_key" => eval_ours(Builtin::JsonbDeletePath, &args[..2]),
        "return_target" => {
            let target = json::parse(text_arg(args.first()).unwrap_or_default(), "jsonb")?;
            Ok(Value::Text(target.normalize().to_jsonb_text()))
        }
        _ => Err(Error::invalid("22004", "JSON value must not be null")),
    }
}

/// A text[] argument's non-NULL elements.
fn texts(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| text_arg(Some(i)).map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// `doc - key`, `doc - index` or `doc - keys`.
fn delete(doc: Json, what: Option<&Value>) -> Result<Json> {
    let keys = match what {
        Some(Value::Array(_)) => texts(what),
        Some(Value::Text(k)) => vec![k.clone()],
        other => {
            let Some(i) = int_arg(other) else {
                return Ok(doc);
            };
            return match doc {
                Json::Array(mut items) => {
                    let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
                    let at = if i < 0 { len + i } else { i };
                    if (0..len).contains(&at) {
                        items.remove(usize::try_from(at).unwrap_or(0));
                    }
                    Ok(Json::Array(items))
                }
                Json::Object(_) => Err(Error::invalid(
                    "22023",
                    "cannot delete from object using integer index",
                )),
                _ => Err(scalar_error()),
            };
        }
    };
    match doc {
        Json::Object(fields) => Ok(Json::Object(
            fields
                .into_iter()
                .filter(|(k, _)| !keys.contains(k))
                .collect(),
        )),
        Json::Array(items) => Ok(Json::Array(
            items
                .into_iter()
                .filter(|i| !matches!(i, Json::String(s) if keys.contains(s)))
                .collect(),
        )),
        _ => Err(scalar_error()),
    }
}

fn scalar_error() -> Error {
    Error::invalid("22023", "cannot delete from scalar")
}

enum Edit {
    Delete,
    Set { value: Json, create: bool },
    Insert { value: Json, after: bool },
}

/// Applies `edit` at `path` (keys of objects, indexes of arrays; negative from the end).
fn edit_path(doc: Json, path: &[String], edit: &Edit) -> Result<Json> {
    let Some((step, rest)) = path.split_first() else {
        return Ok(match edit {
            Edit::Set { value, .. } => value.clone(),
            _ => doc,
        });
    };
    match doc {
        Json::Object(mut fields) => {
            let at = fields.iter().position(|(k, _)| k == step);
            match (at, rest.is_empty(), edit) {
                (Some(i), true, Edit::Delete) => {
                    fields.remove(i);
                }
                (Some(_), true, Edit::Insert { .. }) => {
                    return Err(Error::invalid("22023", "cannot replace existing key"))
                }
                (Some(i), _, _) => {
                    let child = std::mem::replace(&mut fields[i].1, Json::Null);
                    fields[i].1 = edit_path(child, rest, edit)?;
                }
                (
                    None,
                    true,
                    Edit::Set {
                        value,
                        create: true,
                    }
                    | Edit::Insert { value, .. },
                ) => {
                    fields.push((step.clone(), value.clone()));
                }
                (None, _, _) => {}
            }
            Ok(Json::Object(fields))
        }
        Json::Array(mut items) => {
            let Ok(i) = step.trim().parse::<i64>() else {
                return Err(Error::invalid(
                    "22P02",
                    format!("path element is not an integer: \"{step}\""),
                ));
            };
            let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
            let at = if i < 0 { len + i } else { i };
            if rest.is_empty() {
                match edit {
                    Edit::Delete if (0..len).contains(&at) => {
                        items.remove(usize::try_from(at).unwrap_or(0));
                    }
                    Edit::Delete => {}
                    Edit::Set { value, create } => {
                        if (0..len).contains(&at) {
                            items[usize::try_from(at).unwrap_or(0)] = value.clone();
                        } else if *create {
                            let pos = if at < 0 { 0 } else { items.len() };
                            items.insert(pos, value.clone());
                        }
                    }
                    Edit::Insert { value, after } => {
                        let pos = if at < 0 {
                            0
                        } else if at >= len {
                            items.len()
                        } else {
                            usize::try_from(at + i64::from(*after)).unwrap_or(0)
                        };
                        items.insert(pos, value.clone());
                    }
                }
            } else if (0..len).contains(&at) {
                let slot = usize::try_from(at).unwrap_or(0);
                let child = std::mem::replace(&mut items[slot], Json::Null);
                items[slot] = edit_path(child, rest, edit)?;
            }
            Ok(Json::Array(items))
        }
        _ => match edit {
            Edit::Delete => Err(Error::invalid("22023", "cannot delete path in scalar")),
            _ => Err(Error::invalid("22023", "cannot set path in scalar")),
        },
    }
}

pub(super) fn strip_nulls(doc: Json) -> Json {
    match doc {
        Json::Object(fields) => Json::Object(
            fields
                .into_iter()
                .filter(|(_, v)| *v != Json::Null)
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Json::Array(items) => Json::Array(items.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}
