//! Tests of the value model and the codecs: key bytes sort like `Value::sql_cmp`, keys and rows
//! round-trip, the byte formats are pinned by golden hex, and no input makes a decoder panic.

use std::cmp::Ordering;
use std::str::FromStr;

use bigdecimal::num_bigint::BigInt;
use bigdecimal::BigDecimal;
use proptest::prelude::*;
use vdb_engine::codec::{
    decode_key, decode_key_with, decode_row, decode_row_column, decode_row_with, encode_key,
    encode_row, get_uvarint, put_uvarint,
};
use vdb_engine::value::{Array, Dim, Interval, Numeric, Type, Value};

// ---------------------------------------------------------------------------------------------
// Helpers.

fn key(values: &[Value], types: &[Type]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_key(values, types, &mut out).expect("encode_key");
    out
}

fn row(values: &[Value], types: &[Type]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_row(values, types, &mut out).expect("encode_row");
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn num(s: &str) -> Value {
    Value::Numeric(Numeric::from_str(s).expect("numeric literal"))
}

/// The order key bytes must follow: `sql_cmp`, refined among PostgreSQL-equal intervals by
/// (months, days), and with arrays one-dimensional from 1 before all others: the documented
/// exceptions.
fn key_order(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Interval(x), Value::Interval(y)) => x
            .pg_cmp(y)
            .then(x.months.cmp(&y.months))
            .then(x.days.cmp(&y.days)),
        (Value::Array(x), Value::Array(y)) => (!x.is_plain())
            .cmp(&!y.is_plain())
            .then_with(|| tuple_order(x, y, key_order))
            .then_with(|| x.cmp_shape(y)),
        _ => a.sql_cmp(b),
    }
}

fn tuple_order(a: &[Value], b: &[Value], cmp: fn(&Value, &Value) -> Ordering) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| cmp(x, y))
        .find(|o| o.is_ne())
        .unwrap_or(a.len().cmp(&b.len()))
}

/// The float key encoding canonicalizes: -0.0 is 0.0, every NaN one NaN.
fn canonical_bits(v: f64) -> u64 {
    if v.is_nan() {
        f64::NAN.to_bits()
    } else if v == 0.0 {
        0
    } else {
        v.to_bits()
    }
}

/// Equality after a key round trip: floats modulo canonicalization, numerics by value.
fn same_after_key(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float4(x), Value::Float4(y)) => {
            canonical_bits(f64::from(*x)) == canonical_bits(f64::from(*y))
        }
        (Value::Float8(x), Value::Float8(y)) => canonical_bits(*x) == canonical_bits(*y),
        (Value::Array(x), Value::Array(y)) => {
            x.dims() == y.dims() && x.iter().zip(y).all(|(x, y)| same_after_key(x, y))
        }
        _ => a == b,
    }
}

/// `elements` as one dimension from 1 (`shape` 0), one dimension from `lower` (1), or two
/// dimensions of two rows from `lower` when the count is even (2).
fn shaped(elements: Vec<Value>, shape: u8, lower: i32) -> Array {
    let n = elements.len();
    let dims = match shape {
        1 => vec![Dim { len: n, lower }],
        2 if n % 2 == 0 => vec![
            Dim { len: 2, lower },
            Dim {
                len: n / 2,
                lower: 1,
            },
        ],
        _ => return Array::new(elements),
    };
    Array::with_dims(elements, dims).expect("a consistent shape")
}

// ---------------------------------------------------------------------------------------------
// Strategies: types, then values of a type, biased towards edges and collisions.

fn arb_leaf_type() -> impl Strategy<Value = Type> {
    prop_oneof![
        Just(Type::Bool),
        Just(Type::Int2),
        Just(Type::Int4),
        Just(Type::Int8),
        Just(Type::Float4),
        Just(Type::Float8),
        Just(Type::Numeric {
            precision_scale: None
        }),
        Just(Type::Text),
        Just(Type::Varchar(Some(10))),
        Just(Type::Char(3)),
        Just(Type::Bytea),
        Just(Type::Date),
        Just(Type::Time),
        Just(Type::Timestamp),
        Just(Type::TimestampTz),
        Just(Type::Interval),
        Just(Type::Uuid),
        Just(Type::Jsonb),
    ]
}

