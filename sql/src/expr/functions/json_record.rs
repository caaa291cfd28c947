//! The run-time half of the json functions that return records (`json[b]_to_record[set]`,
//! `json[b]_populate_record[set]`). The planner (`planner/record_function.rs`) gives each
//! defined column a [`Builtin::JsonRecordField`] of the document, cast to the column's type;
//! a recordset first expands into its elements through [`SetFunction::JsonRecordset`].
//!
//! A field becomes the text its column's type reads, as PostgreSQL's `populate_record_field`
//! does: a missing key or json null is NULL; a json or jsonb column takes the value's json
//! text (json keeps it as written); an array column takes a json array as an array literal
//! (or a string as array text); any other column takes a string's contents, or the json text
//! of a number, boolean, object or array.
//!
//! [`Builtin::JsonRecordField`]: super::Builtin::JsonRecordField
//! [`SetFunction::JsonRecordset`]: crate::expr::SetFunction::JsonRecordset

use vdb_engine::value::Value;

use crate::error::{Error, Result};
use crate::types::json::{self, Json};

/// What a column's type needs from a json value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldTarget {
    /// A json or jsonb column: the value's json text.
    Json,
    /// An array column: a json array as array text.
    Array,
    /// Any other column: a string's contents, else the json text.
    Scalar,
}

/// A json record function, for its error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordFunction {
    pub jsonb: bool,
    pub populate: bool,
}

impl RecordFunction {
    /// The recordset form's name: `jsonb_populate_recordset`, `json_to_recordset`...
    fn recordset_name(self) -> String {
        format!(
            "{}_{}_recordset",
            if self.jsonb { "jsonb" } else { "json" },
            if self.populate { "populate" } else { "to" }
        )
    }

    fn type_name(self) -> &'static str {
        if self.jsonb {
            "jsonb"
        } else {
            "json"
        }
    }
}

/// `doc`'s field `key` as the text of a column of `target` type; NULL for a NULL document.
pub fn field(
    f: RecordFunction,
    target: FieldTarget,
    doc: Option<&str>,
    key: &str,
) -> Result<Value> {
    let Some(doc) = doc else {
        return Ok(Value::Null);
    };
    let parsed = json::parse(doc, f.type_name())?;
    let Json::Object(fields) = &parsed else {
        let what = if matches!(parsed, Json::Array(_)) {
            "an array"
        } else {
            "a scalar"
        };
        return Err(Error::invalid(
            "22023",
            format!("cannot call populate_composite on {what}"),
        ));
    };
    // The last of repeated keys wins, as in PostgreSQL.
    let Some(index) = fields.iter().rposition(|(k, _)| k == key) else {
        return Ok(Value::Null);
    };
    let value = &fields[index].1;
    // json keeps each member's text as written.
    let raw = if f.jsonb {
        None
    } else {
        json::raw_members(doc)
            .get(index)
            .map(|(_, text)| (*text).to_string())
    };
    let text = || {
        raw.clone()
            .unwrap_or_else(|| value.clone().normalize().to_jsonb_text())
    };
    Ok(match (value, target) {
        (Json::Null, _) => Value::Null,
        (_, FieldTarget::Json) => Value::Text(text()),
        (Json::String(s), _) => Value::Text(s.clone()),
        (Json::Array(_), FieldTarget::Array) => {
            let mut out = String::new();
            let mut dims = Vec::new();
            array_text(value, 0, &mut dims, &mut out)?;
            Value::Text(out)
        }
        (_, FieldTarget::Array) => return Err(expected_array()),
        _ => Value::Text(text()),
    })
}

/// The elements of a recordset's document (each an object's json text); none for NULL.
pub fn recordset(f: RecordFunction, doc: Option<&str>) -> Result<Vec<Value>> {
    let Some(doc) = doc else {
        return Ok(Vec::new());
    };
    let parsed = json::parse(doc, f.type_name())?;
    let name = f.recordset_name();
    let Json::Array(items) = &parsed else {
        let what = match (f.jsonb, &parsed) {
            (true, _) => "a non-array",
            (false, Json::Object(_)) => "an object",
            (false, _) => "a scalar",
        };
        return Err(Error::invalid(
            "22023",
            format!("cannot call {name} on {what}"),
        ));
    };
    if items.iter().any(|i| !matches!(i, Json::Object(_))) {
        return Err(Error::invalid(
            "22023",
            format!("argument of {name} must be an array of objects"),
        ));
    }
    Ok(if f.jsonb {
        items
            .iter()
            .map(|i| Value::Text(i.to_jsonb_text()))
            .collect()
    } else {
        json::raw_members(doc)
            .into_iter()
            .map(|(_, text)| Value::Text(text.to_string()))
            .collect()
    })
}

/// Writes json array `value` (at nesting `depth`) as array text, checking that sub-arrays
/// match: `dims[d]` is whether level `d` holds arrays, fixed by the first element seen.
fn array_text(
    value: &Json,
    depth: usize,
    dims: &mut Vec<(bool, usize)>,
    out: &mut String,
) -> Result<()> {
    let Json::Array(items) = value else {
        return Err(expected_array());
    };
    let nested = items.first().is_some_and(|i| matches!(i, Json::Array(_)));
    match dims.get(depth) {
        None if depth == dims.len() => dims.push((nested, items.len())),
        Some(&(n, len)) if n == nested && len == items.len() => {}
        _ => return Err(malformed()),
    }
    out.push('{');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match item {
            Json::Array(_) if nested => array_text(item, depth + 1, dims, out)?,
            _ if nested => return Err(malformed()),
            Json::Array(_) => return Err(expected_array()),
            Json::Null => out.push_str("NULL"),
            Json::String(s) => quote_element(s, out),
            other => quote_element(&other.to_jsonb_text(), out),
        }
    }
    out.push('}');
    Ok(())
}

fn quote_element(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

fn malformed() -> Error {
    Error::invalid("22P02", "malformed JSON array")
}

fn expected_array() -> Error {
    Error::invalid("22P02", "expected JSON array")
}
