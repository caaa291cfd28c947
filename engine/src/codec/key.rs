//! The order-preserving key encoding of tuples: primary keys and secondary-index keys.
//!
//! Invariant: for two tuples `a` and `b` of the same column types,
//! `encode_key(a).cmp(&encode_key(b))` equals comparing `a` and `b` column by column with
//! [`Value::sql_cmp`], so a prolly map ordered by key bytes is ordered like SQL orders the
//! tuples. Each value's encoding is self-delimiting, so no tuple's encoding is a prefix of
//! another's with the same types, and a key can be extended with more columns (an index key
//! followed by the primary key) without breaking the order.
//!
//! Values that `sql_cmp` calls equal get identical bytes, with these canonicalizations and one
//! exception:
//! - float -0.0 is encoded as 0.0, and every NaN as one quiet NaN, so both decode canonicalized;
//! - numeric keeps no scale in keys: `1.0` and `1.00` encode identically and decode as `1`
//!   (trailing zeros dropped); the exact value is kept by the row encoding;
//! - EXCEPTION, intervals: the key holds total microseconds (month = 30 days) and then months
//!   and days, so that it decodes losslessly. `'1 month'` and `'30 days'` are therefore distinct
//!   keys, adjacent in key order, although PostgreSQL calls them equal: key order refines
//!   `sql_cmp` by (months, days) among equal intervals.
//! - EXCEPTION, arrays: arrays that are one-dimensional from 1 (or empty) keep the layout they
//!   had before other shapes existed and sort first; every other array sorts after all of them
//!   (PostgreSQL orders by elements first). Among themselves, both groups order as `array_cmp`.
//!
//! Every multi-byte number is written big-endian, because these bytes must sort.

use std::borrow::Borrow;

use bigdecimal::num_bigint::{BigInt, Sign};
use bigdecimal::BigDecimal;

use super::varint::Reader;
use crate::errinput;
use crate::error::Result;
use crate::value::{
    Array, Dim, Interval, Numeric, Type, Value, DAYS_PER_MONTH, MAX_DIMS, MICROS_PER_DAY,
};

/// Marker before a present value.
const PRESENT: u8 = 0x01;
/// Marker for NULL; above `PRESENT`, so NULL sorts last (NULLS LAST).
const NULL: u8 = 0x02;
/// Ends an array; below both markers, so a shorter array sorts first.
const ARRAY_END: u8 = 0x00;
/// Starts the body of an array that is not one-dimensional from 1; above both value markers and
/// the array end, so such an array sorts after every plain one and never prefixes one.
const ARRAY_SHAPE: u8 = 0x03;
/// In strings, 0x00 is written as 0x00 0xFF and the string ends with 0x00 0x01.
const ESCAPE: u8 = 0x00;
const ESCAPED_ZERO: u8 = 0xFF;
const STRING_END: u8 = 0x01;
/// Numeric class bytes, in PostgreSQL's order.
const NUMERIC_NEG_INFINITY: u8 = 0x00;
const NUMERIC_NEGATIVE: u8 = 0x01;
const NUMERIC_ZERO: u8 = 0x02;
const NUMERIC_POSITIVE: u8 = 0x03;
const NUMERIC_INFINITY: u8 = 0x04;
const NUMERIC_NAN: u8 = 0x05;
/// Ends the digits of a positive numeric (below every digit byte 1..=100); a negative's
/// digits are inverted and end with the inverse, 0xFF.
const DIGITS_END: u8 = 0x00;
/// The one NaN floats are canonicalized to: positive, quiet, no payload.
const CANONICAL_NAN_F32: u32 = 0x7fc0_0000;
const CANONICAL_NAN_F64: u64 = 0x7ff8_0000_0000_0000;
/// A decoded numeric with a negative scale of at most this many digits is rewritten with
/// scale 0 (`1E+3` decodes as `1000`). PostgreSQL allows 131072 digits before the point.
const MAX_EXPANDED_DIGITS: i64 = 131_072;

// Layout: the values one after another, each as `encode_value` writes it. Nothing else: no
// count, no types (the caller knows the types).
/// Appends the order-preserving encoding of the tuple `values` of types `types` to `out`.
/// Fails with `InvalidInput` if the lengths differ or a value does not match its type.
pub fn encode_key<V: Borrow<Value>>(values: &[V], types: &[Type], out: &mut Vec<u8>) -> Result<()> {
    if values.len() != types.len() {
        errinput!(
            "key has {} values for {} columns",
            values.len(),
            types.len()
        );
    }
    for (column, (value, ty)) in values.iter().zip(types).enumerate() {
        let value = value.borrow();
        if !value.type_matches(ty) {
            errinput!("key column {column}: value does not match type {ty}");
        }
        encode_value(value, ty, out)?;
    }
    Ok(())
}