fn arb_type() -> impl Strategy<Value = Type> {
    arb_leaf_type().prop_recursive(2, 4, 1, |inner| {
        inner.prop_map(|t| Type::Array(Box::new(t)))
    })
}

fn arb_value(ty: &Type) -> BoxedStrategy<Value> {
    prop_oneof![1 => Just(Value::Null), 6 => arb_present(ty)].boxed()
}

fn arb_present(ty: &Type) -> BoxedStrategy<Value> {
    match ty {
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Int2 => prop_oneof![-3i16..3, any::<i16>()]
            .prop_map(Value::Int2)
            .boxed(),
        Type::Int4 => prop_oneof![-3i32..3, any::<i32>()]
            .prop_map(Value::Int4)
            .boxed(),
        Type::Date => prop_oneof![-3i32..3, any::<i32>()]
            .prop_map(Value::Date)
            .boxed(),
        Type::Int8 => arb_i64().prop_map(Value::Int8).boxed(),
        Type::Time => arb_i64().prop_map(Value::Time).boxed(),
        Type::Timestamp => arb_i64().prop_map(Value::Timestamp).boxed(),
        Type::TimestampTz => arb_i64().prop_map(Value::TimestampTz).boxed(),
        Type::Float4 => arb_f64().prop_map(|v| Value::Float4(v as f32)).boxed(),
        Type::Float8 => arb_f64().prop_map(Value::Float8).boxed(),
        Type::Numeric { .. } => arb_numeric().prop_map(Value::Numeric).boxed(),
        Type::Bytea => arb_bytes().prop_map(Value::Bytea).boxed(),
        Type::Interval => arb_interval().prop_map(Value::Interval).boxed(),
        Type::Uuid => prop_oneof![Just([0u8; 16]), Just([0xFF; 16]), any::<[u8; 16]>()]
            .prop_map(Value::Uuid)
            .boxed(),
        Type::Array(element) => (
            prop::collection::vec(arb_value(element), 0..5),
            0..3u8,
            -1i32..3,
        )
            .prop_map(|(elements, shape, lower)| Value::Array(shaped(elements, shape, lower)))
            .boxed(),
        _ => arb_text().prop_map(Value::Text).boxed(), // the text family
    }
}

fn arb_i64() -> impl Strategy<Value = i64> {
    prop_oneof![-3i64..3, Just(i64::MIN), Just(i64::MAX), any::<i64>()]
}

fn arb_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        Just(-0.0),
        Just(f64::NAN),
        Just(-f64::NAN),
        Just(f64::from_bits(0x7ff0_0000_0000_0001)), // a signalling NaN with a payload
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::MIN_POSITIVE),
        Just(-f64::from_bits(1)), // the smallest negative subnormal
        (-3i8..3).prop_map(f64::from),
        any::<f64>(),
    ]
}

fn arb_decimal() -> impl Strategy<Value = BigDecimal> {
    prop_oneof![
        // small values with small scales: 1, 1.0, 10e-1 … collide by value
        (-20i64..20, 0i64..3).prop_map(|(i, s)| BigDecimal::new(i.into(), s)),
        // few digits, few exponents: one value's digits often prefix another's (0.1, 0.101)
        ("-?[0-2]{1,4}", -2i64..4).prop_map(|(digits, s)| {
            let int = BigInt::parse_bytes(digits.as_bytes(), 10).unwrap_or_default();
            BigDecimal::new(int, s)
        }),
        (any::<i64>(), -20i64..20).prop_map(|(i, s)| BigDecimal::new(i.into(), s)),
        ("-?[0-9]{1,60}", -80i64..80).prop_map(|(digits, s)| {
            let int = BigInt::parse_bytes(digits.as_bytes(), 10).unwrap_or_default();
            BigDecimal::new(int, s)
        }),
    ]
}

