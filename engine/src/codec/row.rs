//! The compact row encoding: the value side of a table's primary map (and of any map that stores
//! whole rows). Unlike keys, rows need not sort; they must be small, exact and cheap to decode.
//!
//! Rows are exact: floats keep their bits (-0.0 and NaN payloads included) and numerics keep
//! their scale (`1.50` stays `1.50`). A row may hold fewer columns than the table now has:
//! decoding fills the missing trailing columns with NULL, so ADD COLUMN need not rewrite rows.
//!
//! Fixed-width numbers are little-endian: these bytes never need to sort.

use std::borrow::Borrow;

use super::varint::{put_ivarint, put_uvarint, Reader};
use crate::errinput;
use crate::error::Result;
use crate::value::{Array, Dim, Interval, Numeric, Type, Value};

/// Numerics with a scale in 0..=this are written as plain decimals (`1.50`); others as
/// `<digits>e<exponent>`, so that no value expands into a huge string. 16383 is PostgreSQL's
/// largest display scale (NUMERIC_DSCALE_MAX).
const MAX_PLAIN_SCALE: i64 = 16_383;

// Layout: uvarint column_count | null bitmap | each non-null value, in column order.
//   null bitmap   ceil(count / 8) bytes; bit i (byte i / 8, bit i % 8, LSB first) set means
//                 column i is NULL; padding bits are 0
//   value         by type, see `encode_body`
/// Appends the row `values` of types `types` to `out`. Fails with `InvalidInput` if the
/// lengths differ or a value does not match its type.
pub fn encode_row<V: Borrow<Value>>(values: &[V], types: &[Type], out: &mut Vec<u8>) -> Result<()> {
    if values.len() != types.len() {
        errinput!(
            "row has {} values for {} columns",
            values.len(),
            types.len()
        );
    }
    for (column, (value, ty)) in values.iter().zip(types).enumerate() {
        if !value.borrow().type_matches(ty) {
            errinput!("row column {column}: value does not match type {ty}");
        }
    }
    encode_seq(values, types.iter(), out);
    Ok(())
}

/// Decodes a row written by [`encode_row`] with the table's current `types`. Missing trailing
/// columns decode as NULL; more columns than `types`, or malformed bytes, are `InvalidInput`.
/// Never panics.
pub fn decode_row(bytes: &[u8], types: &[Type]) -> Result<Vec<Value>> {
    let mut reader = Reader::new(bytes, "row");
    let count = row_column_count(&mut reader, types)?;
    let mut values = decode_seq(&mut reader, count, |i| &types[i])?;
    reader.finish()?;
    values.resize(types.len(), Value::Null);
    Ok(values)
}

/// Like [`decode_row`], but hands each non-NULL column to `put` (with its index) instead of
/// building a vector: the caller places it, and columns it is not given are NULL.
pub fn decode_row_with(bytes: &[u8], types: &[Type], put: impl FnMut(usize, Value)) -> Result<()> {
    decode_row_filtered(bytes, types, |_| true, put)
}

/// [`decode_row_with`] for the columns `wanted` says (by position in `types`; missing
/// entries are not wanted): the others are skipped without being built.
pub fn decode_row_select(
    bytes: &[u8],
    types: &[Type],
    wanted: &[bool],
    put: impl FnMut(usize, Value),
) -> Result<()> {
    decode_row_filtered(
        bytes,
        types,
        |i| wanted.get(i).copied().unwrap_or(false),
        put,
    )
}

fn decode_row_filtered(
    bytes: &[u8],
    types: &[Type],
    want: impl Fn(usize) -> bool,
    mut put: impl FnMut(usize, Value),
) -> Result<()> {
    let mut reader = Reader::new(bytes, "row");
    let count = row_column_count(&mut reader, types)?;
    let bitmap = read_bitmap(&mut reader, count)?;
    for (i, ty) in types[..count].iter().enumerate() {
        if is_null(bitmap, i) {
            continue;
        }
        if want(i) {
            put(i, decode_body(&mut reader, ty)?);
        } else {
            skip_body(&mut reader, ty)?;
        }
    }
    reader.finish()
}

