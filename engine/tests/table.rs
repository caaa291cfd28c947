//! Tables against a model: random row changes keep the primary map equal to a BTreeMap of rows
//! and every index equal to the entries derived from those rows; tables and root values survive
//! a round trip through their chunks; keyless tables get stable hidden keys; a loader gives the
//! same table as row changes, whatever the order of its rows.

use bytes::Bytes;
use std::collections::BTreeMap;
use std::sync::Arc;
use vdb_engine::prolly::NodeStore;
use vdb_engine::store::MemoryStore;
use vdb_engine::table::{
    Comments, IndexDef, RootValue, RowChange, Schema, Table, TableLoader, HIDDEN_KEY_LEN,
};
use vdb_engine::testkit::Lcg;
use vdb_engine::value::{Type, Value};

fn ns() -> NodeStore {
    NodeStore::new(Arc::new(MemoryStore::new()))
}

fn labels_schema() -> Schema {
    let mut schema = Schema::new(
        &[
            ("id", Type::Int8, false),
            ("text", Type::Text, true),
            ("label", Type::Int4, true),
            ("score", Type::Float8, true),
        ],
        &["id"],
    )
    .unwrap();
    let label = schema.must_get_column("label").unwrap().id;
    schema.indexes.push(IndexDef {
        name: "labels_label".into(),
        columns: vec![label],
        unique: false,
        constraint: false,
        ..Default::default()
    });
    schema
}

fn row(id: i64, label: i32, score: f64) -> Vec<Value> {
    vec![
        Value::Int8(id),
        Value::Text(format!("text-{id}")),
        Value::Int4(label),
        Value::Float8(score),
    ]
}

/// [`labels_schema`] without its index: writes to such a table sort their rows instead of
/// keeping a map of pending rows.
fn unindexed_schema() -> Schema {
    let mut schema = labels_schema();
    schema.indexes.clear();
    schema
}

fn check_against_model(table: &Table, model: &BTreeMap<i64, Vec<Value>>) {
    let rows: Vec<Vec<Value>> = table.scan().unwrap().map(|r| r.unwrap().1).collect();
    let want: Vec<Vec<Value>> = model.values().cloned().collect();
    assert_eq!(rows, want);
    if table.schema().indexes.is_empty() {
        return;
    }
    // The index holds exactly one entry per row, and lookups find the model's rows.
    assert_eq!(table.index_map(0).count(), model.len() as u64);
    for label in 0..10 {
        let mut got: Vec<Vec<Value>> = table
            .index_lookup(0, &[Value::Int4(label)])
            .unwrap()
            .iter()
            .map(|k| table.get(k).unwrap().unwrap())
            .collect();
        got.sort_by_key(|r| match r[0] {
            Value::Int8(i) => i,
            _ => unreachable!(),
        });
        let want: Vec<Vec<Value>> = model
            .values()
            .filter(|r| r[2] == Value::Int4(label))
            .cloned()
            .collect();
        assert_eq!(got, want, "label {label}");
    }
}

#[test]
fn random_changes_agree_with_model() {
    random_changes_agree_with_model_under(labels_schema());
    random_changes_agree_with_model_under(unindexed_schema());
}

fn random_changes_agree_with_model_under(schema: Schema) {
    let ns = ns();
    let mut table = Table::create(&ns, schema).unwrap();
    let mut model: BTreeMap<i64, Vec<Value>> = BTreeMap::new();
    let mut rng = Lcg(5);
    for round in 0..40 {
        let mut changes = Vec::new();
        for _ in 0..(rng.next_u64() % 200) {
            let id = (rng.next_u64() % 500) as i64 - 100;
            let new = row(
                id,
                (rng.next_u64() % 10) as i32,
                (rng.next_u64() % 1000) as f64 / 7.0,
            );
            match rng.next_u64() % 4 {
                0 => {
                    changes.push(RowChange::Delete(table.key_of(&new).unwrap()));
                    model.remove(&id);
                }
                1 if model.contains_key(&id) => {
                    // Move the row to a new primary key.
                    let moved = (rng.next_u64() % 500) as i64 + 1000;
                    let mut r = new.clone();
                    r[0] = Value::Int8(moved);
                    changes.push(RowChange::Update {
                        key: table.key_of(&new).unwrap(),
                        row: r.clone(),
                    });
                    model.remove(&id);
                    model.insert(moved, r);
                }
                _ => {
                    changes.push(RowChange::Insert(new.clone()));
                    model.insert(id, new);
                }
            }
        }
        table = table.apply(changes).unwrap();
        check_against_model(&table, &model);
        if round % 10 == 9 {
            // Round trip through the table chunk and a root value.
            let mut root = RootValue::empty();
            root.put_table("labels", &table).unwrap();
            let addr = root.save(&ns).unwrap();
            let root = RootValue::load(&ns, addr).unwrap();
            table = root.must_get_table(&ns, "labels").unwrap();
            check_against_model(&table, &model);
        }
    }
    // Rebuilding under the same schema gives the same maps: the tree is history-independent.
    let rebuilt = table.with_schema(table.schema().clone()).unwrap();
    assert_eq!(rebuilt.rows().root(), table.rows().root());
    if !table.schema().indexes.is_empty() {
        assert_eq!(rebuilt.index_map(0).root(), table.index_map(0).root());
    }
}

