//! Views are part of the versioned schema: a view created on a branch is committed with it,
//! absent on a branch that never had it, back when that branch is checked out again, and
//! still there when the repository is opened afresh (a restart).

use std::sync::Arc;

use vdb_engine::repo::{Repository, Signature};
use vdb_engine::store::{ChunkStore, MemoryStore};
use vdb_sql::{Session, StatementResult};

fn one(session: &mut Session, sql: &str) -> String {
    match session.execute(sql).expect(sql).pop() {
        Some(StatementResult::Rows { rows, .. }) => {
            assert_eq!(rows.len(), 1, "{sql}: {rows:?}");
            vdb_sql::types::to_pg_text(&rows[0][0]).unwrap_or_else(|| "NULL".into())
        }
        other => panic!("{sql}: expected rows, got {other:?}"),
    }
}

fn sqlstate(session: &mut Session, sql: &str) -> String {
    match session.execute(sql) {
        Ok(r) => panic!("{sql}: expected an error, got {r:?}"),
        Err(e) => e.sqlstate().to_string(),
    }
}

#[test]
fn a_view_survives_commit_checkout_and_reopen() {
    let store: Arc<dyn ChunkStore> = Arc::new(MemoryStore::new());
    let signature = Signature::new("test", "test@example.invalid", 0);
    let repo = Arc::new(Repository::init(store.clone(), "main", &signature).expect("init"));
    let mut s = Session::new(repo.clone(), "main");
    s.execute(
        "CREATE TABLE t (id int PRIMARY KEY, v int);
         INSERT INTO t VALUES (1, 10), (2, 20), (3, 30)",
    )
    .expect("setup");
    one(&mut s, "SELECT vdb_commit('-Am', 'table')");
    one(&mut s, "SELECT vdb_branch('feature')");
    one(&mut s, "SELECT vdb_checkout('feature')");
    s.execute("CREATE VIEW big AS SELECT id FROM t WHERE v > 15")
        .expect("create view");
    assert_eq!(one(&mut s, "SELECT count(*) FROM big"), "2");
    one(&mut s, "SELECT vdb_commit('-Am', 'view')");

    one(&mut s, "SELECT vdb_checkout('main')");
    assert_eq!(sqlstate(&mut s, "SELECT * FROM big"), "42P01");
    assert_eq!(
        one(
            &mut s,
            "SELECT count(*) FROM pg_views WHERE viewname = 'big'"
        ),
        "0"
    );

    one(&mut s, "SELECT vdb_checkout('feature')");
    assert_eq!(one(&mut s, "SELECT count(*) FROM big"), "2");
    assert_eq!(
        one(&mut s, "SELECT relkind FROM pg_class WHERE relname = 'big'"),
        "v"
    );
    drop(s);
    drop(repo);

    let reopened = Arc::new(Repository::open(store).expect("open"));
    let mut s = Session::new(reopened, "feature");
    assert_eq!(one(&mut s, "SELECT max(id) FROM big"), "3");
    assert_eq!(sqlstate(&mut s, "DROP TABLE t"), "2BP01");
}
