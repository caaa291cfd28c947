//! SQL types in the slice vdb supports: mapping sqlparser's `DataType` to the engine's [`Type`],
//! PostgreSQL's typing of literals, casts between the basic types (with PostgreSQL's errors) and
//! the text form of values as PostgreSQL prints them.
//!
//! Literal typing follows PostgreSQL: an integer literal is `integer` if it fits, else `bigint`,
//! else `numeric`; a literal with a point or exponent is `numeric`; a quoted string has no type
//! ("unknown") until its context gives one, and is `text` if none does.
//!
//! The syntax of the richer types lives in submodules: [`datetime`] (date, time, timestamp,
//! timestamptz), [`interval`], [`array`] (the `{a,"b c",NULL}` form), [`json`] (json and
//! jsonb) and [`uuid`]. This module ties them together: [`cast`] parses and converts,
//! [`to_pg_text`] prints, [`type_oid`] / [`type_from_oid`] name types on the wire.

pub mod array;
pub mod datetime;
mod datetime_fields;
pub mod enums;
pub mod interval;
pub mod json;
mod oid;
pub mod range;
pub mod tz;
pub mod uuid;

use bigdecimal::{BigDecimal, RoundingMode, ToPrimitive};
use sqlparser::ast::{ArrayElemTypeDef, CharacterLength, DataType, ExactNumberInfo, TimezoneInfo};
use vdb_engine::value::{Array, Numeric, RangeKind, Type, Value, MICROS_PER_DAY};

use crate::error::{Error, Result};
use datetime::{format_date, format_time, format_timestamp, ParseError};
pub use oid::{type_from_oid, type_oid};

pub use crate::system::types::{format_type, type_modifier};

/// `expr`, of type `ty`, as a value that sorts and compares by `ty`'s btree operators: an
/// enum by its labels' order, jsonb by jsonb's order; other types as they are. Fails with
/// 42883 for `json`, which has no ordering operator.
pub fn sort_key(expr: crate::expr::Expr, ty: &Type) -> Result<crate::expr::Expr> {
    use crate::expr::{Builtin, Expr, Function};
    match ty {
        Type::Json => Err(Error::undefined_function(
            "could not identify an ordering operator for type json",
        )),
        Type::Jsonb => Ok(Expr::Function(
            Function::Builtin(Builtin::JsonbSortKey),
            vec![expr],
        )),
        Type::Range(kind) => Ok(Expr::Function(
            Function::Builtin(Builtin::Range(range::RangeFunction::SortKey, *kind)),
            vec![expr],
        )),
        _ => Ok(enums::position(expr, ty)),
    }
}

