//! The value model shared by the engine and the SQL layer: a column's [`Type`] and the
//! [`Value`]s it holds.
//!
//! Values are stored the way PostgreSQL stores them: dates, times and timestamps as integers
//! counted from PostgreSQL's epoch, 2000-01-01 (days for `date`, microseconds for the others);
//! `numeric` as an exact decimal that can also be NaN or ±Infinity (PostgreSQL 15). The text
//! family (`text`, `varchar`, `char`, `json`, `jsonb`) all hold a [`Value::Text`]; an array holds
//! an [`Array`] (elements and dimensions), whose element type comes from the column's
//! [`Type::Array`]. The type does not fix the number of dimensions, as in PostgreSQL.
//!
//! [`Value::sql_cmp`] is the one ordering of values: a total order that agrees with PostgreSQL's
//! btree ordering for two values of the same type (NULLS LAST). The key codec
//! (`codec::encode_key`) is built so that comparing encoded bytes gives this same order.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use bigdecimal::num_bigint::{BigInt, Sign};
use bigdecimal::BigDecimal;
use serde::{Deserialize, Serialize};

pub use crate::array::{Array, Dim, ShapeError, MAX_DIMS};

/// Microseconds in one day, and days in one month as PostgreSQL's `interval_cmp` counts them.
pub const MICROS_PER_DAY: i64 = 86_400_000_000;
pub const DAYS_PER_MONTH: i64 = 30;

/// `micros` (a time of day, or a timestamp whose infinities are `i64::MAX` / `i64::MIN`)
/// rounded to `digits` fractional-second digits, half away from zero, as PostgreSQL's
/// `AdjustTimestampForTypmod` rounds; 6 or more digits, and the infinities, are left as they
/// are.
pub fn round_fraction(micros: i64, digits: u8) -> i64 {
    if digits >= 6 || micros == i64::MAX || micros == i64::MIN {
        return micros;
    }
    let unit = 10i64.pow(6 - u32::from(digits));
    let half = unit / 2;
    if micros >= 0 {
        micros.saturating_add(half) / unit * unit
    } else {
        -((-micros).saturating_add(half) / unit * unit)
    }
}

/// A column's SQL type. `Display` gives PostgreSQL's spelling (as `format_type` prints it).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Type {
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    /// `numeric` or `numeric(precision, scale)`; PostgreSQL 15 allows a negative scale.
    Numeric {
        precision_scale: Option<(u32, i32)>,
    },
    Text,
    /// `character varying`, with an optional maximum length in characters.
    Varchar(Option<u32>),
    /// `character(n)` (bpchar), blank-padded to n characters.
    Char(u32),
    Bytea,
    Date,
    Time,
    Timestamp,
    TimestampTz,
    Interval,
    Uuid,
    Json,
    Jsonb,
    /// An array whose elements have the boxed type.
    Array(Box<Type>),
    /// A user-defined enum type, named by its root key (`kind`, or `s.kind` outside `public`).
    /// Its values are held as [`Value::Text`] labels; the labels and their order live in the
    /// root value ([`crate::table::EnumType`]). Added last so older schemas keep their encoding.
    Enum(String),
    /// A range type (`int4range`, ...). Its values are held as [`Value::Text`] in PostgreSQL's
    /// canonical range text (`[1,5)`, `empty`), which the SQL layer reads and writes. Added
    /// after `Enum` so older schemas keep their encoding.
    Range(RangeKind),
}

/// The subtype of a range type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RangeKind {
    Int4,
    Int8,
    Numeric,
    Date,
    Timestamp,
    TimestampTz,
}

impl RangeKind {
    /// The type's name (`int4range`, ...).
    pub fn name(self) -> &'static str {
        match self {
            RangeKind::Int4 => "int4range",
            RangeKind::Int8 => "int8range",
            RangeKind::Numeric => "numrange",
            RangeKind::Date => "daterange",
            RangeKind::Timestamp => "tsrange",
            RangeKind::TimestampTz => "tstzrange",
        }
    }
}

impl Type {
    /// The element type of an array type.
    pub fn element(&self) -> Option<&Type> {
        match self {
            Type::Array(element) => Some(element),
            _ => None,
        }
    }

