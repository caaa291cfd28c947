//! Parquet files for `vdb table import` and `vdb table export`: the mapping between Parquet's
//! column types and vdb's, reading a file's rows as values, and writing a table's rows.
//!
//! | vdb | Parquet (written) | also read from |
//! |---|---|---|
//! | boolean | BOOLEAN | |
//! | smallint, integer, bigint | INT32 (INT(16)), INT32, INT64 | INT(8), unsigned INT(8/16/32/64) |
//! | real, double precision | FLOAT, DOUBLE | FLOAT16 |
//! | numeric(p,s), p <= 38, s >= 0 | FIXED_LEN_BYTE_ARRAY(16) DECIMAL(p,s) | DECIMAL in INT32, INT64, BYTE_ARRAY |
//! | numeric, interval | BYTE_ARRAY STRING (PostgreSQL's text) | |
//! | text, varchar, char, enums | BYTE_ARRAY STRING | ENUM |
//! | json, jsonb | BYTE_ARRAY JSON | |
//! | bytea | BYTE_ARRAY | FIXED_LEN_BYTE_ARRAY, BSON |
//! | date | INT32 DATE | |
//! | time | INT64 TIME(MICROS) | TIME(MILLIS, NANOS) |
//! | timestamp, timestamptz | INT64 TIMESTAMP(MICROS, adjusted to UTC: false, true) | MILLIS, NANOS, INT96 |
//! | uuid | FIXED_LEN_BYTE_ARRAY(16) UUID | |
//! | one-dimensional arrays | LIST of the element's type | two-level LISTs |
//!
//! Every top-level column is written OPTIONAL. Files carry key-value metadata naming the data:
//! `vdb.table`, `vdb.revision`, `vdb.table_hash` (the table's content address) and `vdb.commit`
//! when the exported data is that commit's.
//!
//! Reading goes through the parquet crate's row API. That API panics on a few type annotations
//! it does not convert, so [`ParquetSource::open`] maps every column first and refuses what it
//! does not know; a damaged file can still make the crate panic, so reading runs under
//! `catch_unwind` and turns a panic into an error.

use crate::context::Result;
use crate::fail;
use parquet::basic::{Compression, LogicalType, Repetition, TimeUnit, Type as Physical};
use parquet::data_type::{
    BoolType, ByteArray, ByteArrayType, DoubleType, FixedLenByteArray, FixedLenByteArrayType,
    FloatType, Int32Type, Int64Type,
};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::{SerializedColumnWriter, SerializedFileWriter};
use parquet::record::{Field, Row};
use parquet::schema::types::{Type as ParquetType, TypePtr};
use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use vdb_engine::value::{Numeric, Type, Value};

/// Days from 1970-01-01 (Parquet's epoch) to 2000-01-01 (vdb's and PostgreSQL's).
const EPOCH_DAYS: i64 = 10_957;
/// Microseconds from 1970-01-01 00:00 to 2000-01-01 00:00.
const EPOCH_MICROS: i64 = EPOCH_DAYS * 86_400_000_000;
/// Rows per row group written.
const ROW_GROUP: usize = 65_536;

/// How a leaf (a column, or a list's elements) turns Parquet values into vdb values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Leaf {
    /// The row API's value already says what it is.
    Plain,
    /// INT64 counting in this unit; `utc`: a timestamptz.
    Timestamp {
        unit: Unit,
        utc: bool,
    },
    /// INT32 or INT64 time of day in this unit.
    Time(Unit),
    Uuid,
    /// Bytes in a column without a string annotation.
    Bytes,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Millis,
    Micros,
    Nanos,
}

impl Unit {
    fn of(unit: &TimeUnit) -> Unit {
        match unit {
            TimeUnit::MILLIS => Unit::Millis,
            TimeUnit::MICROS => Unit::Micros,
            TimeUnit::NANOS => Unit::Nanos,
        }
    }

    /// A count in this unit as microseconds (rounded toward negative infinity).
    fn micros(self, n: i64) -> i64 {
        match self {
            Unit::Millis => n.saturating_mul(1_000),
            Unit::Micros => n,
            Unit::Nanos => n.div_euclid(1_000),
        }
    }
}

/// A top-level column of a Parquet file: its name, the vdb type it reads as, and how.
#[derive(Clone, Debug)]
pub struct SourceColumn {
    pub name: String,
    pub ty: Type,
    leaf: Leaf,
}

