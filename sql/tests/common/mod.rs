//! Helpers the Rust-level SQL tests share: a fresh in-memory repository, and a session's
//! answers as PostgreSQL text (rows, one value, or the SQLSTATE of an error).
// Each test crate compiles this module on its own and uses only some of it.
#![allow(dead_code)]

use std::sync::Arc;

use vdb_engine::repo::{Repository, Signature};
use vdb_engine::store::{ChunkStore, MemoryStore};
use vdb_sql::{Session, StatementResult};

/// A repository with an empty `main` in a fresh in-memory store, and the store (to open the
/// repository again, as after a restart).
pub fn repo() -> (Arc<dyn ChunkStore>, Arc<Repository>) {
    let store: Arc<dyn ChunkStore> = Arc::new(MemoryStore::new());
    let signature = Signature::new("test", "test@example.invalid", 0);
    let repo = Arc::new(Repository::init(store.clone(), "main", &signature).expect("init"));
    (store, repo)
}

/// The rows of `sql`'s last statement, each value as PostgreSQL's text ("NULL" for NULL).
pub fn rows(session: &mut Session, sql: &str) -> Vec<Vec<String>> {
    match session.execute(sql).expect(sql).pop() {
        Some(StatementResult::Rows { rows, .. }) => rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|v| vdb_sql::types::to_pg_text(v).unwrap_or_else(|| "NULL".into()))
                    .collect()
            })
            .collect(),
        other => panic!("{sql}: expected rows, got {other:?}"),
    }
}

/// The one value `sql` returns.
pub fn one(session: &mut Session, sql: &str) -> String {
    let rows = rows(session, sql);
    assert_eq!(rows.len(), 1, "{sql}: {rows:?}");
    rows[0][0].clone()
}

/// The SQLSTATE of the error `sql` must fail with.
pub fn sqlstate(session: &mut Session, sql: &str) -> String {
    match session.execute(sql) {
        Ok(r) => panic!("{sql}: expected an error, got {r:?}"),
        Err(e) => e.sqlstate().to_string(),
    }
}