/// `insert_new` against a model: a batch whose keys are all new lands whole, with the same maps
/// (root hashes) as `apply`; otherwise it names the first row, in the order given, whose key
/// the table holds or an earlier row of the batch repeats, and the table is unchanged.
#[test]
fn insert_new_agrees_with_a_row_by_row_model() {
    for schema in [labels_schema(), unindexed_schema()] {
        let ns = ns();
        let mut table = Table::create(&ns, schema).unwrap();
        let mut model: BTreeMap<i64, Vec<Value>> = BTreeMap::new();
        let mut rng = Lcg(23);
        let (mut landed, mut refused) = (0, 0);
        for _ in 0..60 {
            let size = 1 + rng.next_u64() % 40;
            // Ids drawn from a range 30 times the rows there would be, so that about half
            // the batches collide somewhere (about size / 30 collisions expected).
            let span = 30 * (model.len() as u64 + size);
            let rows: Vec<Vec<Value>> = (0..size)
                .map(|_| {
                    let id = (rng.next_u64() % span) as i64;
                    row(id, (rng.next_u64() % 10) as i32, id as f64)
                })
                .collect();
            let mut seen: std::collections::BTreeSet<i64> = model.keys().copied().collect();
            let first_taken = rows.iter().position(|r| {
                let Value::Int8(id) = r[0] else {
                    unreachable!()
                };
                !seen.insert(id)
            });
            match (table.insert_new(&rows).unwrap(), first_taken) {
                (Ok(inserted), None) => {
                    let applied = table
                        .apply(rows.iter().cloned().map(RowChange::Insert))
                        .unwrap();
                    assert_eq!(inserted.rows().root(), applied.rows().root());
                    for r in rows {
                        let Value::Int8(id) = r[0] else {
                            unreachable!()
                        };
                        model.insert(id, r);
                    }
                    table = inserted;
                    landed += 1;
                }
                (Err(i), Some(want)) => {
                    assert_eq!(i, want);
                    refused += 1;
                }
                (got, want) => panic!("insert_new gave {:?}, the model {want:?}", got.err()),
            }
            check_against_model(&table, &model);
        }
        assert!(
            landed > 10 && refused > 10,
            "{landed} landed, {refused} refused"
        );
    }
}

/// A loader fed rows in key order, nearly in order (one key out of place), or shuffled with
/// repeated keys ends with the same maps (root hashes) as inserting the rows one batch at a time,
/// and with the model's rows; only the sorted input is streamed.
#[test]
fn a_loader_builds_the_table_inserts_build() {
    let ns = ns();
    let mut rng = Lcg(11);
    let sorted: Vec<i64> = (0..3000).map(|i| i * 3).collect();
    let mut nearly = sorted.clone();
    nearly.swap(2000, 2500);
    let shuffled: Vec<i64> = (0..3000).map(|_| (rng.next_u64() % 2000) as i64).collect();
    for (ids, streamed) in [(sorted, true), (nearly, false), (shuffled, false)] {
        let rows: Vec<Vec<Value>> = ids
            .iter()
            .map(|&id| row(id, (rng.next_u64() % 10) as i32, id as f64 / 4.0))
            .collect();
        let mut loader = TableLoader::new(&ns, labels_schema()).unwrap();
        for r in &rows {
            loader.push(r.clone()).unwrap();
        }
        assert_eq!(loader.streamed(), streamed);
        let loaded = loader.finish().unwrap();
        let inserted = Table::create(&ns, labels_schema())
            .unwrap()
            .apply(rows.iter().cloned().map(RowChange::Insert))
            .unwrap();
        assert_eq!(loaded.rows().root(), inserted.rows().root());
        assert_eq!(loaded.index_map(0).root(), inserted.index_map(0).root());
        let model: BTreeMap<i64, Vec<Value>> = ids.iter().copied().zip(rows).collect();
        check_against_model(&loaded, &model);
    }
    // Rows that do not fit the schema are refused, as by apply.
    let mut loader = TableLoader::new(&ns, labels_schema()).unwrap();
    assert!(loader.push(vec![Value::Int8(1)]).is_err());
}