/// A field of a composite text form (a record's, a range bound's) as PostgreSQL writes it:
/// double-quoted, with `"` and `\` doubled, when it is empty, holds white space, or holds one
/// of the form's `special` characters.
pub fn quote_field(s: &str, special: &[char]) -> String {
    let plain = !s.is_empty()
        && !s
            .chars()
            .any(|c| special.contains(&c) || c == '"' || c == '\\' || c.is_whitespace());
    if plain {
        return s.to_string();
    }
    let mut out = String::from('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push(c);
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// 42883 unless `ty` has an equality operator (what DISTINCT, GROUP BY, UNION and IN need):
/// `json` has none.
pub fn require_equality(ty: &Type) -> Result<()> {
    match ty {
        Type::Json => Err(Error::undefined_function(
            "could not identify an equality operator for type json",
        )),
        _ => Ok(()),
    }
}

/// The engine type for a sqlparser data type.
/// The fractional-second digits a `time(p)`, `timestamp(p)` or `timestamptz(p)` type keeps
/// (more than 6 is 6, as PostgreSQL reduces it); `None` without a precision.
pub fn time_precision(dt: &DataType) -> Option<u8> {
    match dt {
        DataType::Timestamp(Some(p), _) | DataType::Time(Some(p), _) => {
            Some(u8::try_from((*p).min(6)).unwrap_or(6))
        }
        _ => None,
    }
}

pub fn sql_type(dt: &DataType) -> Result<Type> {
    check_numeric(base_sql_type(dt)?)
}

fn base_sql_type(dt: &DataType) -> Result<Type> {
    // A domain's values are of its base type.
    if let Some((_, domain)) = crate::catalog::domain_of(dt) {
        return Ok(domain.base);
    }
    Ok(match dt {
        DataType::Bool | DataType::Boolean => Type::Bool,
        DataType::SmallInt(_) | DataType::Int2(_) => Type::Int2,
        DataType::Int(_) | DataType::Integer(_) | DataType::Int4(_) => Type::Int4,
        DataType::BigInt(_) | DataType::Int8(_) => Type::Int8,
        DataType::Real | DataType::Float4 => Type::Float4,
        DataType::Double | DataType::DoublePrecision | DataType::Float8 => Type::Float8,
        DataType::Float(Some(p)) if *p <= 24 => Type::Float4,
        DataType::Float(_) => Type::Float8,
        DataType::Numeric(info) | DataType::Decimal(info) | DataType::Dec(info) => Type::Numeric {
            precision_scale: match info {
                ExactNumberInfo::None => None,
                ExactNumberInfo::Precision(p) => Some((to_u32(*p)?, 0)),
                ExactNumberInfo::PrecisionAndScale(p, s) => {
                    Some((to_u32(*p)?, i32::try_from(*s).unwrap_or(i32::MAX)))
                }
            },
        },
        DataType::Text | DataType::String(_) => Type::Text,
        DataType::Varchar(len) | DataType::CharacterVarying(len) | DataType::CharVarying(len) => {
            Type::Varchar(char_length(len)?)
        }
        DataType::Char(len) | DataType::Character(len) => {
            Type::Char(char_length(len)?.unwrap_or(1))
        }
        DataType::Bytea => Type::Bytea,
        DataType::Date => Type::Date,
        DataType::Timestamp(_, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => {
            Type::Timestamp
        }
        DataType::Timestamp(_, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => Type::TimestampTz,
        DataType::Time(_, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => Type::Time,
        DataType::Interval => Type::Interval,
        DataType::Uuid => Type::Uuid,
        DataType::JSON => Type::Json,
        DataType::JSONB => Type::Jsonb,
        DataType::Array(
            ArrayElemTypeDef::SquareBracket(inner, _) | ArrayElemTypeDef::AngleBracket(inner),
        ) => match base_sql_type(inner)? {
            // `int[][]` is `int[]`: the type does not fix the number of dimensions.
            array @ Type::Array(_) => array,
            element => Type::Array(Box::new(check_numeric(element)?)),
        },
        DataType::Custom(name, _) if crate::catalog::enum_type_name(name).is_some() => {
            Type::Enum(crate::catalog::enum_type_name(name).unwrap_or_default())
        }
        DataType::Custom(name, _) if name.0.len() == 1 => {
            match name.0[0].value.to_ascii_lowercase().as_str() {
                "timestamptz" => Type::TimestampTz,
                "interval" => Type::Interval,
                "bpchar" => Type::Char(1),
                "int" => Type::Int4,
                "money" => return Err(Error::Unsupported("type money".into())),
                other if range::kind_named(other).is_some() => {
                    Type::Range(range::kind_named(other).unwrap_or(RangeKind::Int4))
                }
                // An array type by its catalog name: `_int4` is `int4[]`.
                other if other.len() > 1 && other.starts_with('_') => {
                    let element =
                        sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
                            .try_with_sql(&other[1..])
                            .and_then(|mut p| p.parse_data_type())
                            .ok()
                            .filter(|e| !matches!(e, DataType::Array(_)))
                            .ok_or_else(|| {
                                Error::invalid("42704", format!("type \"{other}\" does not exist"))
                            })?;
                    match base_sql_type(&element) {
                        Ok(Type::Array(_)) | Err(_) => {
                            return Err(Error::invalid(
                                "42704",
                                format!("type \"{other}\" does not exist"),
                            ))
                        }
                        Ok(element) => Type::Array(Box::new(element)),
                    }
                }
                other => {
                    return Err(Error::invalid(
                        "42704",
                        format!("type \"{other}\" does not exist"),
                    ))
                }
            }
        }
        other => return Err(Error::Unsupported(format!("type {other}"))),
    })
}

/// Checks numeric(p,s) as PostgreSQL 15 does: 1 ≤ p ≤ 1000, -1000 ≤ s ≤ 1000.
fn check_numeric(ty: Type) -> Result<Type> {
    if let Type::Numeric {
        precision_scale: Some((p, s)),
    } = ty
    {
        if !(1..=1000).contains(&p) {
            return Err(Error::invalid(
                "22023",
                format!("NUMERIC precision {p} must be between 1 and 1000"),
            ));
        }
        if !(-1000..=1000).contains(&s) {
            return Err(Error::invalid(
                "22023",
                format!("NUMERIC scale {s} must be between -1000 and 1000"),
            ));
        }
    }
    Ok(ty)
}

fn to_u32(n: u64) -> Result<u32> {
    u32::try_from(n).map_err(|_| Error::OutOfRange(format!("precision {n} out of range")))
}

fn char_length(len: &Option<CharacterLength>) -> Result<Option<u32>> {
    match len {
        None | Some(CharacterLength::Max) => Ok(None),
        Some(CharacterLength::IntegerLength { length, .. }) => Ok(Some(to_u32(*length)?)),
    }
}

/// PostgreSQL's type of a numeric literal: int4, int8 or numeric.
pub fn number_literal(text: &str) -> Result<Value> {
    if text.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = text.parse::<i32>() {
            return Ok(Value::Int4(n));
        }
        if let Ok(n) = text.parse::<i64>() {
            return Ok(Value::Int8(n));
        }
    }
    text.parse::<Numeric>()
        .map(Value::Numeric)
        .map_err(|_| Error::invalid_text("numeric", text))
}

/// The type of a value (NULL has none).
pub fn value_type(value: &Value) -> Option<Type> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(_) => Type::Bool,
        Value::Int2(_) => Type::Int2,
        Value::Int4(_) => Type::Int4,
        Value::Int8(_) => Type::Int8,
        Value::Float4(_) => Type::Float4,
        Value::Float8(_) => Type::Float8,
        Value::Numeric(_) => Type::Numeric {
            precision_scale: None,
        },
        Value::Text(_) => Type::Text,
        Value::Bytea(_) => Type::Bytea,
        Value::Date(_) => Type::Date,
        Value::Timestamp(_) => Type::Timestamp,
        Value::TimestampTz(_) => Type::TimestampTz,
        Value::Time(_) => Type::Time,
        Value::Interval(_) => Type::Interval,
        Value::Uuid(_) => Type::Uuid,
        Value::Array(items) => Type::Array(Box::new(items.iter().find_map(value_type)?)),
    })
}

/// PostgreSQL's name of a type in error messages (`integer`, `text`, ...).
pub fn type_name(ty: &Type) -> String {
    match ty {
        Type::Numeric { .. } => "numeric".into(),
        Type::Varchar(_) => "character varying".into(),
        Type::Timestamp => "timestamp without time zone".into(),
        Type::Array(element) => format!("{}[]", type_name(element)),
        other => other.to_string(),
    }
}

/// Whether a type is one of the numeric types, and its rank for promotion
/// (int2 < int4 < int8 < numeric < float4 < float8).
pub fn numeric_rank(ty: &Type) -> Option<u8> {
    Some(match ty {
        Type::Int2 => 0,
        Type::Int4 => 1,
        Type::Int8 => 2,
        Type::Numeric { .. } => 3,
        Type::Float4 => 4,
        Type::Float8 => 5,
        _ => return None,
    })
}

/// Whether values of `from` convert implicitly to `to` (PostgreSQL's implicit casts in the
/// slice: numeric widening, and anything within the text family).
pub fn implicit_cast(from: &Type, to: &Type) -> bool {
    if from == to || (from.is_text() && to.is_text()) {
        return true;
    }
    if let (Type::Array(f), Type::Array(t)) = (from, to) {
        return implicit_cast(f, t);
    }
    match (numeric_rank(from), numeric_rank(to)) {
        (Some(a), Some(b)) => a <= b,
        _ => matches!(
            (from, to),
            (Type::Date, Type::Timestamp | Type::TimestampTz)
                | (Type::Timestamp, Type::TimestampTz)
                | (Type::Time, Type::Interval)
        ),
    }
}

/// Whether values of `from` may be assigned to a column of type `to` (assignment casts: the
/// implicit ones plus numeric narrowing and anything to text).
pub fn assignment_cast(from: &Type, to: &Type) -> bool {
    if let (Type::Array(f), Type::Array(t)) = (from, to) {
        return assignment_cast(f, t) && !t.is_text() || f == t || (f.is_text() && t.is_text());
    }
    implicit_cast(from, to)
        || (numeric_rank(from).is_some() && numeric_rank(to).is_some())
        || to.is_text()
        // PostgreSQL's assignment-only casts between the date/time types (pg_cast 'a').
        || matches!(
            (from, to),
            (Type::TimestampTz, Type::Timestamp | Type::Date | Type::Time)
                | (Type::Timestamp, Type::Date | Type::Time)
                | (Type::Interval, Type::Time)
        )
}

/// Casts `value` to `to` with PostgreSQL's rules and errors (CAST, `::`, and the coercions the
/// binder inserts).
pub fn cast(value: Value, to: &Type) -> Result<Value> {
    match value {
        Value::Null => Ok(Value::Null),
        Value::Text(s) => cast_text(s, to),
        Value::Bool(b) => match to {
            Type::Bool => Ok(Value::Bool(b)),
            Type::Int4 => Ok(Value::Int4(i32::from(b))),
            t if t.is_text() => fit_text(if b { "true" } else { "false" }.into(), t),
            t => cannot_cast(&Type::Bool, t),
        },
        Value::Int2(_) | Value::Int4(_) | Value::Int8(_) => cast_integer(&value, to),
        Value::Float4(f) => cast_float(f64::from(f), &Type::Float4, to),
        Value::Float8(f) => cast_float(f, &Type::Float8, to),
        Value::Numeric(n) => cast_numeric(n, to),
        Value::Date(d) => cast_date(d, to),
        Value::Timestamp(ts) => cast_timestamp(ts, &Type::Timestamp, to),
        Value::TimestampTz(ts) => cast_timestamp(ts, &Type::TimestampTz, to),
        Value::Time(t) => match to {
            Type::Time => Ok(Value::Time(t)),
            Type::Interval => Ok(Value::Interval(vdb_engine::value::Interval {
                months: 0,
                days: 0,
                micros: t,
            })),
            ty if ty.is_text() => fit_text(format_time(t), ty),
            ty => cannot_cast(&Type::Time, ty),
        },
        Value::Interval(iv) => match to {
            Type::Interval => Ok(Value::Interval(iv)),
            Type::Time => Ok(Value::Time(iv.micros.rem_euclid(MICROS_PER_DAY))),
            t if t.is_text() => fit_text(interval::format_interval(&iv), t),
            t => cannot_cast(&Type::Interval, t),
        },
        Value::Uuid(u) => match to {
            Type::Uuid => Ok(Value::Uuid(u)),
            t if t.is_text() => fit_text(uuid::format_uuid(&u), t),
            t => cannot_cast(&Type::Uuid, t),
        },
        Value::Array(items) => cast_array(items, to),
        Value::Bytea(b) => match to {
            Type::Bytea => Ok(Value::Bytea(b)),
            t if t.is_text() => fit_text(format_bytea(&b), t),
            t => cannot_cast(&Type::Bytea, t),
        },
    }
}

/// A date to another type: midnight for timestamps (in the session zone for timestamptz).
fn cast_date(d: i32, to: &Type) -> Result<Value> {
    let ts = match d {
        i32::MAX => datetime::TS_INFINITY,
        i32::MIN => datetime::TS_NEG_INFINITY,
        d => i64::from(d) * MICROS_PER_DAY,
    };
    match to {
        Type::Date => Ok(Value::Date(d)),
        Type::Timestamp => Ok(Value::Timestamp(ts)),
        Type::TimestampTz => Ok(Value::TimestampTz(datetime::from_local(ts))),
        t if t.is_text() => fit_text(format_date(d), t),
        t => cannot_cast(&Type::Date, t),
    }
}

/// A timestamp (`from` says which kind) to another type; the two kinds convert through the
/// session zone's wall-clock time, which is also what a timestamptz's date and time are.
fn cast_timestamp(ts: i64, from: &Type, to: &Type) -> Result<Value> {
    let with_zone = from == &Type::TimestampTz;
    if let (true, Type::TimestampTz) | (false, Type::Timestamp) = (with_zone, to) {
        return Ok(if with_zone {
            Value::TimestampTz(ts)
        } else {
            Value::Timestamp(ts)
        });
    }
    if to.is_text() {
        return fit_text(format_timestamp(ts, with_zone), to);
    }
    let local = if with_zone {
        datetime::to_local(ts)
    } else {
        ts
    };
    let utc = |local: i64| {
        datetime::check_timestamp(datetime::from_local(local))
            .ok_or_else(|| Error::invalid("22008", "timestamp out of range"))
    };
    let ts = local;
    match to {
        Type::Timestamp => Ok(Value::Timestamp(ts)),
        Type::TimestampTz => Ok(Value::TimestampTz(utc(ts)?)),
        Type::Date => Ok(Value::Date(match ts {
            datetime::TS_INFINITY => i32::MAX,
            datetime::TS_NEG_INFINITY => i32::MIN,
            ts => i32::try_from(ts.div_euclid(MICROS_PER_DAY)).unwrap_or(i32::MAX),
        })),
        Type::Time => Ok(Value::Time(ts.rem_euclid(MICROS_PER_DAY))),
        t => cannot_cast(from, t),
    }
}

/// An array to an array type (element by element, keeping the shape) or to text.
fn cast_array(items: Array, to: &Type) -> Result<Value> {
    match to {
        Type::Array(element) => items
            .try_map_elements(|v| cast(v, element))
            .map(Value::Array),
        t if t.is_text() => fit_text(to_pg_text(&Value::Array(items)).unwrap_or_default(), t),
        t => Err(Error::invalid(
            "42846",
            format!("cannot cast type array to {}", type_name(t)),
        )),
    }
}

fn cannot_cast(from: &Type, to: &Type) -> Result<Value> {
    Err(Error::invalid(
        "42846",
        format!("cannot cast type {} to {}", type_name(from), type_name(to)),
    ))
}

/// Text into a text-family column: varchar(n) errors beyond n characters (after trimming
/// trailing spaces, as PostgreSQL does).
fn fit_text(s: String, to: &Type) -> Result<Value> {
    if let Type::Enum(key) = to {
        return enums::input(key, s);
    }
    if let Type::Range(kind) = to {
        return range::parse(&s, *kind).map(|r| Value::Text(range::format(&r)));
    }
    if let Type::Char(n) = to {
        let n = *n as usize;
        let len = s.chars().count();
        if len > n {
            if s.chars().skip(n).any(|c| c != ' ') {
                return Err(Error::StringTooLong(format!(
                    "value too long for type character({n})"
                )));
            }
            return Ok(Value::Text(s.chars().take(n).collect()));
        }
        return Ok(Value::Text(format!("{s}{}", " ".repeat(n - len))));
    }
    if let Type::Varchar(Some(n)) = to {
        let n = *n as usize;
        if s.chars().count() > n {
            let trimmed = s.trim_end_matches(' ');
            if trimmed.chars().count() > n {
                return Err(Error::StringTooLong(format!(
                    "value too long for type character varying({n})"
                )));
            }
            return Ok(Value::Text(s.chars().take(n).collect()));
        }
    }
    Ok(Value::Text(s))
}

fn cast_text(s: String, to: &Type) -> Result<Value> {
    let t = s.trim();
    match to {
        Type::Json => json::json_in(&s).map(Value::Text),
        Type::Jsonb => json::jsonb_in(&s).map(Value::Text),
        t2 if t2.is_text() => fit_text(s, to),
        Type::Bool => parse_bool(t)
            .map(Value::Bool)
            .ok_or_else(|| Error::invalid_text("boolean", &s)),
        Type::Int2 => parse_int(t, "smallint", &s).and_then(|n| int_to(n, to)),
        Type::Int4 => parse_int(t, "integer", &s).and_then(|n| int_to(n, to)),
        Type::Int8 => parse_int(t, "bigint", &s).and_then(|n| int_to(n, to)),
        Type::Float4 | Type::Float8 => {
            let name = if *to == Type::Float4 {
                "real"
            } else {
                "double precision"
            };
            let f = parse_float(t).ok_or_else(|| Error::invalid_text(name, &s))?;
            // A real is read as strtof reads it, rounded once to single precision (through a
            // double it could round twice: 7038531e-32 would print 7.0385313e-26).
            let f = match (*to == Type::Float4, t.trim().parse::<f32>()) {
                (true, Ok(single)) if single.is_finite() => f64::from(single),
                _ => f,
            };
            // As strtod's ERANGE: a number too large or too small (but not zero) for the type.
            let written_infinity = t.to_ascii_lowercase().contains("inf");
            let mantissa = t.split(['e', 'E']).next().unwrap_or_default();
            let nonzero = mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b));
            let narrowed = if *to == Type::Float4 {
                f64::from(f as f32)
            } else {
                f
            };
            if (narrowed.is_infinite() && !written_infinity) || (narrowed == 0.0 && nonzero) {
                return Err(Error::OutOfRange(format!(
                    "\"{s}\" is out of range for type {name}"
                )));
            }
            float_to(f, to)
        }
        Type::Numeric { .. } => {
            let n = t
                .parse::<Numeric>()
                .map_err(|_| Error::invalid_text("numeric", &s))?;
            if let Numeric::Finite(d) = &n {
                // PostgreSQL's numeric holds up to 131072 digits before the point and 16383
                // after it.
                let (_, scale) = d.as_bigint_and_exponent();
                let integer_digits = i64::try_from(d.digits()).unwrap_or(i64::MAX) - scale;
                if integer_digits > 131_072 || scale > 16_383 {
                    return Err(Error::OutOfRange("value overflows numeric format".into()));
                }
            }
            cast_numeric(n, to)
        }
        Type::Date => datetime::parse_date(t)
            .map(Value::Date)
            .map_err(|e| datetime_failure(e, "date", &s)),
        Type::Timestamp => datetime::parse_timestamp(t, false)
            .map(Value::Timestamp)
            .map_err(|e| datetime_failure(e, "timestamp", &s)),
        Type::TimestampTz => datetime::parse_timestamp(t, true)
            .map(Value::TimestampTz)
            .map_err(|e| datetime_failure(e, "timestamp with time zone", &s)),
        Type::Time => datetime::parse_time_of_day(t)
            .map(Value::Time)
            .map_err(|e| datetime_failure(e, "time", &s)),
        Type::Interval => interval::parse_interval(&s).map(Value::Interval),
        Type::Uuid => uuid::parse_uuid(&s).map(Value::Uuid),
        Type::Bytea => Ok(Value::Bytea(parse_bytea(&s)?)),
        Type::Array(element) => {
            let literal = array::parse_literal(&s)?;
            let elements = literal
                .elements
                .into_iter()
                .map(|e| match e {
                    None => Ok(Value::Null),
                    Some(text) => cast_text(text, element),
                })
                .collect::<Result<Vec<_>>>()?;
            Array::with_dims(elements, literal.dims)
                .map(Value::Array)
                .map_err(array::shape_error)
        }
        other => Err(Error::Unsupported(format!("type {other}"))),
    }
}

