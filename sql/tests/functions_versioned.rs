//! User-defined functions are part of the versioned schema: a function created on a branch is
//! committed with it, absent on a branch that never had it, back when that branch is checked
//! out again, merged into another branch, and still there when the repository is opened
//! afresh (a restart). Languages other than SQL are refused rather than stored.

mod common;

use std::sync::Arc;

use common::{one, repo, sqlstate};
use vdb_engine::repo::Repository;
use vdb_sql::Session;

#[test]
fn a_function_survives_commit_checkout_merge_and_reopen() {
    let (store, repo) = repo();
    let mut s = Session::new(repo.clone(), "main");
    s.execute("CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 10), (2, 20)")
        .expect("setup");
    one(&mut s, "SELECT vdb_commit('-Am', 'table')");
    one(&mut s, "SELECT vdb_branch('feature')");
    one(&mut s, "SELECT vdb_checkout('feature')");
    s.execute(
        "CREATE FUNCTION v_of(k int) RETURNS int LANGUAGE sql STABLE
         AS $$ SELECT v FROM t WHERE id = k $$",
    )
    .expect("create function");
    s.execute("CREATE FUNCTION v_of(k text) RETURNS int LANGUAGE sql AS 'SELECT -1'")
        .expect("create overload");
    assert_eq!(one(&mut s, "SELECT v_of(2)"), "20");
    one(&mut s, "SELECT vdb_commit('-Am', 'function')");

    one(&mut s, "SELECT vdb_checkout('main')");
    assert_eq!(sqlstate(&mut s, "SELECT v_of(2)"), "42883");
    assert_eq!(
        one(
            &mut s,
            "SELECT count(*) FROM pg_proc WHERE proname = 'v_of'"
        ),
        "0"
    );

    one(&mut s, "SELECT vdb_checkout('feature')");
    assert_eq!(one(&mut s, "SELECT v_of(1)"), "10");
    assert_eq!(one(&mut s, "SELECT v_of('x'::text)"), "-1");
    assert_eq!(
        one(
            &mut s,
            "SELECT count(*) FROM pg_proc WHERE proname = 'v_of'"
        ),
        "2"
    );

    one(&mut s, "SELECT vdb_checkout('main')");
    one(&mut s, "SELECT vdb_merge('feature')");
    assert_eq!(one(&mut s, "SELECT v_of(2)"), "20");
    drop(s);
    drop(repo);

    let reopened = Arc::new(Repository::open(store).expect("open"));
    let mut s = Session::new(reopened, "feature");
    assert_eq!(one(&mut s, "SELECT v_of(2) + v_of(1)"), "30");
    s.execute("DROP FUNCTION v_of(text)")
        .expect("drop overload");
    assert_eq!(sqlstate(&mut s, "SELECT v_of('x'::text)"), "42883");
    assert_eq!(one(&mut s, "SELECT v_of(1)"), "10");
}

#[test]
fn other_languages_are_refused() {
    let (_store, repo) = repo();
    let mut s = Session::new(repo, "main");
    for sql in [
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS 'begin return 1; end'",
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpython3u AS 'return 1'",
        "CREATE FUNCTION f(OUT x int) LANGUAGE sql AS 'SELECT 1'",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'INSERT INTO nowhere VALUES (1)'",
    ] {
        assert_eq!(sqlstate(&mut s, sql), "0A000", "{sql}");
    }
    assert_eq!(sqlstate(&mut s, "SELECT f()"), "42883");
}