/// A Parquet file opened for reading.
pub struct ParquetSource {
    reader: SerializedFileReader<File>,
    pub columns: Vec<SourceColumn>,
}

impl ParquetSource {
    /// Opens `path` and maps its columns; a column of a type vdb cannot hold is an error.
    pub fn open(path: &Path) -> Result<ParquetSource> {
        let file = File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let reader = quietly(|| SerializedFileReader::new(file))
            .and_then(|r| r.map_err(|e| e.to_string()))
            .map_err(|e| format!("{} is not a readable Parquet file: {e}", path.display()))?;
        let schema = reader.metadata().file_metadata().schema_descr_ptr();
        let columns = schema
            .root_schema()
            .get_fields()
            .iter()
            .map(|field| {
                let (ty, leaf) =
                    column_type(field).map_err(|e| format!("column \"{}\": {e}", field.name()))?;
                Ok(SourceColumn {
                    name: field.name().to_string(),
                    ty,
                    leaf,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ParquetSource { reader, columns })
    }

    /// The number of rows the file says it holds.
    pub fn row_count(&self) -> u64 {
        u64::try_from(self.reader.metadata().file_metadata().num_rows()).unwrap_or(0)
    }

    /// Hands each row (values in column order) to `each`, with its 1-based row number.
    pub fn for_each_row(&self, mut each: impl FnMut(u64, Vec<Value>) -> Result<()>) -> Result<()> {
        let mut failure: Option<Box<dyn std::error::Error>> = None;
        let read = quietly(|| -> std::result::Result<(), String> {
            let rows = self.reader.get_row_iter(None).map_err(|e| e.to_string())?;
            for (i, row) in rows.enumerate() {
                let n = i as u64 + 1;
                let row = row.map_err(|e| format!("row {n}: {e}"))?;
                let values = self.row_values(&row).map_err(|e| format!("row {n}: {e}"))?;
                if let Err(e) = each(n, values) {
                    failure = Some(e);
                    return Ok(());
                }
            }
            Ok(())
        });
        if let Some(e) = failure {
            return Err(e);
        }
        Ok(read.and_then(|r| r)?)
    }

    fn row_values(&self, row: &Row) -> std::result::Result<Vec<Value>, String> {
        row.get_column_iter()
            .zip(&self.columns)
            .map(|((_, field), column)| {
                value(field, &column.ty, column.leaf)
                    .map_err(|e| format!("column \"{}\": {e}", column.name))
            })
            .collect()
    }
}

/// Runs `f`, turning a panic into an error and keeping its message off stderr.
fn quietly<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    result.map_err(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("unreadable data");
        format!("the Parquet reader failed: {what}")
    })
}

/// The vdb type of a top-level Parquet field, and how its values read.
fn column_type(field: &ParquetType) -> std::result::Result<(Type, Leaf), String> {
    if field.is_primitive() {
        return leaf_type(field);
    }
    let is_list = matches!(
        field.get_basic_info().logical_type_ref(),
        Some(LogicalType::List)
    ) || field.get_basic_info().converted_type()
        == parquet::basic::ConvertedType::LIST;
    let fields = field.get_fields();
    if !is_list || fields.len() != 1 {
        return Err(
            "nested groups, maps and structs cannot be imported; flatten them into columns".into(),
        );
    }
    // LIST: a repeated group holding the element (three levels), or the repeated element
    // itself (the older two-level form).
    let repeated = &fields[0];
    let element = if repeated.is_group() && repeated.get_fields().len() == 1 {
        &repeated.get_fields()[0]
    } else {
        repeated
    };
    if !element.is_primitive() {
        return Err("lists of lists or of structs cannot be imported".into());
    }
    let (ty, leaf) = leaf_type(element)?;
    Ok((Type::Array(Box::new(ty)), leaf))
}

/// The vdb type of a primitive Parquet column. Only annotations the row API converts are
/// accepted (it panics on the others).
fn leaf_type(field: &ParquetType) -> std::result::Result<(Type, Leaf), String> {
    use parquet::basic::ConvertedType as C;
    let info = field.get_basic_info();
    let logical = info.logical_type_ref();
    let converted = info.converted_type();
    let physical = field.get_physical_type();
    let decimal = || Type::Numeric {
        precision_scale: Some((
            u32::try_from(field.get_precision()).unwrap_or(0),
            field.get_scale(),
        )),
    };
    let plain = |ty: Type| Ok((ty, Leaf::Plain));
    match (physical, converted, logical) {
        (Physical::BOOLEAN, C::NONE, _) => plain(Type::Bool),
        (Physical::INT32, C::INT_8 | C::INT_16, _) => plain(Type::Int2),
        (Physical::INT32, C::NONE | C::INT_32 | C::UINT_8 | C::UINT_16, _) => plain(Type::Int4),
        (Physical::INT32, C::UINT_32, _) => plain(Type::Int8),
        (Physical::INT32, C::DATE, _) => plain(Type::Date),
        (Physical::INT32, C::TIME_MILLIS, _) => Ok((Type::Time, Leaf::Time(Unit::Millis))),
        (Physical::INT32 | Physical::INT64, C::DECIMAL, _) => plain(decimal()),
        (
            Physical::INT64,
            C::NONE,
            Some(LogicalType::Timestamp {
                is_adjusted_to_u_t_c,
                unit,
            }),
        )
        | (
            Physical::INT64,
            C::TIMESTAMP_MILLIS | C::TIMESTAMP_MICROS,
            Some(LogicalType::Timestamp {
                is_adjusted_to_u_t_c,
                unit,
            }),
        ) => Ok((
            if *is_adjusted_to_u_t_c {
                Type::TimestampTz
            } else {
                Type::Timestamp
            },
            Leaf::Timestamp {
                unit: Unit::of(unit),
                utc: *is_adjusted_to_u_t_c,
            },
        )),
        // Written before logical types: adjusted to UTC, as the converted types meant.
        (Physical::INT64, C::TIMESTAMP_MILLIS, _) => Ok((
            Type::TimestampTz,
            Leaf::Timestamp {
                unit: Unit::Millis,
                utc: true,
            },
        )),
        (Physical::INT64, C::TIMESTAMP_MICROS, _) => Ok((
            Type::TimestampTz,
            Leaf::Timestamp {
                unit: Unit::Micros,
                utc: true,
            },
        )),
        (Physical::INT64, C::NONE, Some(LogicalType::Time { unit, .. })) => {
            Ok((Type::Time, Leaf::Time(Unit::of(unit))))
        }
        (Physical::INT64, C::TIME_MICROS, _) => Ok((Type::Time, Leaf::Time(Unit::Micros))),
        (Physical::INT64, C::NONE | C::INT_64, None | Some(LogicalType::Integer { .. })) => {
            plain(Type::Int8)
        }
        (Physical::INT64, C::UINT_64, _) => plain(Type::Numeric {
            precision_scale: Some((20, 0)),
        }),
        // INT96: the old nanosecond timestamps (Spark, Impala); the row API gives milliseconds.
        (Physical::INT96, _, _) => Ok((
            Type::Timestamp,
            Leaf::Timestamp {
                unit: Unit::Millis,
                utc: false,
            },
        )),
        (Physical::FLOAT, _, _) => plain(Type::Float4),
        (Physical::DOUBLE, _, _) => plain(Type::Float8),
        (Physical::BYTE_ARRAY, C::UTF8 | C::ENUM, _) => plain(Type::Text),
        (Physical::BYTE_ARRAY, C::JSON, _) => plain(Type::Jsonb),
        (Physical::BYTE_ARRAY | Physical::FIXED_LEN_BYTE_ARRAY, C::DECIMAL, _) => plain(decimal()),
        (Physical::FIXED_LEN_BYTE_ARRAY, C::NONE, Some(LogicalType::Uuid))
            if matches!(
                field,
                ParquetType::PrimitiveType {
                    type_length: 16,
                    ..
                }
            ) =>
        {
            Ok((Type::Uuid, Leaf::Uuid))
        }
        (Physical::FIXED_LEN_BYTE_ARRAY, C::NONE, Some(LogicalType::Float16)) => {
            plain(Type::Float4)
        }
        (Physical::BYTE_ARRAY, C::NONE | C::BSON, _)
        | (Physical::FIXED_LEN_BYTE_ARRAY, C::NONE, _) => Ok((Type::Bytea, Leaf::Bytes)),
        _ => Err(format!(
            "Parquet type {physical} ({}) cannot be imported",
            logical.map_or_else(|| converted.to_string(), |l| format!("{l:?}"))
        )),
    }
}

/// A Parquet value as a vdb value of `ty` (the column's type as [`column_type`] gave it).
fn value(field: &Field, ty: &Type, leaf: Leaf) -> std::result::Result<Value, String> {
    if let Field::ListInternal(list) = field {
        let element = ty
            .element()
            .ok_or("a list in a column that is not a list")?;
        let items = list
            .elements()
            .iter()
            .map(|f| value(f, element, leaf))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        return Ok(Value::array(items));
    }
    Ok(match (field, leaf) {
        (Field::Null, _) => Value::Null,
        (Field::Bool(b), _) => Value::Bool(*b),
        (Field::Byte(v), _) => Value::Int2(i16::from(*v)),
        (Field::Short(v), _) => Value::Int2(*v),
        (Field::UByte(v), _) => Value::Int4(i32::from(*v)),
        (Field::UShort(v), _) => Value::Int4(i32::from(*v)),
        (Field::UInt(v), _) => Value::Int8(i64::from(*v)),
        (Field::ULong(v), _) => Value::Numeric(numeric(&v.to_string())?),
        (Field::Int(v), Leaf::Time(unit)) | (Field::TimeMillis(v), Leaf::Time(unit)) => {
            Value::Time(unit.micros(i64::from(*v)))
        }
        (Field::Int(v), _) => Value::Int4(*v),
        (Field::Long(v) | Field::TimeMicros(v), Leaf::Time(unit)) => Value::Time(unit.micros(*v)),
        (
            Field::Long(v) | Field::TimestampMillis(v) | Field::TimestampMicros(v),
            Leaf::Timestamp { unit, utc },
        ) => {
            let micros = unit.micros(*v).saturating_sub(EPOCH_MICROS);
            if utc {
                Value::TimestampTz(micros)
            } else {
                Value::Timestamp(micros)
            }
        }
        (Field::Long(v), _) => Value::Int8(*v),
        (Field::Float16(v), _) => Value::Float4(f32::from(*v)),
        (Field::Float(v), _) => Value::Float4(*v),
        (Field::Double(v), _) => Value::Float8(*v),
        (Field::Decimal(d), _) => Value::Numeric(decimal_value(d.data(), d.scale())?),
        (Field::Str(s), _) => Value::Text(s.clone()),
        (Field::Bytes(b), Leaf::Uuid) => Value::Uuid(
            b.data()
                .try_into()
                .map_err(|_| "a UUID that is not 16 bytes")?,
        ),
        (Field::Bytes(b), _) => Value::Bytea(b.data().to_vec()),
        (Field::Date(days), _) => Value::Date(
            i32::try_from(i64::from(*days) - EPOCH_DAYS).map_err(|_| "date out of range")?,
        ),
        (other, _) => return Err(format!("cannot read the value {other} as {ty}")),
    })
}

fn numeric(text: &str) -> std::result::Result<Numeric, String> {
    text.parse::<Numeric>()
        .map_err(|_| format!("\"{text}\" is not a valid numeric"))
}

/// A DECIMAL's big-endian two's-complement unscaled bytes, at `scale`.
fn decimal_value(bytes: &[u8], scale: i32) -> std::result::Result<Numeric, String> {
    if bytes.len() > 16 {
        return Err("decimals wider than 16 bytes (precision over 38) cannot be imported".into());
    }
    let fill = if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        0xff
    } else {
        0
    };
    let mut wide = [fill; 16];
    wide[16 - bytes.len()..].copy_from_slice(bytes);
    let unscaled = i128::from_be_bytes(wide);
    numeric(&format!("{unscaled}e{}", -i64::from(scale)))
}

