//! Arrays, json/jsonb and uuid: the operators `@>`, `<@`, `&&`, `||`, `->`, `->>`, `#>`,
//! `#>>`, `?` and `= ANY(..)`, and the array, json and uuid functions.
//!
//! json and jsonb values arrive as text: jsonb in its normal form, json as written. Results of
//! type jsonb are produced in normal form, so comparing texts compares values.

use vdb_engine::value::{Numeric, Value};

use super::{bad_args, compare, int_arg, text_arg, BinaryOp, Builtin};
use crate::error::{Error, Result};
use crate::types::json::{self, Json};
use crate::types::{to_pg_text, uuid};

fn parse_jsonb(s: &str) -> Result<Json> {
    json::parse(s, "jsonb")
}

/// The operators on arrays and json; `None` for other operands.
pub(super) fn binary(op: BinaryOp, l: &Value, r: &Value) -> Option<Result<Value>> {
    Some(match (op, l, r) {
        (BinaryOp::Contains, Value::Array(a), Value::Array(b)) => {
            Ok(Value::Bool(array_contains(a, b)))
        }
        (BinaryOp::ContainedBy, Value::Array(a), Value::Array(b)) => {
            Ok(Value::Bool(array_contains(b, a)))
        }
        (BinaryOp::Overlap, Value::Array(a), Value::Array(b)) => {
            Ok(Value::Bool(a.iter().any(|x| {
                !x.is_null() && b.iter().any(|y| !y.is_null() && compare(x, y).is_eq())
            })))
        }
        (BinaryOp::ArrayConcat, Value::Array(_), Value::Array(_)) => {
            super::arrays::cat(l.clone(), r.clone())
        }
        (BinaryOp::ArrayConcat, Value::Array(_), x) => {
            super::builtin(Builtin::ArrayAppend, &[l.clone(), x.clone()])
        }
        (BinaryOp::ArrayConcat, x, Value::Array(_)) => {
            super::builtin(Builtin::ArrayPrepend, &[x.clone(), r.clone()])
        }
        (BinaryOp::Contains, Value::Text(a), Value::Text(b)) => {
            json_pair(a, b).map(|(a, b)| Value::Bool(a.contains(&b)))
        }
        (BinaryOp::ContainedBy, Value::Text(a), Value::Text(b)) => {
            json_pair(a, b).map(|(a, b)| Value::Bool(b.contains(&a)))
        }
        (BinaryOp::JsonExists, Value::Text(a), Value::Text(key)) => {
            parse_jsonb(a).map(|j| Value::Bool(j.exists(key)))
        }
        (BinaryOp::JsonConcat, Value::Text(a), Value::Text(b)) => {
            json_pair(a, b).map(|(a, b)| Value::Text(a.concat(b).to_jsonb_text()))
        }
        (BinaryOp::JsonGet { text, path, jsonb }, Value::Text(doc), key) => {
            json_get(doc, key, text, path, jsonb)
        }
        _ => return None,
    })
}

fn json_pair(a: &str, b: &str) -> Result<(Json, Json)> {
    Ok((parse_jsonb(a)?, parse_jsonb(b)?))
}

/// Every non-NULL element of `b` equals some element of `a` (`@>`; NULLs never match).
fn array_contains(a: &[Value], b: &[Value]) -> bool {
    b.iter()
        .all(|y| !y.is_null() && a.iter().any(|x| !x.is_null() && compare(x, y).is_eq()))
}

fn json_get(doc: &str, key: &Value, text: bool, path: bool, jsonb: bool) -> Result<Value> {
    if !jsonb {
        return raw_json_get(doc, key, text, path);
    }
    let j = json::parse(doc, "jsonb")?;
    let found = match (path, key) {
        (false, Value::Text(k)) => j.field(k),
        // A jsonb scalar answers index 0 (and -1) as a one-element array does.
        (false, k) if jsonb && !matches!(j, Json::Array(_) | Json::Object(_)) => {
            match int_arg(Some(k)) {
                Some(0 | -1) => Some(&j),
                _ => None,
            }
        }
        (false, k) => match int_arg(Some(k)) {
            Some(i) => j.index(i),
            None => None,
        },
        (true, Value::Array(steps)) => {
            let steps: Option<Vec<String>> = steps
                .iter()
                .map(|s| match s {
                    Value::Text(t) => Some(t.clone()),
                    _ => None,
                })
                .collect();
            match steps {
                Some(steps) => j.path(&steps),
                None => None,
            }
        }
        _ => None,
    };
    Ok(match found {
        None => Value::Null,
        Some(v) if text => v.as_text().map_or(Value::Null, Value::Text),
        Some(v) if jsonb => Value::Text(v.to_jsonb_text()),
        Some(v) => Value::Text(compact(v)),
    })
}

