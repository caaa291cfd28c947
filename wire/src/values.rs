//! Values on the wire: the text and binary encodings of result values and parameter values
//! (type OIDs come from `vdb_sql::types`).
//!
//! The binary formats are PostgreSQL's `send`/`recv` formats (`src/backend/utils/adt/*.c`):
//! big-endian integers and IEEE floats, dates as days and timestamps as microseconds since
//! 2000-01-01 (the same epochs the engine uses), `numeric` as base-10000 digit groups, and
//! arrays with a header of dimensions and element OID.

use bytes::{BufMut, BytesMut};
use pgwire::api::Type as PgType;
use vdb_engine::value::{Array, Dim, Interval, Numeric, Type, Value};
use vdb_sql::types::{cast, to_pg_text, type_from_oid, type_oid};
use vdb_sql::{Error, Param, Result};

/// The type's fixed size as RowDescription reports it (-1 for variable length).
pub fn type_size(ty: &Type) -> i16 {
    match ty {
        Type::Bool => 1,
        Type::Int2 => 2,
        Type::Int4 | Type::Float4 | Type::Date => 4,
        Type::Int8 | Type::Float8 | Type::Time | Type::Timestamp | Type::TimestampTz => 8,
        Type::Interval | Type::Uuid => 16,
        _ => -1,
    }
}

/// Appends one field of a DataRow: its length and bytes, or -1 for NULL. `binary` is the
/// column's type when the client asked for the binary format (jsonb and arrays need it).
pub fn put_field(buf: &mut BytesMut, value: &Value, binary: Option<&PgType>) {
    if value.is_null() {
        buf.put_i32(-1);
        return;
    }
    let start = buf.len();
    buf.put_i32(0);
    if let Some(ty) = binary {
        put_binary(buf, value, ty);
    } else if let Some(text) = to_pg_text(value) {
        buf.put_slice(text.as_bytes());
    }
    let len = i32::try_from(buf.len() - start - 4).unwrap_or(i32::MAX);
    buf[start..start + 4].copy_from_slice(&len.to_be_bytes());
}

/// Appends a non-NULL value of type `ty` in PostgreSQL's binary format.
fn put_binary(buf: &mut BytesMut, value: &Value, ty: &PgType) {
    match value {
        Value::Null => {}
        Value::Bool(b) => buf.put_u8(u8::from(*b)),
        Value::Int2(n) => buf.put_i16(*n),
        Value::Int4(n) => buf.put_i32(*n),
        Value::Int8(n) => buf.put_i64(*n),
        Value::Float4(f) => buf.put_f32(*f),
        Value::Float8(f) => buf.put_f64(*f),
        Value::Numeric(n) => put_numeric(buf, n),
        Value::Text(s) => {
            // jsonb's binary format is a version number (1) and the text.
            if *ty == PgType::JSONB {
                buf.put_u8(1);
            }
            buf.put_slice(s.as_bytes());
        }
        Value::Bytea(b) => buf.put_slice(b),
        Value::Date(d) => buf.put_i32(*d),
        Value::Time(t) => buf.put_i64(*t),
        Value::Timestamp(t) | Value::TimestampTz(t) => buf.put_i64(*t),
        Value::Interval(Interval {
            months,
            days,
            micros,
        }) => {
            buf.put_i64(*micros);
            buf.put_i32(*days);
            buf.put_i32(*months);
        }
        Value::Uuid(u) => buf.put_slice(u),
        Value::Array(elements) => {
            let element = match type_from_oid(ty.oid()) {
                Some(Type::Array(element)) => {
                    PgType::from_oid(type_oid(&element)).unwrap_or(PgType::TEXT)
                }
                _ => elements
                    .iter()
                    .find(|e| !e.is_null())
                    .and_then(vdb_sql::types::value_type)
                    .and_then(|t| PgType::from_oid(type_oid(&t)))
                    .unwrap_or(PgType::TEXT),
            };
            // ndim | has nulls | element oid | (length, lower bound) per dimension | elements
            buf.put_i32(i32::try_from(elements.ndims()).unwrap_or(0));
            buf.put_i32(i32::from(elements.iter().any(Value::is_null)));
            buf.put_u32(element.oid());
            for dim in elements.dims() {
                buf.put_i32(i32::try_from(dim.len).unwrap_or(i32::MAX));
                buf.put_i32(dim.lower);
            }
            for value in elements.iter() {
                put_field(buf, value, Some(&element));
            }
        }
    }
}

