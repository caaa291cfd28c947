//! Scalar functions of no family: num_nulls / num_nonnulls, scale / min_scale / trim_scale on
//! numeric, parse_ident, pg_size_bytes and pg_column_size. Arguments arrive typed by the
//! binder (`planner/builtin/misc.rs`).

use bigdecimal::BigDecimal;
use vdb_engine::value::{Numeric, Value};

use super::{text_arg, Builtin};
use crate::error::{Error, Result};

/// Evaluates `b` if it is one of this module's functions.
pub(super) fn eval(b: Builtin, args: &[Value]) -> Option<Result<Value>> {
    let count = |null: bool| {
        let n = args.iter().filter(|a| a.is_null() == null).count();
        Ok(Value::Int4(i32::try_from(n).unwrap_or(i32::MAX)))
    };
    let numeric = || match args.first() {
        Some(Value::Numeric(Numeric::Finite(d))) => Some(d),
        _ => None,
    };
    let int = |n: i64| Ok(Value::Int4(i32::try_from(n).unwrap_or(i32::MAX)));
    Some(match b {
        Builtin::NumNulls { nulls } => count(nulls),
        Builtin::NumNullsArray { nulls } => match args.first() {
            Some(Value::Array(a)) => {
                let n = a.elements().iter().filter(|v| v.is_null() == nulls).count();
                Ok(Value::Int4(i32::try_from(n).unwrap_or(i32::MAX)))
            }
            _ => Ok(Value::Null),
        },
        Builtin::Scale => numeric().map_or(Ok(Value::Null), |d| int(scale(d))),
        Builtin::MinScale => numeric().map_or(Ok(Value::Null), |d| int(scale(&d.normalized()))),
        Builtin::TrimScale => Ok(match numeric() {
            Some(d) => {
                let s = scale(&d.normalized());
                Value::Numeric(Numeric::Finite(d.with_scale(s)))
            }
            None => args.first().cloned().unwrap_or(Value::Null),
        }),
        Builtin::ParseIdent => parse_ident(
            text_arg(args.first()).unwrap_or_default(),
            !matches!(args.get(1), Some(Value::Bool(false))),
        ),
        Builtin::SizeBytes => size_bytes(text_arg(args.first()).unwrap_or_default()),
        Builtin::ColumnSize { stored } => Ok(match args.first() {
            None | Some(Value::Null) => Value::Null,
            Some(v) => Value::Int4(i32::try_from(column_size(v, stored)).unwrap_or(i32::MAX)),
        }),
        _ => return None,
    })
}

/// The display scale: digits after the decimal point (0 for `1e5`).
fn scale(d: &BigDecimal) -> i64 {
    d.as_bigint_and_exponent().1.max(0)
}

/// `parse_ident(text [, strict])`: a qualified identifier split into its parts, unquoted
/// parts folded to lower case, as PostgreSQL's parse_ident does it.
fn parse_ident(s: &str, strict: bool) -> Result<Value> {
    let invalid = |detail: &str| {
        let mut msg = format!("string is not a valid identifier: \"{s}\"");
        if !detail.is_empty() {
            msg.push_str(&format!(" ({detail})"));
        }
        Error::invalid("22023", msg)
    };
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let skip_space = |i: &mut usize| {
        while *i < chars.len() && chars[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    let start = |c: char| c.is_ascii_alphabetic() || c == '_' || !c.is_ascii();
    let cont = |c: char| start(c) || c.is_ascii_digit() || c == '$';
    skip_space(&mut i);
    let mut parts = Vec::new();
    let mut after_dot = false;
    loop {
        if chars.get(i) == Some(&'"') {
            let mut part = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(invalid("String has unclosed double quotes.")),
                    Some('"') if chars.get(i + 1) == Some(&'"') => {
                        part.push('"');
                        i += 2;
                    }
                    Some('"') => break,
                    Some(c) => {
                        part.push(*c);
                        i += 1;
                    }
                }
            }
            i += 1;
            if part.is_empty() {
                return Err(invalid("Quoted identifier must not be empty."));
            }
            parts.push(Value::Text(part));
        } else if chars.get(i).is_some_and(|c| start(*c)) {
            let begin = i;
            while chars.get(i).is_some_and(|c| cont(*c)) {
                i += 1;
            }
            let word: String = chars[begin..i].iter().collect();
            parts.push(Value::Text(word.to_ascii_lowercase()));
        } else if chars.get(i) == Some(&'.') {
            return Err(invalid("No valid identifier before \".\"."));
        } else if after_dot {
            return Err(invalid("No valid identifier after \".\"."));
        } else {
            return Err(invalid(""));
        }
        skip_space(&mut i);
        match chars.get(i) {
            Some('.') => {
                after_dot = true;
                i += 1;
                skip_space(&mut i);
            }
            None => break,
            Some(_) if strict => return Err(invalid("")),
            Some(_) => break,
        }
    }
    Ok(Value::array(parts))
}

