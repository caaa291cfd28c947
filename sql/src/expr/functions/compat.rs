//! Functions added to match PostgreSQL where vdb differed: whole-row json, jsonb comparison by
//! value, json[b]_object, json_strip_nulls, jsonpath queries, unistr, regexp_instr/substr,
//! `substring(s from pattern)`, overlay, to_number / to_char on numbers, the integer bitwise
//! operators, and sqrt/exp/ln/log/power on numeric (`numeric_math.rs`).

use bigdecimal::num_traits::Zero as _;
use bigdecimal::BigDecimal;
use vdb_engine::value::{Numeric, Value};

use super::{int_arg, text_arg, BinaryOp, Builtin};
use crate::error::{Error, Result};
use crate::types::json::{self, Json};

/// Evaluates `b` if this module owns it (or its numeric form).
pub(super) fn eval(b: Builtin, args: &[Value]) -> Option<Result<Value>> {
    if let Some(r) = numeric_function(b, args) {
        return Some(r);
    }
    let t = |i: usize| text_arg(args.get(i)).unwrap_or("");
    Some(match b {
        Builtin::RowJson => row_json(args),
        Builtin::JsonbCmp(op) => jsonb_cmp(op, t(0), t(1)),
        Builtin::JsonbExtreme { greatest } => jsonb_extreme(args, greatest),
        Builtin::JsonRecordField { f, target } => {
            super::json_record::field(f, target, text_arg(args.first()), t(1))
        }
        Builtin::JsonbSortKey => json::parse(t(0), "jsonb").map(|j| Value::Bytea(j.sort_key())),
        Builtin::JsonObject { jsonb } => json_object(args, jsonb),
        Builtin::JsonStripNulls => json::parse(t(0), "json").map(|j| {
            Value::Text(super::containers::compact(&super::jsonb_edit::strip_nulls(
                j,
            )))
        }),
        Builtin::JsonRowPretty => Ok(match args.get(1) {
            Some(Value::Bool(true)) => Value::Text(pretty_row(t(0))),
            _ => args.first().cloned().unwrap_or(Value::Null),
        }),
        Builtin::JsonPathExists
        | Builtin::JsonPathMatch
        | Builtin::JsonPathQueryFirst
        | Builtin::JsonPathQueryArray => super::sets::jsonpath_scalar(b, args),
        Builtin::Unistr => unistr(t(0)).map(Value::Text),
        Builtin::RegexpInstr => regexp_instr(args),
        Builtin::RegexpCountFrom => regexp_count_from(args),
        Builtin::RegexpSubstr => regexp_substr(args),
        Builtin::RegexpSubstring => regexp_substring(t(0), t(1)),
        Builtin::Overlay => overlay(args),
        Builtin::ToNumber => super::to_char_number::to_number(t(0), t(1)),
        Builtin::NumberToChar => super::to_char_number::to_char(args.first(), t(1)),
        Builtin::Bitwise(op) => bitwise(op, args),
        Builtin::RecordText => Ok(Value::Text(format!(
            "({})",
            args.iter()
                .map(|v| crate::types::to_pg_text(v)
                    .map_or(String::new(), |t| super::sets::record_field(&t)))
                .collect::<Vec<_>>()
                .join(",")
        ))),
        _ => return None,
    })
}

fn numeric(v: Option<&Value>) -> Option<&BigDecimal> {
    match v? {
        Value::Numeric(Numeric::Finite(d)) => Some(d),
        _ => None,
    }
}