/// PostgreSQL's binary numeric: digit count, weight, sign, display scale, base-10000 digits.
fn put_numeric(buf: &mut BytesMut, n: &Numeric) {
    let (sign, text) = match n {
        Numeric::NaN => (0xC000u16, String::new()),
        Numeric::Infinity => (0xD000, String::new()),
        Numeric::NegInfinity => (0xF000, String::new()),
        Numeric::Finite(_) => {
            // The plain digits (BigDecimal's own Display writes exponents: `1E-8`).
            let text = n.to_string();
            match text.strip_prefix('-') {
                Some(abs) => (0x4000, abs.to_string()),
                None => (0x0000, text),
            }
        }
    };
    if sign >= 0xC000 {
        buf.put_i16(0);
        buf.put_i16(0);
        buf.put_u16(sign);
        buf.put_i16(0);
        return;
    }
    let (int_part, frac_part) = text.split_once('.').unwrap_or((&text, ""));
    let dscale = i16::try_from(frac_part.len()).unwrap_or(i16::MAX);
    // Pad the integer part on the left and the fraction on the right to whole groups of four.
    let int_digits = int_part.trim_start_matches('0');
    let int_pad = (4 - int_digits.len() % 4) % 4;
    let frac_pad = (4 - frac_part.len() % 4) % 4;
    let all: String = "0".repeat(int_pad) + int_digits + frac_part + &"0".repeat(frac_pad);
    let mut groups: Vec<i16> = all
        .as_bytes()
        .chunks(4)
        .map(|c| {
            std::str::from_utf8(c)
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0)
        })
        .collect();
    let int_groups = (int_digits.len() + int_pad) / 4;
    let mut weight = i16::try_from(int_groups).unwrap_or(i16::MAX) - 1;
    // Strip leading zero groups (adjusting the weight) and trailing zero groups.
    while groups.first() == Some(&0) {
        groups.remove(0);
        weight -= 1;
    }
    while groups.last() == Some(&0) {
        groups.pop();
    }
    if groups.is_empty() {
        weight = 0;
    }
    buf.put_i16(i16::try_from(groups.len()).unwrap_or(i16::MAX));
    buf.put_i16(weight);
    buf.put_u16(sign);
    buf.put_i16(dscale);
    for g in groups {
        buf.put_i16(g);
    }
}

/// A parameter as the client sent it: in text or binary, with the type it declared (if any)
/// and the type the statement expects.
pub fn decode_param(
    bytes: Option<&[u8]>,
    binary: bool,
    declared: Option<&Type>,
    expected: &Type,
) -> Result<Param> {
    let Some(bytes) = bytes else {
        return Ok(match declared {
            Some(ty) => Param::Typed(Value::Null, ty.clone()),
            None => Param::Unknown(None),
        });
    };
    if !binary {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| protocol_error("invalid UTF-8 in a text parameter"))?
            .to_string();
        return match declared {
            None => Ok(Param::Unknown(Some(text))),
            Some(ty) => Ok(Param::Typed(cast(Value::Text(text), ty)?, ty.clone())),
        };
    }
    let ty = declared.unwrap_or(expected);
    Ok(Param::Typed(decode_binary(bytes, ty)?, ty.clone()))
}

fn protocol_error(message: &str) -> Error {
    Error::invalid("08P01", message)
}

fn fixed<const N: usize>(bytes: &[u8], ty: &Type) -> Result<[u8; N]> {
    bytes.try_into().map_err(|_| {
        Error::invalid(
            "22P03",
            format!("incorrect binary data format in bind parameter of type {ty}"),
        )
    })
}

