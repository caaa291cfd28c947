//! Views are part of the versioned schema: a view created on a branch is committed with it,
//! absent on a branch that never had it, back when that branch is checked out again, and
//! still there when the repository is opened afresh (a restart).

mod common;

use std::sync::Arc;

use common::{one, repo, sqlstate};
use vdb_engine::repo::Repository;
use vdb_sql::Session;

#[test]
fn a_view_survives_commit_checkout_and_reopen() {
    let (store, repo) = repo();
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
