//! A merge whose sides were each valid but whose combination breaks a foreign key stops with
//! the violation; `vdb constraints verify` reports it until the row is fixed. `vdb table
//! import` refuses rows that break a foreign key or CHECK, or that orphan a child.

mod common;
use common::Scratch;

#[test]
fn a_merge_that_orphans_a_child_stops_and_verify_tracks_the_fix() {
    let s = Scratch::repo();
    s.ok(&[
        "sql",
        "-q",
        "CREATE TABLE p (id int PRIMARY KEY); \
         CREATE TABLE c (id int PRIMARY KEY, pid int REFERENCES p (id)); \
         INSERT INTO p VALUES (1), (2)",
    ]);
    s.ok(&["add", "-A"]);
    s.ok(&["commit", "-m", "base"]);
    s.ok(&["checkout", "-b", "b"]);
    s.ok(&["sql", "-q", "DELETE FROM p WHERE id = 2"]);
    s.ok(&["commit", "-am", "drop parent 2"]);
    s.ok(&["checkout", "main"]);
    s.ok(&["sql", "-q", "INSERT INTO c VALUES (10, 2)"]);
    s.ok(&["commit", "-am", "child of 2"]);

    let err = s.fails(&["merge", "b"]);
    assert!(err.contains("stopped with conflicts"), "{err}");
    let status = s.ok(&["status"]);
    assert!(status.contains("foreign key c_pid_fkey"), "{status}");
    let err = s.fails(&["constraints", "verify"]);
    assert!(err.contains("1 constraint violation(s) found"), "{err}");

    s.ok(&["sql", "-q", "DELETE FROM c WHERE id = 10"]);
    assert!(s
        .ok(&["constraints", "verify"])
        .contains("No constraint violations"));
    s.ok(&["add", "c"]);
    s.ok(&["commit", "-m", "merge b without the orphan"]);
    let log = s.ok(&["log", "--oneline", "-n", "1"]);
    assert!(log.contains("merge b without the orphan"), "{log}");
}

#[test]
fn import_refuses_rows_that_break_foreign_keys_or_checks() {
    let s = Scratch::repo();
    s.ok(&[
        "sql",
        "-q",
        "CREATE TABLE p (id int PRIMARY KEY); \
         CREATE TABLE c (id int PRIMARY KEY, pid int REFERENCES p (id), n int CHECK (n > 0)); \
         INSERT INTO p VALUES (1); INSERT INTO c VALUES (1, 1, 1)",
    ]);
    let bad = s.write("c.csv", "id,pid,n\n2,7,5\n3,1,-1\n");
    let err = s.import_file_fails(&["--update"], "c", &bad);
    assert!(err.contains("2 row(s) would break"), "{err}");
    // Replacing the parent would orphan c's row.
    let parents = s.write("p.csv", "id\n2\n");
    let err = s.import_file_fails(&["--replace"], "p", &parents);
    assert!(err.contains("c_pid_fkey"), "{err}");
    // Nothing was written.
    let rows = s.ok(&["sql", "--format", "csv", "-q", "SELECT count(*) FROM c"]);
    assert!(rows.contains("\n1"), "{rows}");
    let good = s.write("c2.csv", "id,pid,n\n2,1,3\n");
    s.import_file(&["--update"], "c", &good);
}