fn arb_numeric() -> impl Strategy<Value = Numeric> {
    prop_oneof![
        1 => Just(Numeric::NaN),
        1 => Just(Numeric::Infinity),
        1 => Just(Numeric::NegInfinity),
        8 => arb_decimal().prop_map(Numeric::Finite),
    ]
}

/// Strings from a small alphabet (so prefixes and ties are common) that includes NUL.
fn arb_text() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        Just('\0'),
        Just('\u{1}'),
        Just('a'),
        Just('b'),
        Just('ÿ'),
        any::<char>()
    ];
    prop::collection::vec(ch, 0..5).prop_map(|chars| chars.into_iter().collect())
}

fn arb_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![Just(0u8), Just(1), Just(0xFF), Just(b'a'), any::<u8>()];
    prop::collection::vec(byte, 0..5)
}

fn arb_interval() -> impl Strategy<Value = Interval> {
    let small = (
        -2i32..2,
        prop_oneof![-2i32..2, 28i32..32],
        prop_oneof![Just(0i64), -2i64..2],
    );
    prop_oneof![small, (any::<i32>(), any::<i32>(), any::<i64>())].prop_map(
        |(months, days, micros)| Interval {
            months,
            days,
            micros,
        },
    )
}

/// Column types and several tuples of them.
fn arb_tuples() -> impl Strategy<Value = (Vec<Type>, Vec<Vec<Value>>)> {
    prop::collection::vec(arb_type(), 1..4).prop_flat_map(|types| {
        let tuple: Vec<BoxedStrategy<Value>> = types.iter().map(arb_value).collect();
        (Just(types), prop::collection::vec(tuple, 2..8))
    })
}

