//! A timing probe for joins (a measurement, not a test): `cargo run --release -p vdb-sql
//! --example join_timing` joins two tables of `VDB_JOIN_ROWS` rows (default 100 000) on an
//! integer key and prints how long the join took.

use std::sync::Arc;
use std::time::Instant;

use vdb_engine::repo::{Repository, Signature};
use vdb_engine::store::MemoryStore;
use vdb_sql::{Session, StatementResult};

fn main() {
    let n: u64 = std::env::var("VDB_JOIN_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let store = Arc::new(MemoryStore::new());
    let signature = Signature::new("bench", "bench@vdb.invalid", 0);
    let repo = Repository::init(store, "main", &signature).expect("init repository");
    let mut session = Session::new(Arc::new(repo), "main");
    for sql in [
        "CREATE TABLE a (id int PRIMARY KEY, k int)".to_string(),
        "CREATE TABLE b (id int PRIMARY KEY, k int)".to_string(),
        format!("INSERT INTO a SELECT g, g % 50000 FROM generate_series(1, {n}) g"),
        format!("INSERT INTO b SELECT g, (g * 7) % 50000 FROM generate_series(1, {n}) g"),
    ] {
        session.execute(&sql).expect("setup");
    }
    let start = Instant::now();
    let mut results = session
        .execute("SELECT count(*) FROM a JOIN b ON a.k = b.k")
        .expect("join");
    let elapsed = start.elapsed();
    let Some(StatementResult::Rows { rows, .. }) = results.pop() else {
        panic!("expected rows");
    };
    println!("{n} x {n} equi-join: {rows:?} in {elapsed:?}");
}