/// Comments survive the table chunk's round trip; a table without them keeps its version-1
/// bytes (and so its hash); a dropped column's comment is not written.
#[test]
fn comments_round_trip_and_leave_uncommented_tables_alone() {
    let ns = ns();
    let plain = Table::create(&ns, labels_schema()).unwrap();
    let plain_addr = plain.save().unwrap();
    let mut comments = Comments {
        table: Some("annotator labels".into()),
        ..Comments::default()
    };
    let label = plain.schema().must_get_column("label").unwrap().id;
    comments.columns.insert(label, "class".into());
    let commented = plain.with_comments(comments.clone());
    let addr = commented.save().unwrap();
    assert_ne!(addr, plain_addr);
    assert_eq!(Table::load(&ns, addr).unwrap().schema().comments, comments);
    // Removing the comments gives back the original chunk.
    let cleared = commented.with_comments(Comments::default());
    assert_eq!(cleared.save().unwrap(), plain_addr);
    // Dropping the commented column drops its comment.
    let mut schema = commented.schema().clone();
    schema.columns.retain(|c| c.id != label);
    schema.indexes.clear();
    let dropped = commented.with_schema(schema).unwrap();
    let reloaded = Table::load(&ns, dropped.save().unwrap()).unwrap();
    assert_eq!(
        reloaded.schema().comments.table.as_deref(),
        Some("annotator labels")
    );
    assert!(reloaded.schema().comments.columns.is_empty());
}

/// A generation expression survives the round trip in a version-3 chunk whose bytes are pinned;
/// dropping it gives back the version-1 chunk, and comments ride along in the same trailer.
#[test]
fn generated_columns_round_trip_in_their_own_chunk_version() {
    let ns = ns();
    let plain = Table::create(&ns, labels_schema()).unwrap();
    let plain_addr = plain.save().unwrap();
    let mut schema = plain.schema().clone();
    schema.columns[3].generated = Some("label * 2".into());
    let generated = plain.with_schema(schema.clone()).unwrap();
    let addr = generated.save().unwrap();
    let bytes = ns.store().must_get(&addr).unwrap();
    assert_eq!(&bytes[..2], b"T\x03");
    // The trailer: empty comments (no table comment, no column comments), then one entry.
    let score = schema.columns[3].id;
    let mut trailer = vec![0u8, 0, 1];
    let mut id = score;
    while id >= 0x80 {
        trailer.push(u8::try_from(id & 0x7f).unwrap() | 0x80);
        id >>= 7;
    }
    trailer.push(u8::try_from(id).unwrap());
    trailer.push(9);
    trailer.extend(b"label * 2");
    assert!(bytes.ends_with(&trailer), "{bytes:?}");
    let loaded = Table::load(&ns, addr).unwrap();
    assert_eq!(
        loaded.schema().columns[3].generated.as_deref(),
        Some("label * 2")
    );
    assert_eq!(loaded.schema(), generated.schema());
    // With a comment as well, both come back.
    let mut comments = Comments::default();
    comments.columns.insert(score, "twice the label".into());
    let both = Table::load(&ns, loaded.with_comments(comments.clone()).save().unwrap()).unwrap();
    assert_eq!(both.schema().comments, comments);
    assert!(both.schema().columns[3].generated.is_some());
    // Without the expression, the chunk is the plain one again.
    schema.columns[3].generated = None;
    assert_eq!(
        generated.with_schema(schema).unwrap().save().unwrap(),
        plain_addr
    );
}

