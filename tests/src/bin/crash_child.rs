//! The child of the crash test (`tests/tests/crash.rs`): opens (or creates) a repository in the
//! directory it is given and loops forever, each step one SQL transaction and every fifth step
//! also a version commit, printing an acknowledgement line once each is durable. The parent
//! kills it with SIGKILL at random moments and checks that every acknowledged step survived.
//!
//! Step `i` (from 1): `BEGIN; INSERT INTO t VALUES (i, 'row i'); UPDATE t SET v = v || '+i'
//! WHERE k = i / 2; COMMIT`, acknowledged as `tx i`; then, when `i % 5 == 0`, stage everything
//! and commit, acknowledged as `commit i HASH`. A restarted child resumes after the last step
//! the table holds. [`vdb_tests::crash::expected_rows`] is the table after step `n`.
//!
//! The store uses a small write buffer and small journal files, so spills, fsyncs and file
//! rotations all happen often enough for kills to land inside them.

use std::io::Write;
use std::sync::Arc;
use vdb_engine::repo::{CommitOptions, Repository, Signature};
use vdb_engine::store::{DiskStore, DiskStoreOptions};
use vdb_engine::value::Value;
use vdb_sql::{Session, StatementResult};
use vdb_tests::crash::{step_sql, store_dir, BRANCH};

fn main() {
    let dir = std::env::args().nth(1).expect("usage: crash_child DIR");
    if let Err(e) = run(&dir) {
        eprintln!("crash_child: {e}");
        std::process::exit(1);
    }
}

fn run(dir: &str) -> Result<(), Box<dyn std::error::Error>> {
    let options = DiskStoreOptions {
        write_buffer: 4 << 10,
        journal_file_limit: 64 << 10,
        ..DiskStoreOptions::default()
    };
    let store = Arc::new(DiskStore::open(store_dir(dir.as_ref()), options)?);
    let signature = Signature::new("crash", "crash@vdb.invalid", 0);
    let repo = match Repository::open(store.clone()) {
        Ok(repo) => repo,
        Err(_) => Repository::init(store, BRANCH, &signature)?,
    };
    let repo = Arc::new(repo);
    let mut session = Session::new(repo.clone(), BRANCH);
    session.execute("CREATE TABLE IF NOT EXISTS t (k INT PRIMARY KEY, v TEXT NOT NULL)")?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")?;
    out.flush()?;
    let done = match session.execute("SELECT count(*) FROM t")?.pop() {
        Some(StatementResult::Rows { rows, .. }) => match rows.first().and_then(|r| r.first()) {
            Some(Value::Int8(n)) => u64::try_from(*n)?,
            other => return Err(format!("count returned {other:?}").into()),
        },
        other => return Err(format!("count returned {other:?}").into()),
    };
    for i in done + 1.. {
        session.execute(&step_sql(i))?;
        writeln!(out, "tx {i}")?;
        out.flush()?;
        if i % 5 == 0 {
            repo.stage(BRANCH, None)?;
            let opts = CommitOptions::new(&format!("step {i}"), signature.clone());
            let hash = repo.commit(BRANCH, &opts)?;
            writeln!(out, "commit {i} {hash}")?;
            out.flush()?;
        }
    }
    Ok(())
}
