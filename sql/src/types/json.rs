//! `json` and `jsonb`: a JSON parser that keeps numbers exact (as PostgreSQL's numeric), the
//! `jsonb` normal form (object keys ordered by length then bytes, duplicates keeping the last,
//! printed as `{"a": 1, "b": [1, 2]}`), and the operators and functions over parsed values.
//!
//! Both types are stored as text: `json` exactly as given (after validation), `jsonb` in its
//! normal form, so that equal jsonb values have equal text.

use std::cmp::Ordering;

use vdb_engine::value::Numeric;

use crate::error::{Error, Result};

/// A parsed JSON value. Numbers keep their source text's exact decimal value.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(Numeric),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

fn invalid(type_name: &str, s: &str) -> Error {
    Error::invalid_text(type_name, s)
}

/// Parses JSON text (`type_name` names the type in the error: `json` or `jsonb`).
pub fn parse(s: &str, type_name: &str) -> Result<Json> {
    let mut p = Parser {
        bytes: s.as_bytes(),
        at: 0,
        depth: 0,
    };
    let v = p.value().ok_or_else(|| {
        if type_name == "jsonb" && s.contains("\\u0000") {
            // jsonb's text cannot hold NUL.
            return Error::invalid("22P05", "unsupported Unicode escape sequence");
        }
        invalid(type_name, s)
    })?;
    p.ws();
    if p.at != p.bytes.len() {
        return Err(invalid(type_name, s));
    }
    Ok(v)
}

struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
    depth: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self
            .bytes
            .get(self.at)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.at += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.ws();
        if self.bytes.get(self.at) == Some(&b) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Option<Json> {
        self.ws();
        self.depth += 1;
        if self.depth > 1000 {
            return None;
        }
        let v = match *self.bytes.get(self.at)? {
            b'{' => {
                self.at += 1;
                let mut fields = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        self.ws();
                        let k = self.string()?;
                        if !self.eat(b':') {
                            return None;
                        }
                        fields.push((k, self.value()?));
                        if self.eat(b'}') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                Json::Object(fields)
            }
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        items.push(self.value()?);
                        if self.eat(b']') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                Json::Array(items)
            }
            b'"' => Json::String(self.string()?),
            b't' => self.word("true", Json::Bool(true))?,
            b'f' => self.word("false", Json::Bool(false))?,
            b'n' => self.word("null", Json::Null)?,
            _ => self.number()?,
        };
        self.depth -= 1;
        Some(v)
    }

    fn word(&mut self, w: &str, v: Json) -> Option<Json> {
        if self.bytes[self.at..].starts_with(w.as_bytes()) {
            self.at += w.len();
            Some(v)
        } else {
            None
        }
    }

    fn number(&mut self) -> Option<Json> {
        let start = self.at;
        while self
            .bytes
            .get(self.at)
            .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        {
            self.at += 1;
        }
        let text = std::str::from_utf8(&self.bytes[start..self.at]).ok()?;
        // JSON's grammar: no leading '+', no leading zeros, digits on both sides of a point.
        let body = text.strip_prefix('-').unwrap_or(text);
        let int_end = body.find(['.', 'e', 'E']).unwrap_or(body.len());
        let int = &body[..int_end];
        if int.is_empty() || (int.len() > 1 && int.starts_with('0')) {
            return None;
        }
        if body[int_end..].starts_with('.')
            && !body[int_end + 1..]
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_digit())
        {
            return None;
        }
        match text.parse::<Numeric>().ok()? {
            n @ Numeric::Finite(_) => Some(Json::Number(n)),
            _ => None,
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.bytes.get(self.at..self.at + 4)?;
        self.at += 4;
        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    }

    fn string(&mut self) -> Option<String> {
        if self.bytes.get(self.at) != Some(&b'"') {
            return None;
        }
        self.at += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let b = *self.bytes.get(self.at)?;
            self.at += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    let e = *self.bytes.get(self.at)?;
                    self.at += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if self.bytes.get(self.at..self.at + 2) != Some(b"\\u") {
                                    return None;
                                }
                                self.at += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return None;
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            if code == 0 {
                                return None;
                            }
                            char::from_u32(code)?
                        }
                        _ => return None,
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                b if b < 0x20 => return None,
                b => out.push(b),
            }
        }
        String::from_utf8(out).ok()
    }
}

