//! Expression and partial indexes against a model. The engine evaluates no SQL, so this test
//! registers a small evaluator of its own for the three texts its indexes use; random row
//! changes must keep each index holding exactly the entries the model's rows call for, the
//! index definitions (and a primary key's own name) must survive the table chunk (a version-4
//! chunk, while tables without them keep their bytes; NOT VALID and NULLS NOT DISTINCT flags
//! a version-8 one), and an expression that fails must fail the write, not corrupt the table.

use std::collections::BTreeMap;
use std::sync::Arc;
use vdb_engine::prolly::NodeStore;
use vdb_engine::store::MemoryStore;
use vdb_engine::table::{
    set_index_evaluator, IndexDef, IndexEvaluator, IndexExpr, Materialized, RowChange, Schema,
    Table, TableLoader, INDEX_DESC, INDEX_NULLS_FIRST,
};
use vdb_engine::testkit::Lcg;
use vdb_engine::value::{Type, Value};

/// Evaluates `lower(name)`, `label > 0`, `label % 3` and fails on anything else.
struct Toy;

impl IndexEvaluator for Toy {
    fn eval(&self, schema: &Schema, sql: &str, row: &[Value]) -> vdb_engine::Result<Value> {
        let at = |name: &str| &row[schema.columns.iter().position(|c| c.name == name).unwrap()];
        Ok(match (sql, at("label")) {
            ("lower(name)", _) => match at("name") {
                Value::Text(s) => Value::Text(s.to_lowercase()),
                _ => Value::Null,
            },
            ("label > 0", Value::Int4(n)) => Value::Bool(*n > 0),
            ("label % 3", Value::Int4(n)) => Value::Int4(n % 3),
            ("label > 0" | "label % 3", _) => Value::Null,
            _ => {
                return Err(vdb_engine::Error::InvalidInput(format!(
                    "cannot evaluate {sql}"
                )))
            }
        })
    }
}

fn install() {
    set_index_evaluator(Box::new(Toy));
}

fn ns() -> NodeStore {
    NodeStore::new(Arc::new(MemoryStore::new()))
}

/// Index 0: `(lower(name)) WHERE label > 0`; index 1: `(label % 3, name)`.
fn schema() -> Schema {
    let mut schema = Schema::new(
        &[
            ("id", Type::Int8, false),
            ("name", Type::Text, true),
            ("label", Type::Int4, true),
        ],
        &["id"],
    )
    .unwrap();
    let name = schema.must_get_column("name").unwrap().id;
    schema.indexes.push(IndexDef {
        name: "t_lower_live".into(),
        columns: vec![0],
        expressions: vec![IndexExpr {
            sql: "lower(name)".into(),
            ty: Type::Text,
        }],
        predicate: Some("label > 0".into()),
        ..Default::default()
    });
    schema.indexes.push(IndexDef {
        name: "t_mod_name".into(),
        columns: vec![0, name],
        expressions: vec![IndexExpr {
            sql: "label % 3".into(),
            ty: Type::Int4,
        }],
        options: vec![INDEX_DESC | INDEX_NULLS_FIRST, 0],
        ..Default::default()
    });
    schema
}

fn row(id: i64, name: &str, label: Option<i32>) -> Vec<Value> {
    vec![
        Value::Int8(id),
        Value::Text(name.into()),
        label.map_or(Value::Null, Value::Int4),
    ]
}