/// `power(x, y)` of numerics when either is NaN or infinite, as PostgreSQL's numeric_power
/// defines it (1 ^ NaN and NaN ^ 0 are 1; infinities follow the limits); `None` when both
/// are finite.
fn numeric_power_special(x: &Numeric, y: &Numeric) -> Option<Result<Value>> {
    use std::cmp::Ordering;
    let finite = |n: &Numeric| match n {
        Numeric::Finite(d) => Some(d.clone()),
        _ => None,
    };
    if finite(x).is_some() && finite(y).is_some() {
        return None;
    }
    let one = BigDecimal::from(1);
    let number = |d: i64| Ok(Value::Numeric(Numeric::Finite(BigDecimal::from(d))));
    let value = |n: Numeric| Ok(Value::Numeric(n));
    let sign = |n: &Numeric| match n {
        Numeric::NegInfinity => Ordering::Less,
        Numeric::Infinity => Ordering::Greater,
        Numeric::Finite(d) => d.sign().cmp(&bigdecimal::num_bigint::Sign::NoSign),
        Numeric::NaN => Ordering::Equal,
    };
    if matches!(x, Numeric::NaN) || matches!(y, Numeric::NaN) {
        let is_one = finite(x).is_some_and(|d| d == one);
        let zero_power = finite(y).is_some_and(|d| d.is_zero());
        return Some(if is_one || zero_power {
            number(1)
        } else {
            value(Numeric::NaN)
        });
    }
    if finite(x).is_some_and(|d| d.is_zero()) && sign(y) == Ordering::Less {
        return Some(Err(Error::invalid(
            "2201F",
            "zero raised to a negative power is undefined",
        )));
    }
    Some(match (x, y) {
        // A finite base to an infinite power: |x| against 1 decides.
        (Numeric::Finite(d), _) => {
            let magnitude = d.abs().cmp(&one);
            match (magnitude, y) {
                (Ordering::Equal, _) => number(1),
                (Ordering::Less, Numeric::Infinity) | (Ordering::Greater, Numeric::NegInfinity) => {
                    number(0)
                }
                _ => value(Numeric::Infinity),
            }
        }
        // An infinite base; -Infinity only to an integer (or infinite) power.
        (_, y) => {
            let fractional = finite(y).is_some_and(|d| !d.is_integer());
            if matches!(x, Numeric::NegInfinity) && fractional {
                return Some(Err(Error::invalid(
                    "2201F",
                    "a negative number raised to a non-integer power yields a complex result",
                )));
            }
            match sign(y) {
                Ordering::Equal => number(1),
                Ordering::Less => number(0),
                Ordering::Greater => {
                    let odd = finite(y).is_some_and(|d| (d % BigDecimal::from(2)).abs() == one);
                    if matches!(x, Numeric::NegInfinity) && odd {
                        value(Numeric::NegInfinity)
                    } else {
                        value(Numeric::Infinity)
                    }
                }
            }
        }
    })
}

/// sqrt/exp/ln/log10/log/power when the arguments are finite numerics.
fn numeric_function(b: Builtin, args: &[Value]) -> Option<Result<Value>> {
    use super::numeric_math as m;
    if let (Builtin::Power, Some(Value::Numeric(x)), Some(Value::Numeric(y))) =
        (b, args.first(), args.get(1))
    {
        if let Some(result) = numeric_power_special(x, y) {
            return Some(result);
        }
    }
    let x = numeric(args.first())?;
    let y = numeric(args.get(1));
    let ten = BigDecimal::from(10);
    let r = match (b, y) {
        (Builtin::Sqrt, _) => m::sqrt(x),
        (Builtin::Exp, _) => m::exp(x),
        (Builtin::Ln, _) => m::ln(x),
        (Builtin::Log10 | Builtin::Log, None) => m::log(&ten, x),
        (Builtin::Log, Some(y)) => m::log(x, y),
        (Builtin::Power, Some(y)) => m::power(x, y),
        _ => return None,
    };
    Some(r.map(|d| Value::Numeric(Numeric::Finite(d))))
}

fn row_json(args: &[Value]) -> Result<Value> {
    // Each value arrives as its json text (`JsonArg`) and is embedded as it is.
    let mut fields = Vec::new();
    for pair in args.chunks(2) {
        let mut field = String::new();
        json::escape_into(&mut field, text_arg(pair.first()).unwrap_or(""));
        field.push(':');
        field.push_str(text_arg(pair.get(1)).unwrap_or("null"));
        fields.push(field);
    }
    Ok(Value::Text(format!("{{{}}}", fields.join(","))))
}