/// Decodes a tuple of types `types` written by [`encode_key`]. Fails with `InvalidInput` on
/// malformed, non-canonical, truncated or trailing bytes; never panics.
/// Like [`decode_key`], but hands each value to `put` (with its index) instead of building a
/// vector.
pub fn decode_key_with(
    bytes: &[u8],
    types: &[Type],
    mut put: impl FnMut(usize, Value),
) -> Result<()> {
    let mut reader = Reader::new(bytes, "key");
    for (i, ty) in types.iter().enumerate() {
        put(i, decode_value(&mut reader, ty)?);
    }
    reader.finish()
}

pub fn decode_key(bytes: &[u8], types: &[Type]) -> Result<Vec<Value>> {
    let mut reader = Reader::new(bytes, "key");
    let values = types
        .iter()
        .map(|ty| decode_value(&mut reader, ty))
        .collect::<Result<_>>()?;
    reader.finish()?;
    Ok(values)
}

// Layout of one value: marker 0x02 for NULL; else marker 0x01 then the body by type:
//   bool                      0x00 false, 0x01 true
//   int2/int4/int8, date      two's complement with the sign bit flipped, big-endian (2/4/8/4)
//   time/timestamp/tstz       i64 like int8
//   float4/float8             canonicalized (see `sortable_f64`), big-endian (4/8)
//   text family, bytea        bytes with 0x00 escaped as 0x00 0xFF, then 0x00 0x01
//   numeric                   see `encode_numeric`
//   interval                  see `encode_interval`
//   uuid                      16 raw bytes
//   array                     each element as a value (marker and body), then 0x00
/// Appends one value of type `ty`; the caller has checked `value.type_matches(ty)`.
fn encode_value(value: &Value, ty: &Type, out: &mut Vec<u8>) -> Result<()> {
    if value.is_null() {
        out.push(NULL);
        return Ok(());
    }
    out.push(PRESENT);
    match value {
        Value::Null => {} // written above
        Value::Bool(b) => out.push(u8::from(*b)),
        Value::Int2(v) => out.extend_from_slice(&(v ^ i16::MIN).to_be_bytes()),
        Value::Int4(v) | Value::Date(v) => out.extend_from_slice(&(v ^ i32::MIN).to_be_bytes()),
        Value::Int8(v) | Value::Time(v) | Value::Timestamp(v) | Value::TimestampTz(v) => {
            out.extend_from_slice(&(v ^ i64::MIN).to_be_bytes());
        }
        Value::Float4(v) => out.extend_from_slice(&sortable_f32(*v).to_be_bytes()),
        Value::Float8(v) => out.extend_from_slice(&sortable_f64(*v).to_be_bytes()),
        Value::Numeric(n) => encode_numeric(n, out)?,
        Value::Text(s) => encode_bytes(s.as_bytes(), out),
        Value::Bytea(b) => encode_bytes(b, out),
        Value::Interval(i) => encode_interval(i, out),
        Value::Uuid(u) => out.extend_from_slice(u),
        Value::Array(array) => encode_array(array, ty, out)?,
    }
    Ok(())
}

/// Decodes one value (marker and body) of type `ty`.
fn decode_value(reader: &mut Reader, ty: &Type) -> Result<Value> {
    match reader.byte()? {
        PRESENT => decode_body(reader, ty),
        NULL => Ok(Value::Null),
        marker => Err(reader.error(format!("bad value marker {marker:#04x}"))),
    }
}