// ---------------------------------------------------------------------------------------------
// Writing

/// How a vdb column is written.
#[derive(Clone, Debug)]
struct Target {
    name: String,
    /// The leaf's writer, for a column or a list's elements.
    leaf: Out,
    list: bool,
}

/// The physical form a leaf is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Out {
    Bool,
    Int16,
    Int32,
    Int64,
    Float,
    Double,
    /// FIXED_LEN_BYTE_ARRAY(16) DECIMAL with this scale.
    Decimal(i32),
    /// PostgreSQL's text for the value (strings, unconstrained numerics, intervals).
    Text,
    Bytes,
    Date,
    Time,
    Timestamp,
    Uuid,
}

/// The Parquet field for a leaf of vdb type `ty`, and how it is written.
fn leaf_field(name: &str, ty: &Type, repetition: Repetition) -> Result<(ParquetType, Out)> {
    let build = |physical: Physical, logical: Option<LogicalType>| {
        ParquetType::primitive_type_builder(name, physical)
            .with_repetition(repetition)
            .with_logical_type(logical)
    };
    let micros = TimeUnit::MICROS;
    let (builder, out) = match ty {
        Type::Bool => (build(Physical::BOOLEAN, None), Out::Bool),
        Type::Int2 => (
            build(
                Physical::INT32,
                Some(LogicalType::Integer {
                    bit_width: 16,
                    is_signed: true,
                }),
            ),
            Out::Int16,
        ),
        Type::Int4 => (build(Physical::INT32, None), Out::Int32),
        Type::Int8 => (build(Physical::INT64, None), Out::Int64),
        Type::Float4 => (build(Physical::FLOAT, None), Out::Float),
        Type::Float8 => (build(Physical::DOUBLE, None), Out::Double),
        Type::Numeric {
            precision_scale: Some((precision, scale)),
        } if (1..=38).contains(precision) && *scale >= 0 => {
            let precision = i32::try_from(*precision).unwrap_or(38);
            (
                build(
                    Physical::FIXED_LEN_BYTE_ARRAY,
                    Some(LogicalType::Decimal {
                        scale: *scale,
                        precision,
                    }),
                )
                .with_length(16)
                .with_precision(precision)
                .with_scale(*scale),
                Out::Decimal(*scale),
            )
        }
        Type::Json | Type::Jsonb => (
            build(Physical::BYTE_ARRAY, Some(LogicalType::Json)),
            Out::Text,
        ),
        Type::Bytea => (build(Physical::BYTE_ARRAY, None), Out::Bytes),
        Type::Date => (build(Physical::INT32, Some(LogicalType::Date)), Out::Date),
        Type::Time => (
            build(
                Physical::INT64,
                Some(LogicalType::Time {
                    is_adjusted_to_u_t_c: false,
                    unit: micros,
                }),
            ),
            Out::Time,
        ),
        Type::Timestamp | Type::TimestampTz => (
            build(
                Physical::INT64,
                Some(LogicalType::Timestamp {
                    is_adjusted_to_u_t_c: *ty == Type::TimestampTz,
                    unit: micros,
                }),
            ),
            Out::Timestamp,
        ),
        Type::Uuid => (
            build(Physical::FIXED_LEN_BYTE_ARRAY, Some(LogicalType::Uuid)).with_length(16),
            Out::Uuid,
        ),
        Type::Array(_) => fail!("arrays of arrays cannot be written to Parquet"),
        // Text, varchar, char, enums, unconstrained numeric, interval.
        _ => (
            build(Physical::BYTE_ARRAY, Some(LogicalType::String)),
            Out::Text,
        ),
    };
    Ok((builder.build()?, out))
}