// ---------------------------------------------------------------------------------------------
// Properties.

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Key bytes order tuples like sql_cmp (with the interval refinement), pairwise.
    #[test]
    fn key_order_matches_sql_cmp((types, tuples) in arb_tuples()) {
        let keys: Vec<Vec<u8>> = tuples.iter().map(|t| key(t, &types)).collect();
        for (a, ka) in tuples.iter().zip(&keys) {
            for (b, kb) in tuples.iter().zip(&keys) {
                let expected = tuple_order(a, b, key_order);
                prop_assert_eq!(ka.cmp(kb), expected, "{:?} vs {:?}", a, b);
            }
        }
    }

    /// Many values of one column type: key bytes sort them like sql_cmp. Denser in ties and
    /// near-ties than the tuple test.
    #[test]
    fn single_column_key_order_matches_sql_cmp(
        (ty, values) in arb_type().prop_flat_map(|ty| {
            (Just(ty.clone()), prop::collection::vec(arb_value(&ty), 2..24))
        })
    ) {
        let types = [ty];
        for a in &values {
            let ka = key(std::slice::from_ref(a), &types);
            for b in &values {
                let kb = key(std::slice::from_ref(b), &types);
                prop_assert_eq!(ka.cmp(&kb), key_order(a, b), "{:?} vs {:?}", a, b);
            }
        }
    }

    /// Numerics whose digit strings prefix each other (12, 12.1, 12.01, -1.2, -1.21): key bytes
    /// sort them like sql_cmp. Pins the digit terminators, which rarer collisions miss.
    #[test]
    fn numeric_prefix_key_order_matches_sql_cmp(
        values in prop::collection::vec(("-?[0-2]{1,4}", 0i64..3), 2..32)
    ) {
        let types = [Type::Numeric { precision_scale: None }];
        let values: Vec<Value> = values
            .iter()
            .map(|(digits, scale)| {
                let int = BigInt::parse_bytes(digits.as_bytes(), 10).unwrap_or_default();
                Value::Numeric(Numeric::Finite(BigDecimal::new(int, *scale)))
            })
            .collect();
        for a in &values {
            for b in &values {
                let (ka, kb) = (key(std::slice::from_ref(a), &types), key(std::slice::from_ref(b), &types));
                prop_assert_eq!(ka.cmp(&kb), a.sql_cmp(b), "{:?} vs {:?}", a, b);
            }
        }
    }

    /// No tuple's key is a proper prefix of another's with the same types.
    #[test]
    fn keys_are_prefix_free((types, tuples) in arb_tuples()) {
        let keys: Vec<Vec<u8>> = tuples.iter().map(|t| key(t, &types)).collect();
        for ka in &keys {
            for kb in keys.iter().filter(|kb| *kb != ka) {
                prop_assert!(!kb.starts_with(ka), "{} prefixes {}", hex(ka), hex(kb));
            }
        }
    }

    /// decode_key inverts encode_key up to the documented canonicalizations, and re-encoding
    /// the decoded tuple gives the same bytes.
    #[test]
    fn key_round_trips((types, tuples) in arb_tuples()) {
        for tuple in &tuples {
            let bytes = key(tuple, &types);
            let decoded = decode_key(&bytes, &types).expect("decode_key");
            let mut placed = vec![Value::Null; types.len()];
            decode_key_with(&bytes, &types, |i, v| placed[i] = v).expect("decode_key_with");
            for (p, d) in placed.iter().zip(&decoded) {
                prop_assert!(p.identical(d), "{:?} placed as {:?}", d, p);
            }
            prop_assert_eq!(decoded.len(), tuple.len());
            for (d, t) in decoded.iter().zip(tuple) {
                prop_assert!(same_after_key(d, t), "{:?} decoded as {:?}", t, d);
            }
            prop_assert_eq!(key(&decoded, &types), bytes);
        }
    }

    /// decode_row inverts encode_row exactly (float bits, numeric scale), and decode_row_column
    /// agrees with it for every column.
    #[test]
    fn row_round_trips((types, tuples) in arb_tuples()) {
        for tuple in &tuples {
            let bytes = row(tuple, &types);
            let decoded = decode_row(&bytes, &types).expect("decode_row");
            prop_assert_eq!(decoded.len(), tuple.len());
            for (index, (d, t)) in decoded.iter().zip(tuple).enumerate() {
                prop_assert!(d.identical(t), "{:?} decoded as {:?}", t, d);
                let column = decode_row_column(&bytes, &types, index).expect("column");
                prop_assert!(column.identical(t), "column {}: {:?}", index, column);
            }
            // The placing decoder gives the same values (NULLs by not placing them).
            let mut placed = vec![Value::Null; types.len()];
            decode_row_with(&bytes, &types, |i, v| placed[i] = v).expect("decode_row_with");
            for (p, t) in placed.iter().zip(tuple) {
                prop_assert!(p.identical(t), "{:?} placed as {:?}", t, p);
            }
        }
    }

    /// A row written before columns were added decodes with NULLs for the new columns.
    #[test]
    fn row_with_fewer_columns_pads_nulls((types, tuples) in arb_tuples(), more in arb_type()) {
        let mut wider = types.clone();
        wider.push(more);
        let bytes = row(&tuples[0], &types);
        let decoded = decode_row(&bytes, &wider).expect("decode_row");
        prop_assert_eq!(decoded.last(), Some(&Value::Null));
        prop_assert_eq!(decode_row_column(&bytes, &wider, types.len()).ok(), Some(Value::Null));
        prop_assert!(decode_row(&bytes, &types[..types.len() - 1]).is_err());
    }

    /// Random bytes never make a decoder panic.
    #[test]
    fn random_bytes_never_panic(
        types in prop::collection::vec(arb_type(), 0..4),
        bytes in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let _ = decode_key(&bytes, &types);
        let _ = decode_row(&bytes, &types);
        for index in 0..=types.len() {
            let _ = decode_row_column(&bytes, &types, index);
        }
    }

    /// Valid encodings with one byte changed or cut short never make a decoder panic.
    #[test]
    fn corrupted_encodings_never_panic(
        (types, tuples) in arb_tuples(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        for bytes in [key(&tuples[0], &types), row(&tuples[0], &types)] {
            let i = at.index(bytes.len());
            let mut changed = bytes.clone();
            changed[i] = byte;
            for input in [&changed[..], &bytes[..i]] {
                let _ = decode_key(input, &types);
                let _ = decode_row(input, &types);
                let _ = decode_row_column(input, &types, types.len() - 1);
            }
        }
    }

    /// A numeric's text (Display) parses back to the same value, and to the same digits and
    /// scale unless the scale was negative (Display writes those as trailing zeros).
    #[test]
    fn numeric_text_round_trips(numeric in arb_numeric()) {
        let parsed = Numeric::from_str(&numeric.to_string()).expect("parse");
        prop_assert_eq!(parsed.cmp(&numeric), Ordering::Equal);
        let negative_scale = matches!(&numeric, Numeric::Finite(d) if d.as_bigint_and_scale().1 < 0);
        if !negative_scale {
            prop_assert!(Value::Numeric(parsed).identical(&Value::Numeric(numeric)));
        }
    }

    /// Varints round-trip and reject what they did not write (truncation).
    #[test]
    fn uvarint_round_trips(value in any::<u64>()) {
        let mut out = Vec::new();
        put_uvarint(&mut out, value);
        let mut pos = 0;
        prop_assert_eq!(get_uvarint(&out, &mut pos), Some(value));
        prop_assert_eq!(pos, out.len());
        let mut pos = 0;
        prop_assert_eq!(get_uvarint(&out[..out.len() - 1], &mut pos), None);
    }
}