impl Json {
    /// The jsonb normal form: object keys sorted by (length, bytes), the last duplicate kept.
    pub fn normalize(self) -> Json {
        match self {
            Json::Array(items) => Json::Array(items.into_iter().map(Json::normalize).collect()),
            Json::Object(fields) => {
                let mut out: Vec<(String, Json)> = Vec::with_capacity(fields.len());
                for (k, v) in fields {
                    let v = v.normalize();
                    match out.iter_mut().find(|(ok, _)| *ok == k) {
                        Some(slot) => slot.1 = v,
                        None => out.push((k, v)),
                    }
                }
                out.sort_by(|(a, _), (b, _)| key_order(a, b));
                Json::Object(out)
            }
            other => other,
        }
    }

    /// jsonb's text: `{"a": 1, "b": [1, 2]}`.
    pub fn to_jsonb_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, ", ", ": ");
        out
    }

    /// The text `json_build_object` and friends produce: `{"a" : 1}` with `[1,2]` arrays.
    pub fn to_json_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, ", ", " : ");
        out
    }

    fn write(&self, out: &mut String, comma: &str, colon: &str) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(&n.to_string()),
            Json::String(s) => escape_into(out, s),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(comma);
                    }
                    item.write(out, comma, colon);
                }
                out.push(']');
            }
            Json::Object(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push_str(comma);
                    }
                    escape_into(out, k);
                    out.push_str(colon);
                    v.write(out, comma, colon);
                }
                out.push('}');
            }
        }
    }

    /// `jsonb_pretty`: four-space indentation, one element per line.
    pub fn pretty(&self) -> String {
        let mut out = String::new();
        self.write_pretty(&mut out, 0);
        out
    }

    fn write_pretty(&self, out: &mut String, level: usize) {
        let pad = |n: usize| "    ".repeat(n);
        match self {
            Json::Array(items) if !items.is_empty() => {
                out.push_str("[\n");
                for (i, item) in items.iter().enumerate() {
                    out.push_str(&pad(level + 1));
                    item.write_pretty(out, level + 1);
                    if i + 1 < items.len() {
                        out.push(',');
                    }
                    out.push('\n');
                }
                out.push_str(&pad(level));
                out.push(']');
            }
            Json::Object(fields) if !fields.is_empty() => {
                out.push_str("{\n");
                for (i, (k, v)) in fields.iter().enumerate() {
                    out.push_str(&pad(level + 1));
                    escape_into(out, k);
                    out.push_str(": ");
                    v.write_pretty(out, level + 1);
                    if i + 1 < fields.len() {
                        out.push(',');
                    }
                    out.push('\n');
                }
                out.push_str(&pad(level));
                out.push('}');
            }
            other => other.write(out, ", ", ": "),
        }
    }

    /// `->> `'s text: strings unquoted, null as SQL NULL, everything else as jsonb text.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Json::Null => None,
            Json::String(s) => Some(s.clone()),
            other => Some(other.to_jsonb_text()),
        }
    }

    /// `jsonb_typeof`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }

    /// `-> 'key'` (the last matching key, for json with duplicates).
    pub fn field(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(fields) => fields.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// `-> n`: 0-based, negative counts from the end.
    pub fn index(&self, i: i64) -> Option<&Json> {
        match self {
            Json::Array(items) => {
                let len = i64::try_from(items.len()).ok()?;
                let i = if i < 0 { len + i } else { i };
                items.get(usize::try_from(i).ok()?)
            }
            _ => None,
        }
    }

    /// `#> '{a,0,b}'`: each step a key, or an index into an array.
    pub fn path(&self, steps: &[String]) -> Option<&Json> {
        let mut cur = self;
        for step in steps {
            cur = match cur {
                Json::Array(_) => cur.index(step.trim().parse().ok()?)?,
                Json::Object(_) => cur.field(step)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// jsonb `@>`.
    pub fn contains(&self, other: &Json) -> bool {
        self.contains_at(other, true)
    }

    fn contains_at(&self, other: &Json, top: bool) -> bool {
        match (self, other) {
            (Json::Object(a), Json::Object(b)) => b.iter().all(|(k, bv)| {
                a.iter()
                    .find(|(ak, _)| ak == k)
                    .is_some_and(|(_, av)| av.contains_at(bv, false))
            }),
            (Json::Array(a), Json::Array(b)) => b.iter().all(|bv| match bv {
                Json::Array(_) | Json::Object(_) => a.iter().any(|av| av.contains_at(bv, false)),
                scalar => a.iter().any(|av| av.scalar_eq(scalar)),
            }),
            (Json::Array(a), scalar) if top && !matches!(scalar, Json::Object(_)) => {
                a.iter().any(|av| av.scalar_eq(scalar))
            }
            (a, b) => a.scalar_eq(b),
        }
    }

    fn scalar_eq(&self, other: &Json) -> bool {
        match (self, other) {
            (Json::Number(a), Json::Number(b)) => a == b,
            (Json::Array(_) | Json::Object(_), _) | (_, Json::Array(_) | Json::Object(_)) => false,
            (a, b) => a == b,
        }
    }

    /// jsonb `?`: a top-level key, array string element, or equal string scalar.
    pub fn exists(&self, key: &str) -> bool {
        match self {
            Json::Object(fields) => fields.iter().any(|(k, _)| k == key),
            Json::Array(items) => items
                .iter()
                .any(|i| matches!(i, Json::String(s) if s == key)),
            Json::String(s) => s == key,
            _ => false,
        }
    }

    /// jsonb `||`: objects merge (right wins), otherwise arrays concatenate (a scalar or object
    /// counts as a one-element array).
    pub fn concat(self, other: Json) -> Json {
        match (self, other) {
            (Json::Object(mut a), Json::Object(b)) => {
                a.extend(b);
                Json::Object(a).normalize()
            }
            (a, b) => {
                let mut items = match a {
                    Json::Array(items) => items,
                    other => vec![other],
                };
                match b {
                    Json::Array(more) => items.extend(more),
                    other => items.push(other),
                }
                Json::Array(items)
            }
        }
    }

    /// jsonb's btree order (`jsonb_cmp`): compares [`Json::sort_key`]s.
    pub fn jsonb_cmp(&self, other: &Json) -> Ordering {
        self.sort_key().cmp(&other.sort_key())
    }

    /// Bytes that order (and are equal) exactly as PostgreSQL's jsonb btree orders the values,
    /// so sorting, grouping and comparing jsonb can work on plain bytes.
    ///
    /// PostgreSQL compares two jsonb values token by token, walking both depth-first (a
    /// scalar is a one-element "raw scalar" array); the first difference decides. Tokens of
    /// different kinds order by kind: null < string < number < boolean < array < object. Two
    /// array headers order by element count, then a raw scalar before a real array (so `[]` <
    /// `1` < `[1]`); two object headers by pair count; keys and strings bytewise (C
    /// collation); numbers by value (`1.0` = `1`). Since two equal headers are followed by the
    /// same number of tokens, end tokens never decide and are left out.
    ///
    /// Layout, one token after another: `0x10` null; `0x20` string bytes `0x00` (jsonb
    /// strings hold no NUL); `0x30` numeric key encoding (canonical, order-preserving);
    /// `0x40` then 0/1 for booleans; `0x50` element count (u32, big-endian) then 0 for a raw
    /// scalar, 1 for an array; `0x60` pair count (u32, big-endian), the pairs as key, value.
    pub fn sort_key(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Json::Array(_) | Json::Object(_) => self.write_sort_key(&mut out),
            scalar => {
                out.push(SORT_ARRAY);
                out.extend_from_slice(&1u32.to_be_bytes());
                out.push(0);
                scalar.write_sort_key(&mut out);
            }
        }
        out
    }

    fn write_sort_key(&self, out: &mut Vec<u8>) {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes();
        match self {
            Json::Null => out.push(SORT_NULL),
            Json::String(s) => write_sort_string(s, out),
            Json::Number(n) => {
                out.push(SORT_NUMBER);
                let v = vdb_engine::value::Value::Numeric(n.clone());
                let ty = vdb_engine::value::Type::Numeric {
                    precision_scale: None,
                };
                if vdb_engine::codec::encode_key(&[v], &[ty], out).is_err() {
                    // An exponent beyond i32 (not reachable from jsonb input): by its text.
                    out.extend_from_slice(n.to_string().as_bytes());
                }
            }
            Json::Bool(b) => out.extend_from_slice(&[SORT_BOOL, u8::from(*b)]),
            Json::Array(items) => {
                out.push(SORT_ARRAY);
                out.extend_from_slice(&count(items.len()));
                out.push(1);
                for item in items {
                    item.write_sort_key(out);
                }
            }
            Json::Object(fields) => {
                out.push(SORT_OBJECT);
                out.extend_from_slice(&count(fields.len()));
                for (k, v) in fields {
                    write_sort_string(k, out);
                    v.write_sort_key(out);
                }
            }
        }
    }
}

/// Token tags of [`Json::sort_key`], in jsonb's type order.
const SORT_NULL: u8 = 0x10;
const SORT_STRING: u8 = 0x20;
const SORT_NUMBER: u8 = 0x30;
const SORT_BOOL: u8 = 0x40;
const SORT_ARRAY: u8 = 0x50;
const SORT_OBJECT: u8 = 0x60;

fn write_sort_string(s: &str, out: &mut Vec<u8>) {
    out.push(SORT_STRING);
    out.extend_from_slice(s.as_bytes());
    out.push(0);
}

/// jsonb's key order: shorter keys first, then bytewise.
fn key_order(a: &str, b: &str) -> Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

/// Writes `s` as a JSON string literal, escaping as PostgreSQL's `escape_json`.
pub fn escape_into(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The members of a json array or object as written: each element's or member value's text
/// (trimmed of white space) with the member's key; empty for a scalar or invalid json. One
/// scanner, the parser itself, serves both containers.
pub fn raw_members(s: &str) -> Vec<(Option<String>, &str)> {
    raw_members_of(s).unwrap_or_default()
}

fn raw_members_of(s: &str) -> Option<Vec<(Option<String>, &str)>> {
    let mut p = Parser {
        bytes: s.as_bytes(),
        at: 0,
        depth: 0,
    };
    p.ws();
    let close = match p.bytes.get(p.at)? {
        b'{' => b'}',
        b'[' => b']',
        _ => return None,
    };
    p.at += 1;
    let mut out = Vec::new();
    if p.eat(close) {
        return Some(out);
    }
    loop {
        let key = if close == b'}' {
            p.ws();
            let k = p.string()?;
            if !p.eat(b':') {
                return None;
            }
            Some(k)
        } else {
            None
        };
        p.ws();
        let start = p.at;
        p.value()?;
        out.push((key, s.get(start..p.at)?));
        if p.eat(close) {
            return Some(out);
        }
        if !p.eat(b',') {
            return None;
        }
    }
}

/// One step into a json document: a member key, an element index (negative counts from the
/// end), or a path element (`#>`), which is a key into an object and an index into an array.
#[derive(Debug, Clone, Copy)]
pub enum Step<'a> {
    Key(&'a str),
    Index(i64),
    Path(&'a str),
}

/// The text, as written (trimmed), of the value that `steps` lead to in json `doc`, as
/// PostgreSQL's json operators return it; `None` where a step finds nothing. Of repeated keys
/// the last counts. No steps give the document itself.
pub fn raw_lookup<'a>(doc: &'a str, steps: &[Step<'_>]) -> Option<&'a str> {
    let mut current = doc;
    for step in steps {
        let trimmed = current.trim_start();
        let object = trimmed.starts_with('{');
        if !object && !trimmed.starts_with('[') {
            return None;
        }
        let members = raw_members_of(current)?;
        let index = |i: i64| {
            let n = i64::try_from(members.len()).ok()?;
            let at = if i < 0 { n + i } else { i };
            usize::try_from(at).ok().and_then(|at| members.get(at))
        };
        let found = match (step, object) {
            (Step::Key(k) | Step::Path(k), true) => members
                .iter()
                .rev()
                .find(|(key, _)| key.as_deref() == Some(*k)),
            (Step::Index(i), false) => index(*i),
            (Step::Path(p), false) => index(p.trim().parse().ok()?),
            _ => None,
        };
        current = found?.1;
    }
    Some(current)
}

/// What `->>` and the `_text` functions give for json text taken out of a document: a
/// string's contents, NULL for null, any other value's text as written.
pub fn raw_as_text(raw: &str) -> Option<String> {
    match parse(raw, "json") {
        Ok(Json::String(s)) => Some(s),
        Ok(Json::Null) => None,
        _ => Some(raw.to_string()),
    }
}

/// Validates json input, keeping the text as given.
pub fn json_in(s: &str) -> Result<String> {
    parse(s, "json")?;
    Ok(s.to_string())
}

/// Parses jsonb input into its normal text.
pub fn jsonb_in(s: &str) -> Result<String> {
    Ok(parse(s, "jsonb")?.normalize().to_jsonb_text())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonb_normalizes() {
        assert_eq!(
            jsonb_in(r#"{"b":[1,2], "a": 1, "aa": 2, "a": 3}"#).unwrap(),
            r#"{"a": 3, "b": [1, 2], "aa": 2}"#
        );
        assert_eq!(jsonb_in("1.50").unwrap(), "1.50");
        assert_eq!(jsonb_in("1e2").unwrap(), "100");
        assert!(jsonb_in("{").is_err());
        assert!(jsonb_in("01").is_err());
        assert!(jsonb_in(&"[".repeat(5000)).is_err());
    }

    #[test]
    fn sort_key_follows_jsonb_btree_order() {
        // PostgreSQL 15's `ORDER BY j` of these values.
        let sorted = [
            "[]",
            "null",
            r#""B""#,
            r#""a""#,
            "1",
            "9.5",
            "10",
            "false",
            "[null]",
            r#"["a"]"#,
            "[1]",
            "[[1]]",
            "[{}]",
            "[0, 0]",
            "{}",
            r#"{"aa": 1}"#,
            r#"{"b": 1}"#,
            r#"{"a": 1, "b": 2}"#,
        ];
        let keys: Vec<Vec<u8>> = sorted
            .iter()
            .map(|s| parse(s, "jsonb").unwrap().normalize().sort_key())
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{sorted:?}");
        let one = parse("1.0", "jsonb").unwrap();
        assert!(one.jsonb_cmp(&parse("1", "jsonb").unwrap()).is_eq());
    }

    #[test]
    fn raw_members_keep_their_text() {
        assert_eq!(
            raw_members(r#" [1, {"a" : [2,3]} ,"x"] "#),
            vec![(None, "1"), (None, r#"{"a" : [2,3]}"#), (None, r#""x""#)]
        );
        assert_eq!(
            raw_members(r#"{"k" :  [1,2], "k": null}"#),
            vec![
                (Some("k".to_string()), "[1,2]"),
                (Some("k".to_string()), "null")
            ]
        );
        assert!(raw_members("3").is_empty());
        assert!(raw_members("[1,").is_empty());
    }

    #[test]
    fn containment() {
        let a = parse(r#"{"a": 1, "b": [1, 2, 3]}"#, "jsonb").unwrap();
        let b = parse(r#"{"b": [3]}"#, "jsonb").unwrap();
        assert!(a.contains(&b));
        assert!(!b.contains(&a));
    }
}
