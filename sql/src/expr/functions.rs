//! Evaluation of the scalar functions of [`Function`] over argument values (NULL in, NULL out,
//! except where the function says otherwise), and of the operators on the richer types.
//!
//! [`Builtin`] names the functions beyond the basic slice; they are evaluated by family:
//! `text.rs` (string functions), `math.rs`, `temporal.rs` (dates, times, intervals),
//! `containers.rs` (arrays, json, jsonb, uuid), `bytea.rs` (bytes and encodings), `digest.rs`
//! (SHA-2), `misc.rs` (num_nulls, scale, parse_ident, sizes) and `volatile.rs` (random,
//! setseed, transaction ids: state the session lends to each statement). The binder
//! (`planner/builtin.rs`) decides argument types, so evaluation matches on value variants only.

use std::cmp::Ordering;

use bigdecimal::{BigDecimal, RoundingMode};
use vdb_engine::value::{Numeric, Value};

use super::{compare, negate, out_of_range, BinaryOp, Function};
use crate::error::{Error, Result};

mod arrays;
mod bytea;
pub(crate) mod codec;
mod compat;
mod containers;
mod digest;
mod extension;
pub use extension::ExtensionFunction;
pub mod json_record;
mod jsonb_edit;
mod jsonpath;
mod math;
mod misc;
mod numeric_math;
pub(crate) mod pattern;
mod sets;
mod temporal;
mod text;
mod to_char_number;
mod to_timestamp;
mod volatile;

pub use sets::{expand as expand_set, JsonEachPart};
pub use temporal::{clock_micros, start_statement_clock};
pub use volatile::{
    forget_sequence_value, forget_sequence_values, mark_server_start, record_sequence_value,
    session_currval, transaction_id, with_sequence_scope, with_volatile_state, VolatileState,
};