// ---------------------------------------------------------------------------------------------
// Golden bytes: these pin the formats. Changing one breaks every stored table.

#[test]
fn golden_key_bytes() {
    let int_array = Type::Array(Box::new(Type::Int4));
    let cases: Vec<(Value, Type, &str)> = vec![
        (Value::Null, Type::Int4, "02"),
        (Value::Bool(true), Type::Bool, "0101"),
        (Value::Int2(-2), Type::Int2, "017ffe"),
        (Value::Int4(1), Type::Int4, "0180000001"),
        (Value::Int4(-1), Type::Int4, "017fffffff"),
        (Value::Int8(0), Type::Int8, "018000000000000000"),
        (Value::Float4(1.0), Type::Float4, "01bf800000"),
        (Value::Float8(1.0), Type::Float8, "01bff0000000000000"),
        (Value::Float8(-1.0), Type::Float8, "01400fffffffffffff"),
        (Value::Float8(-0.0), Type::Float8, "018000000000000000"),
        (Value::Float8(-f64::NAN), Type::Float8, "01fff8000000000000"),
        (Value::Text("a\0b".into()), Type::Text, "016100ff620001"),
        (Value::Text(String::new()), Type::Varchar(None), "010001"),
        (Value::Bytea(vec![0xFF, 0x00]), Type::Bytea, "01ff00ff0001"),
        (
            num("1.50"),
            Type::Numeric {
                precision_scale: None,
            },
            "0103800000011000",
        ),
        (
            num("-1.5"),
            Type::Numeric {
                precision_scale: None,
            },
            "01017ffffffeefff",
        ),
        (
            num("0.00"),
            Type::Numeric {
                precision_scale: None,
            },
            "0102",
        ),
        (
            num("120"),
            Type::Numeric {
                precision_scale: None,
            },
            "0103800000030d00",
        ),
        (
            num("NaN"),
            Type::Numeric {
                precision_scale: None,
            },
            "0105",
        ),
        (
            num("-Infinity"),
            Type::Numeric {
                precision_scale: None,
            },
            "0100",
        ),
        (Value::Date(1), Type::Date, "0180000001"),
        (
            Value::Interval(Interval {
                months: 1,
                days: 0,
                micros: 0,
            }),
            Type::Interval,
            "0180000000000000000000025b7f3d40008000000180000000",
        ),
        (
            Value::array(vec![Value::Int4(1), Value::Null]),
            int_array.clone(),
            "0101800000010200",
        ),
        (Value::array(vec![]), int_array.clone(), "0100"),
        (
            Value::Array(
                Array::with_dims(
                    vec![Value::Int4(1), Value::Int4(2)],
                    vec![Dim { len: 2, lower: 1 }, Dim { len: 1, lower: 0 }],
                )
                .unwrap(),
            ),
            int_array,
            concat!(
                "0103",
                "0180000001",
                "0180000002",
                "00",
                "02",
                "0000000200000001",
                "8000000180000000"
            ),
        ),
    ];
    for (value, ty, expected) in cases {
        let bytes = key(std::slice::from_ref(&value), std::slice::from_ref(&ty));
        assert_eq!(hex(&bytes), expected, "{value:?} as {ty}");
    }
}