fn datetime_failure(e: ParseError, type_name: &str, s: &str) -> Error {
    match e {
        ParseError::Range => Error::DatetimeOutOfRange(s.to_string()),
        ParseError::Syntax => datetime_error(type_name, s),
        ParseError::UnknownZone => {
            let zone = s.trim().rsplit(' ').next().unwrap_or_default();
            Error::invalid(
                "22023",
                format!("time zone \"{}\" not recognized", zone.to_lowercase()),
            )
        }
    }
}

fn datetime_error(type_name: &str, s: &str) -> Error {
    Error::InvalidText {
        message: format!("invalid input syntax for type {type_name}: \"{s}\""),
        datetime: true,
    }
}

fn parse_bool(t: &str) -> Option<bool> {
    let l = t.to_ascii_lowercase();
    match l.as_str() {
        "t" | "tr" | "tru" | "true" | "y" | "ye" | "yes" | "on" | "1" => Some(true),
        "f" | "fa" | "fal" | "fals" | "false" | "n" | "no" | "of" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// Parses an integer for type `name`: text that is not an integer is 22P02; an integer that is
/// too big for any i64 is 22003 ("value "..." is out of range for type ...").
fn parse_int(t: &str, name: &str, original: &str) -> Result<i64> {
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid_text(name, original));
    }
    let n: i64 = t.parse().map_err(|_| {
        Error::OutOfRange(format!(
            "value \"{original}\" is out of range for type {name}"
        ))
    })?;
    let fits = match name {
        "smallint" => i16::try_from(n).is_ok(),
        "integer" => i32::try_from(n).is_ok(),
        _ => true,
    };
    if !fits {
        return Err(Error::OutOfRange(format!(
            "value \"{original}\" is out of range for type {name}"
        )));
    }
    Ok(n)
}

