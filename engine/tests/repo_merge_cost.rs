//! Structural cost of a merge: merging 100 changes on each side of a 100,000-row table loads a
//! number of nodes bounded by the changes, not by the table's size (counted with
//! `NodeStore::stats`, not timed).

use std::sync::Arc;
use vdb_engine::prolly::NodeStore;
use vdb_engine::repo::merge_roots;
use vdb_engine::store::MemoryStore;
use vdb_engine::table::{IndexDef, RootValue, RowChange, Schema, Table};
use vdb_engine::value::{Type, Value};

/// Changes per side.
const CHANGES: i64 = 100;

fn row(id: i64, v: i64) -> Vec<Value> {
    // ~230 bytes per row: a 100k-row table is ~5,600 leaves.
    vec![
        Value::Int8(id),
        Value::Int8(v),
        Value::Text(format!("row {id:08} {}", "x".repeat(200))),
    ]
}

fn root_of(table: &Table) -> RootValue {
    let mut root = RootValue::empty();
    root.put_table("t", table).unwrap();
    root
}

/// `base` with `CHANGES` rows spread evenly over the table, starting at `offset`, updated.
fn edited(base: &Table, rows: i64, offset: i64) -> RootValue {
    let step = rows / CHANGES;
    let changes: Vec<RowChange> = (0..CHANGES)
        .map(|i| {
            let id = i * step + offset;
            RowChange::Update {
                key: base.encode_key_values(&[Value::Int8(id)]).unwrap(),
                row: row(id, -id),
            }
        })
        .collect();
    root_of(&base.apply(changes).unwrap())
}

struct Cost {
    loads: u64,
    depth: u64,
    /// Nodes of the base table's primary map (an estimate from its bytes).
    leaves: u64,
}

/// Merges two disjoint sets of `CHANGES` scattered updates into a `rows`-row table with one
/// secondary index; returns the node loads of the merge alone.
fn merge_cost(rows: i64) -> Cost {
    let ns = NodeStore::new(Arc::new(MemoryStore::new()));
    let mut schema = Schema::new(
        &[
            ("id", Type::Int8, false),
            ("v", Type::Int8, true),
            ("s", Type::Text, true),
        ],
        &["id"],
    )
    .unwrap();
    let v = schema.must_get_column("v").unwrap().id;
    schema.indexes.push(IndexDef {
        name: "t_v".into(),
        columns: vec![v],
        unique: false,
        constraint: false,
        ..Default::default()
    });
    let base = Table::create(&ns, schema)
        .unwrap()
        .apply(
            (0..rows)
                .map(|id| RowChange::Insert(row(id, id)))
                .collect::<Vec<_>>(),
        )
        .unwrap();
    let (ours, theirs) = (edited(&base, rows, 1), edited(&base, rows, 2));
    let before = ns.stats().loads;
    let merged = merge_roots(&ns, &root_of(&base), &ours, &theirs).unwrap();
    let loads = ns.stats().loads - before;
    assert!(merged.is_clean());
    assert_eq!(merged.stats.rows_applied, CHANGES as u64);
    assert_eq!(merged.stats.tables_rewritten, 0);
    assert_eq!(
        merged.root.must_get_table(&ns, "t").unwrap().count(),
        rows as u64
    );
    Cost {
        loads,
        depth: base.rows().depth() as u64,
        leaves: rows as u64 * 240 / 4096,
    }
}

/// 2 × 100 disjoint scattered updates on a 100k-row table: the merge loads at most a fixed
/// number of nodes per change and level, far fewer than the table's leaves, and well under 10×
/// the loads of the same merge on a table ten times smaller (the larger table is one level
/// deeper and its changes fall in more distinct leaves, so some growth is expected; a cost that
/// followed the table's size would grow 10×).
///
/// The per-change bound: each of the two diffs loads at most 2·(d + 1) nodes per change (one
/// path down each tree); applying theirs' change to ours reads one path in the primary map for
/// the old row (the index needs it) and one for the edit, and two paths in the index for the
/// old and new entries: 4·d more. So at most 2·2·(d + 1) + 4·d ≈ 8·d + 4 per change, with
/// k = 2 · 100 changes counted (ours' changes are diffed too).
#[test]
fn merge_cost_follows_changes_not_table_size() {
    let big = merge_cost(100_000);
    let small = merge_cost(10_000);
    let k = 2 * CHANGES as u64;
    let bound = k * (8 * big.depth + 4);
    println!(
        "100k rows: {} loads (depth {}, ~{} leaves, bound {bound}); 10k rows: {} loads",
        big.loads, big.depth, big.leaves, small.loads
    );
    assert!(
        big.loads <= bound,
        "loaded {} nodes, bound {bound}",
        big.loads
    );
    assert!(
        big.loads < big.leaves / 2,
        "a merge must not read the table"
    );
    assert!(
        big.loads < 3 * small.loads,
        "10× the rows should not cost much more: {} vs {}",
        big.loads,
        small.loads
    );
}
