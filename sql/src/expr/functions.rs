//! Evaluation of the scalar functions of [`Function`] over argument values (NULL in, NULL out,
//! except where the function says otherwise).

use std::cmp::Ordering;

use bigdecimal::RoundingMode;
use vdb_engine::value::{Numeric, Value};

use super::{compare, negate, out_of_range, Function};
use crate::error::{Error, Result};

pub(super) fn function(f: Function, args: Vec<Value>) -> Result<Value> {
    match f {
        f if f.touches_sequence() => {
            return Err(Error::Unsupported(format!(
                "{}() in this position",
                format!("{f:?}").to_lowercase()
            )))
        }
        Function::Now => return Ok(now()),
        Function::GenRandomUuid => return Ok(random_uuid()),
        _ => {}
    }
    if args.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    let mut args = args.into_iter();
    let first = args.next().unwrap_or(Value::Null);
    Ok(match (f, first) {
        (Function::SizePretty, v) => Value::Text(size_pretty(super::as_i64(&v).unwrap_or(0))),
        (Function::Lower, Value::Text(s)) => Value::Text(s.to_lowercase()),
        (Function::Upper, Value::Text(s)) => Value::Text(s.to_uppercase()),
        (Function::Length, Value::Text(s)) => {
            Value::Int4(i32::try_from(s.chars().count()).map_err(|_| out_of_range("integer"))?)
        }
        (Function::Left, Value::Text(s)) => {
            let n = match args.next() {
                Some(Value::Int4(n)) => i64::from(n),
                _ => 0,
            };
            let len = i64::try_from(s.chars().count()).unwrap_or(i64::MAX);
            let take = if n >= 0 { n } else { (len + n).max(0) };
            Value::Text(
                s.chars()
                    .take(usize::try_from(take).unwrap_or(usize::MAX))
                    .collect(),
            )
        }
        (
            Function::Abs,
            v @ (Value::Int2(_)
            | Value::Int4(_)
            | Value::Int8(_)
            | Value::Float4(_)
            | Value::Float8(_)),
        ) => {
            if compare(&v, &Value::Int4(0)) == Ordering::Less {
                negate(v)?
            } else {
                v
            }
        }
        (Function::Substr, Value::Text(s)) => {
            substr(&s, args.next().as_ref(), args.next().as_ref())?
        }
        (Function::Trim(leading, trailing), Value::Text(s)) => {
            let set: Vec<char> = match args.next() {
                Some(Value::Text(chars)) => chars.chars().collect(),
                _ => vec![' '],
            };
            let mut t = s.as_str();
            if leading {
                t = t.trim_start_matches(|c| set.contains(&c));
            }
            if trailing {
                t = t.trim_end_matches(|c| set.contains(&c));
            }
            Value::Text(t.to_string())
        }
        (Function::Replace, Value::Text(s)) => match (args.next(), args.next()) {
            (Some(Value::Text(from)), Some(Value::Text(to))) if !from.is_empty() => {
                Value::Text(s.replace(&from, &to))
            }
            _ => Value::Text(s),
        },
        (Function::Floor, Value::Float8(x)) => Value::Float8(x.floor()),
        (Function::Ceil, Value::Float8(x)) => Value::Float8(x.ceil()),
        (Function::Floor, Value::Numeric(Numeric::Finite(d))) => {
            Value::Numeric(Numeric::Finite(d.with_scale_round(0, RoundingMode::Floor)))
        }
        (Function::Ceil, Value::Numeric(Numeric::Finite(d))) => Value::Numeric(Numeric::Finite(
            d.with_scale_round(0, RoundingMode::Ceiling),
        )),
        (Function::Abs, Value::Numeric(Numeric::Finite(d))) => {
            Value::Numeric(Numeric::Finite(d.abs()))
        }
        (Function::Round, Value::Float8(x)) => Value::Float8(x.round_ties_even()),
        (Function::Round, Value::Numeric(Numeric::Finite(d))) => {
            // PostgreSQL clamps the scale to ±2000 (NUMERIC_MAX_RESULT_SCALE).
            let scale = match args.next() {
                Some(Value::Int4(s)) => i64::from(s).clamp(-2000, 2000),
                _ => 0,
            };
            Value::Numeric(Numeric::Finite(
                d.with_scale_round(scale, RoundingMode::HalfUp),
            ))
        }
        (f, v) => {
            return Err(Error::undefined_function(format!(
                "function {}({v:?}) does not exist",
                format!("{f:?}").to_lowercase()
            )))
        }
    })
}