fn parse_float(t: &str) -> Option<f64> {
    match t.to_ascii_lowercase().as_str() {
        "nan" => Some(f64::NAN),
        "infinity" | "+infinity" | "inf" | "+inf" => Some(f64::INFINITY),
        "-infinity" | "-inf" => Some(f64::NEG_INFINITY),
        l if l.contains("inf") || l.contains("nan") => None,
        _ => t.parse().ok(),
    }
}

/// An integer value into an integer type, with PostgreSQL's out-of-range errors.
fn int_to(n: i64, to: &Type) -> Result<Value> {
    match to {
        Type::Int2 => i16::try_from(n)
            .map(Value::Int2)
            .map_err(|_| Error::OutOfRange("smallint out of range".into())),
        Type::Int4 => i32::try_from(n)
            .map(Value::Int4)
            .map_err(|_| Error::OutOfRange("integer out of range".into())),
        Type::Int8 => Ok(Value::Int8(n)),
        _ => unreachable_cast(),
    }
}

fn unreachable_cast() -> Result<Value> {
    Err(Error::invalid("XX000", "internal error: bad integer cast"))
}

fn cast_integer(value: &Value, to: &Type) -> Result<Value> {
    let (n, from) = match value {
        Value::Int2(n) => (i64::from(*n), Type::Int2),
        Value::Int4(n) => (i64::from(*n), Type::Int4),
        Value::Int8(n) => (*n, Type::Int8),
        _ => return unreachable_cast(),
    };
    match to {
        Type::Int2 | Type::Int4 | Type::Int8 => int_to(n, to),
        #[allow(clippy::cast_precision_loss)]
        Type::Float4 => Ok(Value::Float4(n as f32)),
        #[allow(clippy::cast_precision_loss)]
        Type::Float8 => Ok(Value::Float8(n as f64)),
        Type::Numeric { .. } => cast_numeric(Numeric::Finite(BigDecimal::from(n)), to),
        Type::Bool if from == Type::Int4 => Ok(Value::Bool(n != 0)),
        t if t.is_text() => fit_text(n.to_string(), t),
        t => cannot_cast(&from, t),
    }
}

