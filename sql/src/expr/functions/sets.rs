//! The set-returning functions beyond the integer and array ones: `json[b]_each[_text]`,
//! `regexp_matches`, `regexp_split_to_table` and `jsonb_path_query`, and the scalar jsonpath
//! functions (`jsonb_path_exists`...), which share the path language of [`super::jsonpath`].
//!
//! `json_each` in FROM is two columns (key, value): the binder asks for each column as its own
//! set function over the same document, so they expand in lockstep.

use vdb_engine::value::Value;

use super::pattern::Groups;
use super::{text_arg, Builtin};
use crate::error::{Error, Result};
use crate::expr::SetFunction;
use crate::types::json::{self, Json};

/// The part of a `json_each` row a set function gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonEachPart {
    Key,
    Value,
    /// The whole row as a record's text, `(a,1)` (the function in a select list).
    Record,
}

/// The rows of the set functions this module owns; `None` for others.
pub fn expand(f: SetFunction, args: &[Value]) -> Option<Result<Vec<Value>>> {
    let t = |i: usize| text_arg(args.get(i));
    Some(match f {
        SetFunction::JsonEach { part, text, jsonb } => match t(0) {
            None => Ok(Vec::new()),
            Some(doc) => json_each(doc, part, text, jsonb),
        },
        SetFunction::RegexpMatches => match (t(0), t(1)) {
            (Some(s), Some(p)) => regexp_matches(s, p, t(2).unwrap_or("")),
            _ => Ok(Vec::new()),
        },
        SetFunction::RegexpSplit => match (t(0), t(1)) {
            (Some(s), Some(p)) => regexp_split(s, p, t(2).unwrap_or("")),
            _ => Ok(Vec::new()),
        },
        SetFunction::JsonPathQuery => {
            let silent = matches!(args.get(3), Some(Value::Bool(true)));
            match path_query(args) {
                Ok(found) => Ok(found
                    .unwrap_or_default()
                    .iter()
                    .map(|j| Value::Text(j.to_jsonb_text()))
                    .collect()),
                Err(e) if silent && is_jsonpath_error(&e) => Ok(Vec::new()),
                Err(e) => Err(e),
            }
        }
        SetFunction::JsonArrayElementsRaw { text } => match t(0) {
            None => Ok(Vec::new()),
            Some(doc) => json_array_elements(doc, text),
        },
        SetFunction::JsonObjectKeysRaw => match t(0) {
            None => Ok(Vec::new()),
            Some(doc) => json_object_keys(doc),
        },
        SetFunction::JsonRecordset(f) => super::json_record::recordset(f, t(0)),
        SetFunction::StringToTable => match t(0) {
            None => Ok(Vec::new()),
            Some(s) => Ok(string_to_table(s, t(1), t(2))),
        },
        _ => return None,
    })
}

/// `string_to_table(s, delimiter, null_string)`: the pieces of `s` between delimiters (each
/// character when the delimiter is NULL, the whole string when it is empty); a piece equal to
/// `null_string` is NULL. An empty string gives no rows.
fn string_to_table(s: &str, delimiter: Option<&str>, null: Option<&str>) -> Vec<Value> {
    if s.is_empty() {
        return Vec::new();
    }
    let pieces: Vec<&str> = match delimiter {
        None => s
            .char_indices()
            .map(|(i, c)| &s[i..i + c.len_utf8()])
            .collect(),
        Some("") => vec![s],
        Some(d) => s.split(d).collect(),
    };
    pieces
        .into_iter()
        .map(|p| match null {
            Some(n) if n == p => Value::Null,
            _ => Value::Text(p.to_string()),
        })
        .collect()
}

/// `json_object_keys(json)`: the keys in written order, a repeated key each time.
fn json_object_keys(doc: &str) -> Result<Vec<Value>> {
    match json::parse(doc, "json")? {
        Json::Object(fields) => Ok(fields.into_iter().map(|(k, _)| Value::Text(k)).collect()),
        _ => Err(Error::invalid(
            "22023",
            "cannot call json_object_keys on a non-object",
        )),
    }
}

/// `json_array_elements(json)`: each element's text as written (trimmed); with `text`
/// (`json_array_elements_text`), a string's contents and NULL for null.
fn json_array_elements(doc: &str, text: bool) -> Result<Vec<Value>> {
    let Json::Array(items) = json::parse(doc, "json")? else {
        return Err(Error::invalid(
            "22023",
            "cannot call json_array_elements on a non-array",
        ));
    };
    let raw = json::raw_members(doc);
    Ok(items
        .iter()
        .enumerate()
        .map(|(i, j)| match raw.get(i) {
            Some((_, t)) if raw.len() == items.len() && text => {
                json::raw_as_text(t).map_or(Value::Null, Value::Text)
            }
            Some((_, t)) if raw.len() == items.len() => Value::Text((*t).to_string()),
            _ if text => j.as_text().map_or(Value::Null, Value::Text),
            _ => Value::Text(super::containers::compact(j)),
        })
        .collect())
}

