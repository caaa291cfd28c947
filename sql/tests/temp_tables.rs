//! Temporary tables across sessions and versions, which one .slt script cannot show: another
//! session on the same branch never sees them, a commit and the working set never hold them,
//! and they shadow the permanent table of their name only in the session that made them.

mod common;

use std::sync::Arc;

use common::{one, rows, sqlstate};
use vdb_engine::repo::Repository;
use vdb_sql::{Session, StatementResult};

fn repo() -> Arc<Repository> {
    common::repo().1
}

/// Whether `vdb status` of `branch` shows nothing staged, unstaged or conflicted.
fn clean(repo: &Repository, branch: &str) -> bool {
    let status = repo.status(branch).expect("status");
    status.staged.is_empty() && status.unstaged.is_empty() && status.conflicts.is_empty()
}

/// The working root's address: what the branch's working set holds.
fn working(repo: &Repository) -> vdb_engine::Hash {
    repo.working_set("main").expect("working set").working
}

#[test]
fn other_sessions_never_see_a_temporary_table() {
    let repo = repo();
    let mut a = Session::new(repo.clone(), "main");
    let mut b = Session::new(repo, "main");
    a.execute("CREATE TEMP TABLE staging (id int PRIMARY KEY, v text)")
        .expect("create");
    a.execute("INSERT INTO staging VALUES (1, 'a'), (2, 'b')")
        .expect("insert");
    assert_eq!(one(&mut a, "SELECT count(*) FROM staging"), "2");
    assert_eq!(sqlstate(&mut b, "SELECT * FROM staging"), "42P01");
    assert_eq!(sqlstate(&mut b, "SELECT * FROM pg_temp.staging"), "42P01");
    assert_eq!(
        one(
            &mut b,
            "SELECT count(*) FROM pg_class WHERE relname = 'staging'"
        ),
        "0"
    );
    // The other session may make its own, of the same name, with its own rows.
    b.execute("CREATE TEMP TABLE staging (x int); INSERT INTO staging VALUES (10)")
        .expect("b's own");
    assert_eq!(rows(&mut b, "SELECT * FROM staging"), [["10"]]);
    assert_eq!(one(&mut a, "SELECT count(*) FROM staging"), "2");
}

#[test]
fn temporary_tables_stay_out_of_the_working_set_and_commits() {
    let repo = repo();
    let mut a = Session::new(repo.clone(), "main");
    let mut b = Session::new(repo.clone(), "main");
    a.execute("CREATE TABLE target (id int PRIMARY KEY, v text)")
        .expect("create");
    one(&mut a, "SELECT vdb_commit('-Am', 'target')");
    let before = working(&repo);
    a.execute("CREATE TEMP TABLE staging AS SELECT 1 AS id, 'x'::text AS v")
        .expect("ctas");
    a.execute("CREATE INDEX staging_v ON staging (v)")
        .expect("index");
    a.execute("INSERT INTO staging VALUES (2, 'y')")
        .expect("insert");
    // Nothing a temporary table does reaches the branch.
    assert_eq!(working(&repo), before);
    assert!(rows(&mut a, "SELECT * FROM vdb.status").is_empty());
    assert!(clean(&repo, "main"));
    // Staging into a permanent table: only the permanent table changes.
    a.execute("INSERT INTO target SELECT id, v FROM staging")
        .expect("stage");
    assert_eq!(
        rows(&mut a, "SELECT table_name, status FROM vdb.status"),
        [["target", "modified"]]
    );
    assert_eq!(one(&mut b, "SELECT count(*) FROM target"), "2");
    one(&mut a, "SELECT vdb_commit('-am', 'staged')");
    let head_commit = repo.branch_head("main").expect("head");
    let head_root = repo.commit_info(head_commit).expect("commit").root;
    let head = repo.root_value(head_root).expect("head root");
    let names: Vec<String> = head.table_names().map(str::to_string).collect();
    assert_eq!(names, ["target"]);
    assert!(!head.has_schema("pg_temp"));
    // The temporary table outlives the commit, in its session.
    assert_eq!(one(&mut a, "SELECT count(*) FROM staging"), "2");
    // A transaction block that writes both publishes only the permanent table.
    a.execute(
        "BEGIN; INSERT INTO staging VALUES (3, 'z'); INSERT INTO target VALUES (3, 'z'); COMMIT",
    )
    .expect("block");
    let root = repo.root_value(working(&repo)).expect("working root");
    assert!(root.table_names().all(|t| t == "target"));
    assert_eq!(one(&mut b, "SELECT count(*) FROM target"), "3");
    assert_eq!(sqlstate(&mut b, "SELECT * FROM staging"), "42P01");
    assert_eq!(one(&mut a, "SELECT count(*) FROM staging"), "3");
}

#[test]
fn a_temporary_table_shadows_a_permanent_one_only_in_its_session() {
    let repo = repo();
    let mut a = Session::new(repo.clone(), "main");
    let mut b = Session::new(repo, "main");
    a.execute("CREATE TABLE t (v text); INSERT INTO t VALUES ('permanent')")
        .expect("setup");
    a.execute("CREATE TEMP TABLE t (v text); INSERT INTO t VALUES ('temporary')")
        .expect("temp");
    assert_eq!(one(&mut a, "SELECT v FROM t"), "temporary");
    assert_eq!(one(&mut a, "SELECT v FROM public.t"), "permanent");
    assert_eq!(one(&mut b, "SELECT v FROM t"), "permanent");
    // A write to the temporary table leaves the permanent one as it was, for both.
    a.execute("DELETE FROM t").expect("delete");
    assert_eq!(one(&mut b, "SELECT count(*) FROM t"), "1");
    a.execute("DROP TABLE t").expect("drop temp");
    assert_eq!(one(&mut a, "SELECT v FROM t"), "permanent");
}

#[test]
fn a_temporary_table_ends_with_its_session_and_survives_branch_changes() {
    let repo = repo();
    {
        let mut a = Session::new(repo.clone(), "main");
        a.execute("CREATE TEMP TABLE scratch (a int); INSERT INTO scratch VALUES (1)")
            .expect("create");
        one(&mut a, "SELECT vdb_branch('feature')");
        one(&mut a, "SELECT vdb_checkout('feature')");
        assert_eq!(one(&mut a, "SELECT count(*) FROM scratch"), "1");
        assert!(clean(&repo, "feature"));
    }
    let mut again = Session::new(repo, "main");
    assert_eq!(sqlstate(&mut again, "SELECT * FROM scratch"), "42P01");
}

#[test]
fn copy_reaches_temporary_tables() {
    let repo = repo();
    let mut a = Session::new(repo.clone(), "main");
    a.execute("CREATE TEMP TABLE loaded (id int, v text)")
        .expect("create");
    let copy = match a.execute("COPY loaded FROM STDIN").expect("copy").pop() {
        Some(StatementResult::CopyIn(copy)) => copy,
        other => panic!("expected COPY IN, got {other:?}"),
    };
    a.copy_in(&copy, b"1\tone\n2\t\\N\n").expect("copy in");
    assert_eq!(
        rows(&mut a, "SELECT id, v FROM loaded ORDER BY id"),
        [["1", "one"], ["2", "NULL"]]
    );
    match a
        .execute("COPY pg_temp.loaded TO STDOUT")
        .expect("copy out")
        .pop()
    {
        Some(StatementResult::CopyOut { rows, .. }) => assert_eq!(rows.len(), 2),
        other => panic!("expected COPY OUT, got {other:?}"),
    }
    assert!(clean(&repo, "main"));
}
