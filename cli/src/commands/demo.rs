//! `vdb demo`: exercises the storage engine end to end on a real on-disk store, as a tour of what
//! vdb's tables are made of until the SQL server lands: build a labels table, branch it, change
//! labels on two branches, diff, merge three-way, verify, reopen.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use vdb_engine::prolly::{merge, DiffEntry, NodeStore, Resolution};
use vdb_engine::store::{ChunkStore, DiskStore, DiskStoreOptions};
use vdb_engine::table::{RootValue, RowChange, Schema, Table};
use vdb_engine::value::{Type, Value};
use vdb_engine::Hash;

/// Build a labels table on disk, branch it, edit both branches, diff and merge them.
///
/// Example: `vdb demo --rows 100000 --data-dir /tmp/vdb-demo`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Rows in the demo table.
    #[arg(long, default_value_t = 200_000)]
    rows: u64,
    /// Where to keep the store (created if missing; reused if present).
    #[arg(long, default_value = ".vdb-data/demo")]
    data_dir: PathBuf,
}

fn labels_schema() -> vdb_engine::Result<Schema> {
    Schema::new(
        &[
            ("id", Type::Int8, false),
            ("text", Type::Text, true),
            ("label", Type::Int4, true),
            ("score", Type::Float8, true),
        ],
        &["id"],
    )
}

fn row(i: u64, label: i32) -> Vec<Value> {
    vec![
        Value::Int8(i as i64),
        Value::Text(format!("example text number {i:08}")),
        Value::Int4(label),
        Value::Float8((i % 1000) as f64 / 1000.0),
    ]
}

/// Relabels every `stride`-th row starting at `offset`.
fn relabel(
    table: &Table,
    n: u64,
    offset: u64,
    stride: u64,
    label: i32,
) -> vdb_engine::Result<Table> {
    table.apply(
        (offset..n)
            .step_by(stride as usize)
            .map(|i| RowChange::Insert(row(i, label))),
    )
}

fn commit(
    store: &dyn ChunkStore,
    ns: &NodeStore,
    name: &str,
    table: &Table,
) -> vdb_engine::Result<Hash> {
    let mut root = RootValue::empty();
    root.put_table("labels", table)?;
    let addr = root.save(ns)?;
    let old = store.get_root(name)?;
    store.cas_root(name, old.as_deref(), Some(addr.as_bytes()))?;
    Ok(addr)
}

pub fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let store = Arc::new(DiskStore::open(
        &args.data_dir,
        DiskStoreOptions::default(),
    )?);
    let ns = NodeStore::new(store.clone());
    let n = args.rows;
    println!("vdb demo: store at {}", args.data_dir.display());

    let start = Instant::now();
    let base = Table::create(&ns, labels_schema()?)?;
    let base = base.apply((0..n).map(|i| RowChange::Insert(row(i, (i % 10) as i32))))?;
    let main_root = commit(store.as_ref(), &ns, "demo/main", &base)?;
    println!(
        "built labels: {} rows, depth {}, in {:.2?}; root {}",
        base.count(),
        base.rows().depth(),
        start.elapsed(),
        main_root
    );

    let ours = relabel(&base, n, 0, 50, 100)?; // main relabels every 50th row
    let theirs = relabel(&base, n, 25, 50, 200)?; // a branch relabels others
    commit(store.as_ref(), &ns, "demo/main", &ours)?;
    commit(store.as_ref(), &ns, "demo/relabel", &theirs)?;

    let start = Instant::now();
    let loads = ns.stats().loads;
    let changes: Vec<DiffEntry> = base.rows().diff(theirs.rows()).collect::<Result<_, _>>()?;
    println!(
        "diff base..relabel: {} modified rows in {:.2?}, {} nodes read",
        changes.len(),
        start.elapsed(),
        ns.stats().loads - loads
    );
    if let Some(DiffEntry::Modified { key, old, new }) = changes.first() {
        let before = base.decode(key, old)?;
        let after = base.decode(key, new)?;
        println!("  first change: {before:?} -> {after:?}");
    }

    let start = Instant::now();
    let outcome = merge(base.rows(), ours.rows(), theirs.rows(), |_| {
        Ok(Resolution::Conflict)
    })?;
    println!(
        "merge relabel into main: {} changes applied, {} conflicts, in {:.2?}",
        outcome.applied,
        outcome.conflicts,
        start.elapsed()
    );
    let problems = outcome.map.verify()?;
    println!("verify merged tree: {} problems", problems.len());
    println!(
        "store: {:.1} MiB on disk, {:?}",
        store.disk_usage()? as f64 / 1048576.0,
        store.stats()
    );
    Ok(())
}