/// Decodes the body of a present value of type `ty`.
fn decode_body(reader: &mut Reader, ty: &Type) -> Result<Value> {
    Ok(match ty {
        Type::Bool => Value::Bool(decode_bool(reader)?),
        Type::Int2 => Value::Int2(i16::from_be_bytes(reader.array()?) ^ i16::MIN),
        Type::Int4 => Value::Int4(i32::from_be_bytes(reader.array()?) ^ i32::MIN),
        Type::Date => Value::Date(i32::from_be_bytes(reader.array()?) ^ i32::MIN),
        Type::Int8 => Value::Int8(decode_i64(reader)?),
        Type::Time => Value::Time(decode_i64(reader)?),
        Type::Timestamp => Value::Timestamp(decode_i64(reader)?),
        Type::TimestampTz => Value::TimestampTz(decode_i64(reader)?),
        Type::Float4 => Value::Float4(unsortable_f32(u32::from_be_bytes(reader.array()?))),
        Type::Float8 => Value::Float8(unsortable_f64(u64::from_be_bytes(reader.array()?))),
        Type::Numeric { .. } => Value::Numeric(decode_numeric(reader)?),
        Type::Text
        | Type::Varchar(_)
        | Type::Char(_)
        | Type::Json
        | Type::Jsonb
        | Type::Enum(_)
        | Type::Range(_) => {
            let bytes = decode_bytes(reader)?;
            Value::Text(String::from_utf8(bytes).map_err(|e| reader.error(e))?)
        }
        Type::Bytea => Value::Bytea(decode_bytes(reader)?),
        Type::Interval => Value::Interval(decode_interval(reader)?),
        Type::Uuid => Value::Uuid(reader.array()?),
        Type::Array(element) => Value::Array(decode_array(reader, element)?),
    })
}

fn decode_bool(reader: &mut Reader) -> Result<bool> {
    match reader.byte()? {
        0 => Ok(false),
        1 => Ok(true),
        b => Err(reader.error(format!("bad bool {b:#04x}"))),
    }
}

/// An i64 written big-endian with the sign bit flipped.
fn decode_i64(reader: &mut Reader) -> Result<i64> {
    Ok(i64::from_be_bytes(reader.array()?) ^ i64::MIN)
}

/// Maps a float to bits that sort as unsigned integers in PostgreSQL's float order: -0.0
/// becomes 0.0 and any NaN the canonical NaN (above +Infinity); then negative floats have all
/// bits inverted (larger magnitude sorts first) and others the sign bit flipped.
fn sortable_f64(value: f64) -> u64 {
    let bits = if value.is_nan() {
        CANONICAL_NAN_F64
    } else if value == 0.0 {
        0 // -0.0 too
    } else {
        value.to_bits()
    };
    if bits >> 63 == 1 {
        !bits
    } else {
        bits ^ (1 << 63)
    }
}

/// The inverse of [`sortable_f64`] (for canonical floats).
fn unsortable_f64(bits: u64) -> f64 {
    f64::from_bits(if bits >> 63 == 1 {
        bits ^ (1 << 63)
    } else {
        !bits
    })
}

/// [`sortable_f64`] for f32.
fn sortable_f32(value: f32) -> u32 {
    let bits = if value.is_nan() {
        CANONICAL_NAN_F32
    } else if value == 0.0 {
        0 // -0.0 too
    } else {
        value.to_bits()
    };
    if bits >> 31 == 1 {
        !bits
    } else {
        bits ^ (1 << 31)
    }
}

/// The inverse of [`sortable_f32`] (for canonical floats).
fn unsortable_f32(bits: u32) -> f32 {
    f32::from_bits(if bits >> 31 == 1 {
        bits ^ (1 << 31)
    } else {
        !bits
    })
}

// Layout: the bytes with each 0x00 written as 0x00 0xFF, then 0x00 0x01. The terminator sorts
// below any continuation, so a string sorts before its extensions; 0x00 sorts below 0x01..0xFF.
/// Appends an escaped, terminated byte string.
fn encode_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    for chunk in bytes.split_inclusive(|&b| b == ESCAPE) {
        out.extend_from_slice(chunk);
        if chunk.last() == Some(&ESCAPE) {
            out.push(ESCAPED_ZERO);
        }
    }
    out.extend_from_slice(&[ESCAPE, STRING_END]);
}

/// Reads an escaped, terminated byte string.
fn decode_bytes(reader: &mut Reader) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    loop {
        match reader.byte()? {
            ESCAPE => match reader.byte()? {
                ESCAPED_ZERO => bytes.push(0),
                STRING_END => return Ok(bytes),
                b => return Err(reader.error(format!("bad string escape {b:#04x}"))),
            },
            b => bytes.push(b),
        }
    }
}