/// The Parquet schema and writers for a table's columns.
fn targets(columns: &[(String, Type)]) -> Result<(TypePtr, Vec<Target>)> {
    let mut fields = Vec::with_capacity(columns.len());
    let mut targets = Vec::with_capacity(columns.len());
    for (name, ty) in columns {
        let (field, leaf, list) = match ty.element() {
            Some(element) => {
                let (item, leaf) = leaf_field("element", element, Repetition::OPTIONAL)?;
                let repeated = ParquetType::group_type_builder("list")
                    .with_repetition(Repetition::REPEATED)
                    .with_fields(vec![Arc::new(item)])
                    .build()?;
                let list = ParquetType::group_type_builder(name)
                    .with_repetition(Repetition::OPTIONAL)
                    .with_logical_type(Some(LogicalType::List))
                    .with_fields(vec![Arc::new(repeated)])
                    .build()?;
                (list, leaf, true)
            }
            None => {
                let (field, leaf) = leaf_field(name, ty, Repetition::OPTIONAL)?;
                (field, leaf, false)
            }
        };
        fields.push(Arc::new(field));
        targets.push(Target {
            name: name.clone(),
            leaf,
            list,
        });
    }
    let schema = ParquetType::group_type_builder("schema")
        .with_fields(fields)
        .build()?;
    Ok((Arc::new(schema), targets))
}