/// Decodes only column `index` of a row, skipping the fixed- and variable-width columns before
/// it without building them. Does not check the bytes after that column.
pub fn decode_row_column(bytes: &[u8], types: &[Type], index: usize) -> Result<Value> {
    if index >= types.len() {
        errinput!("column {index} out of range for {} columns", types.len());
    }
    let mut reader = Reader::new(bytes, "row");
    let count = row_column_count(&mut reader, types)?;
    if index >= count {
        return Ok(Value::Null); // added after this row was written
    }
    let bitmap = read_bitmap(&mut reader, count)?;
    if is_null(bitmap, index) {
        return Ok(Value::Null);
    }
    for (i, ty) in types[..index].iter().enumerate() {
        if !is_null(bitmap, i) {
            skip_body(&mut reader, ty)?;
        }
    }
    decode_body(&mut reader, &types[index])
}

/// Reads the column count, which may not exceed the number of types.
fn row_column_count(reader: &mut Reader, types: &[Type]) -> Result<usize> {
    let count = reader.length()?;
    if count > types.len() {
        return Err(reader.error(format!("{count} columns, table has {}", types.len())));
    }
    Ok(count)
}

/// Writes `uvarint count | null bitmap | non-null bodies`: a row, or an array's elements.
fn encode_seq<'a, V: Borrow<Value>>(
    values: &[V],
    types: impl Iterator<Item = &'a Type>,
    out: &mut Vec<u8>,
) {
    put_uvarint(out, values.len() as u64);
    let mut bitmap = vec![0u8; values.len().div_ceil(8)];
    for (i, _) in values
        .iter()
        .enumerate()
        .filter(|(_, v)| Borrow::<Value>::borrow(*v).is_null())
    {
        bitmap[i / 8] |= 1 << (i % 8);
    }
    out.extend_from_slice(&bitmap);
    for (value, ty) in values.iter().zip(types) {
        encode_body(value.borrow(), ty, out);
    }
}

/// Reads `count` values after the count: the null bitmap, then each non-null body, with
/// `type_of(i)` the type of value i.
fn decode_seq<'t>(
    reader: &mut Reader,
    count: usize,
    type_of: impl Fn(usize) -> &'t Type,
) -> Result<Vec<Value>> {
    let bitmap = read_bitmap(reader, count)?;
    let mut values = Vec::with_capacity(count); // count <= 8 * bitmap bytes read
    for i in 0..count {
        values.push(match is_null(bitmap, i) {
            true => Value::Null,
            false => decode_body(reader, type_of(i))?,
        });
    }
    Ok(values)
}

/// Reads a null bitmap for `count` values; its padding bits must be zero.
fn read_bitmap<'a>(reader: &mut Reader<'a>, count: usize) -> Result<&'a [u8]> {
    let bitmap = reader.take(count.div_ceil(8))?;
    let used_in_last = count % 8;
    if let (Some(last), 1..) = (bitmap.last(), used_in_last) {
        if last >> used_in_last != 0 {
            return Err(reader.error("null bitmap padding bits set"));
        }
    }
    Ok(bitmap)
}

fn is_null(bitmap: &[u8], i: usize) -> bool {
    bitmap[i / 8] & (1 << (i % 8)) != 0
}

