//! Property: `merge_roots` agrees with a naive cell-wise three-way merge over `BTreeMap`s.
//!
//! A random keyed table (int key, a nullable int column with a secondary index, a nullable
//! text column) gets random edit sets on two sides: deletes, single-cell updates and whole-row
//! upserts over a small key and value domain, so that both sides often touch the same rows and
//! cells. Sometimes theirs also adds a column and fills it in some rows, so that the merge has
//! to rewrite ours and the base into the merged schema. The merged table must hold exactly the
//! model's rows, the conflict map exactly the model's conflicting keys, and the index must
//! follow the merged rows.

use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use vdb_engine::codec::decode_key;
use vdb_engine::prolly::{Map, NodeStore};
use vdb_engine::repo::merge_roots;
use vdb_engine::store::MemoryStore;
use vdb_engine::table::{IndexDef, RootValue, RowChange, Schema, Table};
use vdb_engine::value::{Type, Value};

type Model = BTreeMap<i64, Vec<Value>>;

#[derive(Clone, Debug)]
enum Edit {
    Delete(i64),
    SetA(i64, Value),
    SetB(i64, Value),
    Upsert(i64, Value, Value),
}

fn a_value() -> impl Strategy<Value = Value> {
    prop_oneof![Just(Value::Null), (0..3i32).prop_map(Value::Int4)]
}

fn b_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        prop::sample::select(vec!["x", "y", "z"]).prop_map(|s| Value::Text(s.to_string()))
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    let id = 0..16i64;
    prop_oneof![
        id.clone().prop_map(Edit::Delete),
        (id.clone(), a_value()).prop_map(|(k, v)| Edit::SetA(k, v)),
        (id.clone(), b_value()).prop_map(|(k, v)| Edit::SetB(k, v)),
        (id, a_value(), b_value()).prop_map(|(k, a, b)| Edit::Upsert(k, a, b)),
    ]
}

fn base_model() -> impl Strategy<Value = Model> {
    prop::collection::btree_map(0..12i64, (a_value(), b_value()), 0..12).prop_map(|rows| {
        rows.into_iter()
            .map(|(k, (a, b))| (k, vec![Value::Int8(k), a, b]))
            .collect()
    })
}

fn apply_edits(model: &Model, edits: &[Edit]) -> Model {
    let mut out = model.clone();
    for edit in edits {
        match edit {
            Edit::Delete(k) => {
                out.remove(k);
            }
            Edit::SetA(k, v) | Edit::SetB(k, v) => {
                let col = if matches!(edit, Edit::SetA(..)) { 1 } else { 2 };
                if let Some(row) = out.get_mut(k) {
                    row[col] = v.clone();
                }
            }
            Edit::Upsert(k, a, b) => {
                out.insert(*k, vec![Value::Int8(*k), a.clone(), b.clone()]);
            }
        }
    }
    out
}

/// The naive merge: per key, one-sided changes win, equal changes agree, and rows changed on
/// both sides merge cell by cell; a cell changed differently, a delete against a change, or a
/// row added differently on both sides is a conflict that keeps ours.
fn naive_merge(base: &Model, ours: &Model, theirs: &Model) -> (Model, BTreeSet<i64>) {
    let keys: BTreeSet<i64> = base
        .keys()
        .chain(ours.keys())
        .chain(theirs.keys())
        .copied()
        .collect();
    let mut merged = Model::new();
    let mut conflicts = BTreeSet::new();
    for k in keys {
        let (b, o, t) = (base.get(&k), ours.get(&k), theirs.get(&k));
        let pick = if o == t || b == t {
            o.cloned()
        } else if b == o {
            t.cloned()
        } else if let (Some(b), Some(o), Some(t)) = (b, o, t) {
            let cells: Option<Vec<Value>> = (0..o.len())
                .map(|i| {
                    if o[i] == t[i] || b[i] == t[i] {
                        Some(o[i].clone())
                    } else if b[i] == o[i] {
                        Some(t[i].clone())
                    } else {
                        None
                    }
                })
                .collect();
            match cells {
                Some(row) => Some(row),
                None => {
                    conflicts.insert(k);
                    Some(o.clone())
                }
            }
        } else {
            conflicts.insert(k);
            o.cloned()
        };
        if let Some(row) = pick {
            merged.insert(k, row);
        }
    }
    (merged, conflicts)
}

fn schema() -> Schema {
    let mut schema = Schema::new(
        &[
            ("id", Type::Int8, false),
            ("a", Type::Int4, true),
            ("b", Type::Text, true),
        ],
        &["id"],
    )
    .unwrap();
    let a = schema.must_get_column("a").unwrap().id;
    schema.indexes.push(IndexDef {
        name: "t_a".into(),
        columns: vec![a],
        unique: false,
        constraint: false,
        ..Default::default()
    });
    schema
}