/// A value from PostgreSQL's binary format for `ty`.
pub(crate) fn decode_binary(bytes: &[u8], ty: &Type) -> Result<Value> {
    Ok(match ty {
        Type::Bool => Value::Bool(fixed::<1>(bytes, ty)?[0] != 0),
        Type::Int2 => Value::Int2(i16::from_be_bytes(fixed(bytes, ty)?)),
        Type::Int4 => match bytes.len() {
            2 => Value::Int4(i32::from(i16::from_be_bytes(fixed(bytes, ty)?))),
            _ => Value::Int4(i32::from_be_bytes(fixed(bytes, ty)?)),
        },
        Type::Int8 => match bytes.len() {
            2 => Value::Int8(i64::from(i16::from_be_bytes(fixed(bytes, ty)?))),
            4 => Value::Int8(i64::from(i32::from_be_bytes(fixed(bytes, ty)?))),
            _ => Value::Int8(i64::from_be_bytes(fixed(bytes, ty)?)),
        },
        Type::Float4 => Value::Float4(f32::from_be_bytes(fixed(bytes, ty)?)),
        Type::Float8 => Value::Float8(f64::from_be_bytes(fixed(bytes, ty)?)),
        Type::Text | Type::Varchar(_) | Type::Char(_) | Type::Json => Value::Text(
            String::from_utf8(bytes.to_vec())
                .map_err(|_| protocol_error("invalid UTF-8 in a binary text parameter"))?,
        ),
        // An enum's binary form is its label, checked as text input is. vdb reads a range
        // parameter in its text form only (PostgreSQL's binary range format is not read).
        Type::Enum(_) | Type::Range(_) => cast(
            Value::Text(
                String::from_utf8(bytes.to_vec())
                    .map_err(|_| protocol_error("invalid UTF-8 in a binary enum parameter"))?,
            ),
            ty,
        )?,
        Type::Jsonb => match bytes.split_first() {
            Some((1, rest)) => cast(
                Value::Text(
                    String::from_utf8(rest.to_vec())
                        .map_err(|_| protocol_error("invalid UTF-8 in a jsonb parameter"))?,
                ),
                ty,
            )?,
            _ => return Err(protocol_error("unsupported jsonb version number")),
        },
        Type::Bytea => Value::Bytea(bytes.to_vec()),
        Type::Date => Value::Date(i32::from_be_bytes(fixed(bytes, ty)?)),
        Type::Time => Value::Time(i64::from_be_bytes(fixed(bytes, ty)?)),
        Type::Timestamp => Value::Timestamp(i64::from_be_bytes(fixed(bytes, ty)?)),
        Type::TimestampTz => Value::TimestampTz(i64::from_be_bytes(fixed(bytes, ty)?)),
        Type::Interval => {
            let b: [u8; 16] = fixed(bytes, ty)?;
            let mut micros = [0; 8];
            micros.copy_from_slice(&b[..8]);
            let mut days = [0; 4];
            days.copy_from_slice(&b[8..12]);
            let mut months = [0; 4];
            months.copy_from_slice(&b[12..]);
            Value::Interval(Interval {
                months: i32::from_be_bytes(months),
                days: i32::from_be_bytes(days),
                micros: i64::from_be_bytes(micros),
            })
        }
        Type::Uuid => Value::Uuid(fixed(bytes, ty)?),
        Type::Numeric { .. } => decode_numeric(bytes, ty)?,
        Type::Array(element) => decode_array(bytes, element)?,
    })
}

fn decode_numeric(bytes: &[u8], ty: &Type) -> Result<Value> {
    let bad = || Error::invalid("22P03", "invalid binary numeric parameter");
    if bytes.len() < 8 || (bytes.len() - 8) % 2 != 0 {
        return Err(bad());
    }
    let word = |i: usize| i16::from_be_bytes([bytes[i], bytes[i + 1]]);
    let ndigits = usize::try_from(word(0)).map_err(|_| bad())?;
    let weight = i32::from(word(2));
    let sign = u16::from_be_bytes([bytes[4], bytes[5]]);
    let dscale = usize::try_from(word(6)).map_err(|_| bad())?;
    if bytes.len() != 8 + 2 * ndigits {
        return Err(bad());
    }
    let text = match sign {
        0xC000 => "NaN".to_string(),
        0xD000 => "Infinity".to_string(),
        0xF000 => "-Infinity".to_string(),
        0x0000 | 0x4000 => {
            let mut int = String::new();
            let mut frac = String::new();
            for i in 0..ndigits {
                let group = word(8 + 2 * i);
                if !(0..10000).contains(&group) {
                    return Err(bad());
                }
                let position = weight - i32::try_from(i).map_err(|_| bad())?;
                if position >= 0 {
                    int.push_str(&format!("{group:04}"));
                } else {
                    frac.push_str(&format!("{group:04}"));
                }
            }
            // Groups between the last digit and the decimal point are zeros.
            let last = weight - i32::try_from(ndigits).map_err(|_| bad())? + 1;
            for _ in 0..last.max(0) {
                int.push_str("0000");
            }
            let leading_frac_zeros = usize::try_from((-weight - 1).max(0)).map_err(|_| bad())?;
            frac = "0000".repeat(leading_frac_zeros) + &frac;
            let int = int.trim_start_matches('0');
            let mut text = if int.is_empty() {
                "0".to_string()
            } else {
                int.to_string()
            };
            if dscale > 0 {
                frac.truncate(dscale);
                while frac.len() < dscale {
                    frac.push('0');
                }
                text.push('.');
                text.push_str(&frac);
            }
            if sign == 0x4000 {
                text.insert(0, '-');
            }
            text
        }
        _ => return Err(bad()),
    };
    cast(Value::Text(text), ty)
}

