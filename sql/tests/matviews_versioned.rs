//! Materialized views are versioned tables: committed, checked out and reopened with their
//! query, and a refresh changes only the rows whose values changed, so a diff across it shows
//! those rows and nothing else.

mod common;

use std::sync::Arc;

use common::{one, repo, rows, sqlstate};
use vdb_engine::repo::Repository;
use vdb_sql::Session;

#[test]
fn a_refresh_diffs_as_the_rows_it_changed() {
    let (_, repo) = repo();
    let mut s = Session::new(repo, "main");
    s.execute(
        "CREATE TABLE scores (id int PRIMARY KEY, label text, score float8);
         INSERT INTO scores SELECT g, 'l' || (g % 7), g / 10.0 FROM generate_series(1, 2000) g;
         CREATE MATERIALIZED VIEW per_label AS
             SELECT label, count(*) AS n, round(avg(score)::numeric, 2) AS mean
             FROM scores GROUP BY label;
         CREATE MATERIALIZED VIEW high AS SELECT id, score FROM scores WHERE score > 150",
    )
    .expect("setup");
    assert_eq!(one(&mut s, "SELECT count(*) FROM high"), "500");
    one(&mut s, "SELECT vdb_commit('-Am', 'views')");

    // Two base rows move: one label's statistics change, one row leaves `high`.
    s.execute("UPDATE scores SET score = 1.0 WHERE id = 1999; UPDATE scores SET label = 'l0' WHERE id = 1")
        .expect("update");
    s.execute("REFRESH MATERIALIZED VIEW per_label; REFRESH MATERIALIZED VIEW high")
        .expect("refresh");
    assert_eq!(one(&mut s, "SELECT count(*) FROM high"), "499");
    assert_eq!(
        rows(
            &mut s,
            "SELECT diff_type, count(*) FROM vdb_diff('HEAD', 'WORKING', 'high') GROUP BY 1 ORDER BY 1"
        ),
        vec![vec!["removed".to_string(), "1".to_string()]]
    );
    // l0 and l1 lost or gained a row and l4 lost a score: each such row is replaced.
    let changed = rows(
        &mut s,
        "SELECT diff_type, count(*) FROM vdb_diff('HEAD', 'WORKING', 'per_label') GROUP BY 1 ORDER BY 1",
    );
    assert_eq!(
        changed,
        vec![
            vec!["added".to_string(), "3".to_string()],
            vec!["removed".to_string(), "3".to_string()],
        ]
    );
    // A refresh that changes nothing leaves the table as it was.
    one(&mut s, "SELECT vdb_commit('-Am', 'refreshed')");
    s.execute("REFRESH MATERIALIZED VIEW high")
        .expect("refresh");
    assert_eq!(
        one(
            &mut s,
            "SELECT count(*) FROM vdb_diff('HEAD', 'WORKING', 'high')"
        ),
        "0"
    );
}

#[test]
fn a_materialized_view_survives_checkout_and_reopen() {
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
    s.execute("CREATE MATERIALIZED VIEW big (ident) AS SELECT id FROM t WHERE v > 15 WITH NO DATA")
        .expect("create");
    assert_eq!(sqlstate(&mut s, "SELECT * FROM big"), "55000");
    one(&mut s, "SELECT vdb_commit('-Am', 'view')");

    one(&mut s, "SELECT vdb_checkout('main')");
    assert_eq!(sqlstate(&mut s, "SELECT * FROM big"), "42P01");
    one(&mut s, "SELECT vdb_checkout('feature')");
    s.execute("REFRESH MATERIALIZED VIEW big").expect("refresh");
    assert_eq!(one(&mut s, "SELECT sum(ident) FROM big"), "5");
    one(&mut s, "SELECT vdb_commit('-Am', 'refreshed')");
    drop(s);
    drop(repo);

    let reopened = Arc::new(Repository::open(store).expect("open"));
    let mut s = Session::new(reopened, "feature");
    assert_eq!(
        rows(
            &mut s,
            "SELECT relkind, relispopulated::text FROM pg_class WHERE relname = 'big'"
        ),
        vec![vec!["m".to_string(), "true".to_string()]]
    );
    // The query follows a rename of the table it reads, and the table cannot go while it
    // is used.
    s.execute("ALTER TABLE t RENAME TO base; INSERT INTO base VALUES (4, 40)")
        .expect("rename");
    s.execute("REFRESH MATERIALIZED VIEW big")
        .expect("refresh after rename");
    assert_eq!(one(&mut s, "SELECT sum(ident) FROM big"), "9");
    assert_eq!(sqlstate(&mut s, "DROP TABLE base"), "2BP01");
    assert_eq!(sqlstate(&mut s, "INSERT INTO big VALUES (7)"), "42809");
    s.execute("DROP TABLE base CASCADE").expect("cascade");
    assert_eq!(sqlstate(&mut s, "SELECT * FROM big"), "42P01");
}
