//! Storage-engine benchmarks on the workload: N rows of
//! `labels(id bigint primary key, text text, label int, score float8)` in a table on the on-disk
//! store. Sizes (bytes on disk, bytes added by a commit) are printed before the timings, since
//! criterion only times. `VDB_BENCH_ROWS` sets N (default 1,000,000).
//!
//! Run: `cargo bench -p vdb-engine --bench prolly`.

use bytes::Bytes;
use criterion::{black_box, criterion_group, BatchSize, Criterion};
use std::ops::Bound;
use std::sync::Arc;
use std::time::{Duration, Instant};
use vdb_engine::prolly::{merge, Map, NodeStore, Resolution};
use vdb_engine::store::{ChunkStore, DiskStore, DiskStoreOptions};
use vdb_engine::table::{Schema, Table};
use vdb_engine::testkit::Lcg;
use vdb_engine::value::{Type, Value};

fn rows() -> u64 {
    std::env::var("VDB_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

fn schema() -> Schema {
    Schema::new(
        &[
            ("id", Type::Int8, false),
            ("text", Type::Text, true),
            ("label", Type::Int4, true),
            ("score", Type::Float8, true),
        ],
        &["id"],
    )
    .expect("valid schema")
}

/// Row i: a ~24-byte text, a label in 0..10, a score in [0, 1).
fn row(i: u64, rng: &mut Lcg) -> Vec<Value> {
    vec![
        Value::Int8(i as i64),
        Value::Text(format!("label-text-{i:08}-{:03}", rng.next_u64() % 1000)),
        Value::Int4((rng.next_u64() % 10) as i32),
        Value::Float8((rng.next_u64() % 1_000_000) as f64 / 1e6),
    ]
}

/// The table's rows, encoded (primary-map key, row value), in key order: generated once, so
/// that the build benchmark times the engine rather than the test-data generator.
fn encoded_rows(table: &Table, n: u64) -> Vec<(Bytes, Bytes)> {
    let mut rng = Lcg(42);
    (0..n)
        .map(|i| {
            let r = row(i, &mut rng);
            (table.key_of(&r).expect("key"), encode_value(&r))
        })
        .collect()
}

/// The table's primary map built in one streaming pass.
fn build(ns: &NodeStore, rows: &[(Bytes, Bytes)]) -> Map {
    Map::build(ns, rows.iter().cloned()).expect("build")
}

fn encode_value(r: &[Value]) -> Bytes {
    let mut out = Vec::new();
    vdb_engine::codec::encode_row(&r[1..], &[Type::Text, Type::Int4, Type::Float8], &mut out)
        .expect("row");
    Bytes::from(out)
}

/// k random updates of existing rows (same lengths: label and score change).
fn updates(n: u64, k: usize, seed: u64, table: &Table) -> Vec<(Bytes, Option<Bytes>)> {
    let mut rng = Lcg(seed);
    (0..k)
        .map(|_| {
            let i = rng.next_u64() % n;
            let mut r = row(i, &mut rng);
            r[3] = Value::Float8(-((rng.next_u64() % 1000) as f64) - 1.0);
            (table.key_of(&r).expect("key"), Some(encode_value(&r)))
        })
        .collect()
}

fn open(dir: &std::path::Path) -> (Arc<DiskStore>, NodeStore) {
    let store = Arc::new(DiskStore::open(dir, DiskStoreOptions::default()).expect("open store"));
    let ns = NodeStore::new(store.clone());
    (store, ns)
}

/// Prints the figures criterion cannot: build time, bytes on disk, bytes per 100-row commit.
fn sizes(n: u64) -> (Table, Vec<(Bytes, Bytes)>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, ns) = open(dir.path());
    let table = Table::create(&ns, schema()).expect("table");
    let start = Instant::now();
    let rows = encoded_rows(&table, n);
    let encoded = start.elapsed();
    let start = Instant::now();
    let map = build(&ns, &rows);
    store.flush().expect("flush");
    let built = start.elapsed();
    let on_disk = store.disk_usage().expect("usage");
    let before = store.stats().bytes_written;
    let disk_before = on_disk;
    let work = ns.stats();
    let edit_start = Instant::now();
    let edited = map.edit(updates(n, 100, 9, &table)).expect("edit");
    let edit_time = edit_start.elapsed();
    let work = (
        ns.stats().writes - work.writes,
        ns.stats().loads - work.loads,
    );
    store
        .cas_root("bench", None, Some(edited.root().as_bytes()))
        .expect("cas");
    let added = store.stats().bytes_written - before;
    let disk_added = store.disk_usage().expect("usage") - disk_before;
    println!(
        "rows={n} depth={} encode_rows={:.3}s build={:.3}s on_disk={:.1}MiB chunk_bytes_per_100_row_commit={:.1}KiB \
         disk_bytes_per_100_row_commit={:.1}KiB",
        map.depth(),
        encoded.as_secs_f64(),
        built.as_secs_f64(),
        on_disk as f64 / 1048576.0,
        added as f64 / 1024.0,
        disk_added as f64 / 1024.0
    );
    // Commit latency split into its parts, over 30 commits (median).
    let (mut edits, mut flushes) = (Vec::new(), Vec::new());
    let mut current = edited;
    for round in 0..30 {
        let batch = updates(n, 100, 1000 + round, &table);
        let t = Instant::now();
        current = current.edit(batch).expect("edit");
        edits.push(t.elapsed());
        let t = Instant::now();
        store.flush().expect("flush");
        flushes.push(t.elapsed());
    }
    edits.sort();
    flushes.sort();
    println!(
        "100-row commit, median of 30: edit {:.2?}, flush {:.2?}",
        edits[15], flushes[15]
    );
    println!(
        "100-row edit: {} nodes written, {} nodes loaded, {:.2?} (cold: first touch of the cache)",
        work.0, work.1, edit_time
    );
    // Does compression pay? The same build on a store without it.
    let raw_dir = tempfile::tempdir().expect("tempdir");
    let options = DiskStoreOptions {
        compress: false,
        ..DiskStoreOptions::default()
    };
    let raw_store = Arc::new(DiskStore::open(raw_dir.path(), options).expect("open"));
    let raw_ns = NodeStore::new(raw_store.clone());
    let start = Instant::now();
    build(&raw_ns, &rows);
    raw_store.flush().expect("flush");
    println!(
        "without compression: build={:.3}s on_disk={:.1}MiB",
        start.elapsed().as_secs_f64(),
        raw_store.disk_usage().expect("usage") as f64 / 1048576.0
    );
    (table, rows)
}

fn benches(c: &mut Criterion) {
    let n = rows();
    let (table, rows) = sizes(n);
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, ns) = open(dir.path());
    let map = build(&ns, &rows);
    store.flush().expect("flush");

    let mut group = c.benchmark_group(format!("engine_{n}"));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));

    group.bench_function("bulk_build", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                let (store, ns) = open(dir.path());
                (dir, store, ns)
            },
            |(dir, store, ns)| {
                black_box(build(&ns, &rows));
                store.flush().expect("flush");
                drop(dir);
            },
            BatchSize::PerIteration,
        );
    });

    let mut rng = Lcg(1);
    let keys: Vec<Bytes> = (0..10_000)
        .map(|_| {
            table
                .key_of(&row(rng.next_u64() % n, &mut rng))
                .expect("key")
        })
        .collect();
    let mut i = 0;
    group.bench_function("point_get_warm", |b| {
        b.iter(|| {
            i = (i + 1) % keys.len();
            black_box(map.get(&keys[i]).expect("get"))
        });
    });

    let mut seed = 100;
    group.bench_function("update_100", |b| {
        b.iter_batched(
            || {
                seed += 1;
                updates(n, 100, seed, &table)
            },
            |edits| black_box(map.edit(edits).expect("edit")),
            BatchSize::SmallInput,
        );
    });

    group.bench_function("update_100_and_flush", |b| {
        b.iter_batched(
            || {
                seed += 1;
                updates(n, 100, seed, &table)
            },
            |edits| {
                let edited = map.edit(edits).expect("edit");
                store.flush().expect("flush");
                black_box(edited)
            },
            BatchSize::SmallInput,
        );
    });

    let changed = map.edit(updates(n, 100, 7, &table)).expect("edit");
    group.bench_function("diff_100", |b| {
        b.iter(|| {
            let count = map.diff(&changed).filter(|d| d.is_ok()).count();
            assert!(count > 90);
            count
        });
    });

    let ours = map.edit(updates(n, 100, 11, &table)).expect("edit");
    let theirs = map.edit(updates(n, 100, 12, &table)).expect("edit");
    group.bench_function("merge_2x100", |b| {
        b.iter(|| {
            let outcome = merge(&map, &ours, &theirs, |_| Ok(Resolution::Conflict)).expect("merge");
            black_box(outcome.map.root())
        });
    });

    group.throughput(criterion::Throughput::Elements(n));
    group.bench_function("full_scan", |b| {
        b.iter(|| {
            let mut bytes = 0;
            map.scan(Bound::Unbounded, Bound::Unbounded, |k, v| {
                bytes += k.len() + v.len();
                Ok(true)
            })
            .expect("scan");
            bytes
        });
    });
    group.bench_function("full_scan_iter", |b| {
        b.iter(|| map.iter().expect("iter").filter(|e| e.is_ok()).count());
    });
    group.finish();
}

criterion_group!(engine, benches);

fn main() {
    engine();
    Criterion::default().configure_from_args().final_summary();
}