/// A float into a float or integer type; integers round half to even as PostgreSQL's rint.
fn float_to(f: f64, to: &Type) -> Result<Value> {
    match to {
        Type::Float8 => Ok(Value::Float8(f)),
        #[allow(clippy::cast_possible_truncation)]
        Type::Float4 => {
            let g = f as f32;
            if g.is_infinite() && f.is_finite() {
                return Err(Error::OutOfRange("value out of range: overflow".into()));
            }
            if g == 0.0 && f != 0.0 {
                return Err(Error::OutOfRange("value out of range: underflow".into()));
            }
            Ok(Value::Float4(g))
        }
        Type::Int2 | Type::Int4 | Type::Int8 => {
            let r = f.round_ties_even();
            let name = match to {
                Type::Int2 => "smallint",
                Type::Int4 => "integer",
                _ => "bigint",
            };
            #[allow(clippy::cast_precision_loss)]
            if r.is_nan() || r < i64::MIN as f64 || r >= i64::MAX as f64 {
                return Err(Error::OutOfRange(format!("{name} out of range")));
            }
            #[allow(clippy::cast_possible_truncation)]
            int_to(r as i64, to)
        }
        _ => unreachable_cast(),
    }
}

/// `f` rounded to `digits` significant digits, in exponent form without trailing zeros
/// (what C's `%.{digits}g` keeps).
fn significant_digits(f: f64, digits: usize) -> String {
    let sci = format!("{:.*e}", digits.saturating_sub(1), f);
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let mantissa = if mantissa.contains('.') {
        mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        mantissa
    };
    format!("{mantissa}e{exponent}")
}