fn jsonb_cmp(op: BinaryOp, a: &str, b: &str) -> Result<Value> {
    let (a, b) = (json::parse(a, "jsonb")?, json::parse(b, "jsonb")?);
    let o = a.jsonb_cmp(&b);
    Ok(Value::Bool(match op {
        BinaryOp::Eq => o.is_eq(),
        BinaryOp::NotEq => o.is_ne(),
        BinaryOp::Lt => o.is_lt(),
        BinaryOp::LtEq => o.is_le(),
        BinaryOp::Gt => o.is_gt(),
        _ => o.is_ge(),
    }))
}

/// `greatest` / `least` over jsonb arguments: the first of the largest (smallest) non-NULL.
fn jsonb_extreme(args: &[Value], greatest: bool) -> Result<Value> {
    let mut best: Option<(Vec<u8>, &Value)> = None;
    for arg in args {
        let Value::Text(t) = arg else { continue };
        let key = json::parse(t, "jsonb")?.sort_key();
        let better = best
            .as_ref()
            .is_none_or(|(b, _)| if greatest { key > *b } else { key < *b });
        if better {
            best = Some((key, arg));
        }
    }
    Ok(best.map_or(Value::Null, |(_, v)| v.clone()))
}

fn texts_of(v: Option<&Value>) -> Result<Vec<Option<String>>> {
    match v {
        Some(Value::Array(items)) => Ok(items
            .iter()
            .map(|i| match i {
                Value::Text(t) => Some(t.clone()),
                _ => None,
            })
            .collect()),
        _ => Ok(Vec::new()),
    }
}

/// `json_object('{a,1,b,2}')` or `json_object('{a,b}', '{1,2}')`: values as strings.
fn json_object(args: &[Value], jsonb: bool) -> Result<Value> {
    let pairs: Vec<(Option<String>, Option<String>)> = if args.len() == 1 {
        let flat = texts_of(args.first())?;
        if flat.len() % 2 != 0 {
            return Err(Error::invalid(
                "2202E",
                "array must have even number of elements",
            ));
        }
        flat.chunks(2)
            .map(|c| (c[0].clone(), c[1].clone()))
            .collect()
    } else {
        let (k, v) = (texts_of(args.first())?, texts_of(args.get(1))?);
        if k.len() != v.len() {
            return Err(Error::invalid("2202E", "mismatched array dimensions"));
        }
        k.into_iter().zip(v).collect()
    };
    let mut fields = Vec::new();
    for (k, v) in pairs {
        let k =
            k.ok_or_else(|| Error::invalid("22004", "null value not allowed for object key"))?;
        fields.push((k, v.map_or(Json::Null, Json::String)));
    }
    let j = Json::Object(fields);
    Ok(Value::Text(if jsonb {
        j.normalize().to_jsonb_text()
    } else {
        // json_object prints `{"a" : "1", "b" : "2"}`.
        let mut out = String::from("{");
        if let Json::Object(fields) = &j {
            for (i, (k, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                json::escape_into(&mut out, k);
                out.push_str(" : ");
                out.push_str(&v.to_jsonb_text());
            }
        }
        out.push('}');
        out
    }))
}

/// `unistr`: `\XXXX`, `\+XXXXXX`, `\uXXXX`, `\UXXXXXXXX` and `\\`.
fn unistr(s: &str) -> Result<String> {
    let bad = || Error::invalid("22025", "invalid Unicode escape");
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '\\' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let (skip, len) = match chars.get(i + 1) {
            Some('\\') => {
                out.push('\\');
                i += 2;
                continue;
            }
            Some('+') => (2, 6),
            Some('u') => (2, 4),
            Some('U') => (2, 8),
            _ => (1, 4),
        };
        let hex: String = chars
            .get(i + skip..i + skip + len)
            .ok_or_else(bad)?
            .iter()
            .collect();
        let code = u32::from_str_radix(&hex, 16).map_err(|_| bad())?;
        out.push(char::from_u32(code).filter(|c| *c != '\0').ok_or_else(|| {
            Error::invalid("22025", format!("invalid Unicode code point: {hex}"))
        })?);
        i += skip + len;
    }
    Ok(out)
}