    /// Whether values of this type are held as [`Value::Text`].
    pub fn is_text(&self) -> bool {
        matches!(
            self,
            Type::Text
                | Type::Varchar(_)
                | Type::Char(_)
                | Type::Json
                | Type::Jsonb
                | Type::Enum(_)
                | Type::Range(_)
        )
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Bool => f.write_str("boolean"),
            Type::Int2 => f.write_str("smallint"),
            Type::Int4 => f.write_str("integer"),
            Type::Int8 => f.write_str("bigint"),
            Type::Float4 => f.write_str("real"),
            Type::Float8 => f.write_str("double precision"),
            Type::Numeric {
                precision_scale: None,
            } => f.write_str("numeric"),
            Type::Numeric {
                precision_scale: Some((p, s)),
            } => write!(f, "numeric({p},{s})"),
            Type::Text => f.write_str("text"),
            Type::Varchar(None) => f.write_str("character varying"),
            Type::Varchar(Some(n)) => write!(f, "character varying({n})"),
            Type::Char(n) => write!(f, "character({n})"),
            Type::Bytea => f.write_str("bytea"),
            Type::Date => f.write_str("date"),
            Type::Time => f.write_str("time without time zone"),
            Type::Timestamp => f.write_str("timestamp without time zone"),
            Type::TimestampTz => f.write_str("timestamp with time zone"),
            Type::Interval => f.write_str("interval"),
            Type::Uuid => f.write_str("uuid"),
            Type::Json => f.write_str("json"),
            Type::Jsonb => f.write_str("jsonb"),
            Type::Array(element) => write!(f, "{element}[]"),
            Type::Enum(name) => f.write_str(name),
            Type::Range(kind) => f.write_str(kind.name()),
        }
    }
}

/// A `numeric` value: an exact decimal, or one of PostgreSQL 15's special values.
///
/// Ordered like PostgreSQL: -Infinity < every finite value < Infinity < NaN, and NaN equals
/// itself. Finite values compare by value, so `1.0 == 1.00` although their scales differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Numeric {
    NegInfinity,
    Finite(BigDecimal),
    Infinity,
    NaN,
}

impl Numeric {
    /// The rank of the value's class in PostgreSQL's order.
    fn class(&self) -> u8 {
        match self {
            Numeric::NegInfinity => 0,
            Numeric::Finite(_) => 1,
            Numeric::Infinity => 2,
            Numeric::NaN => 3,
        }
    }
}

impl Ord for Numeric {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Numeric::Finite(a), Numeric::Finite(b)) => a.cmp(b),
            _ => self.class().cmp(&other.class()),
        }
    }
}

impl PartialOrd for Numeric {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl From<BigDecimal> for Numeric {
    fn from(value: BigDecimal) -> Self {
        Numeric::Finite(value)
    }
}

/// PostgreSQL's output text: `NaN`, `Infinity`, `-Infinity`, or the plain decimal with all its
/// scale digits (`1.50`). A negative scale prints as trailing zeros (`1E+3` prints `1000`).
impl fmt::Display for Numeric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Numeric::NegInfinity => f.write_str("-Infinity"),
            Numeric::Infinity => f.write_str("Infinity"),
            Numeric::NaN => f.write_str("NaN"),
            Numeric::Finite(d) => write_plain_decimal(f, d),
        }
    }
}

/// Writes `d` as a plain decimal string, keeping its scale.
fn write_plain_decimal(f: &mut fmt::Formatter<'_>, d: &BigDecimal) -> fmt::Result {
    let (int, scale) = d.as_bigint_and_scale();
    if int.sign() == Sign::Minus {
        f.write_str("-")?;
    }
    let digits = int.magnitude().to_str_radix(10);
    if scale <= 0 {
        f.write_str(&digits)?;
        return (0..scale.unsigned_abs()).try_for_each(|_| f.write_str("0"));
    }
    let scale = usize::try_from(scale).unwrap_or(usize::MAX);
    if digits.len() > scale {
        let (whole, fraction) = digits.split_at(digits.len() - scale);
        return write!(f, "{whole}.{fraction}");
    }
    f.write_str("0.")?;
    (digits.len()..scale).try_for_each(|_| f.write_str("0"))?;
    f.write_str(&digits)
}

/// The error from parsing a [`Numeric`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseNumericError(String);

impl fmt::Display for ParseNumericError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid input syntax for type numeric: \"{}\"", self.0)
    }
}

impl std::error::Error for ParseNumericError {}

/// Parses PostgreSQL's numeric input: `NaN`, `[+-]Infinity` / `[+-]inf` (any case), or
/// `[+-]digits[.digits][e[+-]digits]` with digits on at least one side of the point. The scale
/// is kept: `1.50` has scale 2, `1.5e3` has scale -2.
impl FromStr for Numeric {
    type Err = ParseNumericError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let error = || ParseNumericError(s.to_string());
        match s.to_ascii_lowercase().as_str() {
            "nan" => return Ok(Numeric::NaN),
            "infinity" | "+infinity" | "inf" | "+inf" => return Ok(Numeric::Infinity),
            "-infinity" | "-inf" => return Ok(Numeric::NegInfinity),
            _ => {}
        }
        parse_decimal(s).map(Numeric::Finite).ok_or_else(error)
    }
}