fn cast_float(f: f64, from: &Type, to: &Type) -> Result<Value> {
    match to {
        Type::Float4 | Type::Float8 | Type::Int2 | Type::Int4 | Type::Int8 => float_to(f, to),
        Type::Numeric { .. } => {
            let n = if f.is_nan() {
                Numeric::NaN
            } else if f.is_infinite() {
                if f > 0.0 {
                    Numeric::Infinity
                } else {
                    Numeric::NegInfinity
                }
            } else {
                // PostgreSQL converts through `%.15g` (`%.6g` for real): the digits a float
                // is good for, so 0.4625 stays 0.4625 and rounds up.
                let digits = if from == &Type::Float4 { 6 } else { 15 };
                significant_digits(f, digits)
                    .parse::<Numeric>()
                    .map_err(|_| Error::invalid_text("numeric", &f.to_string()))?
            };
            cast_numeric(n, to)
        }
        t if t.is_text() => fit_text(format_float(f, from == &Type::Float4), t),
        t => cannot_cast(from, t),
    }
}

fn cast_numeric(n: Numeric, to: &Type) -> Result<Value> {
    match to {
        Type::Numeric {
            precision_scale: None,
        } => Ok(Value::Numeric(n)),
        Type::Numeric {
            precision_scale: Some((p, s)),
        } => fit_numeric(n, *p, *s).map(Value::Numeric),
        Type::Int2 | Type::Int4 | Type::Int8 => match n {
            Numeric::Finite(d) => {
                let r = d.with_scale_round(0, RoundingMode::HalfUp);
                let name = match to {
                    Type::Int2 => "smallint",
                    Type::Int4 => "integer",
                    _ => "bigint",
                };
                let n = r
                    .to_i64()
                    .ok_or_else(|| Error::OutOfRange(format!("{name} out of range")))?;
                int_to(n, to)
            }
            _ => Err(Error::invalid(
                "0A000",
                "cannot convert NaN or infinity to integer",
            )),
        },
        Type::Float4 | Type::Float8 => {
            let f = match &n {
                Numeric::Finite(d) => {
                    let f: f64 = d.to_string().parse().unwrap_or(f64::NAN);
                    // A finite numeric beyond double's range, or a non-zero one below it,
                    // is out of range (PostgreSQL reads its text as float8in does).
                    if f.is_infinite()
                        || (f == 0.0 && d.sign() != bigdecimal::num_bigint::Sign::NoSign)
                    {
                        return Err(Error::invalid(
                            "22003",
                            format!("\"{n}\" is out of range for type double precision"),
                        ));
                    }
                    f
                }
                Numeric::NaN => f64::NAN,
                Numeric::Infinity => f64::INFINITY,
                Numeric::NegInfinity => f64::NEG_INFINITY,
            };
            float_to(f, to)
        }
        t if t.is_text() => fit_text(n.to_string(), t),
        t => cannot_cast(
            &Type::Numeric {
                precision_scale: None,
            },
            t,
        ),
    }
}

/// Rounds to scale `s` and checks precision `p`, as a numeric(p,s) column does.
fn fit_numeric(n: Numeric, p: u32, s: i32) -> Result<Numeric> {
    let d = match n {
        Numeric::Finite(d) => d,
        // NaN fits every numeric(p,s); infinities fit none (PostgreSQL 15).
        Numeric::NaN => return Ok(Numeric::NaN),
        _ => return Err(Error::OutOfRange("numeric field overflow".into())),
    };
    let r = d.with_scale_round(i64::from(s), RoundingMode::HalfUp);
    let (int, _) = r.as_bigint_and_scale();
    let digits = int.magnitude().to_string().trim_start_matches('0').len();
    if digits > p as usize {
        return Err(Error::OutOfRange("numeric field overflow".into()));
    }
    Ok(Numeric::Finite(r))
}