// Layout of a non-null value by type:
//   bool 1 byte (0 or 1); int2 2, int4 4, int8 8, float4 4, float8 8 (IEEE bits), date i32 4,
//   time/timestamp/timestamptz i64 8: all little-endian
//   interval     months i32 | days i32 | micros i64, little-endian (16 bytes)
//   uuid         16 raw bytes
//   text family, bytea      uvarint length | bytes (UTF-8 for text)
//   numeric      uvarint length | ASCII text: `NaN`, `Infinity`, `-Infinity`, a plain decimal
//                keeping the scale (`-1.50`), or `<int>e<exponent>` when the scale is negative
//                or above 16383 (`15e3` is 15000 with scale -3)
//   array        one dimension from 1 (or empty): uvarint count | element null bitmap | each
//                non-null element, recursively (the layout since arrays were added);
//                any other shape: 0x80 0x00 | uvarint ndims | per dimension, outermost first,
//                uvarint length | zigzag varint lower bound | then the layout above. 0x80 0x00 is
//                an overlong varint, which no canonical count starts with, so the two never mix.
/// Appends a value's body; NULL has none (it is in the bitmap).
fn encode_body(value: &Value, ty: &Type, out: &mut Vec<u8>) {
    match value {
        Value::Null => {}
        Value::Bool(b) => out.push(u8::from(*b)),
        Value::Int2(v) => out.extend_from_slice(&v.to_le_bytes()),
        Value::Int4(v) | Value::Date(v) => out.extend_from_slice(&v.to_le_bytes()),
        Value::Int8(v) | Value::Time(v) | Value::Timestamp(v) | Value::TimestampTz(v) => {
            out.extend_from_slice(&v.to_le_bytes());
        }
        Value::Float4(v) => out.extend_from_slice(&v.to_le_bytes()),
        Value::Float8(v) => out.extend_from_slice(&v.to_le_bytes()),
        Value::Numeric(n) => put_bytes(numeric_text(n).as_bytes(), out),
        Value::Text(s) => put_bytes(s.as_bytes(), out),
        Value::Bytea(b) => put_bytes(b, out),
        Value::Interval(i) => encode_interval(i, out),
        Value::Uuid(u) => out.extend_from_slice(u),
        Value::Array(array) => {
            let element = ty.element().unwrap_or(&Type::Bool); // type_matches checked
            if !array.is_plain() {
                encode_shape(array.dims(), out);
            }
            encode_seq(array, std::iter::repeat(element), out);
        }
    }
}

/// Decodes the body of a non-null value of type `ty`.
fn decode_body(reader: &mut Reader, ty: &Type) -> Result<Value> {
    Ok(match ty {
        Type::Bool => match reader.byte()? {
            0 => Value::Bool(false),
            1 => Value::Bool(true),
            b => return Err(reader.error(format!("bad bool {b:#04x}"))),
        },
        Type::Int2 => Value::Int2(i16::from_le_bytes(reader.array()?)),
        Type::Int4 => Value::Int4(i32::from_le_bytes(reader.array()?)),
        Type::Date => Value::Date(i32::from_le_bytes(reader.array()?)),
        Type::Int8 => Value::Int8(i64::from_le_bytes(reader.array()?)),
        Type::Time => Value::Time(i64::from_le_bytes(reader.array()?)),
        Type::Timestamp => Value::Timestamp(i64::from_le_bytes(reader.array()?)),
        Type::TimestampTz => Value::TimestampTz(i64::from_le_bytes(reader.array()?)),
        Type::Float4 => Value::Float4(f32::from_le_bytes(reader.array()?)),
        Type::Float8 => Value::Float8(f64::from_le_bytes(reader.array()?)),
        Type::Numeric { .. } => Value::Numeric(decode_numeric(reader)?),
        Type::Text
        | Type::Varchar(_)
        | Type::Char(_)
        | Type::Json
        | Type::Jsonb
        | Type::Enum(_)
        | Type::Range(_) => Value::Text(decode_str(reader)?.to_string()),
        Type::Bytea => Value::Bytea(get_bytes(reader)?.to_vec()),
        Type::Interval => Value::Interval(decode_interval(reader)?),
        Type::Uuid => Value::Uuid(reader.array()?),
        Type::Array(element) => Value::Array(decode_array(reader, element)?),
    })
}

/// Marks an array body that starts with its shape: an overlong (never written) varint 0.
const SHAPE_MARK: [u8; 2] = [0x80, 0x00];

/// Appends `SHAPE_MARK | uvarint ndims | (uvarint length | ivarint lower bound) per dimension`.
fn encode_shape(dims: &[Dim], out: &mut Vec<u8>) {
    out.extend_from_slice(&SHAPE_MARK);
    put_uvarint(out, dims.len() as u64);
    for dim in dims {
        put_uvarint(out, dim.len as u64);
        put_ivarint(out, i64::from(dim.lower));
    }
}