// Layout: each element as a value (marker 0x01/0x02 and body), then 0x00. 0x00 sorts below
// both markers, so an array sorts before its extensions. An array that is not one-dimensional
// from 1 is 0x03 | the same | ndims u8 | each length u32 big-endian | each lower bound i32
// big-endian sign-flipped, so that equal elements order by ndims, lengths, lower bounds.
/// Appends an array: for other shapes than one dimension from 1, a mark; the elements; the
/// terminator; then that shape.
fn encode_array(array: &Array, ty: &Type, out: &mut Vec<u8>) -> Result<()> {
    let element_type = ty.element().unwrap_or(&Type::Bool); // type_matches guarantees an array
    if !array.is_plain() {
        out.push(ARRAY_SHAPE);
    }
    for element in array.elements() {
        encode_value(element, element_type, out)?;
    }
    out.push(ARRAY_END);
    if !array.is_plain() {
        out.push(array.ndims() as u8); // at most MAX_DIMS
        for dim in array.dims() {
            let len = u32::try_from(dim.len).map_err(|_| {
                crate::error::Error::InvalidInput(format!("array length {} too large", dim.len))
            })?;
            out.extend_from_slice(&len.to_be_bytes());
        }
        for dim in array.dims() {
            out.extend_from_slice(&(dim.lower ^ i32::MIN).to_be_bytes());
        }
    }
    Ok(())
}

fn decode_array(reader: &mut Reader, element: &Type) -> Result<Array> {
    let shaped = reader.peek() == Some(ARRAY_SHAPE);
    if shaped {
        reader.byte()?;
    }
    let mut elements = Vec::new();
    while reader.peek() != Some(ARRAY_END) {
        elements.push(decode_value(reader, element)?);
    }
    reader.byte()?; // ARRAY_END
    if !shaped {
        return Ok(Array::new(elements));
    }
    let ndims = usize::from(reader.byte()?);
    if ndims > MAX_DIMS {
        return Err(reader.error(format!("array with {ndims} dimensions")));
    }
    let mut lens = Vec::with_capacity(ndims);
    for _ in 0..ndims {
        lens.push(u32::from_be_bytes(reader.array()?) as usize);
    }
    let mut dims = Vec::with_capacity(ndims);
    for len in lens {
        let lower = i32::from_be_bytes(reader.array()?) ^ i32::MIN;
        dims.push(Dim { len, lower });
    }
    let array =
        Array::with_dims(elements, dims).map_err(|e| reader.error(format!("array shape {e:?}")))?;
    if array.is_plain() {
        return Err(reader.error("non-canonical array shape"));
    }
    Ok(array)
}

// Layout: total microseconds (1 month = 30 days, as PostgreSQL's interval_cmp) as i128
// big-endian with the sign bit flipped (16 bytes) | months i32 big-endian sign-flipped |
// days i32 big-endian sign-flipped. The total orders the key; months and days make it
// lossless (micros = total - (months * 30 + days) days), and break ties between intervals
// PostgreSQL calls equal, such as '1 month' and '30 days'.
/// Appends an interval.
fn encode_interval(interval: &Interval, out: &mut Vec<u8>) {
    out.extend_from_slice(&(interval.total_micros() ^ i128::MIN).to_be_bytes());
    out.extend_from_slice(&(interval.months ^ i32::MIN).to_be_bytes());
    out.extend_from_slice(&(interval.days ^ i32::MIN).to_be_bytes());
}

fn decode_interval(reader: &mut Reader) -> Result<Interval> {
    let total = i128::from_be_bytes(reader.array()?) ^ i128::MIN;
    let months = i32::from_be_bytes(reader.array()?) ^ i32::MIN;
    let days = i32::from_be_bytes(reader.array()?) ^ i32::MIN;
    let whole_days = i128::from(months) * i128::from(DAYS_PER_MONTH) + i128::from(days);
    let micros = total - whole_days * i128::from(MICROS_PER_DAY);
    let micros = i64::try_from(micros).map_err(|_| reader.error("interval out of range"))?;
    Ok(Interval {
        months,
        days,
        micros,
    })
}

// Layout: a class byte, in PostgreSQL's order: 0x00 -Infinity, 0x01 negative, 0x02 zero,
// 0x03 positive, 0x04 Infinity, 0x05 NaN. A finite non-zero value, normalized as
// |value| = 0.d1 d2 … dn × 10^e with d1 ≠ 0 and dn ≠ 0 (no trailing zeros, so no scale), then
// has:
//   e           i32 big-endian with the sign bit flipped (4 bytes)
//   digits      in pairs, byte = 1 + 10 × d(2k-1) + d(2k) (1..=100); an odd last digit is
//               paired with 0; then 0x00
// For a negative value the exponent and digit bytes are all bit-inverted and the terminator is
// 0xFF, so larger magnitudes sort first. A larger e means a larger magnitude because d1 ≠ 0;
// with equal e the digit bytes compare like the fractions, and the terminator sorts below any
// digit, so 0.1 < 0.101. A value whose e does not fit an i32 cannot be a key (InvalidInput).
/// Appends a numeric; fails if its exponent does not fit an i32.
fn encode_numeric(numeric: &Numeric, out: &mut Vec<u8>) -> Result<()> {
    let class = match numeric {
        Numeric::NegInfinity => NUMERIC_NEG_INFINITY,
        Numeric::Infinity => NUMERIC_INFINITY,
        Numeric::NaN => NUMERIC_NAN,
        Numeric::Finite(decimal) => return encode_finite_numeric(decimal, out),
    };
    out.push(class);
    Ok(())
}

