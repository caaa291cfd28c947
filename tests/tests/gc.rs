//! Garbage collection on a real disk store: gc removes exactly the chunks of an aborted
//! transaction and of a deleted branch (counted by fsck's reachability walk before and after),
//! reclaims their journal bytes, and leaves every reachable version intact, also across a
//! reopen; and gc running again and again while writers commit and readers scan never removes a
//! chunk they need.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use vdb_engine::gc::{GcOptions, GcStats};
use vdb_engine::repo::{CommitOptions, Repository, Signature};
use vdb_engine::store::{ChunkStore, DiskStore, DiskStoreOptions};
use vdb_engine::value::Value;
use vdb_sql::{Session, StatementResult};

fn options() -> DiskStoreOptions {
    DiskStoreOptions {
        journal_file_limit: 256 << 10,
        ..DiskStoreOptions::default()
    }
}

fn open(dir: &std::path::Path) -> (Arc<DiskStore>, Arc<Repository>) {
    let store = Arc::new(DiskStore::open(dir, options()).unwrap());
    let dyn_store: Arc<dyn ChunkStore> = store.clone();
    let repo = match Repository::open(dyn_store.clone()) {
        Ok(repo) => repo,
        Err(_) => Repository::init(dyn_store, "main", &signature()).unwrap(),
    };
    (store, Arc::new(repo))
}

/// A collection without a grace period: the tests' writers are done, or hold `gc_hold`.
fn gc(repo: &Repository) -> GcStats {
    repo.gc_with(&GcOptions {
        grace: std::time::Duration::ZERO,
    })
    .unwrap()
}

fn signature() -> Signature {
    Signature::new("gc", "gc@vdb.invalid", 0)
}

fn commit(repo: &Repository, branch: &str, message: &str) {
    repo.stage(branch, None).unwrap();
    repo.commit(branch, &CommitOptions::new(message, signature()))
        .unwrap();
}

/// `n` rows from `from`, each with 200 bytes of text unique to `tag`.
fn insert_sql(table: &str, from: i64, n: i64, tag: &str) -> String {
    format!(
        "INSERT INTO {table} SELECT g, repeat('{tag}' || g, 20) FROM generate_series({from}, {}) g",
        from + n - 1
    )
}

fn count(session: &mut Session, table: &str) -> i64 {
    match session
        .execute(&format!("SELECT count(*) FROM {table}"))
        .unwrap()
        .pop()
    {
        Some(StatementResult::Rows { rows, .. }) => match rows[0][0] {
            Value::Int8(n) => n,
            ref other => panic!("count gave {other:?}"),
        },
        other => panic!("count gave {other:?}"),
    }
}

#[test]
fn gc_reclaims_a_deleted_branch_and_an_aborted_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let (store, repo) = open(dir.path());
    let mut main = Session::new(repo.clone(), "main");
    main.execute("CREATE TABLE t (k INT PRIMARY KEY, v TEXT)")
        .unwrap();
    main.execute(&insert_sql("t", 1, 3000, "main")).unwrap();
    commit(&repo, "main", "main rows");
    repo.branch_create("feature", "main", false).unwrap();
    let mut feature = Session::new(repo.clone(), "feature");
    feature
        .execute(&insert_sql("t", 10_001, 3000, "feature"))
        .unwrap();
    commit(&repo, "feature", "feature rows");
    // Start from a store without garbage, so that what each later gc removes can be counted.
    gc(&repo);
    let baseline = store.chunk_count().unwrap();
    assert_eq!(baseline, repo.fsck().unwrap().chunks);

    // An aborted transaction: its chunks reach the store, but no root ever names them.
    main.execute("BEGIN").unwrap();
    main.execute(&insert_sql("t", 20_001, 3000, "aborted"))
        .unwrap();
    main.execute("ROLLBACK").unwrap();
    store.flush().unwrap();
    let with_aborted = store.chunk_count().unwrap();
    assert!(with_aborted > baseline + 10, "{with_aborted} vs {baseline}");
    let stats = gc(&repo);
    assert_eq!(stats.sweep.chunks_removed, with_aborted - baseline);
    assert!(stats.sweep.bytes_reclaimed >= stats.sweep.record_bytes_removed);
    assert!(stats.sweep.record_bytes_removed > 0, "{stats:?}");
    assert_eq!(store.chunk_count().unwrap(), baseline);
    eprintln!("aborted transaction: {stats:?}");

    // A deleted branch: the chunks only it reaches go; everything main reaches stays.
    let live_before = repo.fsck().unwrap().chunks;
    repo.branch_delete("feature", true).unwrap();
    let live_after = repo.fsck().unwrap().chunks;
    assert!(live_after < live_before);
    let stats = gc(&repo);
    assert_eq!(stats.sweep.chunks_removed, live_before - live_after);
    assert_eq!(stats.live_chunks, live_after);
    assert!(
        stats.sweep.bytes_reclaimed >= stats.sweep.record_bytes_removed,
        "{stats:?}"
    );
    assert!(stats.sweep.record_bytes_removed > 0, "{stats:?}");
    assert_eq!(store.chunk_count().unwrap(), live_after);
    eprintln!("deleted branch: {stats:?}");

    // Nothing is left to collect, and what main reaches is intact, also after a reopen.
    assert_eq!(gc(&repo).sweep.chunks_removed, 0);
    assert_eq!(count(&mut main, "t"), 3000);
    assert!(repo.fsck().unwrap().is_ok());
    drop((main, feature, repo, store));
    let (store, repo) = open(dir.path());
    let report = repo.fsck().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.chunks, store.chunk_count().unwrap());
    let mut main = Session::new(repo, "main");
    assert_eq!(count(&mut main, "t"), 3000);
}