/// The functions evaluated by this module's families. Each is bound by `planner/builtin.rs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// A function of a built-in extension (uuid-ossp, pgcrypto).
    Extension(ExtensionFunction),
    /// A range operator or function over ranges of one kind (`types/range.rs`).
    Range(
        crate::types::range::RangeFunction,
        vdb_engine::value::RangeKind,
    ),
    // text.rs
    Concat,
    ConcatWs,
    Strpos,
    SplitPart,
    Lpad,
    Rpad,
    Right,
    Repeat,
    Reverse,
    Initcap,
    Md5,
    /// `hashtext(text)`: a 32-bit hash of the text (the first four bytes of its MD5).
    Hashtext,
    StartsWith,
    RegexpReplace,
    Format,
    /// `format(fmt, VARIADIC array)`: the array's elements are the arguments.
    FormatVariadic,
    Ascii,
    Chr,
    OctetLength,
    // codec.rs
    Translate,
    ToHex,
    QuoteIdent,
    QuoteLiteral,
    /// Like `QuoteLiteral`, but NULL gives the text `NULL`.
    QuoteNullable,
    BitLength,
    Encode,
    Decode,
    RegexpMatch,
    RegexpSplitToArray,
    RegexpLike,
    RegexpCount,
    /// A LIKE pattern with another escape character, rewritten to use `\`.
    LikeEscape,
    /// A SIMILAR TO pattern (and its escape) as an anchored regular expression.
    SimilarToRegex,
    /// `substring(s SIMILAR p ESCAPE e)`'s regex: SimilarToRegex with the part between the
    /// escape-double-quote separators as its one capture group.
    SimilarSubstringRegex,
    // math.rs
    Div,
    Gcd,
    Lcm,
    /// sin, cos, tan, asin, acos, atan, cot (by name).
    Trig(&'static str),
    /// `atan2d(y, x)`: atan2 in degrees.
    Atan2d,
    Atan2,
    WidthBucket,
    /// `width_bucket(x, thresholds)`: the bucket of x among sorted lower bounds.
    WidthBucketArray,
    Factorial,
    Trunc,
    Sqrt,
    Cbrt,
    Power,
    Exp,
    Ln,
    Log10,
    Log,
    Mod,
    Sign,
    Pi,
    /// `pg_sleep(seconds)`: waits, stopping early if the statement is canceled.
    PgSleep,
    /// `pg_notify(channel, payload)`: NOTIFY as a function (queued for the session to send).
    PgNotify,
    Degrees,
    Radians,
    // temporal.rs
    /// `now()`, `current_timestamp`, `transaction_timestamp()`: the transaction's start.
    Now,
    /// `statement_timestamp()`: the statement's start.
    StatementTimestamp,
    /// `clock_timestamp()`: the clock, at each call.
    ClockTimestamp,
    CurrentDate,
    DateTrunc,
    /// `date_part` (double precision) or `extract` (numeric).
    DatePart {
        numeric: bool,
    },
    ToChar,
    Age,
    MakeDate,
    MakeTime,
    MakeTimestamp,
    /// `make_timestamptz(y, m, d, h, mi, s [, zone])`: wall-clock time in the zone (or session's).
    MakeTimestampTz,
    MakeInterval,
    ToTimestamp,
    /// `to_timestamp(text, format)` (`date` false) or `to_date(text, format)`.
    ParseFormatted {
        date: bool,
    },
    IsFinite,
    /// `date_bin(stride, source, origin)`.
    DateBin,
    /// `enum_range(lower, upper)` over the labels array given first: the labels from `lower`
    /// to `upper`, a NULL bound leaving that end open.
    EnumRange,
    /// `array[subscript] := value` of an UPDATE's SET list: the array with that element set,
    /// grown with NULLs to reach it (a NULL array becomes `[i:i]={value}`).
    ArraySetElement,
    /// `overlaps(start1, end1, start2, end2)`, the `(s1, e1) OVERLAPS (s2, e2)` operator, over
    /// four values of one type.
    Overlaps,
    JustifyDays,
    JustifyHours,
    JustifyInterval,
    /// `ts AT TIME ZONE zone`: timestamptz to local timestamp, or timestamp to timestamptz.
    AtTimeZone,
    /// Rounds a timestamp or time to the given fractional-second digits (`timestamp(3)`).
    RoundSeconds(u8),
    // containers.rs
    GenRandomUuid,
    // arrays.rs
    MakeArray,
    /// `ARRAY[sub, sub, ...]` whose items are arrays: one more dimension.
    MakeNestedArray,
    /// `a[i][j]...`: the array, then one subscript per dimension.
    Subscript,
    /// `a[lo:hi]...`: the array, then (lower, upper) per subscript; bit 2k of `open` marks
    /// lower bound k as omitted, bit 2k + 1 the upper.
    Slice {
        open: u16,
    },
    ArrayFill,
    TrimArray,
    /// `x op ANY(array)` (or ALL).
    AnyAll {
        op: BinaryOp,
        all: bool,
    },
    ArrayLength,
    Cardinality,
    ArrayAppend,
    ArrayPrepend,
    ArrayCat,
    ArrayPosition,
    ArrayToString,
    StringToArray,
    ArrayLower,
    ArrayUpper,
    ArrayDims,
    ArrayNdims,
    ArrayPositions,
    ArrayRemove,
    ArrayReplace,
    /// A value as json text for `to_json`/`to_jsonb` (`raw`: the text already is json).
    ToJson {
        jsonb: bool,
        raw: bool,
    },
    /// Like `ToJson`, but NULL becomes `null` (for `json_build_object` arguments).
    JsonArg {
        raw: bool,
    },
    BuildObject {
        jsonb: bool,
    },
    BuildArray {
        jsonb: bool,
    },
    JsonTypeof,
    JsonArrayLength,
    JsonbPretty,
    // jsonb_edit.rs
    /// jsonb `-` a key, an index or a text[] of keys.
    JsonbDelete,
    /// jsonb `#-` a path.
    JsonbDeletePath,
    /// jsonb `?|` (any) / `?&` (all).
    JsonbExistsAny {
        all: bool,
    },
    JsonbSet,
    /// `jsonb_set_lax(target, path, new, create, null_value_treatment)`: not strict in `new`.
    JsonbSetLax,
    JsonbInsert,
    JsonbStripNulls,
    /// `jsonb_extract_path(doc, VARIADIC path)` (`text`: the `_text` form).
    JsonbExtractPath {
        text: bool,
    },
    /// `json_extract_path(doc, VARIADIC path)` on json, whose text it keeps as written.
    JsonExtractPath {
        text: bool,
    },
    // compat.rs
    /// A whole-row reference as json: `(name, json text)` pairs, printed as row_to_json does.
    RowJson,
    /// A comparison of jsonb values (numbers by value: `1.0 = 1`).
    JsonbCmp(BinaryOp),
    /// jsonb as bytes in jsonb's btree order ([`crate::types::json::Json::sort_key`]): what
    /// ORDER BY, DISTINCT and GROUP BY on jsonb work on.
    JsonbSortKey,
    /// A field of a json object as the text of a record column (`json_record.rs`):
    /// `(doc, key)`.
    JsonRecordField {
        f: json_record::RecordFunction,
        target: json_record::FieldTarget,
    },
    /// `greatest` / `least` over jsonb: by jsonb's order, NULLs skipped.
    JsonbExtreme {
        greatest: bool,
    },
    /// `json[b]_object(text[])` / `json[b]_object(keys text[], values text[])`.
    JsonObject {
        jsonb: bool,
    },
    /// `json_strip_nulls(json)`: compact json without null-valued object fields.
    JsonStripNulls,
    /// `row_to_json(row, pretty)`: with `pretty`, a line feed after each top-level field.
    JsonRowPretty,
    /// `jsonb_path_exists(doc, path)` / `@?`.
    JsonPathExists,
    /// `jsonb_path_match(doc, path)` / `@@`.
    JsonPathMatch,
    /// `jsonb_path_query_first(doc, path)`.
    JsonPathQueryFirst,
    /// `jsonb_path_query_array(doc, path)`.
    JsonPathQueryArray,
    Unistr,
    RegexpInstr,
    /// `regexp_count(s, pattern, start [, flags])`.
    RegexpCountFrom,
    RegexpSubstr,
    /// `substring(s from pattern)`: the first match, or its first parenthesized group.
    RegexpSubstring,
    /// `overlay(s placing t from n [for m])`.
    Overlay,
    /// `to_number(text, format)`.
    ToNumber,
    /// `to_char(number, format)`.
    NumberToChar,
    /// `&`, `|`, `#`, `<<`, `>>` (by their PostgreSQL spelling) and `~` (`"~"`, one argument)
    /// on integers.
    Bitwise(&'static str),
    /// `ROW(a, b)`'s text, `(1,a)`: fields quoted as record_out quotes them, NULL empty.
    RecordText,
    // bytea.rs
    /// `get_byte(bytes, n)`: byte n (0-based), 2202E past the end.
    GetByte,
    /// `set_byte(bytes, n, value)`.
    SetByte,
    /// `get_bit(bytes, n)`: bit n, counting from the low bit of the first byte.
    GetBit,
    /// `set_bit(bytes, n, 0 or 1)`.
    SetBit,
    /// `bit_count(bytes)`: the set bits, as bigint.
    BitCount,
    /// `substring(bytes from n [for m])` / `substr(bytes, n [, m])`.
    ByteaSubstr,
    /// `position(needle in bytes)` (arguments: bytes, needle).
    ByteaPosition,
    /// `overlay(bytes placing new from n [for m])`.
    ByteaOverlay,
    /// `btrim`/`ltrim`/`rtrim(bytes, set)`.
    ByteaTrim {
        leading: bool,
        trailing: bool,
    },
    /// `bytes || bytes`.
    ByteaConcat,
    /// `convert_to(text, encoding)`.
    ConvertTo,
    /// `convert_from(bytes, encoding)`.
    ConvertFrom,
    /// `convert(bytes, from, to)`.
    Convert,
    // digest.rs
    /// `sha224`, `sha256`, `sha384`, `sha512` (by digest size in bits).
    Sha(u16),
    // misc.rs
    /// `num_nulls(...)` (`nulls`) or `num_nonnulls(...)`: not strict.
    NumNulls {
        nulls: bool,
    },
    /// `num_nulls(VARIADIC array)`: over the array's elements.
    NumNullsArray {
        nulls: bool,
    },
    Scale,
    MinScale,
    TrimScale,
    /// `parse_ident(text [, strict])`.
    ParseIdent,
    /// `pg_size_bytes(text)`.
    SizeBytes,
    /// `pg_column_size(any)` (`stored`: the argument is a table column, whose short strings
    /// PostgreSQL stores with a 1-byte header).
    ColumnSize {
        stored: bool,
    },
    // volatile.rs
    Random,
    /// `setseed(double precision)`: seeds the session's `random()`.
    Setseed,
    /// `txid_current()` / `pg_current_xact_id()`.
    TxidCurrent,
    /// `lastval()`: the value this session's last `nextval` returned.
    LastVal,
    Timeofday,
    PostmasterStartTime,
}

impl Builtin {
    /// Whether a NULL argument makes the result NULL without calling the function.
    fn strict(self) -> bool {
        !matches!(
            self,
            Builtin::Concat
                | Builtin::Range(crate::types::range::RangeFunction::Construct, _)
                | Builtin::Overlaps
                | Builtin::EnumRange
                | Builtin::ArraySetElement
                | Builtin::ConcatWs
                | Builtin::Format
                | Builtin::FormatVariadic
                | Builtin::MakeArray
                | Builtin::AnyAll { .. }
                | Builtin::ArrayAppend
                | Builtin::ArrayPrepend
                | Builtin::ArrayCat
                | Builtin::ArrayPosition
                | Builtin::ArrayToString
                | Builtin::StringToArray
                | Builtin::JsonArg { .. }
                | Builtin::BuildObject { .. }
                | Builtin::BuildArray { .. }
                | Builtin::Slice { .. }
                | Builtin::MakeNestedArray
                | Builtin::ArrayFill
                | Builtin::QuoteNullable
                | Builtin::ArrayPositions
                | Builtin::ArrayRemove
                | Builtin::ArrayReplace
                | Builtin::RowJson
                | Builtin::JsonbExtreme { .. }
                | Builtin::RecordText
                | Builtin::NumNulls { .. }
                | Builtin::JsonbSetLax
        )
    }
}

/// Numeric arithmetic where an operand is NaN or ±Infinity, as PostgreSQL 15 defines it.
pub(super) fn special_numeric(op: BinaryOp, a: &Numeric, b: &Numeric) -> Result<Numeric> {
    use bigdecimal::{Signed, Zero};
    // Each operand as a float that has the same class and sign.
    let f = |n: &Numeric| match n {
        Numeric::NaN => f64::NAN,
        Numeric::Infinity => f64::INFINITY,
        Numeric::NegInfinity => f64::NEG_INFINITY,
        Numeric::Finite(d) if d.is_zero() => 0.0,
        Numeric::Finite(d) if d.is_negative() => -1.0,
        Numeric::Finite(_) => 1.0,
    };
    let (x, y) = (f(a), f(b));
    // NaN divided by zero is NaN, as in PostgreSQL; anything else by zero is 22012.
    if matches!(op, BinaryOp::Div | BinaryOp::Mod) && y == 0.0 && !x.is_nan() {
        return Err(Error::DivisionByZero);
    }
    let r = match op {
        BinaryOp::Add => x + y,
        BinaryOp::Sub => x - y,
        BinaryOp::Mul => x * y,
        BinaryOp::Div => x / y,
        // x % ±Infinity is x; Infinity % y is NaN.
        BinaryOp::Mod if x.is_finite() && y.is_infinite() => return Ok(a.clone()),
        BinaryOp::Mod => f64::NAN,
        _ => return Err(Error::mismatch("numeric operands expected")),
    };
    Ok(if r.is_nan() {
        Numeric::NaN
    } else if r == f64::INFINITY {
        Numeric::Infinity
    } else if r == f64::NEG_INFINITY {
        Numeric::NegInfinity
    } else {
        Numeric::Finite(BigDecimal::from(0))
    })
}

/// The operators on dates, times, intervals, arrays and json that `expr.rs`'s arithmetic does
/// not know; `None` when neither operand is of those types.
pub(super) fn temporal_or_container_op(
    op: BinaryOp,
    l: &Value,
    r: &Value,
) -> Option<Result<Value>> {
    temporal::binary(op, l, r).or_else(|| containers::binary(op, l, r))
}

pub(super) fn function(f: Function, args: Vec<Value>) -> Result<Value> {
    match f {
        f if f.touches_sequence() => {
            if let Some(result) = crate::execution::sequence::call_nested(f, &args) {
                return result;
            }
            return Err(Error::Unsupported(format!(
                "{}() in this position",
                format!("{f:?}").to_lowercase()
            )));
        }
        Function::Now => return Ok(now()),
        Function::GenRandomUuid => return Ok(random_uuid()),
        _ => {}
    }
    if let Function::Builtin(b) = f {
        if b.strict() && args.iter().any(Value::is_null) {
            return Ok(Value::Null);
        }
        return builtin(b, &args);
    }
    if args.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    let mut args = args.into_iter();
    let first = args.next().unwrap_or(Value::Null);
    Ok(match (f, first) {
        (Function::SizePretty, v) => Value::Text(size_pretty(super::as_i64(&v).unwrap_or(0))),
        (Function::Lower, Value::Text(s)) => Value::Text(lower(&s)),
        (Function::Upper, Value::Text(s)) => Value::Text(upper(&s)),
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
        // fabs: -0 becomes 0.
        (Function::Abs, Value::Float8(x)) => Value::Float8(x.abs()),
        (Function::Abs, Value::Float4(x)) => Value::Float4(x.abs()),
        (Function::Abs, v @ (Value::Int2(_) | Value::Int4(_) | Value::Int8(_))) => {
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
            // A negative scale rounds left of the point; the result has scale 0.
            Value::Numeric(Numeric::Finite(
                d.with_scale_round(scale, RoundingMode::HalfUp)
                    .with_scale(scale.max(0)),
            ))
        }
        // NaN stays NaN and an infinity stays itself (abs makes it positive), as in
        // PostgreSQL's numeric functions.
        (
            Function::Floor | Function::Ceil | Function::Round | Function::Abs,
            Value::Numeric(n @ (Numeric::NaN | Numeric::Infinity | Numeric::NegInfinity)),
        ) => Value::Numeric(match (f, n) {
            (Function::Abs, Numeric::NegInfinity) => Numeric::Infinity,
            (_, n) => n,
        }),
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

fn builtin(b: Builtin, args: &[Value]) -> Result<Value> {
    if let Builtin::Range(f, kind) = b {
        return crate::types::range::eval(f, kind, args);
    }
    if let Some(v) = bytea::eval(b, args) {
        return v;
    }
    if let Some(v) = digest::eval(b, args) {
        return v;
    }
    if let Some(v) = extension::eval(b, args) {
        return v;
    }
    if let Some(v) = misc::eval(b, args) {
        return v;
    }
    if let Some(v) = volatile::eval(b, args) {
        return v;
    }
    if let Some(v) = compat::eval(b, args) {
        return v;
    }
    if let Some(v) = text::eval(b, args) {
        return v;
    }
    if let Some(v) = jsonb_edit::eval(b, args) {
        return v;
    }
    if let Some(v) = codec::eval(b, args) {
        return v;
    }
    if let Some(v) = math::eval(b, args) {
        return v;
    }
    if let Some(v) = temporal::eval(b, args) {
        return v;
    }
    if let Some(v) = arrays::eval(b, args) {
        return v;
    }
    containers::eval(b, args)
}

pub(crate) use arrays::{accumulate as accumulate_arrays, concat as array_concat};

/// The error for a builtin called with argument values it does not take (the binder should
/// have prevented it).
fn bad_args(b: Builtin, args: &[Value]) -> Error {
    Error::undefined_function(format!(
        "function {}({}) does not exist",
        format!("{b:?}").to_lowercase(),
        args.iter()
            .map(|a| crate::types::value_type(a).map_or("unknown".into(), |t| t.to_string()))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// An integer argument of any width.
fn int_arg(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Int2(n) => Some(i64::from(*n)),
        Value::Int4(n) => Some(i64::from(*n)),
        Value::Int8(n) => Some(*n),
        _ => None,
    }
}

/// A text argument.
fn text_arg(v: Option<&Value>) -> Option<&str> {
    match v? {
        Value::Text(s) => Some(s),
        _ => None,
    }
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

/// Lower-cases character by character, as PostgreSQL's `lower` does with libc's `towlower`: no
/// final-sigma rule (`ΣΑΣ` → `σασ`), and `İ` becomes a plain `i`.
fn lower(s: &str) -> String {
    s.chars().map(lower_char).collect()
}

/// One character lower-cased as libc's `towlower` does it: its first lower-case character.
fn lower_char(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// Upper-cases character by character, as PostgreSQL's `upper` does with libc's `toupper`: a
/// character whose upper case is more than one character (`ß`) stays as it is.
fn upper(s: &str) -> String {
    s.chars().map(upper_char).collect()
}

/// One character upper-cased as libc's `towupper` does it: unchanged when its upper case is
/// more than one character.
fn upper_char(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    }
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