/// PostgreSQL's bytea input: `\x` hex, else the text's bytes with `\\` escapes.
fn parse_bytea(s: &str) -> Result<Vec<u8>> {
    if let Some(hex) = s.strip_prefix("\\x") {
        let digits: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        if digits.len() % 2 != 0 {
            return Err(Error::invalid_text("bytea", s));
        }
        return digits
            .chunks(2)
            .map(|pair| {
                std::str::from_utf8(pair)
                    .ok()
                    .and_then(|p| u8::from_str_radix(p, 16).ok())
                    .ok_or_else(|| Error::invalid_text("bytea", s))
            })
            .collect();
    }
    // The escape format: `\\` is a backslash, `\ooo` an octal byte, any other `\` an error.
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
        } else if bytes.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else {
            let octal = bytes
                .get(i + 1..i + 4)
                .filter(|d| d[0] <= b'3' && d.iter().all(|c| (b'0'..=b'7').contains(c)))
                .map(|d| d.iter().fold(0u8, |acc, c| acc * 8 + (c - b'0')));
            out.push(octal.ok_or_else(|| Error::invalid_text("bytea", s))?);
            i += 4;
        }
    }
    Ok(out)
}

thread_local! {
    /// Whether the session's `bytea_output` is `escape` (see [`set_bytea_escape`]).
    static BYTEA_ESCAPE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Makes `bytea_output` (`hex` or `escape`) the bytea output format of statements on this
/// thread.
pub fn set_bytea_escape(escape: bool) {
    BYTEA_ESCAPE.with(|e| e.set(escape));
}

/// A bytea as `bytea_output` prints it: `\x` and hex digits, or in the escape format,
/// printable ASCII as itself, a backslash doubled and any other byte as `\ooo` in octal.
fn format_bytea(b: &[u8]) -> String {
    if BYTEA_ESCAPE.with(std::cell::Cell::get) {
        let mut out = String::new();
        for &byte in b {
            match byte {
                b'\\' => out.push_str("\\\\"),
                0x20..=0x7e => out.push(char::from(byte)),
                _ => out.push_str(&format!("\\{byte:03o}")),
            }
        }
        return out;
    }
    let mut out = String::from("\\x");
    for byte in b {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

thread_local! {
    /// The session's `extra_float_digits` for statements on this thread (see
    /// [`set_extra_float_digits`]).
    static EXTRA_FLOAT_DIGITS: std::cell::Cell<i32> = const { std::cell::Cell::new(1) };
}

/// Makes `extra_float_digits` (-15..=3) the float output precision of statements on this
/// thread: above 0 the shortest exact text, else 15 (float4: 6) plus it significant digits.
pub fn set_extra_float_digits(digits: i32) {
    EXTRA_FLOAT_DIGITS.with(|d| d.set(digits));
}

/// A float as PostgreSQL 15 prints it: the shortest text that reads back exactly, in
/// exponent form (`1e+20`) when the exponent is below -4 or at least 15 (float4: 6). With
/// `extra_float_digits` at 0 or below, `%g` with that many fewer digits than 15 (6), as
/// PostgreSQL's regression tests and older clients ask for.
pub fn format_float(f: f64, single: bool) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let extra = EXTRA_FLOAT_DIGITS.with(std::cell::Cell::get);
    if extra <= 0 {
        let digits = if single { 6 } else { 15 } + extra;
        return format_g(f, usize::try_from(digits.max(1)).unwrap_or(1));
    }
    #[allow(clippy::cast_possible_truncation)]
    let plain = if single {
        format!("{}", f as f32)
    } else {
        format!("{f}")
    };
    let sci = if single {
        float4_scientific(f as f32)
    } else {
        format!("{f:e}")
    };
    let exponent: i32 = sci
        .split_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    let limit = if single { 6 } else { 15 };
    if f != 0.0 && (exponent < -4 || exponent >= limit) {
        let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exp),
        };
        return format!("{mantissa}e{sign}{digits:0>2}");
    }
    plain
}

/// C's `%.{precision}g`: `precision` significant digits, in exponent form when the exponent
/// is below -4 or at least `precision`, trailing zeros dropped.
fn format_g(f: f64, precision: usize) -> String {
    let sci = format!("{:.*e}", precision - 1, f);
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i64 = exponent.parse().unwrap_or(0);
    let trim = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    let precision_i = i64::try_from(precision).unwrap_or(i64::MAX);
    if exponent < -4 || exponent >= precision_i {
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{}e{sign}{:02}", trim(mantissa), exponent.abs());
    }
    let decimals = usize::try_from(precision_i - 1 - exponent).unwrap_or(0);
    trim(&format!("{f:.decimals$}"))
}