/// One column's values for a row group, with Parquet's definition and repetition levels.
#[derive(Default)]
struct Levels {
    defs: Vec<i16>,
    reps: Vec<i16>,
    bools: Vec<bool>,
    ints: Vec<i32>,
    longs: Vec<i64>,
    floats: Vec<f32>,
    doubles: Vec<f64>,
    bytes: Vec<ByteArray>,
    fixed: Vec<FixedLenByteArray>,
}

impl Levels {
    /// Adds one leaf value (`present` definition level `def`) or a NULL one level below.
    fn push_leaf(&mut self, out: Out, value: &Value, def: i16, rep: i16) -> Result<()> {
        self.reps.push(rep);
        if value.is_null() {
            self.defs.push(def - 1);
            return Ok(());
        }
        self.defs.push(def);
        match (out, value) {
            (Out::Bool, Value::Bool(b)) => self.bools.push(*b),
            (Out::Int16, Value::Int2(v)) => self.ints.push(i32::from(*v)),
            (Out::Int32, Value::Int4(v)) => self.ints.push(*v),
            (Out::Int64, Value::Int8(v)) => self.longs.push(*v),
            (Out::Float, Value::Float4(v)) => self.floats.push(*v),
            (Out::Double, Value::Float8(v)) => self.doubles.push(*v),
            (Out::Decimal(scale), Value::Numeric(Numeric::Finite(d))) => {
                let (unscaled, _) = d.with_scale(i64::from(scale)).as_bigint_and_exponent();
                let bytes = unscaled.to_signed_bytes_be();
                if bytes.len() > 16 {
                    fail!("numeric {d} does not fit its column's precision");
                }
                // Minimal two's complement: the first byte's high bit is the sign.
                let fill = if bytes.first().is_some_and(|b| b & 0x80 != 0) {
                    0xff
                } else {
                    0
                };
                let mut wide = vec![fill; 16];
                wide[16 - bytes.len()..].copy_from_slice(&bytes);
                self.fixed.push(FixedLenByteArray::from(wide));
            }
            (Out::Decimal(_), Value::Numeric(other)) => {
                fail!("numeric {other} cannot be written as a Parquet DECIMAL")
            }
            (Out::Bytes, Value::Bytea(b)) => self.bytes.push(ByteArray::from(b.clone())),
            (Out::Text, v) => self.bytes.push(ByteArray::from(
                vdb_sql::types::to_pg_text(v)
                    .unwrap_or_default()
                    .into_bytes(),
            )),
            (Out::Date, Value::Date(d)) => self.ints.push(
                i32::try_from(i64::from(*d) + EPOCH_DAYS)
                    .map_err(|_| "an infinite date cannot be written to Parquet")?,
            ),
            (Out::Time, Value::Time(t)) => self.longs.push(*t),
            (Out::Timestamp, Value::Timestamp(t) | Value::TimestampTz(t)) => self.longs.push(
                t.checked_add(EPOCH_MICROS)
                    .ok_or("an infinite timestamp cannot be written to Parquet")?,
            ),
            (Out::Uuid, Value::Uuid(u)) => self.fixed.push(FixedLenByteArray::from(u.to_vec())),
            (out, v) => fail!("cannot write {v:?} as {out:?}"),
        }
        Ok(())
    }