/// `pg_size_bytes(text)`: a size as pg_size_pretty writes it (`1.5 GB`, `-3 bytes`) in bytes.
fn size_bytes(s: &str) -> Result<Value> {
    let invalid = |detail: Option<&str>| {
        let mut msg = format!("invalid size: \"{s}\"");
        if let Some(unit) = detail {
            msg.push_str(&format!(
                " (invalid size unit \"{unit}\"; valid units are \"bytes\", \"kB\", \"MB\", \
                 \"GB\", \"TB\", and \"PB\")"
            ));
        }
        Error::invalid("22023", msg)
    };
    let t = s.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let b = t.as_bytes();
    let mut end = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        end += 1;
    }
    let digits = |end: &mut usize| {
        let from = *end;
        while b.get(*end).is_some_and(u8::is_ascii_digit) {
            *end += 1;
        }
        *end > from
    };
    let mut have_digits = digits(&mut end);
    if b.get(end) == Some(&b'.') {
        end += 1;
        have_digits |= digits(&mut end);
    }
    if !have_digits {
        return Err(invalid(None));
    }
    if matches!(b.get(end), Some(b'e' | b'E')) {
        let mut e = end + 1;
        if matches!(b.get(e), Some(b'+' | b'-')) {
            e += 1;
        }
        if digits(&mut e) {
            end = e;
        }
    }
    let number: BigDecimal = t[..end].parse().map_err(|_| invalid(None))?;
    let unit = t[end..].trim_matches(|c: char| c.is_ascii_whitespace());
    let bits = if unit.is_empty() {
        0
    } else {
        match ["bytes", "kB", "MB", "GB", "TB", "PB"]
            .iter()
            .position(|u| u.eq_ignore_ascii_case(unit))
        {
            Some(k) => 10 * k,
            None => return Err(invalid(Some(unit))),
        }
    };
    let bytes = (number * BigDecimal::from(1i64 << bits))
        .with_scale_round(0, bigdecimal::RoundingMode::HalfUp);
    let (n, _) = bytes.as_bigint_and_exponent();
    i64::try_from(n)
        .map(Value::Int8)
        .map_err(|_| Error::invalid("22003", "bigint out of range"))
}

/// The bytes PostgreSQL would use for `v` as a datum: fixed widths for the fixed-width types,
/// and for the variable-width ones an approximation of the varlena (numeric as base-10000
/// digits; jsonb as its text) after a 4-byte header, or a 1-byte one for a short `stored`
/// value.
fn column_size(v: &Value, stored: bool) -> usize {
    let varlena = |data: usize| {
        if stored && data < 127 {
            1 + data
        } else {
            4 + data
        }
    };
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Int2(_) => 2,
        Value::Int4(_) | Value::Float4(_) | Value::Date(_) => 4,
        Value::Int8(_)
        | Value::Float8(_)
        | Value::Time(_)
        | Value::Timestamp(_)
        | Value::TimestampTz(_) => 8,
        Value::Interval(..) | Value::Uuid(_) => 16,
        Value::Text(s) => varlena(s.len()),
        Value::Bytea(b) => varlena(b.len()),
        Value::Numeric(Numeric::Finite(d)) => varlena(2 + 2 * numeric_groups(d)),
        Value::Numeric(_) => varlena(2),
        Value::Array(a) if a.elements().is_empty() => varlena(12),
        Value::Array(a) => varlena(
            20 + a
                .elements()
                .iter()
                .map(|i| column_size(i, false).max(1))
                .sum::<usize>(),
        ),
    }
}

/// How many base-10000 digits PostgreSQL stores for `d` (leading and trailing zero groups
/// dropped).
fn numeric_groups(d: &BigDecimal) -> usize {
    let (n, exp) = d.as_bigint_and_exponent();
    let mut digits = n.magnitude().to_string();
    let mut scale = exp;
    if scale < 0 {
        digits.push_str(&"0".repeat(usize::try_from(-scale).unwrap_or(0)));
        scale = 0;
    }
    let scale = usize::try_from(scale).unwrap_or(0);
    if digits.len() <= scale {
        digits = format!("{}{digits}", "0".repeat(scale - digits.len() + 1));
    }
    let (int, frac) = digits.split_at(digits.len() - scale);
    let int = format!("{}{int}", "0".repeat((4 - int.len() % 4) % 4));
    let frac = format!("{frac}{}", "0".repeat((4 - frac.len() % 4) % 4));
    let all = format!("{int}{frac}");
    let groups: Vec<&str> = all
        .as_bytes()
        .chunks(4)
        .map(|g| std::str::from_utf8(g).unwrap_or("0000"))
        .collect();
    let first = groups.iter().position(|g| *g != "0000");
    let last = groups.iter().rposition(|g| *g != "0000");
    match (first, last) {
        (Some(f), Some(l)) => l - f + 1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_sizes_match_postgres() {
        let size = |s: &str| s.parse::<BigDecimal>().map(|d| 6 + 2 * numeric_groups(&d));
        assert_eq!(size("1.5").ok(), Some(10));
        assert_eq!(size("123456.789").ok(), Some(12));
        assert_eq!(size("0").ok(), Some(6));
    }

    #[test]
    fn sizes_parse_like_pg_size_bytes() {
        let get = |s: &str| match size_bytes(s) {
            Ok(Value::Int8(n)) => Some(n),
            _ => None,
        };
        assert_eq!(get(" 1.5 GB "), Some(1_610_612_736));
        assert_eq!(get(".5kB"), Some(512));
        assert_eq!(get("1e3"), Some(1000));
        assert_eq!(get("1 B"), None);
    }
}