fn json_each(doc: &str, part: JsonEachPart, text: bool, jsonb: bool) -> Result<Vec<Value>> {
    let j = json::parse(doc, if jsonb { "jsonb" } else { "json" })?;
    let j = if jsonb { j.normalize() } else { j };
    let Json::Object(fields) = j else {
        let name = match (jsonb, text) {
            (true, false) => "jsonb_each",
            (true, true) => "jsonb_each_text",
            (false, false) => "json_each",
            (false, true) => "json_each_text",
        };
        return Err(Error::invalid(
            "22023",
            format!("cannot call {name} on a non-object"),
        ));
    };
    let value = |v: &Json| -> Value {
        if text {
            v.as_text().map_or(Value::Null, Value::Text)
        } else if jsonb {
            Value::Text(v.to_jsonb_text())
        } else {
            Value::Text(super::containers::compact(v))
        }
    };
    // json keeps each value's text as written.
    let raw = if jsonb {
        Vec::new()
    } else {
        json::raw_members(doc)
    };
    let value_at = |i: usize, v: &Json| match raw.get(i) {
        Some((_, t)) if text => json::raw_as_text(t).map_or(Value::Null, Value::Text),
        Some((_, t)) => Value::Text((*t).to_string()),
        None => value(v),
    };
    Ok(fields
        .iter()
        .enumerate()
        .map(|(i, (k, v))| match part {
            JsonEachPart::Key => Value::Text(k.clone()),
            JsonEachPart::Value => value_at(i, v),
            JsonEachPart::Record => {
                let v = match value_at(i, v) {
                    Value::Text(t) => record_field(&t),
                    _ => String::new(),
                };
                Value::Text(format!("({},{v})", record_field(k)))
            }
        })
        .collect())
}

/// A field of a record's text form, quoted as record_out quotes it.
pub fn record_field(s: &str) -> String {
    crate::types::quote_field(s, &['(', ')', ','])
}

/// `regexp_matches(s, pattern [, flags])`: each match's groups (all matches with `g`).
fn regexp_matches(s: &str, pattern: &str, flags: &str) -> Result<Vec<Value>> {
    let re = super::codec::regex(pattern, flags)?;
    let groups = |caps: Groups| -> Value {
        let text = |i| {
            caps.text(s, i)
                .map_or(Value::Null, |m| Value::Text(m.to_string()))
        };
        if caps.len() == 1 {
            return Value::Array(vec![text(0)].into());
        }
        Value::Array((1..caps.len()).map(text).collect())
    };
    if flags.contains('g') {
        Ok(re.captures_all(s)?.into_iter().map(groups).collect())
    } else {
        Ok(re.captures(s)?.map(groups).into_iter().collect())
    }
}

fn regexp_split(s: &str, pattern: &str, flags: &str) -> Result<Vec<Value>> {
    match super::codec::eval(
        Builtin::RegexpSplitToArray,
        &[
            Value::Text(s.into()),
            Value::Text(pattern.into()),
            Value::Text(flags.into()),
        ],
    ) {
        Some(Ok(Value::Array(items))) => Ok(items.into_elements()),
        Some(Err(e)) => Err(e),
        _ => Ok(Vec::new()),
    }
}

/// jsonb_path_exists / match / query_first / query_array: (document, path [, vars [, silent]]).
pub(super) fn jsonpath_scalar(b: Builtin, args: &[Value]) -> Result<Value> {
    let silent = matches!(args.get(3), Some(Value::Bool(true)));
    let found = match path_query(args) {
        Ok(Some(found)) => found,
        Ok(None) => return Ok(Value::Null),
        Err(e) if silent && is_jsonpath_error(&e) => return Ok(Value::Null),
        Err(e) => return Err(e),
    };
    Ok(match b {
        Builtin::JsonPathExists => Value::Bool(!found.is_empty()),
        Builtin::JsonPathMatch => match found.as_slice() {
            [Json::Bool(v)] => Value::Bool(*v),
            [Json::Null] => Value::Null,
            _ if silent => Value::Null,
            _ => return Err(Error::invalid("22038", "single boolean result is expected")),
        },
        Builtin::JsonPathQueryFirst => found
            .first()
            .map_or(Value::Null, |j| Value::Text(j.to_jsonb_text())),
        _ => Value::Text(Json::Array(found).to_jsonb_text()),
    })
}

/// The errors `silent` (and the `@?` / `@@` operators) suppress: those of evaluating the path
/// over the document, not a malformed path or `vars`.
fn is_jsonpath_error(e: &Error) -> bool {
    matches!(
        e.sqlstate(),
        "2203A" | "22036" | "2203C" | "22033" | "22038" | "22039" | "22012" | "22P02"
    )
}

/// The items a path selects: `args` are the document, the path, and optionally `vars` (a
/// jsonb object); `None` when the document or path is NULL.
fn path_query(args: &[Value]) -> Result<Option<Vec<Json>>> {
    let (Some(doc), Some(path)) = (text_arg(args.first()), text_arg(args.get(1))) else {
        return Ok(None);
    };
    let doc = json::parse(doc, "jsonb")?.normalize();
    let vars = match text_arg(args.get(2)) {
        Some(v) => Some(json::parse(v, "jsonb")?.normalize()),
        None => None,
    };
    let path = super::jsonpath::parse(path)?;
    super::jsonpath::query(&path, &doc, vars.as_ref()).map(Some)
}