#[test]
fn time_precision_rounds_writes_and_round_trips_in_version_5() {
    let ns = ns();
    let mut schema = Schema::new(
        &[("id", Type::Int8, false), ("at", Type::Timestamp, true)],
        &["id"],
    )
    .unwrap();
    let plain_addr = Table::create(&ns, schema.clone()).unwrap().save().unwrap();
    schema.columns[1].precision = Some(1);
    let table = Table::create(&ns, schema.clone()).unwrap();
    // Half away from zero, on both sides of the epoch; the infinities stay.
    let table = table
        .apply([
            RowChange::Insert(vec![Value::Int8(1), Value::Timestamp(1_250_000)]),
            RowChange::Insert(vec![Value::Int8(2), Value::Timestamp(-1_250_000)]),
            RowChange::Insert(vec![Value::Int8(3), Value::Timestamp(1_249_999)]),
            RowChange::Insert(vec![Value::Int8(4), Value::Timestamp(i64::MAX)]),
        ])
        .unwrap();
    let stored: Vec<Value> = table
        .scan()
        .unwrap()
        .map(|r| r.unwrap().1[1].clone())
        .collect();
    assert_eq!(
        stored,
        vec![
            Value::Timestamp(1_300_000),
            Value::Timestamp(-1_300_000),
            Value::Timestamp(1_200_000),
            Value::Timestamp(i64::MAX),
        ]
    );
    let key = table.key_of(&[Value::Int8(3), Value::Null]).unwrap();
    let updated = table
        .apply([RowChange::Update {
            key,
            row: vec![Value::Int8(3), Value::Timestamp(50_000)],
        }])
        .unwrap();
    let row = updated
        .get(&updated.key_of(&[Value::Int8(3), Value::Null]).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(row[1], Value::Timestamp(100_000));
    let addr = updated.save().unwrap();
    assert_eq!(&ns.store().must_get(&addr).unwrap()[..2], b"T\x05");
    assert_eq!(Table::load(&ns, addr).unwrap().schema(), updated.schema());
    // Without a precision the chunk is the plain one.
    schema.columns[1].precision = None;
    assert_eq!(
        Table::create(&ns, schema).unwrap().save().unwrap(),
        plain_addr
    );
}

#[test]
fn column_domains_round_trip_in_version_6_and_follow_a_rename() {
    let ns = ns();
    let mut schema = Schema::new(
        &[("id", Type::Int8, false), ("score", Type::Int4, true)],
        &["id"],
    )
    .unwrap();
    let plain_addr = Table::create(&ns, schema.clone()).unwrap().save().unwrap();
    schema.columns[1].domain = Some("posint".into());
    schema.columns[1].precision = Some(3);
    let table = Table::create(&ns, schema.clone())
        .unwrap()
        .apply([RowChange::Insert(vec![Value::Int8(1), Value::Int4(7)])])
        .unwrap();
    let addr = table.save().unwrap();
    assert_eq!(&ns.store().must_get(&addr).unwrap()[..2], b"T\x06");
    let loaded = Table::load(&ns, addr).unwrap();
    assert_eq!(loaded.schema(), table.schema());
    assert_eq!(loaded.schema().columns[1].domain.as_deref(), Some("posint"));
    assert_eq!(loaded.schema().columns[1].precision, Some(3));
    let renamed = loaded.with_domain_renamed("posint", "s.score");
    assert_eq!(
        renamed.schema().columns[1].domain.as_deref(),
        Some("s.score")
    );
    assert_eq!(renamed.rows().root(), loaded.rows().root());
    // Without a domain (or a precision) the chunk is the plain one.
    schema.columns[1].domain = None;
    schema.columns[1].precision = None;
    assert_eq!(
        Table::create(&ns, schema).unwrap().save().unwrap(),
        plain_addr
    );
}

#[test]
fn a_selective_decode_builds_only_the_chosen_columns() {
    let ns = ns();
    let mut rows = vec![row(1, 7, 0.5), row(2, 8, 1.5)];
    rows[1][2] = Value::Null;
    let table = Table::create(&ns, labels_schema())
        .unwrap()
        .apply(rows.iter().cloned().map(RowChange::Insert))
        .unwrap();
    let entries: Vec<(Bytes, Bytes)> = table
        .rows()
        .range(std::ops::Bound::Unbounded, std::ops::Bound::Unbounded)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    // label and score only: the key and the text stay NULL; the buffer carries over, and a
    // NULL in the second row replaces the first row's value.
    let selection = table.select_columns(&[false, false, true, true]);
    let mut buffer = vec![Value::Null; 4];
    let mut decoded = Vec::new();
    for (key, value) in &entries {
        table
            .decode_selected_into(key, value, &selection, &mut buffer)
            .unwrap();
        decoded.push(buffer.clone());
    }
    assert_eq!(
        decoded,
        vec![
            vec![Value::Null, Value::Null, Value::Int4(7), Value::Float8(0.5)],
            vec![Value::Null, Value::Null, Value::Null, Value::Float8(1.5)],
        ]
    );
    // Every column selected: the full rows, as decode gives them.
    let all = table.select_columns(&[true; 4]);
    for ((key, value), expected) in entries.iter().zip(&rows) {
        table
            .decode_selected_into(key, value, &all, &mut buffer)
            .unwrap();
        assert_eq!(&buffer, expected);
        assert_eq!(&table.decode(key, value).unwrap(), expected);
    }
    // A buffer of the wrong width is refused.
    let (key, value) = &entries[0];
    assert!(table
        .decode_selected_into(key, value, &all, &mut [Value::Null])
        .is_err());
}

#[test]
fn keyless_tables_keep_hidden_keys_across_updates() {
    let ns = ns();
    let schema = Schema::new(&[("a", Type::Text, true), ("b", Type::Int4, true)], &[]).unwrap();
    let mut table = Table::create(&ns, schema).unwrap();
    let dup = vec![Value::Text("same".into()), Value::Int4(1)];
    table = table
        .apply(vec![RowChange::Insert(dup.clone()), RowChange::Insert(dup)])
        .unwrap();
    assert_eq!(table.count(), 2, "duplicate rows are distinct rows");
    let keys: Vec<Bytes> = table.scan().unwrap().map(|r| r.unwrap().0).collect();
    assert!(keys.iter().all(|k| k.len() == HIDDEN_KEY_LEN));
    let updated = table
        .apply(vec![RowChange::Update {
            key: keys[0].clone(),
            row: vec![Value::Text("new".into()), Value::Int4(2)],
        }])
        .unwrap();
    let after: Vec<Bytes> = updated.scan().unwrap().map(|r| r.unwrap().0).collect();
    assert_eq!(after, keys, "an update keeps the row's hidden key");
    let diff: Vec<_> = table
        .rows()
        .diff(updated.rows())
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(diff.len(), 1);
    assert!(matches!(
        diff[0],
        vdb_engine::prolly::DiffEntry::Modified { .. }
    ));
}

#[test]
fn schema_changes_follow_column_ids() {
    let ns = ns();
    let mut table = Table::create(&ns, labels_schema()).unwrap();
    table = table
        .apply((0..100).map(|i| RowChange::Insert(row(i, (i % 10) as i32, 0.5))))
        .unwrap();
    let mut schema = table.schema().clone();
    schema.columns.retain(|c| c.name != "text");
    schema.columns[1].name = "class".into(); // rename label → class: same id
    let added = schema.add_column("note", Type::Text, true, None).unwrap();
    let altered = table.with_schema(schema).unwrap();
    let first = altered.scan().unwrap().next().unwrap().unwrap().1;
    assert_eq!(
        first,
        vec![
            Value::Int8(0),
            Value::Int4(0),
            Value::Float8(0.5),
            Value::Null
        ]
    );
    assert_eq!(altered.schema().column_by_id(added).unwrap().name, "note");
    assert_eq!(
        altered.index_lookup(0, &[Value::Int4(3)]).unwrap().len(),
        10
    );
}

#[test]
fn bad_rows_are_rejected() {
    let ns = ns();
    let table = Table::create(&ns, labels_schema()).unwrap();
    assert!(table
        .apply(vec![RowChange::Insert(vec![Value::Int8(1)])])
        .is_err());
    assert!(table
        .apply(vec![RowChange::Insert(vec![
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null
        ])])
        .is_err());
    assert!(table
        .apply(vec![RowChange::Insert(vec![
            Value::Text("x".into()),
            Value::Null,
            Value::Null,
            Value::Null
        ])])
        .is_err());
}

/// Pins the encoding of the type variants added last (`Enum`, `Range`): schemas written before
/// them keep decoding, and a range column's schema round trips through a table chunk.
#[test]
fn range_columns_encode_after_the_older_types_and_round_trip() {
    use vdb_engine::value::RangeKind;
    assert_eq!(
        postcard::to_stdvec(&Type::Enum("e".into())).unwrap(),
        [20, 1, b'e']
    );
    assert_eq!(
        postcard::to_stdvec(&Type::Range(RangeKind::Date)).unwrap(),
        [21, 3]
    );
    let ns = ns();
    let schema = Schema::new(
        &[
            ("id", Type::Int4, false),
            ("during", Type::Range(RangeKind::TimestampTz), true),
        ],
        &["id"],
    )
    .unwrap();
    let table = Table::create(&ns, schema)
        .unwrap()
        .apply([RowChange::Insert(vec![
            Value::Int4(1),
            Value::Text("[\"2024-01-01 00:00:00+00\",)".into()),
        ])])
        .unwrap();
    let loaded = Table::load(&ns, table.save().unwrap()).unwrap();
    assert_eq!(loaded.schema(), table.schema());
    let rows: Vec<Vec<Value>> = loaded.scan().unwrap().map(|r| r.unwrap().1).collect();
    assert_eq!(
        rows[0][1],
        Value::Text("[\"2024-01-01 00:00:00+00\",)".into())
    );
}

#[test]
fn foreign_key_timing_round_trips_in_version_6() {
    use vdb_engine::table::{FkAction, ForeignKeyDef};
    let ns = ns();
    let mut schema = Schema::new(
        &[("id", Type::Int8, false), ("parent", Type::Int8, true)],
        &["id"],
    )
    .unwrap();
    let fk = |name: &str| ForeignKeyDef {
        name: name.into(),
        columns: vec![schema.columns[1].id],
        ref_table: "p".into(),
        ref_columns: vec!["id".into()],
        on_delete: FkAction::NoAction,
        on_update: FkAction::NoAction,
        deferrable: false,
        initially_deferred: false,
        not_valid: false,
    };
    let plain = vec![fk("a"), fk("b"), fk("c")];
    schema.foreign_keys = plain.clone();
    let plain_addr = Table::create(&ns, schema.clone()).unwrap().save().unwrap();
    assert_eq!(&ns.store().must_get(&plain_addr).unwrap()[..2], b"T\x01");
    schema.foreign_keys[1].deferrable = true;
    schema.foreign_keys[2].deferrable = true;
    schema.foreign_keys[2].initially_deferred = true;
    let table = Table::create(&ns, schema.clone()).unwrap();
    let addr = table.save().unwrap();
    assert_eq!(&ns.store().must_get(&addr).unwrap()[..2], b"T\x06");
    let loaded = Table::load(&ns, addr).unwrap();
    assert_eq!(loaded.schema(), table.schema());
    let timing: Vec<(bool, bool)> = loaded
        .schema()
        .foreign_keys
        .iter()
        .map(|f| (f.deferrable, f.initially_deferred))
        .collect();
    assert_eq!(timing, [(false, false), (true, false), (true, true)]);
    schema.foreign_keys = plain;
    assert_eq!(
        Table::create(&ns, schema).unwrap().save().unwrap(),
        plain_addr
    );
}

#[test]
fn triggers_round_trip_in_version_7_without_touching_rows() {
    use vdb_engine::table::{TriggerDef, TriggerEvent};
    let ns = ns();
    let mut schema = Schema::new(
        &[("id", Type::Int8, false), ("score", Type::Int4, true)],
        &["id"],
    )
    .unwrap();
    let table = Table::create(&ns, schema.clone())
        .unwrap()
        .apply([RowChange::Insert(vec![Value::Int8(1), Value::Int4(7)])])
        .unwrap();
    let plain_addr = table.save().unwrap();
    assert_eq!(&ns.store().must_get(&plain_addr).unwrap()[..2], b"T\x01");
    let triggers = vec![
        TriggerDef {
            name: "touch".into(),
            before: true,
            events: vec![
                TriggerEvent::Insert,
                TriggerEvent::Update(vec!["score".into()]),
            ],
            for_each_row: true,
            when: Some("new.score > 0".into()),
            function: "s.touch".into(),
            args: vec!["a".into()],
        },
        TriggerDef {
            name: "audit".into(),
            before: false,
            events: vec![TriggerEvent::Delete],
            for_each_row: false,
            when: None,
            function: "audit".into(),
            args: Vec::new(),
        },
    ];
    let addr = table.with_triggers(triggers.clone()).save().unwrap();
    assert_eq!(&ns.store().must_get(&addr).unwrap()[..2], b"T\x07");
    let loaded = Table::load(&ns, addr).unwrap();
    assert_eq!(loaded.schema().triggers, triggers);
    assert_eq!(loaded.rows().root(), table.rows().root());
    // Dropping the triggers gives the plain chunk back.
    assert_eq!(loaded.with_triggers(Vec::new()).save().unwrap(), plain_addr);
    // With a domain as well, the version-6 trailer under the triggers is not empty: both come
    // back.
    schema.columns[1].domain = Some("posint".into());
    let domained = Table::create(&ns, schema)
        .unwrap()
        .with_triggers(triggers.clone());
    let loaded = Table::load(&ns, domained.save().unwrap()).unwrap();
    assert_eq!(loaded.schema().triggers, triggers);
    assert_eq!(loaded.schema().columns[1].domain.as_deref(), Some("posint"));
}
