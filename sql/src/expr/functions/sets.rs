//! The set-returning functions beyond the integer and array ones: `json[b]_each[_text]`,
//! `regexp_matches`, `regexp_split_to_table` and `jsonb_path_query`, and the small jsonpath
//! language (`$.a[*] ? (@ > 1)`: member and element accessors, wildcards, filters comparing to
//! literals with `&&`, `||`, `!`) that the jsonpath functions share. Other jsonpath features
//! are refused with 0A000.
//!
//! `json_each` in FROM is two columns (key, value): the binder asks for each column as its own
//! set function over the same document, so they expand in lockstep.

use vdb_engine::value::{Numeric, Value};

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
        SetFunction::JsonPathQuery => match (t(0), t(1)) {
            (Some(doc), Some(path)) => path_query(doc, path).map(|found| {
                found
                    .iter()
                    .map(|j| Value::Text(j.to_jsonb_text()))
                    .collect()
            }),
            _ => Ok(Vec::new()),
        },
        SetFunction::JsonArrayElementsRaw => match t(0) {
            None => Ok(Vec::new()),
            Some(doc) => json_array_elements(doc),
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

/// `json_array_elements(json)`: each element's text as written (trimmed).
fn json_array_elements(doc: &str) -> Result<Vec<Value>> {
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
            Some((_, t)) if raw.len() == items.len() => Value::Text((*t).to_string()),
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
    let raw = if jsonb || text {
        Vec::new()
    } else {
        json::raw_members(doc)
    };
    let value_at = |i: usize, v: &Json| match raw.get(i) {
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
    let groups = |caps: regex::Captures<'_>| -> Value {
        if caps.len() == 1 {
            return Value::Array(vec![Value::Text(caps[0].to_string())].into());
        }
        Value::Array(
            (1..caps.len())
                .map(|i| {
                    caps.get(i)
                        .map_or(Value::Null, |m| Value::Text(m.as_str().to_string()))
                })
                .collect(),
        )
    };
    if flags.contains('g') {
        Ok(re.captures_iter(s).map(groups).collect())
    } else {
        Ok(re.captures(s).map(groups).into_iter().collect())
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

/// jsonb_path_exists / match / query_first / query_array.
pub(super) fn jsonpath_scalar(b: Builtin, args: &[Value]) -> Result<Value> {
    let (Some(doc), Some(path)) = (text_arg(args.first()), text_arg(args.get(1))) else {
        return Ok(Value::Null);
    };
    let found = path_query(doc, path)?;
    Ok(match b {
        Builtin::JsonPathExists => Value::Bool(!found.is_empty()),
        Builtin::JsonPathMatch => match found.as_slice() {
            [Json::Bool(v)] => Value::Bool(*v),
            _ => Value::Null,
        },
        Builtin::JsonPathQueryFirst => found
            .first()
            .map_or(Value::Null, |j| Value::Text(j.to_jsonb_text())),
        _ => Value::Text(Json::Array(found).to_jsonb_text()),
    })
}

fn path_query(doc: &str, path: &str) -> Result<Vec<Json>> {
    let doc = json::parse(doc, "jsonb")?.normalize();
    let mut p = PathParser {
        s: path.as_bytes(),
        at: 0,
    };
    p.ws();
    let lax = if p.word("strict") {
        false
    } else {
        p.word("lax");
        true
    };
    p.ws();
    if !p.eat(b'$') {
        if p.eat_str("exists") || p.peek() == Some(b'@') {
            return Err(unsupported(path));
        }
        // A bare predicate (`$.a > 1` is handled below); anything else is unsupported.
        return Err(syntax(path));
    }
    let steps = p.steps(path)?;
    p.ws();
    // `$.a == 1` at the top: a predicate path (jsonb_path_match / @@).
    if let Some(op) = p.comparison() {
        let rhs = p.operand(path)?;
        p.ws();
        if p.at != p.s.len() {
            return Err(unsupported(path));
        }
        let left = walk(vec![doc.clone()], &steps, lax);
        let result = left.iter().any(|l| compare(l, op, &rhs, &doc));
        return Ok(vec![Json::Bool(result)]);
    }
    if p.at != p.s.len() {
        return Err(unsupported(path));
    }
    Ok(walk(vec![doc], &steps, lax))
}

fn unsupported(path: &str) -> Error {
    Error::Unsupported(format!("jsonpath expression {path}"))
}

fn syntax(path: &str) -> Error {
    Error::invalid(
        "42601",
        format!("syntax error at or near \"{path}\" of jsonpath input"),
    )
}

#[derive(Clone, Debug)]
enum Step {
    Key(String),
    AnyKey,
    Index(i64),
    AnyIndex,
    Filter(Box<Pred>),
}

#[derive(Clone, Debug)]
enum Pred {
    Cmp(Operand, &'static str, Operand),
    And(Box<Pred>, Box<Pred>),
    Or(Box<Pred>, Box<Pred>),
    Not(Box<Pred>),
    Exists(Vec<Step>),
}

#[derive(Clone, Debug)]
enum Operand {
    /// `@` followed by steps.
    Path(Vec<Step>),
    Literal(Json),
}

struct PathParser<'a> {
    s: &'a [u8],
    at: usize,
}

impl PathParser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }
    fn eat(&mut self, b: u8) -> bool {
        self.ws();
        if self.peek() == Some(b) {
            self.at += 1;
            true
        } else {
            false
        }
    }
    fn eat_str(&mut self, w: &str) -> bool {
        self.ws();
        if self.s[self.at..].starts_with(w.as_bytes()) {
            self.at += w.len();
            true
        } else {
            false
        }
    }
    fn word(&mut self, w: &str) -> bool {
        self.ws();
        let rest = &self.s[self.at..];
        if rest.starts_with(w.as_bytes())
            && !rest
                .get(w.len())
                .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            self.at += w.len();
            true
        } else {
            false
        }
    }
    fn ident(&mut self) -> Option<String> {
        self.ws();
        if self.peek() == Some(b'"') {
            let start = self.at;
            self.at += 1;
            while let Some(b) = self.peek() {
                self.at += 1;
                if b == b'\\' {
                    self.at += 1;
                } else if b == b'"' {
                    break;
                }
            }
            let text = std::str::from_utf8(&self.s[start..self.at]).ok()?;
            return match json::parse(text, "jsonpath").ok()? {
                Json::String(s) => Some(s),
                _ => None,
            };
        }
        let start = self.at;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80)
        {
            self.at += 1;
        }
        (self.at > start).then(|| String::from_utf8_lossy(&self.s[start..self.at]).into_owned())
    }
    fn steps(&mut self, path: &str) -> Result<Vec<Step>> {
        let mut steps = Vec::new();
        loop {
            self.ws();
            match self.peek() {
                Some(b'.') => {
                    self.at += 1;
                    if self.eat(b'*') {
                        steps.push(Step::AnyKey);
                        continue;
                    }
                    let key = self.ident().ok_or_else(|| syntax(path))?;
                    self.ws();
                    if self.peek() == Some(b'(') {
                        return Err(unsupported(path));
                    }
                    steps.push(Step::Key(key));
                }
                Some(b'[') => {
                    self.at += 1;
                    if self.eat(b'*') {
                        steps.push(Step::AnyIndex);
                    } else {
                        self.ws();
                        let start = self.at;
                        while self.peek().is_some_and(|b| b.is_ascii_digit() || b == b'-') {
                            self.at += 1;
                        }
                        let n = std::str::from_utf8(&self.s[start..self.at])
                            .ok()
                            .and_then(|t| t.parse().ok())
                            .ok_or_else(|| unsupported(path))?;
                        steps.push(Step::Index(n));
                    }
                    if !self.eat(b']') {
                        return Err(unsupported(path));
                    }
                }
                Some(b'?') => {
                    self.at += 1;
                    if !self.eat(b'(') {
                        return Err(syntax(path));
                    }
                    let pred = self.or(path)?;
                    if !self.eat(b')') {
                        return Err(unsupported(path));
                    }
                    steps.push(Step::Filter(Box::new(pred)));
                }
                _ => return Ok(steps),
            }
        }
    }
    fn or(&mut self, path: &str) -> Result<Pred> {
        let mut left = self.and(path)?;
        while self.eat_str("||") {
            left = Pred::Or(Box::new(left), Box::new(self.and(path)?));
        }
        Ok(left)
    }
    fn and(&mut self, path: &str) -> Result<Pred> {
        let mut left = self.unary(path)?;
        while self.eat_str("&&") {
            left = Pred::And(Box::new(left), Box::new(self.unary(path)?));
        }
        Ok(left)
    }
    fn unary(&mut self, path: &str) -> Result<Pred> {
        if self.eat(b'!') {
            if !self.eat(b'(') {
                return Err(syntax(path));
            }
            let p = self.or(path)?;
            if !self.eat(b')') {
                return Err(syntax(path));
            }
            return Ok(Pred::Not(Box::new(p)));
        }
        if self.word("exists") {
            if !self.eat(b'(') || !self.eat(b'@') {
                return Err(unsupported(path));
            }
            let steps = self.steps(path)?;
            if !self.eat(b')') {
                return Err(unsupported(path));
            }
            return Ok(Pred::Exists(steps));
        }
        if self.eat(b'(') {
            let p = self.or(path)?;
            if !self.eat(b')') {
                return Err(syntax(path));
            }
            return Ok(p);
        }
        let left = self.operand(path)?;
        let op = self.comparison().ok_or_else(|| unsupported(path))?;
        let right = self.operand(path)?;
        Ok(Pred::Cmp(left, op, right))
    }
    fn comparison(&mut self) -> Option<&'static str> {
        self.ws();
        for op in ["==", "!=", "<>", "<=", ">=", "<", ">"] {
            if self.s[self.at..].starts_with(op.as_bytes()) {
                self.at += op.len();
                return Some(match op {
                    "==" => "==",
                    "!=" | "<>" => "!=",
                    "<=" => "<=",
                    ">=" => ">=",
                    "<" => "<",
                    _ => ">",
                });
            }
        }
        None
    }
    fn operand(&mut self, path: &str) -> Result<Operand> {
        self.ws();
        if self.eat(b'@') {
            return Ok(Operand::Path(self.steps(path)?));
        }
        if self.word("true") {
            return Ok(Operand::Literal(Json::Bool(true)));
        }
        if self.word("false") {
            return Ok(Operand::Literal(Json::Bool(false)));
        }
        if self.word("null") {
            return Ok(Operand::Literal(Json::Null));
        }
        if self.peek() == Some(b'"') {
            let s = self.ident().ok_or_else(|| syntax(path))?;
            return Ok(Operand::Literal(Json::String(s)));
        }
        let start = self.at;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        {
            self.at += 1;
        }
        let text = std::str::from_utf8(&self.s[start..self.at]).unwrap_or("");
        match text.parse::<Numeric>() {
            Ok(n @ Numeric::Finite(_)) => Ok(Operand::Literal(Json::Number(n))),
            _ => Err(unsupported(path)),
        }
    }
}

