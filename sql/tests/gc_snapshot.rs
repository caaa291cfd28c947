//! Garbage collection against sessions' snapshots, in-process on a disk store: a REPEATABLE
//! READ transaction block keeps reading the snapshot it began on after another session rewrote
//! every row and a collection without a grace period ran, and a session pinned to a revision
//! keeps reading it after its branch moved away; once they let go, the old rows are collected.
//!
//! Each session gets its own `Repository` over the one store, so that no session finds another's
//! nodes in its node cache: every node a session reads comes from the store.

use std::sync::Arc;
use std::time::Duration;

use vdb_engine::gc::{GcOptions, GcStats};
use vdb_engine::repo::{CommitOptions, Repository, Signature};
use vdb_engine::store::{ChunkStore, DiskStore, DiskStoreOptions};
use vdb_engine::value::Value;
use vdb_sql::{Session, StatementResult};

/// Rows in `t`: enough for a prolly tree with internal nodes, so that a session reading a few
/// rows has not read most of the tree.
const ROWS: i64 = 4000;

fn signature() -> Signature {
    Signature::new("test", "test@example.invalid", 0)
}

fn open_store(dir: &std::path::Path) -> Arc<dyn ChunkStore> {
    Arc::new(DiskStore::open(dir, DiskStoreOptions::default()).expect("open"))
}

/// A repository of its own (its own node cache) over `store`.
fn repo(store: &Arc<dyn ChunkStore>) -> Arc<Repository> {
    Arc::new(Repository::open(store.clone()).expect("open repository"))
}

/// A store whose `main` has `t` with `ROWS` rows valued `old...`, and an empty `u`.
fn setup(dir: &std::path::Path) -> Arc<dyn ChunkStore> {
    let store = open_store(dir);
    let repo = Repository::init(store.clone(), "main", &signature()).expect("init");
    let mut session = Session::new(Arc::new(repo), "main");
    session
        .execute(&format!(
            "CREATE TABLE t (k int PRIMARY KEY, v text); \
             CREATE TABLE u (k int PRIMARY KEY); \
             INSERT INTO t SELECT g, repeat('old' || g, 10) FROM generate_series(1, {ROWS}) g"
        ))
        .expect("setup");
    store
}

fn gc(store: &Arc<dyn ChunkStore>) -> GcStats {
    repo(store)
        .gc_with(&GcOptions {
            grace: Duration::ZERO,
        })
        .expect("gc")
}

fn rows(session: &mut Session, sql: &str) -> Vec<Vec<Value>> {
    match session.execute(sql).expect(sql).pop() {
        Some(StatementResult::Rows { rows, .. }) => rows,
        other => panic!("{sql}: expected rows, got {other:?}"),
    }
}

/// Checks that `rows` are `(k, v)` for every k in 1..=ROWS, in order, with v from `version`.
fn assert_table(rows: &[Vec<Value>], version: &str) {
    assert_eq!(rows.len() as i64, ROWS);
    for (i, row) in rows.iter().enumerate() {
        let k = i as i64 + 1;
        let expected = vec![
            Value::Int4(k as i32),
            Value::Text(format!("{version}{k}").repeat(10)),
        ];
        assert_eq!(*row, expected, "row {k}");
    }
}

#[test]
fn a_transaction_reads_its_snapshot_after_gc_removed_what_no_ref_reaches() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = setup(dir.path());
    let mut a = Session::new(repo(&store), "main");
    let mut b = Session::new(repo(&store), "main");

    // REPEATABLE READ: the block reads one snapshot throughout (READ COMMITTED would take a
    // new one for each statement).
    a.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        .expect("BEGIN");
    let first = rows(&mut a, "SELECT k, v FROM t WHERE k <= 3 ORDER BY k");
    assert_eq!(first.len(), 3);
    // B rewrites every row: no ref reaches the root A began on any more.
    b.execute("UPDATE t SET v = repeat('new' || k, 10)")
        .expect("UPDATE");
    let stats = gc(&store);
    assert!(stats.sweep.chunks_removed > 0, "{stats:?}");

    assert_table(&rows(&mut a, "SELECT k, v FROM t ORDER BY k"), "old");
    a.execute("INSERT INTO u VALUES (1)").expect("INSERT");
    a.execute("COMMIT").expect("COMMIT");

    // A's commit merged with B's rewrite; A let go of its snapshot, whose rows now go.
    assert_table(&rows(&mut a, "SELECT k, v FROM t ORDER BY k"), "new");
    assert_eq!(rows(&mut b, "SELECT k FROM u"), vec![vec![Value::Int4(1)]]);
    let stats = gc(&store);
    assert!(stats.sweep.chunks_removed > 10, "{stats:?}");
    let report = repo(&store).fsck().expect("fsck");
    assert!(report.is_ok(), "{:?}", report.problems);
}

#[test]
fn a_pinned_session_reads_its_revision_after_the_branch_moved_away() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = setup(dir.path());
    let writer = repo(&store);
    writer.stage("main", None).expect("stage");
    writer
        .commit("main", &CommitOptions::new("old rows", signature()))
        .expect("commit");
    let old = writer.resolve("HEAD").expect("HEAD").to_hex();
    let mut pinned = Session::at_revision(repo(&store), "main", &old).expect("pin");
    let first = rows(&mut pinned, "SELECT k, v FROM t WHERE k <= 3 ORDER BY k");
    assert_eq!(first.len(), 3);

    // main forgets the commit: it is rewritten and reset onto a new root commit of its own.
    let mut b = Session::new(writer, "main");
    b.execute("UPDATE t SET v = repeat('new' || k, 10)")
        .expect("UPDATE");
    rows(&mut b, "SELECT vdb_commit('-am', 'new rows', '--amend')");
    let stats = gc(&store);
    assert!(stats.sweep.chunks_removed > 0, "{stats:?}");

    assert_table(&rows(&mut pinned, "SELECT k, v FROM t ORDER BY k"), "old");
    drop(pinned);
    let stats = gc(&store);
    assert!(stats.sweep.chunks_removed > 10, "{stats:?}");
}