#[test]
fn golden_row_bytes() {
    let types = [
        Type::Int4,
        Type::Text,
        Type::Text,
        Type::Numeric {
            precision_scale: None,
        },
    ];
    let values = [
        Value::Int4(1),
        Value::Null,
        Value::Text("hi".into()),
        num("1.50"),
    ];
    assert_eq!(
        hex(&row(&values, &types)),
        "040201000000026869".to_string() + "04312e3530"
    );

    let types = [
        Type::Array(Box::new(Type::Int2)),
        Type::Interval,
        Type::Float8,
    ];
    let values = [
        Value::array(vec![Value::Null, Value::Int2(-1)]),
        Value::Interval(Interval {
            months: 1,
            days: -1,
            micros: 2,
        }),
        Value::Float8(-0.0),
    ];
    let expected = "0300" // 3 columns, none NULL
        .to_string()
        + "0201ffff" // array: 2 elements, element 0 NULL, then -1 little-endian
        + "01000000ffffffff0200000000000000" // months, days, micros little-endian
        + "0000000000000080"; // -0.0 kept exactly
    assert_eq!(hex(&row(&values, &types)), expected);

    // Any other shape: 0x80 0x00, ndims, (length, zigzag lower bound) per dimension, then as above.
    let shaped = Array::with_dims(
        vec![Value::Int2(5), Value::Null],
        vec![Dim { len: 2, lower: 0 }],
    )
    .unwrap();
    let types = [Type::Array(Box::new(Type::Int2))];
    let expected = "0100".to_string() + "8000" + "01" + "0200" + "0202" + "0500";
    assert_eq!(hex(&row(&[Value::Array(shaped)], &types)), expected);

    let huge = [num("1e20000"), num("15e-20000")];
    let types = [
        Type::Numeric {
            precision_scale: None,
        },
        Type::Numeric {
            precision_scale: None,
        },
    ];
    let bytes = row(&huge, &types);
    let expected = "0200".to_string() + "0731653230303030" + "093135652d3230303030";
    assert_eq!(hex(&bytes), expected); // "1e20000", "15e-20000"
    let decoded = decode_row(&bytes, &types).unwrap();
    assert!(huge.iter().zip(&decoded).all(|(a, b)| a.identical(b)));
}

// ---------------------------------------------------------------------------------------------
// The value model.