/// Applies `steps` to each item (lax mode unwraps arrays under key accessors).
fn walk(items: Vec<Json>, steps: &[Step], lax: bool) -> Vec<Json> {
    let mut cur = items;
    for step in steps {
        let mut next = Vec::new();
        for item in cur {
            apply(&item, step, lax, &mut next);
        }
        cur = next;
    }
    cur
}

fn apply(item: &Json, step: &Step, lax: bool, out: &mut Vec<Json>) {
    match (step, item) {
        (Step::Key(_) | Step::AnyKey, Json::Array(items)) if lax => {
            for i in items {
                apply(i, step, lax, out);
            }
        }
        (Step::Key(k), Json::Object(fields)) => {
            out.extend(
                fields
                    .iter()
                    .filter(|(f, _)| f == k)
                    .map(|(_, v)| v.clone()),
            );
        }
        (Step::AnyKey, Json::Object(fields)) => out.extend(fields.iter().map(|(_, v)| v.clone())),
        (Step::AnyIndex, Json::Array(items)) => out.extend(items.iter().cloned()),
        (Step::AnyIndex, other) if lax => out.push(other.clone()),
        (Step::Index(i), Json::Array(items)) => {
            if let Some(v) = usize::try_from(*i).ok().and_then(|i| items.get(i)) {
                out.push(v.clone());
            }
        }
        (Step::Index(0), other) if lax => out.push(other.clone()),
        (Step::Filter(pred), Json::Array(items)) if lax => {
            for i in items {
                if holds(pred, i, lax) {
                    out.push(i.clone());
                }
            }
        }
        (Step::Filter(pred), other) if holds(pred, other, lax) => out.push(other.clone()),
        _ => {}
    }
}