fn regex_of(pattern: &str, flags: &str) -> Result<std::sync::Arc<super::pattern::Pattern>> {
    super::codec::regex(pattern, flags)
}

/// The character position (1-based) of a byte offset.
fn char_pos(s: &str, byte: usize) -> i32 {
    i32::try_from(s[..byte].chars().count() + 1).unwrap_or(i32::MAX)
}

/// The byte offset of the 1-based character position `start`.
fn byte_at(s: &str, start: i64) -> Result<usize> {
    if start < 1 {
        return Err(Error::invalid(
            "22023",
            format!("invalid value for parameter \"start\": {start}"),
        ));
    }
    let n = usize::try_from(start - 1).unwrap_or(usize::MAX);
    Ok(s.char_indices().nth(n).map_or(s.len(), |(b, _)| b))
}

/// 22023 unless `value` is at least `min` (PostgreSQL's check of `N`, `subexpr`, ...).
fn at_least(name: &str, value: i64, min: i64) -> Result<i64> {
    if value < min {
        return Err(Error::invalid(
            "22023",
            format!("invalid value for parameter \"{name}\": {value}"),
        ));
    }
    Ok(value)
}

/// `regexp_count(s, pattern, start [, flags])`: the matches from character `start` on.
fn regexp_count_from(args: &[Value]) -> Result<Value> {
    let s = text_arg(args.first()).unwrap_or("");
    let re = regex_of(
        text_arg(args.get(1)).unwrap_or(""),
        text_arg(args.get(3)).unwrap_or(""),
    )?;
    let from = byte_at(s, int_arg(args.get(2)).unwrap_or(1))?;
    let count = re.find_all(&s[from..])?.len();
    Ok(Value::Int4(i32::try_from(count).unwrap_or(i32::MAX)))
}

/// `regexp_instr(s, pattern [, start [, N [, endoption [, flags [, subexpr]]]]])`.
fn regexp_instr(args: &[Value]) -> Result<Value> {
    let s = text_arg(args.first()).unwrap_or("");
    let re = regex_of(
        text_arg(args.get(1)).unwrap_or(""),
        text_arg(args.get(5)).unwrap_or(""),
    )?;
    let from = byte_at(s, int_arg(args.get(2)).unwrap_or(1))?;
    let nth = at_least("n", int_arg(args.get(3)).unwrap_or(1), 1)?;
    let end = match int_arg(args.get(4)).unwrap_or(0) {
        0 => false,
        1 => true,
        other => {
            return Err(Error::invalid(
                "22023",
                format!("invalid value for parameter \"endoption\": {other}"),
            ))
        }
    };
    let group =
        usize::try_from(at_least("subexpr", int_arg(args.get(6)).unwrap_or(0), 0)?).unwrap_or(0);
    let Some(caps) = re
        .captures_all(&s[from..])?
        .into_iter()
        .nth(usize::try_from(nth - 1).unwrap_or(usize::MAX))
    else {
        return Ok(Value::Int4(0));
    };
    Ok(Value::Int4(match caps.span(group) {
        Some((start, stop)) => char_pos(s, from + if end { stop } else { start }),
        None => 0,
    }))
}

/// `regexp_substr(s, pattern [, start [, N [, flags [, subexpr]]]])`.
fn regexp_substr(args: &[Value]) -> Result<Value> {
    let s = text_arg(args.first()).unwrap_or("");
    let re = regex_of(
        text_arg(args.get(1)).unwrap_or(""),
        text_arg(args.get(4)).unwrap_or(""),
    )?;
    let from = byte_at(s, int_arg(args.get(2)).unwrap_or(1))?;
    let nth = at_least("n", int_arg(args.get(3)).unwrap_or(1), 1)?;
    let group =
        usize::try_from(at_least("subexpr", int_arg(args.get(5)).unwrap_or(0), 0)?).unwrap_or(0);
    let rest = &s[from..];
    let found = re
        .captures_all(rest)?
        .into_iter()
        .nth(usize::try_from(nth - 1).unwrap_or(usize::MAX))
        .and_then(|c| c.text(rest, group).map(str::to_string))
        .map_or(Value::Null, Value::Text);
    Ok(found)
}

