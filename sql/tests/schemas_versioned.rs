//! Schemas are versioned state: a schema and its tables (`s.t`) are committed, branched,
//! merged, diffed and read `AS OF` like public tables, and version control names such tables
//! `s.t` (`vdb.status`, `vdb_diff`), while public tables keep their bare names.

mod common;

use std::sync::Arc;

use common::{one, repo, rows, sqlstate};
use vdb_engine::repo::Repository;
use vdb_sql::Session;

#[test]
fn create_schema_alone_is_a_committable_change() {
    let (_, repo) = repo();
    let mut s = Session::new(repo, "main");
    s.execute("CREATE SCHEMA empty").expect("create schema");
    one(&mut s, "SELECT vdb_commit('-Am', 'schema only')");
    one(&mut s, "SELECT vdb_branch('other')");
    s.execute("DROP SCHEMA empty").expect("drop schema");
    one(&mut s, "SELECT vdb_commit('-Am', 'dropped')");
    assert_eq!(
        one(
            &mut s,
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'empty'"
        ),
        "0"
    );
    one(&mut s, "SELECT vdb_checkout('other')");
    assert_eq!(
        one(
            &mut s,
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'empty'"
        ),
        "1"
    );
}

#[test]
fn a_table_in_a_schema_commits_branches_merges_and_diffs() {
    let (store, repo) = repo();
    let mut s = Session::new(repo.clone(), "main");
    s.execute(
        "CREATE SCHEMA sales;
         CREATE TABLE sales.orders (id int PRIMARY KEY, amount int);
         CREATE TABLE orders (id int PRIMARY KEY, note text);
         INSERT INTO sales.orders VALUES (1, 10), (2, 20);
         INSERT INTO orders VALUES (1, 'public')",
    )
    .expect("setup");
    let mut status = rows(&mut s, "SELECT table_name FROM vdb.status ORDER BY 1");
    status.sort();
    assert_eq!(
        status,
        vec![vec!["orders".to_string()], vec!["sales.orders".to_string()]]
    );
    one(&mut s, "SELECT vdb_commit('-Am', 'schemas')");
    one(&mut s, "SELECT vdb_tag('v1')");

    one(&mut s, "SELECT vdb_branch('feature')");
    one(&mut s, "SELECT vdb_checkout('feature')");
    s.execute(
        "INSERT INTO sales.orders VALUES (3, 30); UPDATE sales.orders SET amount = 11 WHERE id = 1",
    )
    .expect("feature writes");
    one(&mut s, "SELECT vdb_commit('-Am', 'feature')");

    one(&mut s, "SELECT vdb_checkout('main')");
    assert_eq!(one(&mut s, "SELECT count(*) FROM sales.orders"), "2");
    s.execute("INSERT INTO sales.orders VALUES (4, 40)")
        .expect("main write");
    one(&mut s, "SELECT vdb_commit('-Am', 'main')");
    let merged = rows(&mut s, "SELECT conflicts FROM vdb_merge('feature')");
    assert_eq!(merged, vec![vec!["0".to_string()]]);
    assert_eq!(
        rows(&mut s, "SELECT id, amount FROM sales.orders ORDER BY id"),
        vec![
            vec!["1".to_string(), "11".to_string()],
            vec!["2".to_string(), "20".to_string()],
            vec!["3".to_string(), "30".to_string()],
            vec!["4".to_string(), "40".to_string()],
        ]
    );
    assert_eq!(one(&mut s, "SELECT count(*) FROM orders"), "1");

    // The diff and AS OF name the table s.t.
    let diff = rows(
        &mut s,
        "SELECT diff_type, count(*) FROM vdb_diff('v1', 'HEAD', 'sales.orders') GROUP BY 1 ORDER BY 1",
    );
    assert_eq!(
        diff,
        vec![
            vec!["added".to_string(), "2".to_string()],
            vec!["modified".to_string(), "1".to_string()],
        ]
    );
    assert_eq!(
        one(&mut s, "SELECT count(*) FROM sales.orders AS OF 'v1'"),
        "2"
    );
    drop(s);
    drop(repo);

    // A restart sees the schema and its table.
    let reopened = Arc::new(Repository::open(store).expect("open"));
    let mut s = Session::new(reopened, "main");
    assert_eq!(one(&mut s, "SELECT sum(amount) FROM sales.orders"), "101");
    assert_eq!(sqlstate(&mut s, "CREATE SCHEMA sales"), "42P06");
}