fn decode_array(bytes: &[u8], element: &Type) -> Result<Value> {
    let bad = || Error::invalid("22P03", "invalid binary array parameter");
    let int = |at: usize| -> Result<i32> {
        bytes
            .get(at..at + 4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(bad)
    };
    let ndim = usize::try_from(int(0)?).map_err(|_| bad())?;
    if ndim > vdb_engine::value::MAX_DIMS {
        return Err(bad());
    }
    let mut dims = Vec::with_capacity(ndim);
    for d in 0..ndim {
        let len = usize::try_from(int(12 + 8 * d)?).map_err(|_| bad())?;
        dims.push(Dim {
            len,
            lower: int(16 + 8 * d)?,
        });
    }
    let len = dims
        .iter()
        .try_fold(1usize, |n, d| n.checked_mul(d.len))
        .ok_or_else(bad)?;
    let len = if ndim == 0 { 0 } else { len };
    let mut at = 12 + 8 * ndim;
    let mut elements = Vec::with_capacity(len.min(1 << 16));
    for _ in 0..len {
        let n = int(at)?;
        at += 4;
        if n < 0 {
            elements.push(Value::Null);
            continue;
        }
        let n = usize::try_from(n).map_err(|_| bad())?;
        let body = bytes.get(at..at + n).ok_or_else(bad)?;
        elements.push(decode_binary(body, element)?);
        at += n;
    }
    Array::with_dims(elements, dims)
        .map(Value::Array)
        .map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(text: &str) -> Value {
        cast(
            Value::Text(text.into()),
            &Type::Numeric {
                precision_scale: None,
            },
        )
        .unwrap()
    }

    #[test]
    fn numerics_round_trip_through_the_binary_format() {
        for text in [
            "0",
            "1",
            "-1",
            "12345.678",
            "0.0001",
            "10000",
            "100000000",
            "-0.5",
            "3.14159",
            "123456789012345678901234567890.000000001",
            "0.00000001",
            "1e16",
            "-1e-10",
            "1.5e-7",
            "NaN",
            "Infinity",
            "-Infinity",
        ] {
            let value = numeric(text);
            let mut buf = BytesMut::new();
            put_binary(&mut buf, &value, &PgType::NUMERIC);
            let back = decode_binary(
                &buf,
                &Type::Numeric {
                    precision_scale: None,
                },
            )
            .unwrap();
            assert_eq!(to_pg_text(&back), to_pg_text(&value), "{text}");
        }
    }

    #[test]
    fn numeric_binary_layout_matches_postgresql() {
        // PostgreSQL sends 12345.678 as ndigits 3, weight 1, sign 0, dscale 3: 1 2345 6780.
        let mut buf = BytesMut::new();
        put_binary(&mut buf, &numeric("12345.678"), &PgType::NUMERIC);
        let words: Vec<i16> = buf
            .chunks(2)
            .map(|c| i16::from_be_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(words, vec![3, 1, 0, 3, 1, 2345, 6780]);
    }

    #[test]
    fn every_type_oid_maps_back() {
        use vdb_sql::types::type_from_oid;
        for ty in [
            Type::Bool,
            Type::Int2,
            Type::Int4,
            Type::Int8,
            Type::Float4,
            Type::Float8,
            Type::Text,
            Type::Bytea,
            Type::Date,
            Type::Timestamp,
            Type::TimestampTz,
            Type::Uuid,
            Type::Jsonb,
            Type::Array(Box::new(Type::Float4)),
        ] {
            assert_eq!(type_from_oid(type_oid(&ty)), Some(ty.clone()), "{ty}");
        }
    }

    #[test]
    fn malformed_binary_parameters_are_errors() {
        assert!(decode_binary(&[1, 2, 3], &Type::Int4).is_err());
        assert!(decode_numeric(&[0, 5, 0, 0, 0, 0, 0, 0], &Type::Text).is_err());
        assert!(decode_array(&[0, 0, 0, 1], &Type::Int4).is_err());
        assert_eq!(
            decode_binary(&[0, 7], &Type::Int8).unwrap(),
            Value::Int8(7),
            "psycopg sends int2 where int8 is expected"
        );
    }
}