/// Appends a finite numeric: its class, then for non-zero values exponent and digits.
fn encode_finite_numeric(decimal: &BigDecimal, out: &mut Vec<u8>) -> Result<()> {
    let Some((negative, exponent, digits)) = normalize(decimal) else {
        out.push(NUMERIC_ZERO);
        return Ok(());
    };
    let Ok(exponent) = i32::try_from(exponent) else {
        errinput!("numeric exponent {exponent} is out of range for a key");
    };
    let invert = |b: u8| if negative { !b } else { b };
    let class = if negative {
        NUMERIC_NEGATIVE
    } else {
        NUMERIC_POSITIVE
    };
    out.push(class);
    out.extend((exponent ^ i32::MIN).to_be_bytes().map(invert));
    for pair in digits.chunks(2) {
        let low = pair.get(1).copied().unwrap_or(0);
        out.push(invert(1 + 10 * pair[0] + low));
    }
    out.push(invert(DIGITS_END));
    Ok(())
}

/// Splits a non-zero decimal into (negative, e, digits d1..dn) with |value| = 0.d1…dn × 10^e
/// and no trailing zero digits. `None` for zero.
fn normalize(decimal: &BigDecimal) -> Option<(bool, i128, Vec<u8>)> {
    let (int, scale) = decimal.as_bigint_and_scale();
    let (sign, mut digits) = int.to_radix_be(10);
    if sign == Sign::NoSign {
        return None;
    }
    // usize -> i128 is lossless on every platform Rust supports.
    let exponent = digits.len() as i128 - i128::from(scale);
    let significant = digits
        .iter()
        .rposition(|&d| d != 0)
        .map_or(0, |last| last + 1);
    digits.truncate(significant);
    Some((sign == Sign::Minus, exponent, digits))
}

fn decode_numeric(reader: &mut Reader) -> Result<Numeric> {
    let negative = match reader.byte()? {
        NUMERIC_NEG_INFINITY => return Ok(Numeric::NegInfinity),
        NUMERIC_INFINITY => return Ok(Numeric::Infinity),
        NUMERIC_NAN => return Ok(Numeric::NaN),
        NUMERIC_ZERO => return Ok(Numeric::Finite(BigDecimal::from(0))),
        NUMERIC_NEGATIVE => true,
        NUMERIC_POSITIVE => false,
        b => return Err(reader.error(format!("bad numeric class {b:#04x}"))),
    };
    let invert = |b: u8| if negative { !b } else { b };
    let exponent = i32::from_be_bytes(reader.array::<4>()?.map(invert)) ^ i32::MIN;
    let digits = decode_digits(reader, invert)?;
    let magnitude = BigInt::from_radix_be(Sign::Plus, &digits, 10)
        .ok_or_else(|| reader.error("bad numeric digits"))?;
    let int = if negative { -magnitude } else { magnitude };
    // |value| = 0.d1…dn × 10^e = int × 10^(e - n), so scale = n - e.
    let scale = digits.len() as i64 - i64::from(exponent);
    let decimal = BigDecimal::new(int, scale);
    Ok(Numeric::Finite(match scale {
        s if (-MAX_EXPANDED_DIGITS..0).contains(&s) => decimal.with_scale(0),
        _ => decimal,
    }))
}

/// Reads digit pairs up to the terminator, undoing `invert`; rejects non-canonical digits
/// (empty, a leading zero, a trailing zero).
fn decode_digits(reader: &mut Reader, invert: impl Fn(u8) -> u8) -> Result<Vec<u8>> {
    let mut digits = Vec::new();
    loop {
        match invert(reader.byte()?) {
            DIGITS_END => break,
            b @ 1..=100 => digits.extend([(b - 1) / 10, (b - 1) % 10]),
            b => return Err(reader.error(format!("bad numeric digit pair {b:#04x}"))),
        }
    }
    if digits.last() == Some(&0) {
        digits.pop(); // the padding of an odd last digit
    }
    match (digits.first(), digits.last()) {
        (Some(1..=9), Some(1..=9)) => Ok(digits),
        _ => Err(reader.error("non-canonical numeric digits")),
    }
}