/// `->`, `->>`, `#>` and `#>>` on json (not jsonb): the found value's text as written in the
/// document, as PostgreSQL's json keeps it.
fn raw_json_get(doc: &str, key: &Value, text: bool, path: bool) -> Result<Value> {
    // A json value was validated when it became one; the lookup scans only what it needs.
    let found = match (path, key) {
        (false, Value::Text(k)) => json::raw_lookup(doc, &[json::Step::Key(k)]),
        (false, k) => match int_arg(Some(k)) {
            Some(i) => json::raw_lookup(doc, &[json::Step::Index(i)]),
            None => None,
        },
        (true, Value::Array(steps)) => {
            let steps: Option<Vec<json::Step<'_>>> = steps
                .iter()
                .map(|s| match s {
                    Value::Text(t) => Some(json::Step::Path(t)),
                    _ => None,
                })
                .collect();
            steps.and_then(|steps| json::raw_lookup(doc, &steps))
        }
        _ => None,
    };
    Ok(match found {
        None => Value::Null,
        Some(raw) if text => json::raw_as_text(raw).map_or(Value::Null, Value::Text),
        Some(raw) => Value::Text(raw.to_string()),
    })
}

/// json (not jsonb) text of a value taken out of a document: without added spaces.
pub(super) fn compact(j: &Json) -> String {
    match j {
        Json::Array(items) => format!(
            "[{}]",
            items.iter().map(compact).collect::<Vec<_>>().join(",")
        ),
        Json::Object(fields) => format!(
            "{{{}}}",
            fields
                .iter()
                .map(|(k, v)| {
                    let mut key = String::new();
                    json::escape_into(&mut key, k);
                    format!("{key}:{}", compact(v))
                })
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_jsonb_text(),
    }
}

/// A SQL value as JSON (`raw`: the text is already json).
fn to_json_value(v: &Value, raw: bool) -> Result<Json> {
    Ok(match v {
        Value::Null => Json::Null,
        Value::Text(s) if raw => parse_jsonb(s)?,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int2(_) | Value::Int4(_) | Value::Int8(_) | Value::Numeric(Numeric::Finite(_)) => {
            let text = to_pg_text(v).unwrap_or_default();
            Json::Number(text.parse().unwrap_or(Numeric::NaN))
        }
        // jsonb keeps a number as numeric: 1e-05 becomes 0.00001; NaN and the infinities,
        // which JSON has no number for, become strings.
        Value::Float4(_) | Value::Float8(_) => {
            let text = to_pg_text(v).unwrap_or_default();
            match text.parse::<Numeric>() {
                Ok(n @ Numeric::Finite(_)) => Json::Number(n),
                _ => Json::String(text),
            }
        }
        Value::Timestamp(_) | Value::TimestampTz(_) => {
            let text = to_pg_text(v).unwrap_or_default().replacen(' ', "T", 1);
            Json::String(match text.strip_suffix("+00") {
                Some(t) => format!("{t}+00:00"),
                None => text,
            })
        }
        Value::Array(items) => {
            let elements = items
                .iter()
                .map(|i| to_json_value(i, raw))
                .collect::<Result<Vec<_>>>()?;
            nest_json(elements, items.dims())
        }
        other => Json::String(to_pg_text(other).unwrap_or_default()),
    })
}

/// A SQL value as the json text the json builders embed (PostgreSQL's `datum_to_json`):
/// `raw` json text (json, jsonb, or the elements of an array of them) as it is, so a json
/// value keeps its spacing; arrays as `[1,2]` (nested per dimension); other values as
/// [`to_json_value`] makes them.
pub(super) fn json_fragment(v: &Value, raw: bool) -> Result<String> {
    match v {
        Value::Text(s) if raw => Ok(s.clone()),
        Value::Array(items) => {
            let elements = items
                .iter()
                .map(|i| json_fragment(i, raw))
                .collect::<Result<Vec<_>>>()?;
            Ok(nest_fragments(elements, items.dims()))
        }
        // json keeps a float's own text (1e-05), as PostgreSQL's float8out writes it.
        Value::Float4(_) | Value::Float8(_) => {
            let text = to_pg_text(v).unwrap_or_default();
            match text.parse::<Numeric>() {
                Ok(Numeric::Finite(_)) => Ok(text),
                _ => Ok(to_json_value(v, false)?.to_jsonb_text()),
            }
        }
        other => Ok(to_json_value(other, false)?.to_jsonb_text()),
    }
}

/// Element fragments as nested json arrays, one level per dimension, without spaces.
fn nest_fragments(elements: Vec<String>, dims: &[vdb_engine::value::Dim]) -> String {
    let mut level = elements;
    for dim in dims.iter().skip(1).rev() {
        let mut rows = Vec::new();
        let mut it = level.into_iter().peekable();
        while it.peek().is_some() {
            let row: Vec<String> = it.by_ref().take(dim.len.max(1)).collect();
            rows.push(format!("[{}]", row.join(",")));
        }
        level = rows;
    }
    format!("[{}]", level.join(","))
}

/// A multidimensional array's elements as nested json arrays, one level per dimension.
fn nest_json(elements: Vec<Json>, dims: &[vdb_engine::value::Dim]) -> Json {
    let mut level = elements;
    for dim in dims.iter().skip(1).rev() {
        let mut rows = Vec::new();
        let mut it = level.into_iter().peekable();
        while it.peek().is_some() {
            rows.push(Json::Array(it.by_ref().take(dim.len.max(1)).collect()));
        }
        level = rows;
    }
    Json::Array(level)
}

/// Evaluates an array, json or uuid function.
pub(super) fn eval(b: Builtin, args: &[Value]) -> Result<Value> {
    let first = args.first();
    match b {
        Builtin::GenRandomUuid => Ok(Value::Uuid(uuid::random_uuid())),
        Builtin::JsonExtractPath { text } => {
            let steps: Option<Vec<Value>> = args
                .get(1..)
                .unwrap_or_default()
                .iter()
                .map(|v| (!v.is_null()).then(|| v.clone()))
                .collect();
            match (first, steps) {
                (Some(Value::Text(doc)), Some(steps)) => {
                    raw_json_get(doc, &Value::Array(steps.into()), text, true)
                }
                _ => Ok(Value::Null),
            }
        }
        Builtin::AnyAll { op, all } => any_all(op, all, first, args.get(1)),
        Builtin::StringToArray => string_to_array(args),
        Builtin::ToJson { jsonb: false, raw }
            if matches!(
                first,
                Some(Value::Array(_) | Value::Float4(_) | Value::Float8(_))
            ) =>
        {
            json_fragment(first.unwrap_or(&Value::Null), raw).map(Value::Text)
        }
        Builtin::ToJson {
            jsonb: false,
            raw: true,
        } => Ok(first.cloned().unwrap_or(Value::Null)),
        Builtin::ToJson { jsonb, raw } => {
            let j = to_json_value(first.unwrap_or(&Value::Null), raw)?;
            Ok(Value::Text(match (jsonb, first) {
                (true, _) => j.normalize().to_jsonb_text(),
                // array_to_json writes no spaces between elements.
                (false, Some(Value::Array(_))) => compact(&j),
                (false, _) => j.to_json_text(),
            }))
        }
        Builtin::JsonArg { raw } => {
            json_fragment(first.unwrap_or(&Value::Null), raw).map(Value::Text)
        }
        Builtin::BuildObject { jsonb } => build_object(args, jsonb),
        Builtin::BuildArray { jsonb: false } => {
            // json embeds each value's json text as it is.
            let items: Vec<&str> = args
                .iter()
                .map(|a| text_arg(Some(a)).unwrap_or("null"))
                .collect();
            Ok(Value::Text(format!("[{}]", items.join(", "))))
        }
        Builtin::BuildArray { jsonb } => {
            let items = args
                .iter()
                .map(|a| match a {
                    Value::Text(t) => parse_jsonb(t),
                    _ => Ok(Json::Null),
                })
                .collect::<Result<Vec<_>>>()?;
            let j = Json::Array(items);
            Ok(Value::Text(if jsonb {
                j.normalize().to_jsonb_text()
            } else {
                j.to_jsonb_text()
            }))
        }
        Builtin::JsonTypeof => match first {
            Some(Value::Text(t)) => Ok(Value::Text(parse_jsonb(t)?.type_name().into())),
            _ => Ok(Value::Null),
        },
        Builtin::JsonArrayLength => match first {
            Some(Value::Text(t)) => match parse_jsonb(t)? {
                Json::Array(items) => Ok(Value::Int4(i32::try_from(items.len()).unwrap_or(0))),
                Json::Object(_) => Err(Error::invalid(
                    "22023",
                    "cannot get array length of a non-array",
                )),
                _ => Err(Error::invalid(
                    "22023",
                    "cannot get array length of a scalar",
                )),
            },
            _ => Ok(Value::Null),
        },
        Builtin::JsonbPretty => match first {
            Some(Value::Text(t)) => Ok(Value::Text(parse_jsonb(t)?.pretty())),
            _ => Ok(Value::Null),
        },
        _ => Err(bad_args(b, args)),
    }
}

/// `x op ANY(array)` / `x op ALL(array)` with three-valued logic over the elements.
fn any_all(op: BinaryOp, all: bool, x: Option<&Value>, a: Option<&Value>) -> Result<Value> {
    let (Some(x), Some(Value::Array(items))) = (x, a) else {
        return Ok(Value::Null);
    };
    if items.is_empty() {
        return Ok(Value::Bool(all));
    }
    if x.is_null() {
        return Ok(Value::Null);
    }
    let mut saw_null = false;
    for item in items {
        match super::super::binary(op, x, item)? {
            Value::Bool(b) if b != all => return Ok(Value::Bool(b)),
            Value::Bool(_) => {}
            _ => saw_null = true,
        }
    }
    Ok(if saw_null {
        Value::Null
    } else {
        Value::Bool(all)
    })
}

fn string_to_array(args: &[Value]) -> Result<Value> {
    let Some(Value::Text(s)) = args.first() else {
        return Ok(Value::Null);
    };
    if s.is_empty() {
        return Ok(Value::array(Vec::new()));
    }
    let null = text_arg(args.get(2));
    let parts: Vec<String> = match args.get(1) {
        Some(Value::Text(sep)) if sep.is_empty() => vec![s.clone()],
        Some(Value::Text(sep)) => s.split(sep.as_str()).map(str::to_string).collect(),
        _ => s.chars().map(|c| c.to_string()).collect(),
    };
    Ok(Value::array(
        parts
            .into_iter()
            .map(|p| {
                if Some(p.as_str()) == null {
                    Value::Null
                } else {
                    Value::Text(p)
                }
            })
            .collect(),
    ))
}

/// `json[b]_build_object(k1, v1, ...)`; values arrive as json text (see `JsonArg`).
fn build_object(args: &[Value], jsonb: bool) -> Result<Value> {
    if args.len() % 2 != 0 {
        return Err(Error::invalid(
            "22023",
            "argument list must have even number of elements",
        ));
    }
    let mut fields = Vec::new();
    let mut jsonb_fields = Vec::new();
    for pair in args.chunks(2) {
        let key = match &pair[0] {
            Value::Null => {
                return Err(Error::invalid(
                    "22004",
                    "null value not allowed for object key",
                ))
            }
            k => to_pg_text(k).unwrap_or_default(),
        };
        if !jsonb {
            // json embeds each value's json text as it is.
            fields.push((key, text_arg(Some(&pair[1])).unwrap_or("null").to_string()));
            continue;
        }
        let value = match &pair[1] {
            Value::Text(t) => parse_jsonb(t)?,
            _ => Json::Null,
        };
        jsonb_fields.push((key, value));
    }
    if !jsonb {
        let members: Vec<String> = fields
            .iter()
            .map(|(k, v)| {
                let mut out = String::new();
                json::escape_into(&mut out, k);
                format!("{out} : {v}")
            })
            .collect();
        return Ok(Value::Text(format!("{{{}}}", members.join(", "))));
    }
    let j = Json::Object(jsonb_fields);
    Ok(Value::Text(if jsonb {
        j.normalize().to_jsonb_text()
    } else {
        j.to_json_text()
    }))
}