#[test]
fn type_display_spells_like_postgres() {
    let cases = [
        (Type::Bool, "boolean"),
        (Type::Int2, "smallint"),
        (Type::Int4, "integer"),
        (Type::Int8, "bigint"),
        (Type::Float4, "real"),
        (Type::Float8, "double precision"),
        (
            Type::Numeric {
                precision_scale: None,
            },
            "numeric",
        ),
        (
            Type::Numeric {
                precision_scale: Some((10, 2)),
            },
            "numeric(10,2)",
        ),
        (Type::Varchar(None), "character varying"),
        (Type::Varchar(Some(10)), "character varying(10)"),
        (Type::Char(1), "character(1)"),
        (Type::Time, "time without time zone"),
        (Type::Timestamp, "timestamp without time zone"),
        (Type::TimestampTz, "timestamp with time zone"),
        (Type::Array(Box::new(Type::Float4)), "real[]"),
    ];
    for (ty, spelling) in cases {
        assert_eq!(ty.to_string(), spelling);
    }
}

#[test]
fn sql_cmp_follows_postgres() {
    use Ordering::*;
    let cmp = |a: &Value, b: &Value| a.sql_cmp(b);
    assert_eq!(cmp(&Value::Null, &Value::Int4(i32::MAX)), Greater);
    assert_eq!(cmp(&Value::Null, &Value::Null), Equal);
    assert_eq!(
        cmp(&Value::Float8(f64::NAN), &Value::Float8(f64::INFINITY)),
        Greater
    );
    assert_eq!(
        cmp(&Value::Float8(f64::NAN), &Value::Float8(-f64::NAN)),
        Equal
    );
    assert_eq!(cmp(&Value::Float8(-0.0), &Value::Float8(0.0)), Equal);
    assert_eq!(
        cmp(&Value::Text("Z".into()), &Value::Text("a".into())),
        Less
    );
    assert_eq!(cmp(&num("1.0"), &num("1.00")), Equal);
    assert_eq!(cmp(&num("NaN"), &num("Infinity")), Greater);
    assert_eq!(cmp(&num("-Infinity"), &num("-1e1000")), Less);
    let month = Value::Interval(Interval {
        months: 1,
        days: 0,
        micros: 0,
    });
    let thirty_days = Value::Interval(Interval {
        months: 0,
        days: 30,
        micros: 0,
    });
    assert_eq!(cmp(&month, &thirty_days), Equal);
    let a = Value::array(vec![Value::Int4(1), Value::Null]);
    let b = Value::array(vec![Value::Int4(1), Value::Int4(9), Value::Int4(0)]);
    assert_eq!(cmp(&a, &b), Greater); // NULL element sorts last
    assert_eq!(cmp(&Value::array(vec![Value::Int4(1)]), &b), Less); // shorter first
    assert_eq!(cmp(&Value::Int2(3), &Value::Int8(2)), Greater); // integers across widths
}

#[test]
fn equal_intervals_are_distinct_adjacent_keys() {
    let types = [Type::Interval];
    let iv = |months, days, micros| {
        [Value::Interval(Interval {
            months,
            days,
            micros,
        })]
    };
    let month = key(&iv(1, 0, 0), &types);
    let thirty_days = key(&iv(0, 30, 0), &types);
    assert_ne!(month, thirty_days);
    assert!(thirty_days < month);
    assert!(key(&iv(0, 29, 86_399_999_999), &types) < thirty_days);
    assert!(month < key(&iv(0, 30, 1), &types));
}

#[test]
fn numeric_keys_drop_scale_rows_keep_it() {
    let ty = [Type::Numeric {
        precision_scale: None,
    }];
    assert_eq!(key(&[num("1.0")], &ty), key(&[num("1.00")], &ty));
    assert_eq!(key(&[num("100")], &ty), key(&[num("1e2")], &ty));
    let decoded = decode_key(&key(&[num("1.500")], &ty), &ty).unwrap();
    assert_eq!(decoded[0].sql_cmp(&num("1.5")), Ordering::Equal);
    let Value::Numeric(Numeric::Finite(d)) = &decode_key(&key(&[num("1e2")], &ty), &ty).unwrap()[0]
    else {
        panic!("not a finite numeric");
    };
    assert_eq!(d.to_string(), "100"); // scale 0, not 1E+2
    let decoded = decode_row(&row(&[num("1.500")], &ty), &ty).unwrap();
    assert_eq!(
        Value::Numeric(Numeric::from_str("1.500").unwrap()),
        decoded[0]
    );
    assert!(matches!(&decoded[0], Value::Numeric(n) if n.to_string() == "1.500"));
}