    /// Adds a row's value of `target`: a plain leaf, or a list of leaves.
    fn push(&mut self, target: &Target, value: &Value) -> Result<()> {
        if !target.list {
            return self.push_leaf(target.leaf, value, 1, 0);
        }
        match value {
            Value::Array(array) if array.ndims() > 1 => fail!(
                "column \"{}\": multidimensional arrays cannot be written to Parquet",
                target.name
            ),
            Value::Array(array) if !array.elements().is_empty() => {
                for (i, element) in array.elements().iter().enumerate() {
                    self.push_leaf(target.leaf, element, 3, i16::from(i > 0))?;
                }
            }
            // The empty list: the list is defined, with no element.
            Value::Array(_) => {
                self.defs.push(1);
                self.reps.push(0);
            }
            _ => {
                self.defs.push(0);
                self.reps.push(0);
            }
        }
        Ok(())
    }

    fn write(self, column: &mut SerializedColumnWriter<'_>, target: &Target) -> Result<()> {
        let defs = Some(&self.defs[..]);
        let reps = target.list.then_some(&self.reps[..]);
        match target.leaf {
            Out::Bool => column
                .typed::<BoolType>()
                .write_batch(&self.bools, defs, reps)?,
            Out::Int16 | Out::Int32 | Out::Date => column
                .typed::<Int32Type>()
                .write_batch(&self.ints, defs, reps)?,
            Out::Int64 | Out::Time | Out::Timestamp => {
                column
                    .typed::<Int64Type>()
                    .write_batch(&self.longs, defs, reps)?
            }
            Out::Float => column
                .typed::<FloatType>()
                .write_batch(&self.floats, defs, reps)?,
            Out::Double => column
                .typed::<DoubleType>()
                .write_batch(&self.doubles, defs, reps)?,
            Out::Decimal(_) | Out::Uuid => {
                column
                    .typed::<FixedLenByteArrayType>()
                    .write_batch(&self.fixed, defs, reps)?
            }
            Out::Text | Out::Bytes => {
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&self.bytes, defs, reps)?
            }
        };
        Ok(())
    }
}