/// Decodes an array body: an optional shape, then count, null bitmap and elements.
fn decode_array(reader: &mut Reader, element: &Type) -> Result<Array> {
    let shape = match reader.peek_n(2) == Some(&SHAPE_MARK[..]) {
        true => {
            reader.take(2)?;
            Some(decode_shape(reader)?)
        }
        false => None,
    };
    let count = reader.length()?;
    let elements = decode_seq(reader, count, |_| element)?;
    match shape {
        None => Ok(Array::new(elements)),
        Some(dims) => match Array::with_dims(elements, dims) {
            Ok(array) if !array.is_plain() => Ok(array),
            Ok(_) => Err(reader.error("non-canonical array shape")),
            Err(e) => Err(reader.error(format!("array shape {e:?}"))),
        },
    }
}

fn decode_shape(reader: &mut Reader) -> Result<Vec<Dim>> {
    let ndims = reader.length()?;
    if ndims > crate::value::MAX_DIMS {
        return Err(reader.error(format!("array with {ndims} dimensions")));
    }
    (0..ndims)
        .map(|_| {
            let len = reader.length()?;
            let lower = reader.ivarint()?;
            let lower = i32::try_from(lower).map_err(|_| reader.error("array lower bound"))?;
            Ok(Dim { len, lower })
        })
        .collect()
}

/// Steps over a non-null value's body without building it (arrays are decoded and dropped).
fn skip_body(reader: &mut Reader, ty: &Type) -> Result<()> {
    let width = match ty {
        Type::Bool => 1,
        Type::Int2 => 2,
        Type::Int4 | Type::Float4 | Type::Date => 4,
        Type::Int8 | Type::Float8 | Type::Time | Type::Timestamp | Type::TimestampTz => 8,
        Type::Interval | Type::Uuid => 16,
        Type::Array(_) => return decode_body(reader, ty).map(drop),
        _ => reader.length()?, // length-prefixed: text family, bytea, numeric
    };
    reader.take(width).map(drop)
}

/// Appends `uvarint length | bytes`.
fn put_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    put_uvarint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Reads `uvarint length | bytes`.
fn get_bytes<'a>(reader: &mut Reader<'a>) -> Result<&'a [u8]> {
    let len = reader.length()?;
    reader.take(len)
}

/// Reads `uvarint length | UTF-8 bytes`.
fn decode_str<'a>(reader: &mut Reader<'a>) -> Result<&'a str> {
    let bytes = get_bytes(reader)?;
    std::str::from_utf8(bytes).map_err(|e| reader.error(e))
}

fn encode_interval(interval: &Interval, out: &mut Vec<u8>) {
    out.extend_from_slice(&interval.months.to_le_bytes());
    out.extend_from_slice(&interval.days.to_le_bytes());
    out.extend_from_slice(&interval.micros.to_le_bytes());
}

fn decode_interval(reader: &mut Reader) -> Result<Interval> {
    let months = i32::from_le_bytes(reader.array()?);
    let days = i32::from_le_bytes(reader.array()?);
    let micros = i64::from_le_bytes(reader.array()?);
    Ok(Interval {
        months,
        days,
        micros,
    })
}

/// A numeric's exact text: PostgreSQL's output for plain scales, `<int>e<exponent>` otherwise.
fn numeric_text(numeric: &Numeric) -> String {
    match numeric {
        Numeric::Finite(decimal) => {
            let (int, scale) = decimal.as_bigint_and_scale();
            match scale {
                0..=MAX_PLAIN_SCALE => numeric.to_string(),
                _ => format!("{int}e{}", -i128::from(scale)),
            }
        }
        special => special.to_string(),
    }
}

fn decode_numeric(reader: &mut Reader) -> Result<Numeric> {
    let text = decode_str(reader)?;
    text.parse().map_err(|e| reader.error(e))
}