/// Parses `[+-]digits[.digits][e[+-]digits]` into an exact decimal; `None` if malformed or if
/// the scale does not fit an i64.
fn parse_decimal(s: &str) -> Option<BigDecimal> {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(at) => (&s[..at], parse_exponent(&s[at + 1..])?),
        None => (s, 0),
    };
    let (negative, unsigned) = match mantissa.as_bytes().first()? {
        b'-' => (true, &mantissa[1..]),
        b'+' => (false, &mantissa[1..]),
        _ => (false, mantissa),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.len() + fraction.len() == 0 || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let digits = [whole.as_bytes(), fraction.as_bytes()].concat();
    let magnitude = BigInt::parse_bytes(&digits, 10)?;
    let scale = i64::try_from(i128::try_from(fraction.len()).ok()? - exponent).ok()?;
    let int = if negative { -magnitude } else { magnitude };
    Some(BigDecimal::new(int, scale))
}

/// Parses an exponent `[+-]digits`; i128 so that `1e9223372036854775808` (scale i64::MIN)
/// parses.
fn parse_exponent(s: &str) -> Option<i128> {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// An `interval`: months, days and microseconds kept apart, as PostgreSQL keeps them.
///
/// Compared like PostgreSQL's `interval_cmp`: by total microseconds counting a month as 30
/// days, so `'1 month' = '30 days'` although the two are stored differently.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Interval {
    pub months: i32,
    pub days: i32,
    pub micros: i64,
}

impl Interval {
    /// Total microseconds with 1 month = 30 days and 1 day = 86 400 000 000 µs. Never
    /// overflows an i128.
    pub fn total_micros(&self) -> i128 {
        let days = i128::from(self.months) * i128::from(DAYS_PER_MONTH) + i128::from(self.days);
        days * i128::from(MICROS_PER_DAY) + i128::from(self.micros)
    }

    /// PostgreSQL's `interval_cmp`.
    pub fn pg_cmp(&self, other: &Interval) -> Ordering {
        self.total_micros().cmp(&other.total_micros())
    }
}

/// A SQL value. Which [`Type`]s each variant can hold is given by [`Value::type_matches`].
///
/// `PartialEq` is structural (derived): `Float8(NaN) != Float8(NaN)` and `1.0` equals `1.00`
/// only because `BigDecimal` compares by value. SQL equality is `sql_cmp(..) == Equal`.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int2(i16),
    Int4(i32),
    Int8(i64),
    Float4(f32),
    Float8(f64),
    Numeric(Numeric),
    /// `text`, `varchar`, `char`, `json` (as given) and `jsonb` (normalized by the SQL layer).
    Text(String),
    Bytea(Vec<u8>),
    /// Days since 2000-01-01.
    Date(i32),
    /// Microseconds since midnight.
    Time(i64),
    /// Microseconds since 2000-01-01 00:00:00, no time zone.
    Timestamp(i64),
    /// Microseconds since 2000-01-01 00:00:00 UTC.
    TimestampTz(i64),
    Interval(Interval),
    Uuid([u8; 16]),
    /// Elements of the column's element type (any of them may be `Null`) and the dimensions.
    Array(Array),
}

impl Value {
    /// A one-dimensional array (lower bound 1) of `elements`; the empty array if there are none.
    pub fn array(elements: Vec<Value>) -> Value {
        Value::Array(Array::new(elements))
    }

    /// Whether this is SQL NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether this value can be stored in a column of type `ty`. NULL fits every type; text
    /// fits the whole text family; an array fits when each of its elements fits the element
    /// type. Lengths and precisions (varchar(n), numeric(p,s)) are the SQL layer's to enforce.
    pub fn type_matches(&self, ty: &Type) -> bool {
        match (self, ty) {
            (Value::Null, _) => true,
            (Value::Text(_), ty) => ty.is_text(),
            (Value::Numeric(_), Type::Numeric { .. }) => true,
            (Value::Array(elements), Type::Array(element)) => {
                elements.iter().all(|e| e.type_matches(element))
            }
            (Value::Bool(_), Type::Bool)
            | (Value::Int2(_), Type::Int2)
            | (Value::Int4(_), Type::Int4)
            | (Value::Int8(_), Type::Int8)
            | (Value::Float4(_), Type::Float4)
            | (Value::Float8(_), Type::Float8)
            | (Value::Bytea(_), Type::Bytea)
            | (Value::Date(_), Type::Date)
            | (Value::Time(_), Type::Time)
            | (Value::Timestamp(_), Type::Timestamp)
            | (Value::TimestampTz(_), Type::TimestampTz)
            | (Value::Interval(_), Type::Interval)
            | (Value::Uuid(_), Type::Uuid) => true,
            _ => false,
        }
    }