/// `substring(s from pattern)`: the first parenthesized group's text if the pattern has one,
/// else the whole match; NULL without a match.
fn regexp_substring(s: &str, pattern: &str) -> Result<Value> {
    let re = regex_of(pattern, "")?;
    let Some(caps) = re.captures(s)? else {
        return Ok(Value::Null);
    };
    let m = caps.text(s, usize::from(caps.len() > 1));
    Ok(m.map_or(Value::Null, |m| Value::Text(m.to_string())))
}

/// `overlay(s placing t from n [for m])` = substr(s, 1, n-1) || t || substr(s, n+m).
fn overlay(args: &[Value]) -> Result<Value> {
    let s: Vec<char> = text_arg(args.first()).unwrap_or("").chars().collect();
    let t = text_arg(args.get(1)).unwrap_or("");
    let from = int_arg(args.get(2)).unwrap_or(1);
    let count = match args.get(3) {
        Some(v) => int_arg(Some(v)).unwrap_or(0),
        None => i64::try_from(t.chars().count()).unwrap_or(0),
    };
    if from < 1 || count < 0 {
        return Err(Error::invalid(
            "22011",
            "negative substring length not allowed",
        ));
    }
    let len = i64::try_from(s.len()).unwrap_or(i64::MAX);
    let head_end = usize::try_from((from - 1).min(len)).unwrap_or(0);
    let tail_start = usize::try_from((from - 1).saturating_add(count).min(len)).unwrap_or(0);
    let mut out: String = s[..head_end].iter().collect();
    out.push_str(t);
    out.extend(&s[tail_start..]);
    Ok(Value::Text(out))
}

fn bitwise(op: &str, args: &[Value]) -> Result<Value> {
    let a = int_arg(args.first()).unwrap_or(0);
    let b = int_arg(args.get(1)).unwrap_or(0);
    let r = match op {
        "&" => a & b,
        "|" => a | b,
        "#" => a ^ b,
        "~" => !a,
        "<<" | ">>" => {
            let bits = match args.first() {
                Some(Value::Int2(_)) => 16,
                Some(Value::Int4(_)) => 32,
                _ => 64,
            };
            // PostgreSQL shifts by the count modulo the width (C's behaviour on x86).
            let n = u32::try_from(b.rem_euclid(bits)).unwrap_or(0);
            let shifted = match (op, args.first()) {
                ("<<", Some(Value::Int2(x))) => i64::from(x.wrapping_shl(n)),
                ("<<", Some(Value::Int4(x))) => i64::from(x.wrapping_shl(n)),
                ("<<", _) => a.wrapping_shl(n),
                (_, Some(Value::Int2(x))) => i64::from(x.wrapping_shr(n)),
                (_, Some(Value::Int4(x))) => i64::from(x.wrapping_shr(n)),
                _ => a.wrapping_shr(n),
            };
            shifted
        }
        _ => return Err(Error::Unsupported(format!("operator {op}"))),
    };
    Ok(match args.first() {
        Some(Value::Int2(_)) => Value::Int2(i16::try_from(r).unwrap_or_default()),
        Some(Value::Int4(_)) => Value::Int4(i32::try_from(r).unwrap_or_default()),
        _ => Value::Int8(r),
    })
}

/// `row_to_json(row, true)`'s layout: the compact object with a line feed and a space after
/// each comma between top-level fields (`{"a":1,\n "b":2}`).
fn pretty_row(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() + 8);
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for c in compact.chars() {
        out.push(c);
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => depth += 1,
            '}' | ']' => depth = depth.saturating_sub(1),
            ',' if depth == 1 => out.push_str("\n "),
            _ => {}
        }
    }
    out
}