/// The current time (microseconds since 2000-01-01 UTC) as a `timestamp`, the session's time
/// zone being UTC.
fn now() -> Value {
    /// Seconds from the Unix epoch to PostgreSQL's epoch, 2000-01-01.
    const PG_EPOCH_UNIX_SECS: i64 = 946_684_800;
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
    Value::Timestamp(micros - PG_EPOCH_UNIX_SECS * 1_000_000)
}

/// A version-4 UUID from two fresh `RandomState` hashers (std's randomly keyed SipHash; not a
/// cryptographic generator, which uuids used as keys do not need) over the time and a counter.
fn random_uuid() -> Value {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let half = |salt: u64| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(n);
        h.write_u64(salt);
        if let Ok(d) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            h.write_u128(d.as_nanos());
        }
        h.finish().to_be_bytes()
    };
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&half(1));
    bytes[8..].copy_from_slice(&half(2));
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    Value::Uuid(bytes)
}

/// PostgreSQL's `substr`: characters from 1-based `from`, `count` of them (negative count is
/// an error; a start before 1 shortens the result).
fn substr(s: &str, from: Option<&Value>, count: Option<&Value>) -> Result<Value> {
    let from = match from {
        Some(Value::Int4(f)) => i64::from(*f),
        _ => 1,
    };
    let end = match count {
        Some(Value::Int4(c)) if *c < 0 => {
            return Err(Error::invalid(
                "22011",
                "negative substring length not allowed",
            ))
        }
        Some(Value::Int4(c)) => Some(from.saturating_add(i64::from(*c))),
        _ => None,
    };
    let start = from.max(1);
    let out: String = s
        .chars()
        .enumerate()
        .filter(|(i, _)| {
            let pos = i64::try_from(*i).unwrap_or(i64::MAX) + 1;
            pos >= start && end.is_none_or(|e| pos < e)
        })
        .map(|(_, c)| c)
        .collect();
    Ok(Value::Text(out))
}

/// `pg_size_pretty`: bytes below 10 kB, then the largest unit that keeps the number below
/// 10240, rounded half up (PostgreSQL's rule).
fn size_pretty(bytes: i64) -> String {
    let mut size = bytes;
    for unit in ["bytes", "kB", "MB", "GB", "TB"] {
        if size.abs() < 10 * 1024 || unit == "TB" {
            return format!("{size} {unit}");
        }
        size = (size + if size < 0 { -512 } else { 512 }) / 1024;
    }
    format!("{size} PB")
}

/// `json_build_object(k1, v1, ...)` in PostgreSQL's text form: `{"k" : v, "k2" : v2}`.
pub(super) fn json_build_object(args: &[Value]) -> Result<Value> {
    let mut parts = Vec::new();
    for pair in args.chunks(2) {
        let (key, value) = match pair {
            [k, v] => (k, v),
            _ => {
                return Err(Error::invalid(
                    "22023",
                    "argument list must have even number of elements",
                ))
            }
        };
        let Some(key) = crate::types::to_pg_text(key) else {
            return Err(Error::invalid(
                "22004",
                "null value not allowed for object key",
            ));
        };
        parts.push(format!("{} : {}", json_string(&key), json_value(value)));
    }
    Ok(Value::Text(format!("{{{}}}", parts.join(", "))))
}

fn json_value(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int2(_)
        | Value::Int4(_)
        | Value::Int8(_)
        | Value::Float4(_)
        | Value::Float8(_)
        | Value::Numeric(_) => crate::types::to_pg_text(v).unwrap_or_default(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(json_value).collect();
            format!("[{}]", items.join(","))
        }
        other => json_string(&crate::types::to_pg_text(other).unwrap_or_default()),
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_uuids_are_version_4_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let Value::Uuid(bytes) = random_uuid() else {
                panic!("not a uuid");
            };
            assert_eq!(bytes[6] >> 4, 4, "version nibble");
            assert_eq!(bytes[8] >> 6, 0b10, "RFC 4122 variant");
            assert!(seen.insert(bytes), "repeated uuid");
        }
    }

    #[test]
    fn now_is_after_2020_and_sequence_functions_refuse_pure_evaluation() {
        let Value::Timestamp(micros) = now() else {
            panic!("not a timestamp");
        };
        // 2020-01-01 is 7305 days after 2000-01-01.
        assert!(micros > 7305 * 86_400 * 1_000_000);
        let err = function(Function::NextVal, vec![Value::Text("s".into())]).unwrap_err();
        assert_eq!(err.sqlstate(), "0A000");
    }
}