/// Writes a Parquet file to `path`: `columns` (names and types), then each row `rows` yields,
/// with `metadata` as the file's key-value metadata. Returns the number of rows written.
pub fn write(
    path: &Path,
    columns: &[(String, Type)],
    rows: impl Iterator<Item = Result<Vec<Value>>>,
    metadata: Vec<(String, String)>,
) -> Result<u64> {
    let (schema, targets) = targets(columns)?;
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_key_value_metadata(Some(
            metadata
                .into_iter()
                .map(|(k, v)| KeyValue::new(k, v))
                .collect(),
        ))
        .build();
    let file = File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let mut writer = SerializedFileWriter::new(file, schema, Arc::new(properties))?;
    let mut count = 0u64;
    let mut group: Vec<Vec<Value>> = Vec::with_capacity(ROW_GROUP);
    let mut rows = rows.peekable();
    while rows.peek().is_some() {
        group.clear();
        for row in rows.by_ref().take(ROW_GROUP) {
            group.push(row?);
        }
        let mut group_writer = writer.next_row_group()?;
        for (i, target) in targets.iter().enumerate() {
            let mut levels = Levels::default();
            for row in &group {
                levels
                    .push(target, &row[i])
                    .map_err(|e| format!("column \"{}\": {e}", target.name))?;
            }
            let mut column = group_writer
                .next_column()?
                .ok_or("the Parquet writer has fewer columns than the table")?;
            levels.write(&mut column, target)?;
            column.close()?;
        }
        group_writer.close()?;
        count += group.len() as u64;
    }
    writer.close()?;
    Ok(count)
}