#[test]
fn numeric_parses_postgres_input() {
    for (input, display) in [
        ("0", "0"),
        ("-0.00", "0.00"),
        ("+1.5", "1.5"),
        (".5", "0.5"),
        ("5.", "5"),
        ("1.5e3", "1500"),
        ("-12.345E-2", "-0.12345"),
        ("inf", "Infinity"),
        ("-INFINITY", "-Infinity"),
        ("nan", "NaN"),
    ] {
        assert_eq!(
            Numeric::from_str(input).unwrap().to_string(),
            display,
            "{input}"
        );
    }
    for bad in [
        "", "-", ".", "1e", "e5", "1.2.3", "1_000", "abc", "1e+", " 1",
    ] {
        assert!(Numeric::from_str(bad).is_err(), "{bad:?} parsed");
    }
}

#[test]
fn mismatched_values_are_invalid_input() {
    let mut out = Vec::new();
    let err = encode_key(&[Value::Int8(1)], &[Type::Int4], &mut out).unwrap_err();
    assert!(matches!(err, vdb_engine::Error::InvalidInput(_)), "{err}");
    assert!(encode_key(&[Value::Int4(1)], &[], &mut out).is_err());
    let bad_array = [Value::array(vec![Value::Text("x".into())])];
    assert!(encode_row(&bad_array, &[Type::Array(Box::new(Type::Int4))], &mut out).is_err());
    assert!(Value::Text("x".into()).type_matches(&Type::Jsonb));
    assert!(Value::Null.type_matches(&Type::Uuid));
    // A numeric whose exponent does not fit a key is refused, but a row keeps it.
    let huge = [Value::Numeric(Numeric::Finite(BigDecimal::new(
        1.into(),
        i64::MIN,
    )))];
    let ty = [Type::Numeric {
        precision_scale: None,
    }];
    assert!(encode_key(&huge, &ty, &mut out).is_err());
    let decoded = decode_row(&row(&huge, &ty), &ty).unwrap();
    assert!(decoded[0].identical(&huge[0]));
}

#[test]
fn malformed_keys_and_rows_are_errors() {
    let ty = [Type::Text];
    assert!(decode_key(&[0x01, b'a', 0x00], &ty).is_err()); // truncated terminator
    assert!(decode_key(&[0x01, b'a', 0x00, 0x02], &ty).is_err()); // bad escape
    assert!(decode_key(&[0x01, 0xC3, 0x00, 0x01], &ty).is_err()); // not UTF-8
    assert!(decode_key(&[0x03], &ty).is_err()); // bad marker
    assert!(decode_key(&[0x02, 0x02], &ty).is_err()); // trailing bytes
    let num_ty = [Type::Numeric {
        precision_scale: None,
    }];
    assert!(decode_key(&hex_bytes("0103800000010100"), &num_ty).is_err()); // leading zero digit
    assert!(decode_key(&hex_bytes("01038000000100"), &num_ty).is_err()); // no digits
    assert!(decode_row(&[0x01, 0x02], &ty).is_err()); // bitmap padding bit set
    assert!(decode_row(&[0x02, 0x00], &ty).is_err()); // more columns than types
    assert!(decode_row(&[0x01, 0x00, 0x05, b'a'], &ty).is_err()); // short text
    assert!(decode_row(&[0x01, 0x00, 0x01, b'x'], &num_ty).is_err()); // bad numeric text
    assert!(decode_row_column(&[0x00], &ty, 1).is_err()); // column out of range
}

fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
