//! Property tests: every value of the richer types survives its PostgreSQL text form —
//! `cast(to_pg_text(v), type) == v` — for dates, times, timestamps, timestamptz, intervals,
//! uuids, floats, numerics, arrays of them, and jsonb text (whose normal form is a fixpoint).

use proptest::prelude::*;
use vdb_engine::value::{Array, Dim, Interval, Numeric, Type, Value, MICROS_PER_DAY};
use vdb_sql::types::{cast, to_pg_text};

/// Days of PostgreSQL's timestamp range (4713-11-24 BC to 294276-12-31).
const MIN_DAY: i64 = -2_451_545;
const MAX_DAY: i64 = 106_741_025;

fn round_trip(v: &Value, ty: &Type) -> Value {
    let text = to_pg_text(v).expect("non-NULL prints");
    cast(Value::Text(text.clone()), ty).unwrap_or_else(|e| panic!("{text:?} as {ty}: {e}"))
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float8(x), Value::Float8(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        (Value::Float4(x), Value::Float4(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.dims() == y.dims() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        _ => a.identical(b),
    }
}

fn timestamp() -> impl Strategy<Value = i64> {
    (MIN_DAY * MICROS_PER_DAY)..(MAX_DAY * MICROS_PER_DAY)
}

fn interval() -> impl Strategy<Value = Interval> {
    (any::<i32>(), any::<i32>(), any::<i64>()).prop_map(|(months, days, micros)| Interval {
        months,
        days,
        micros,
    })
}

fn text_element() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        ".{0,8}".prop_map(Value::Text),
        "[ a-z{},\"\\\\]{0,6}".prop_map(Value::Text),
        Just(Value::Text("NULL".into())),
    ]
}

proptest! {
    #[test]
    fn dates(d in MIN_DAY..MAX_DAY) {
        let v = Value::Date(i32::try_from(d).unwrap());
        prop_assert!(same(&round_trip(&v, &Type::Date), &v));
    }

    #[test]
    fn timestamps(ts in timestamp()) {
        for (v, ty) in [(Value::Timestamp(ts), Type::Timestamp), (Value::TimestampTz(ts), Type::TimestampTz)] {
            prop_assert!(same(&round_trip(&v, &ty), &v));
        }
    }

    #[test]
    fn times(t in 0..=MICROS_PER_DAY) {
        let v = Value::Time(t);
        prop_assert!(same(&round_trip(&v, &Type::Time), &v));
    }

    #[test]
    fn intervals(iv in interval()) {
        let v = Value::Interval(iv);
        prop_assert!(same(&round_trip(&v, &Type::Interval), &v));
    }

    #[test]
    fn uuids(bytes in any::<[u8; 16]>()) {
        let v = Value::Uuid(bytes);
        prop_assert!(same(&round_trip(&v, &Type::Uuid), &v));
    }

    #[test]
    fn floats(f in any::<f64>(), g in any::<f32>()) {
        let v = Value::Float8(f);
        prop_assert!(same(&round_trip(&v, &Type::Float8), &v));
        let v = Value::Float4(g);
        prop_assert!(same(&round_trip(&v, &Type::Float4), &v));
    }

    #[test]
    fn numerics(n in any::<i64>(), scale in 0i64..30) {
        let d = bigdecimal::BigDecimal::new(n.into(), scale);
        let v = Value::Numeric(Numeric::Finite(d));
        let ty = Type::Numeric { precision_scale: None };
        prop_assert!(same(&round_trip(&v, &ty), &v));
    }

    #[test]
    fn text_arrays(items in prop::collection::vec(text_element(), 0..6)) {
        let v = Value::array(items);
        let ty = Type::Array(Box::new(Type::Text));
        prop_assert!(same(&round_trip(&v, &ty), &v));
    }

    #[test]
    fn shaped_text_arrays(rows in prop::collection::vec(
                              prop::collection::vec(text_element(), 2), 1..4),
                          lower in -3i32..3) {
        let dims = vec![Dim { len: rows.len(), lower }, Dim { len: 2, lower: 1 }];
        let elements = rows.into_iter().flatten().collect();
        let v = Value::Array(Array::with_dims(elements, dims).unwrap());
        let ty = Type::Array(Box::new(Type::Text));
        prop_assert!(same(&round_trip(&v, &ty), &v));
    }

    #[test]
    fn scalar_arrays(ints in prop::collection::vec(prop::option::of(any::<i32>()), 0..6),
                     stamps in prop::collection::vec(timestamp(), 0..4),
                     ivs in prop::collection::vec(interval(), 0..4)) {
        let v = Value::array(ints.into_iter().map(|i| i.map_or(Value::Null, Value::Int4)).collect());
        prop_assert!(same(&round_trip(&v, &Type::Array(Box::new(Type::Int4))), &v));
        let v = Value::array(stamps.into_iter().map(Value::TimestampTz).collect());
        prop_assert!(same(&round_trip(&v, &Type::Array(Box::new(Type::TimestampTz))), &v));
        let v = Value::array(ivs.into_iter().map(Value::Interval).collect());
        prop_assert!(same(&round_trip(&v, &Type::Array(Box::new(Type::Interval))), &v));
    }

    #[test]
    fn jsonb_normal_form_is_a_fixpoint(keys in prop::collection::vec("[a-c\"\\\\é]{0,3}", 0..5),
                                       nums in prop::collection::vec(any::<i32>(), 0..5)) {
        let fields: Vec<String> = keys
            .iter()
            .zip(nums.iter().chain(std::iter::repeat(&0)))
            .map(|(k, n)| format!("{}: [{n}, {{\"x\": \"{}\"}}]", serde_like(k), n % 7))
            .collect();
        let doc = format!("{{{}}}", fields.join(","));
        let once = cast(Value::Text(doc), &Type::Jsonb).unwrap();
        let twice = round_trip(&once, &Type::Jsonb);
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn malformed_input_never_panics(s in ".{0,40}") {
        for ty in [Type::Date, Type::Time, Type::Timestamp, Type::TimestampTz, Type::Interval,
                   Type::Uuid, Type::Json, Type::Jsonb, Type::Array(Box::new(Type::Int4)),
                   Type::Array(Box::new(Type::Text))] {
            let _ = cast(Value::Text(s.clone()), &ty);
        }
    }
}

/// A JSON string literal for a key.
fn serde_like(k: &str) -> String {
    format!("\"{}\"", k.replace('\\', "\\\\").replace('"', "\\\""))
}

#[test]
fn huge_intervals_are_errors_not_panics() {
    for s in [
        "9999999999999999999999999 years",
        "2147483648 days",
        "1e308 days",
        "99999999999:00:00",
        "P999999999999Y",
    ] {
        assert!(cast(Value::Text(s.into()), &Type::Interval).is_err(), "{s}");
    }
}