fn holds(pred: &Pred, at: &Json, lax: bool) -> bool {
    match pred {
        Pred::And(a, b) => holds(a, at, lax) && holds(b, at, lax),
        Pred::Or(a, b) => holds(a, at, lax) || holds(b, at, lax),
        Pred::Not(p) => !holds(p, at, lax),
        Pred::Exists(steps) => !walk(vec![at.clone()], steps, lax).is_empty(),
        Pred::Cmp(l, op, r) => {
            let values = |o: &Operand| match o {
                Operand::Path(steps) => walk(vec![at.clone()], steps, lax),
                Operand::Literal(j) => vec![j.clone()],
            };
            let (ls, rs) = (values(l), values(r));
            ls.iter().any(|x| {
                rs.iter()
                    .any(|y| compare(x, op, &Operand::Literal(y.clone()), at))
            })
        }
    }
}

/// `x op literal` with jsonpath's typing: only like kinds compare.
fn compare(x: &Json, op: &str, rhs: &Operand, at: &Json) -> bool {
    let y = match rhs {
        Operand::Literal(y) => y.clone(),
        Operand::Path(steps) => match walk(vec![at.clone()], steps, true).into_iter().next() {
            Some(y) => y,
            None => return false,
        },
    };
    let ord = match (x, &y) {
        (Json::Number(a), Json::Number(b)) => a.cmp(b),
        (Json::String(a), Json::String(b)) => a.as_bytes().cmp(b.as_bytes()),
        (Json::Bool(a), Json::Bool(b)) => a.cmp(b),
        (Json::Null, Json::Null) => std::cmp::Ordering::Equal,
        (Json::Null, _) | (_, Json::Null) => return op == "!=",
        _ => return false,
    };
    match op {
        "==" => ord.is_eq(),
        "!=" => ord.is_ne(),
        "<" => ord.is_lt(),
        "<=" => ord.is_le(),
        ">" => ord.is_gt(),
        _ => ord.is_ge(),
    }
}