/// gc in a loop, without a grace period, while one thread writes (autocommit statements,
/// explicit transactions, version commits) and another scans: every write lands, every scan
/// sees whole tables, and the store verifies at the end, also after a reopen. The writer holds a
/// `gc_hold` for each transaction, as the SQL layer does too; each scan holds the working root it
/// reads (a read hold), which the writer replaces and gc would otherwise remove under it.
#[test]
fn gc_is_safe_while_others_read_and_write() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, repo) = open(dir.path());
    Session::new(repo.clone(), "main")
        .execute("CREATE TABLE t (k INT PRIMARY KEY, v TEXT)")
        .unwrap();
    let done = Arc::new(AtomicBool::new(false));
    const STEPS: i64 = 60;
    let writer = {
        let repo = repo.clone();
        std::thread::spawn(move || {
            let mut session = Session::new(repo.clone(), "main");
            for i in 0..STEPS {
                let hold = repo.gc_hold();
                session.execute(&insert_sql("t", i * 100, 50, "a")).unwrap();
                drop(hold);
                let hold = repo.gc_hold();
                session.execute("BEGIN").unwrap();
                session
                    .execute(&insert_sql("t", i * 100 + 50, 50, "b"))
                    .unwrap();
                session
                    .execute(&format!("DELETE FROM t WHERE k = {}", i * 100))
                    .unwrap();
                session.execute("COMMIT").unwrap();
                drop(hold);
                let _hold = repo.gc_hold();
                session.execute("BEGIN").unwrap();
                session
                    .execute(&insert_sql("t", 1_000_000 + i, 50, "x"))
                    .unwrap();
                session.execute("ROLLBACK").unwrap();
                if i % 10 == 9 {
                    commit(&repo, "main", &format!("step {i}"));
                }
            }
        })
    };
    let reader = {
        let repo = repo.clone();
        let done = done.clone();
        std::thread::spawn(move || {
            let mut session = Session::new(repo, "main");
            let mut scans = 0;
            while !done.load(Ordering::SeqCst) {
                let n = count(&mut session, "t");
                assert!(
                    n % 99 == 0 || n % 99 == 50,
                    "a scan saw a partial statement: {n} rows"
                );
                scans += 1;
            }
            scans
        })
    };
    let mut gcs = 0;
    let mut removed = 0;
    while !writer.is_finished() {
        let stats = gc(&repo);
        removed += stats.sweep.chunks_removed;
        gcs += 1;
    }
    writer.join().unwrap();
    done.store(true, Ordering::SeqCst);
    let scans = reader.join().unwrap();
    let stats = gc(&repo);
    eprintln!("{gcs} collections during the writes removed {removed} chunks; {scans} scans");
    assert!(gcs > 1);
    let report = repo.fsck().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(stats.live_chunks, report.chunks);
    let mut session = Session::new(repo.clone(), "main");
    assert_eq!(count(&mut session, "t"), STEPS * 99);
    let log = repo.log("main", None).unwrap();
    assert_eq!(log.len(), 1 + STEPS as usize / 10);
    drop((session, repo, _store));
    let (_store, repo) = open(dir.path());
    assert!(repo.fsck().unwrap().is_ok());
    assert_eq!(count(&mut Session::new(repo, "main"), "t"), STEPS * 99);
}