/// Each index holds one entry per model row it covers, and a lookup by the values the model
/// computes finds the row.
fn check(table: &Table, model: &BTreeMap<i64, Vec<Value>>) {
    let mut covered = [0u64; 2];
    for row in model.values() {
        let key = table.key_of(row).unwrap();
        let label = match row[2] {
            Value::Int4(n) => Some(n),
            _ => None,
        };
        let name = match &row[1] {
            Value::Text(s) => s.clone(),
            _ => unreachable!("the test writes text names"),
        };
        let want: [Option<Vec<Value>>; 2] = [
            label
                .filter(|n| *n > 0)
                .map(|_| vec![Value::Text(name.to_lowercase())]),
            Some(vec![
                label.map_or(Value::Null, |n| Value::Int4(n % 3)),
                row[1].clone(),
            ]),
        ];
        for (i, want) in want.into_iter().enumerate() {
            assert_eq!(table.index_values(i, row).unwrap(), want);
            if let Some(values) = want {
                covered[i] += 1;
                assert!(table.index_lookup(i, &values).unwrap().contains(&key));
            }
        }
    }
    for (i, count) in covered.into_iter().enumerate() {
        assert_eq!(table.index_map(i).count(), count, "index {i}");
    }
}

#[test]
fn random_changes_keep_expression_and_partial_indexes_in_step() {
    install();
    let ns = ns();
    let mut table = Table::create(&ns, schema()).unwrap();
    let mut model: BTreeMap<i64, Vec<Value>> = BTreeMap::new();
    let mut rng = Lcg(11);
    let names = ["Ann", "ann", "BOB", "bob", "Cy"];
    for round in 0..30 {
        let mut changes = Vec::new();
        for _ in 0..(rng.next_u64() % 100) {
            let id = (rng.next_u64() % 200) as i64;
            let label = match rng.next_u64() % 5 {
                0 => None,
                n => Some(n as i32 - 2),
            };
            let new = row(id, names[(rng.next_u64() % 5) as usize], label);
            if rng.next_u64() % 4 == 0 {
                changes.push(RowChange::Delete(table.key_of(&new).unwrap()));
                model.remove(&id);
            } else {
                let change = match model.insert(id, new.clone()) {
                    Some(_) => RowChange::Update {
                        key: table.key_of(&new).unwrap(),
                        row: new,
                    },
                    None => RowChange::Insert(new),
                };
                changes.push(change);
            }
        }
        table = table.apply(changes).unwrap();
        check(&table, &model);
        if round % 10 == 9 {
            table = Table::load(&ns, table.save().unwrap()).unwrap();
            check(&table, &model);
        }
    }
    // A rebuild and a load from rows give the same maps as the changes did.
    let rebuilt = table.with_schema(table.schema().clone()).unwrap();
    let mut loader = TableLoader::new(&ns, schema()).unwrap();
    for row in model.values() {
        loader.push(row.clone()).unwrap();
    }
    let loaded = loader.finish().unwrap();
    for i in 0..2 {
        assert_eq!(rebuilt.index_map(i).root(), table.index_map(i).root());
        assert_eq!(loaded.index_map(i).root(), table.index_map(i).root());
    }
}