/// The key-value metadata of the Parquet file at `path`.
#[cfg(test)]
pub fn metadata(path: &Path) -> Result<Vec<(String, String)>> {
    let source = ParquetSource::open(path)?;
    Ok(source
        .reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .map(|kvs| {
            kvs.iter()
                .map(|kv| (kv.key.clone(), kv.value.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use vdb_engine::value::Interval;

    fn columns() -> Vec<(String, Type)> {
        let t = |name: &str, ty: Type| (name.to_string(), ty);
        vec![
            t("b", Type::Bool),
            t("s", Type::Int2),
            t("i", Type::Int4),
            t("l", Type::Int8),
            t("f4", Type::Float4),
            t("f8", Type::Float8),
            t(
                "n",
                Type::Numeric {
                    precision_scale: Some((38, 4)),
                },
            ),
            t("tx", Type::Text),
            t("j", Type::Jsonb),
            t("by", Type::Bytea),
            t("d", Type::Date),
            t("tm", Type::Time),
            t("ts", Type::Timestamp),
            t("tz", Type::TimestampTz),
            t("u", Type::Uuid),
            t("arr", Type::Array(Box::new(Type::Float4))),
            t("iv", Type::Interval),
        ]
    }

    fn numeric(text: &str) -> Value {
        Value::Numeric(text.parse().unwrap())
    }

    #[test]
    fn rows_round_trip_through_a_file_with_their_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let full = vec![
            Value::Bool(true),
            Value::Int2(-2),
            Value::Int4(i32::MIN),
            Value::Int8(i64::MAX),
            Value::Float4(1.5),
            Value::Float8(f64::NAN),
            numeric("-1234567890123456789012345678901234.5678"),
            Value::Text("hé".into()),
            Value::Text("{\"a\": 1}".into()),
            Value::Bytea(vec![0, 255]),
            Value::Date(-10_958), // 1969-12-31
            Value::Time(86_399_999_999),
            Value::Timestamp(-1),
            Value::TimestampTz(1_000_000),
            Value::Uuid([7; 16]),
            Value::array(vec![Value::Float4(0.25), Value::Null]),
            Value::Interval(Interval {
                months: 1,
                days: 2,
                micros: 3,
            }),
        ];
        let mut empty_list = vec![Value::Null; full.len()];
        empty_list[15] = Value::array(Vec::new());
        empty_list[6] = numeric("0.0001");
        let nulls = vec![Value::Null; full.len()];
        let rows = vec![full.clone(), empty_list.clone(), nulls.clone()];
        let metadata = vec![("vdb.commit".to_string(), "abc".to_string())];
        let written = write(
            &path,
            &columns(),
            rows.into_iter().map(Ok),
            metadata.clone(),
        )
        .unwrap();
        assert_eq!(written, 3);

        let source = ParquetSource::open(&path).unwrap();
        let mut types: Vec<Type> = columns().into_iter().map(|(_, ty)| ty).collect();
        types[16] = Type::Text; // an interval is written as its text
        assert_eq!(
            source
                .columns
                .iter()
                .map(|c| c.ty.clone())
                .collect::<Vec<_>>(),
            types
        );
        let mut read = Vec::new();
        source
            .for_each_row(|n, values| {
                read.push((n, values));
                Ok(())
            })
            .unwrap();
        assert_eq!(read.len(), 3);
        let mut want = full;
        want[16] = Value::Text("1 mon 2 days 00:00:00.000003".into());
        for (i, (got, want)) in read[0].1.iter().zip(&want).enumerate() {
            // NaN is not equal to itself.
            if let (Value::Float8(a), Value::Float8(b)) = (got, want) {
                assert!(a.is_nan() && b.is_nan());
                continue;
            }
            assert_eq!(got, want, "column {i}");
        }
        assert_eq!(read[1].1, empty_list);
        assert_eq!(read[2].1, nulls);
        assert_eq!((read[0].0, read[2].0), (1, 3));
        assert!(super::metadata(&path).unwrap().contains(&metadata[0]));
    }

    #[test]
    fn values_parquet_cannot_hold_are_errors_and_leave_no_file_behind_the_caller() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let cols = vec![(
            "n".to_string(),
            Type::Numeric {
                precision_scale: Some((5, 0)),
            },
        )];
        let err = write(
            &path,
            &cols,
            std::iter::once(Ok(vec![Value::Numeric(Numeric::NaN)])),
            Vec::new(),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("cannot be written as a Parquet DECIMAL"),
            "{err}"
        );
        let cols = vec![("a".to_string(), Type::Array(Box::new(Type::Int4)))];
        let square = vdb_engine::array::Array::with_dims(
            vec![Value::Int4(1); 4],
            vec![
                vdb_engine::array::Dim { len: 2, lower: 1 },
                vdb_engine::array::Dim { len: 2, lower: 1 },
            ],
        )
        .unwrap();
        let err = write(
            &path,
            &cols,
            std::iter::once(Ok(vec![Value::Array(square)])),
            Vec::new(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("multidimensional"), "{err}");
    }

    #[test]
    fn decimals_read_from_two_complement_bytes() {
        assert_eq!(
            decimal_value(&[0xff, 0x85], 2).unwrap().to_string(),
            "-1.23"
        );
        assert_eq!(
            decimal_value(&[0x30, 0x39], 0).unwrap().to_string(),
            "12345"
        );
        assert!(decimal_value(&[0; 17], 0).is_err());
    }

    #[test]
    fn time_units_convert_to_microseconds() {
        assert_eq!(Unit::Millis.micros(3), 3_000);
        assert_eq!(Unit::Nanos.micros(-1), -1);
        assert_eq!(Unit::Nanos.micros(1_999), 1);
    }
}