/// `base` edited into `model`, as a root value holding table `t`.
fn root_for(base: &Table, base_model: &Model, model: &Model) -> RootValue {
    let mut root = RootValue::empty();
    root.put_table("t", &edit_table(base, base_model, model))
        .unwrap();
    root
}

/// `base` (whose rows are `base_model`) edited into `model`.
fn edit_table(base: &Table, base_model: &Model, model: &Model) -> Table {
    let key = |k: i64| base.encode_key_values(&[Value::Int8(k)]).unwrap();
    let mut changes = Vec::new();
    for (k, row) in model {
        if base_model.get(k) != Some(row) {
            changes.push(RowChange::Update {
                key: key(*k),
                row: row.clone(),
            });
        }
    }
    for k in base_model.keys().filter(|k| !model.contains_key(k)) {
        changes.push(RowChange::Delete(key(*k)));
    }
    base.apply(changes).unwrap()
}

/// Appends column `c` (int4) to every row: NULL, or `id` for ids divisible by 3 if `fill`.
fn with_c(model: &Model, fill: bool) -> Model {
    model
        .iter()
        .map(|(k, row)| {
            let mut row = row.clone();
            let c = if fill && k % 3 == 0 {
                Value::Int4(*k as i32)
            } else {
                Value::Null
            };
            row.push(c);
            (*k, row)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn merge_agrees_with_naive_model(
        base in base_model(),
        ours_edits in prop::collection::vec(edit(), 0..10),
        theirs_edits in prop::collection::vec(edit(), 0..10),
        theirs_adds_column in any::<bool>(),
    ) {
        let ns = NodeStore::new(Arc::new(MemoryStore::new()));
        let mut ours = apply_edits(&base, &ours_edits);
        let mut theirs = apply_edits(&base, &theirs_edits);
        let empty = Table::create(&ns, schema()).unwrap();
        let base_table = edit_table(&empty, &Model::new(), &base);
        let base_root = root_for(&base_table, &base, &base);
        let ours_root = root_for(&base_table, &base, &ours);
        let theirs_root = if theirs_adds_column {
            let mut wider = schema();
            wider.add_column("c", Type::Int4, true, None).unwrap();
            let widened = base_table.with_schema(wider).unwrap();
            let theirs_c = with_c(&theirs, true);
            let mut root = RootValue::empty();
            root.put_table("t", &edit_table(&widened, &with_c(&base, false), &theirs_c))
                .unwrap();
            theirs = theirs_c;
            root
        } else {
            root_for(&base_table, &base, &theirs)
        };
        let merged = merge_roots(&ns, &base_root, &ours_root, &theirs_root).unwrap();
        let base = if theirs_adds_column {
            ours = with_c(&ours, false);
            with_c(&base, false)
        } else {
            base
        };
        let (want_rows, want_conflicts) = naive_merge(&base, &ours, &theirs);

        let table = merged.root.must_get_table(&ns, "t").unwrap();
        let rows: Vec<Vec<Value>> = table.scan().unwrap().map(|r| r.unwrap().1).collect();
        prop_assert_eq!(rows, want_rows.values().cloned().collect::<Vec<_>>());

        let mut conflicts = BTreeSet::new();
        if let Some(root) = merged.conflict_maps.get("t") {
            for entry in Map::load(&ns, *root).unwrap().iter().unwrap() {
                let (key, _) = entry.unwrap();
                match decode_key(&key, &[Type::Int8]).unwrap()[0] {
                    Value::Int8(k) => conflicts.insert(k),
                    _ => unreachable!(),
                };
            }
        }
        prop_assert_eq!(merged.conflicts.get("t").copied().unwrap_or(0), want_conflicts.len() as u64);
        prop_assert_eq!(conflicts, want_conflicts);

        // The index holds one entry per row, and lookups find the model's rows.
        prop_assert_eq!(table.index_map(0).count(), want_rows.len() as u64);
        for a in [Value::Int4(0), Value::Int4(1), Value::Int4(2), Value::Null] {
            let mut got: Vec<Vec<Value>> = table
                .index_lookup(0, std::slice::from_ref(&a))
                .unwrap()
                .iter()
                .map(|k| table.get(k).unwrap().unwrap())
                .collect();
            got.sort_by(|x, y| x[0].sql_cmp(&y[0]));
            let want: Vec<Vec<Value>> = want_rows
                .values()
                .filter(|r| r[1] == a)
                .cloned()
                .collect();
            prop_assert_eq!(got, want);
        }
    }
}
