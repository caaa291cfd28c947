//! Helpers the remote tests share: a clock for signatures, a file:// remote URL in a temporary
//! directory, and commits that write rows of a small table.

use std::sync::atomic::{AtomicI64, Ordering};
use vdb_engine::repo::{CommitOptions, Repository, Signature};
use vdb_engine::table::{RowChange, Schema, Table};
use vdb_engine::value::{Type, Value};
use vdb_engine::Hash;

static CLOCK: AtomicI64 = AtomicI64::new(1_700_000_000_000);

/// A signature one second later than the last one.
pub fn sig() -> Signature {
    Signature::new(
        "Ada",
        "ada@example.com",
        CLOCK.fetch_add(1000, Ordering::Relaxed),
    )
}

pub fn url(dir: &tempfile::TempDir) -> String {
    format!("file://{}/remote", dir.path().display())
}

/// Table t's schema: `id bigint PRIMARY KEY, v text`.
pub fn schema() -> Schema {
    Schema::new(
        &[("id", Type::Int8, false), ("v", Type::Text, true)],
        &["id"],
    )
    .unwrap()
}

/// Sets rows `ids` of table t on `branch` (creating the table) to `v<id>`, and commits.
pub fn write_rows_on(
    repo: &Repository,
    branch: &str,
    ids: impl Iterator<Item = i64>,
    v: &str,
) -> Hash {
    let mut root = repo.working_root(branch).unwrap();
    let table = match root.get_table(repo.node_store(), "t").unwrap() {
        Some(t) => t,
        None => Table::create(repo.node_store(), schema()).unwrap(),
    };
    let changes: Vec<RowChange> = ids
        .map(|id| {
            let key = table.encode_key_values(&[Value::Int8(id)]).unwrap();
            let row = vec![Value::Int8(id), Value::Text(format!("{v}{id}"))];
            if table.get(&key).unwrap().is_some() {
                RowChange::Update { key, row }
            } else {
                RowChange::Insert(row)
            }
        })
        .collect();
    root.put_table("t", &table.apply(changes).unwrap()).unwrap();
    repo.set_working_root(branch, &root).unwrap();
    repo.stage(branch, None).unwrap();
    repo.commit(branch, &CommitOptions::new(&format!("write {v}"), sig()))
        .unwrap()
}