#[test]
fn index_extras_round_trip_in_a_version_4_chunk() {
    install();
    let ns = ns();
    let table = Table::create(&ns, schema()).unwrap();
    let addr = table.save().unwrap();
    let bytes = ns.store().must_get(&addr).unwrap();
    assert_eq!(&bytes[..2], b"T\x04");
    let loaded = Table::load(&ns, addr).unwrap();
    assert_eq!(loaded.schema(), table.schema());
    assert_eq!(loaded.schema().indexes[1].options, vec![3, 0]);
    // Without expression indexes the chunk is version 1, as before they existed.
    let mut plain = schema();
    plain.indexes.clear();
    let plain = Table::create(&ns, plain).unwrap().save().unwrap();
    assert_eq!(&ns.store().must_get(&plain).unwrap()[..2], b"T\x01");
    // A primary key's own name rides in the same trailer.
    let mut named = schema();
    named.indexes.clear();
    named.primary_key_name = Some("t_id".into());
    let addr = Table::create(&ns, named.clone()).unwrap().save().unwrap();
    assert_eq!(&ns.store().must_get(&addr).unwrap()[..2], b"T\x04");
    assert_eq!(Table::load(&ns, addr).unwrap().schema(), &named);
    assert_eq!(named.primary_key_name("t"), "t_id");
    // Renaming indexes keeps every map; any other change is refused.
    let mut renamed = table.schema().clone();
    renamed.indexes[0].name = "t_renamed".into();
    renamed.primary_key_name = Some("t_key".into());
    let after = table.with_index_names(renamed.clone()).unwrap();
    assert_eq!(after.schema(), &renamed);
    assert_eq!(after.index_map(0).root(), table.index_map(0).root());
    renamed.indexes[0].unique = true;
    assert!(table.with_index_names(renamed).is_err());
    // A materialized view's definition is version 5, after the version-4 trailer; changing
    // its populated flag keeps every map.
    let mut view = schema();
    view.materialized = Some(Materialized {
        query: "SELECT 1".into(),
        populated: false,
    });
    let stored = Table::create(&ns, view.clone()).unwrap();
    let addr = stored.save().unwrap();
    assert_eq!(&ns.store().must_get(&addr).unwrap()[..2], b"T\x05");
    assert_eq!(Table::load(&ns, addr).unwrap().schema(), &view);
    let refreshed = stored.with_materialized(Some(Materialized {
        query: "SELECT 1".into(),
        populated: true,
    }));
    assert_eq!(refreshed.rows().root(), stored.rows().root());
    assert!(refreshed.schema().materialized.as_ref().unwrap().populated);
    // A schema whose expressions do not match its parts is refused, not half-built.
    let mut broken = schema();
    broken.indexes[0].expressions.clear();
    assert!(Table::create(&ns, broken).is_err());
}

#[test]
fn constraint_flags_round_trip_in_a_version_8_chunk() {
    install();
    let ns = ns();
    let mut flagged = schema();
    flagged.indexes[1].unique = true;
    flagged.indexes[1].nulls_not_distinct = true;
    flagged.checks.push(vdb_engine::table::CheckDef {
        name: "t_label_check".into(),
        expr: "label > 0".into(),
        not_valid: true,
    });
    let addr = Table::create(&ns, flagged.clone()).unwrap().save().unwrap();
    assert_eq!(&ns.store().must_get(&addr).unwrap()[..2], b"T\x08");
    let loaded = Table::load(&ns, addr).unwrap();
    assert_eq!(loaded.schema(), &flagged);
    assert!(loaded.schema().indexes[1].nulls_not_distinct);
    assert!(loaded.schema().checks[0].not_valid);
    // NULLs collide only in the NULLS NOT DISTINCT index.
    let nulls = [Value::Null, Value::Text("a".into())];
    assert!(loaded.schema().indexes[1].collides(&nulls));
    assert!(!loaded.schema().indexes[0].collides(&nulls));
    // Once validated and without NULLS NOT DISTINCT, the chunk is what it was before flags.
    let mut plain = flagged;
    plain.indexes[1].nulls_not_distinct = false;
    plain.checks[0].not_valid = false;
    let addr = Table::create(&ns, plain).unwrap().save().unwrap();
    assert_eq!(&ns.store().must_get(&addr).unwrap()[..2], b"T\x04");
}

#[test]
fn an_expression_that_fails_fails_the_write() {
    install();
    let ns = ns();
    let mut schema = schema();
    schema.indexes[0].expressions[0].sql = "no such function".into();
    let table = Table::create(&ns, schema).unwrap();
    let before = table.save().unwrap();
    let err = table
        .apply([RowChange::Insert(row(1, "x", Some(1)))])
        .unwrap_err();
    assert!(err.to_string().contains("cannot evaluate"), "{err}");
    // The predicate is false for this row, so the expression is never needed.
    let written = table
        .apply([RowChange::Insert(row(2, "x", Some(-1)))])
        .unwrap();
    assert_eq!(written.count(), 1);
    assert_eq!(table.save().unwrap(), before);
}