    /// Whether two values are exactly the same stored value: floats by their bits (so -0.0
    /// differs from 0.0 and a NaN equals itself), numerics by digits and scale (1.0 differs from
    /// 1.00), arrays element by element. This is the equality the row codec keeps, and the one
    /// diffs and merges use to decide whether a cell changed.
    pub fn identical(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Float4(x), Value::Float4(y)) => x.to_bits() == y.to_bits(),
            (Value::Float8(x), Value::Float8(y)) => x.to_bits() == y.to_bits(),
            (Value::Numeric(Numeric::Finite(x)), Value::Numeric(Numeric::Finite(y))) => {
                x.as_bigint_and_scale() == y.as_bigint_and_scale()
            }
            (Value::Array(x), Value::Array(y)) => {
                x.dims() == y.dims() && x.iter().zip(y).all(|(x, y)| x.identical(y))
            }
            _ => self == other,
        }
    }

    /// A total order that agrees with PostgreSQL's btree order for two values of the same type:
    /// NULL after every value (NULLS LAST); float NaN above every number and equal to itself;
    /// -0.0 equal to 0.0; text by bytes (C collation); intervals as `interval_cmp` does; arrays
    /// as `array_cmp`: element by element, then the shorter first, then by shape.
    ///
    /// Values of different types still get an order, so sorting never panics: integers of any
    /// width compare by value, as do floats of either width; any other pair compares by variant.
    pub fn sql_cmp(&self, other: &Value) -> Ordering {
        use Value::*;
        match (self, other) {
            (Null, Null) => Ordering::Equal,
            (Null, _) => Ordering::Greater,
            (_, Null) => Ordering::Less,
            (Bool(a), Bool(b)) => a.cmp(b),
            (Float4(_) | Float8(_), Float4(_) | Float8(_)) => {
                cmp_f64(self.as_f64().unwrap_or(0.0), other.as_f64().unwrap_or(0.0))
            }
            (Numeric(a), Numeric(b)) => a.cmp(b),
            (Text(a), Text(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Bytea(a), Bytea(b)) => a.cmp(b),
            (Date(a), Date(b)) => a.cmp(b),
            (Time(a), Time(b)) | (Timestamp(a), Timestamp(b)) => a.cmp(b),
            (TimestampTz(a), TimestampTz(b)) => a.cmp(b),
            (Interval(a), Interval(b)) => a.pg_cmp(b),
            (Uuid(a), Uuid(b)) => a.cmp(b),
            (Array(a), Array(b)) => a.cmp_by(b, Value::sql_cmp),
            _ => match (self.as_i64(), other.as_i64()) {
                (Some(a), Some(b)) => a.cmp(&b),
                _ => self.rank().cmp(&other.rank()),
            },
        }
    }

    /// An integer of any width as i64.
    fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int2(v) => Some(i64::from(*v)),
            Value::Int4(v) => Some(i64::from(*v)),
            Value::Int8(v) => Some(*v),
            _ => None,
        }
    }

    /// A float of either width as f64 (exact for f32).
    fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float4(v) => Some(f64::from(*v)),
            Value::Float8(v) => Some(*v),
            _ => None,
        }
    }

    /// The order of variants, used only to compare values of different types. Integers share a
    /// rank, as do floats, so that the order stays transitive.
    fn rank(&self) -> u8 {
        match self {
            Value::Bool(_) => 0,
            Value::Int2(_) | Value::Int4(_) | Value::Int8(_) => 1,
            Value::Float4(_) | Value::Float8(_) => 2,
            Value::Numeric(_) => 3,
            Value::Text(_) => 4,
            Value::Bytea(_) => 5,
            Value::Date(_) => 6,
            Value::Time(_) => 7,
            Value::Timestamp(_) => 8,
            Value::TimestampTz(_) => 9,
            Value::Interval(_) => 10,
            Value::Uuid(_) => 11,
            Value::Array(_) => 12,
            Value::Null => 13,
        }
    }
}

/// PostgreSQL's float order: NaN above everything and equal to itself, -0.0 equal to 0.0.
fn cmp_f64(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        // Both are numbers, so partial_cmp is Some; -0.0 == 0.0 under it.
        (false, false) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}