/// `f` in Rust's shortest scientific form, except where those digits lie exactly halfway
/// to a neighbouring float4: PostgreSQL's shortest-digits output (Ryu without accepting the
/// interval's bounds) takes the next longer digits that read back to `f` from inside it
/// (`1.5e10::float4` prints as `1.5000001e+10`: 1.5e10 is the midpoint of two float4s).
fn float4_scientific(f: f32) -> String {
    let shortest = format!("{f:e}");
    let below = f32::from_bits(f.to_bits().wrapping_sub(1));
    let above = f32::from_bits(f.to_bits().wrapping_add(1));
    let midpoints = [
        (f64::from(f) + f64::from(below)) / 2.0,
        (f64::from(f) + f64::from(above)) / 2.0,
    ];
    // Exactly: a decimal a little off a midpoint can still read as that midpoint in f64
    // (7.038531e-26 is no bound of its float4, though the nearest double to it is one).
    let on_bound = |text: &str| {
        text.parse::<f64>().is_ok_and(|d| midpoints.contains(&d))
            && midpoints.iter().any(|m| {
                // A midpoint of two float4s has an exact decimal form well within 120 digits.
                let exact = format!("{m:.120e}");
                matches!(
                    (text.parse::<BigDecimal>(), exact.parse::<BigDecimal>()),
                    (Ok(a), Ok(b)) if a == b
                )
            })
    };
    if !f.is_finite() || f == 0.0 || !on_bound(&shortest) {
        return shortest;
    }
    let digits = shortest
        .split_once('e')
        .map_or(0, |(m, _)| m.chars().filter(char::is_ascii_digit).count());
    // `{:.N$e}` writes N + 1 significant digits; float4 never needs more than 9.
    (digits..9)
        .map(|precision| format!("{:.*e}", precision, f64::from(f)))
        .map(|text| match text.split_once('e') {
            // Rust writes trailing zeros at a fixed precision; the shortest form has none.
            Some((m, e)) if m.contains('.') => {
                format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.'))
            }
            _ => text,
        })
        .find(|text| text.parse::<f32>() == Ok(f) && !on_bound(text))
        .unwrap_or(shortest)
}

/// A value as PostgreSQL's text output prints it (what psql shows); `None` for NULL.
pub fn to_pg_text(value: &Value) -> Option<String> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(b) => if *b { "t" } else { "f" }.into(),
        Value::Int2(n) => n.to_string(),
        Value::Int4(n) => n.to_string(),
        Value::Int8(n) => n.to_string(),
        Value::Float4(f) => format_float(f64::from(*f), true),
        Value::Float8(f) => format_float(*f, false),
        Value::Numeric(n) => n.to_string(),
        Value::Text(s) => s.clone(),
        Value::Bytea(b) => format_bytea(b),
        Value::Date(d) => format_date(*d),
        Value::Timestamp(ts) => format_timestamp(*ts, false),
        Value::TimestampTz(ts) => format_timestamp(*ts, true),
        Value::Time(t) => format_time(*t),
        Value::Interval(iv) => interval::format_interval(iv),
        Value::Uuid(u) => uuid::format_uuid(u),
        Value::Array(items) => {
            let texts: Vec<Option<String>> = items.iter().map(to_pg_text).collect();
            array::format_array(&texts, items.dims())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_literals_widen_as_postgresql_types_them() {
        assert_eq!(number_literal("2147483647").unwrap(), Value::Int4(i32::MAX));
        assert_eq!(number_literal("2147483648").unwrap(), Value::Int8(1 << 31));
        assert!(matches!(
            number_literal("9223372036854775808").unwrap(),
            Value::Numeric(_)
        ));
        assert!(matches!(number_literal("1.5").unwrap(), Value::Numeric(_)));
    }

    #[test]
    fn casts_report_postgresql_errors() {
        let err = cast(Value::Text("x".into()), &Type::Int4).unwrap_err();
        assert_eq!(
            (err.sqlstate(), err.to_string().as_str()),
            ("22P02", "invalid input syntax for type integer: \"x\"")
        );
        let err = cast(Value::Int8(1 << 40), &Type::Int4).unwrap_err();
        assert_eq!(
            (err.sqlstate(), err.to_string().as_str()),
            ("22003", "integer out of range")
        );
        assert_eq!(
            cast(Value::Float8(2.5), &Type::Int4).unwrap(),
            Value::Int4(2)
        );
        assert_eq!(
            cast(Value::Text(" 12 ".into()), &Type::Int2).unwrap(),
            Value::Int2(12)
        );
    }

    #[test]
    fn dates_round_trip() {
        let d = cast(Value::Text("2024-02-29".into()), &Type::Date).unwrap();
        assert_eq!(to_pg_text(&d).unwrap(), "2024-02-29");
        assert_eq!(
            cast(Value::Text("2000-01-01".into()), &Type::Date).unwrap(),
            Value::Date(0)
        );
        let ts = cast(
            Value::Text("2021-03-04 05:06:07.5".into()),
            &Type::Timestamp,
        )
        .unwrap();
        assert_eq!(to_pg_text(&ts).unwrap(), "2021-03-04 05:06:07.5");
        assert!(cast(Value::Text("2023-02-29".into()), &Type::Date).is_err());
    }

    #[test]
    fn floats_print_like_postgresql() {
        assert_eq!(format_float(0.1, false), "0.1");
        assert_eq!(format_float(1e20, false), "1e+20");
        assert_eq!(format_float(1.5e-7, false), "1.5e-07");
        assert_eq!(format_float(123456.0, false), "123456");
        // float4 digits exactly halfway to a neighbour are not taken (PostgreSQL 15's
        // answers): 1.5e10 and 3e10 are midpoints, 2.5e10 is not.
        assert_eq!(format_float(f64::from(1.5e10_f32), true), "1.5000001e+10");
        assert_eq!(format_float(f64::from(3e10_f32), true), "3.0000001e+10");
        assert_eq!(format_float(f64::from(2.5e10_f32), true), "2.5e+10");
        assert_eq!(
            format_float(f64::from(16_777_216_f32), true),
            "1.6777216e+07"
        );
        assert_eq!(format_float(f64::from(0.3_f32), true), "0.3");
        // Near a midpoint but not on it: the shortest digits stand.
        assert_eq!(
            format_float(f64::from(7.038_531e-26_f32), true),
            "7.038531e-26"
        );
    }
}
