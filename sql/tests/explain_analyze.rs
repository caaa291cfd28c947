//! EXPLAIN ANALYZE: the plan with each operator's actual rows (and times), the summary lines,
//! the options form, and a write that EXPLAIN ANALYZE runs for real; and which joins WHERE
//! equalities make.

use std::sync::Arc;

use vdb_engine::repo::{Repository, Signature};
use vdb_engine::store::MemoryStore;
use vdb_sql::{Session, StatementResult};

fn session() -> Session {
    let store = Arc::new(MemoryStore::new());
    let signature = Signature::new("test", "test@example.invalid", 0);
    let repo = Arc::new(Repository::init(store, "main", &signature).expect("init"));
    let mut s = Session::new(repo, "main");
    s.execute(
        "CREATE TABLE t (id int PRIMARY KEY, v int);
         INSERT INTO t VALUES (1, 10), (2, 20), (3, 30), (4, 40)",
    )
    .expect("setup");
    s
}

fn lines(session: &mut Session, sql: &str) -> Vec<String> {
    match session.execute(sql).expect(sql).pop() {
        Some(StatementResult::Rows { columns, rows, .. }) => {
            assert_eq!(columns[0].0, "QUERY PLAN");
            rows.iter()
                .map(|r| vdb_sql::types::to_pg_text(&r[0]).unwrap_or_default())
                .collect()
        }
        other => panic!("{sql}: expected rows, got {other:?}"),
    }
}

#[test]
fn analyze_counts_rows_per_operator() {
    let mut s = session();
    let plan = lines(
        &mut s,
        "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY OFF) SELECT id FROM t WHERE v > 15",
    );
    assert!(plan.iter().all(|l| l.ends_with("loops=1)")), "{plan:?}");
    assert!(plan[0].ends_with("(actual rows=3 loops=1)"), "{plan:?}");
    assert!(
        plan.last().unwrap().ends_with("(actual rows=4 loops=1)"),
        "{plan:?}"
    );
}

#[test]
fn analyze_prints_times_and_the_summary() {
    let mut s = session();
    let plan = lines(&mut s, "EXPLAIN ANALYZE SELECT count(*) FROM t");
    assert!(plan[0].contains("(actual time="), "{plan:?}");
    assert!(plan[0].ends_with("rows=1 loops=1)"), "{plan:?}");
    let n = plan.len();
    assert!(plan[n - 2].starts_with("Planning Time: "), "{plan:?}");
    assert!(plan[n - 1].starts_with("Execution Time: "), "{plan:?}");
    assert!(plan[n - 1].ends_with(" ms"), "{plan:?}");
    let plain = lines(&mut s, "EXPLAIN SELECT count(*) FROM t");
    assert!(plain.iter().all(|l| !l.contains("actual")), "{plain:?}");
}

#[test]
fn analyze_of_a_write_runs_it() {
    let mut s = session();
    let plan = lines(&mut s, "EXPLAIN ANALYZE INSERT INTO t VALUES (5, 50)");
    assert!(plan[0].contains("rows=0 loops=1"), "{plan:?}");
    let plan = lines(&mut s, "EXPLAIN ANALYZE DELETE FROM t WHERE id = 1");
    assert!(!plan.is_empty());
    match s.execute("SELECT count(*), sum(id) FROM t").unwrap().pop() {
        Some(StatementResult::Rows { rows, .. }) => {
            let row: Vec<String> = rows[0]
                .iter()
                .map(|v| vdb_sql::types::to_pg_text(v).unwrap_or_default())
                .collect();
            assert_eq!(row, vec!["4".to_string(), "14".to_string()]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn analyze_of_a_recursive_query_stops_under_limit() {
    let mut s = session();
    let plan = lines(
        &mut s,
        "EXPLAIN (ANALYZE, TIMING OFF) WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r LIMIT 5",
    );
    assert!(plan[0].ends_with("(actual rows=5 loops=1)"), "{plan:?}");
}

#[test]
fn explain_options_are_checked() {
    let mut s = session();
    for (sql, state) in [
        ("EXPLAIN (NOPE) SELECT 1", "42601"),
        ("EXPLAIN (TIMING) SELECT 1", "22023"),
        ("EXPLAIN (ANALYZE maybe) SELECT 1", "42601"),
    ] {
        match s.execute(sql) {
            Ok(r) => panic!("{sql}: expected an error, got {r:?}"),
            Err(e) => assert_eq!(e.sqlstate(), state, "{sql}: {e}"),
        }
    }
    let plain = lines(&mut s, "EXPLAIN (COSTS OFF) SELECT id FROM t");
    assert!(!plain.is_empty());
}

/// Equalities in WHERE between two FROM items (a comma join, UPDATE .. FROM, DELETE .. USING)
/// key a hash join, as ON conditions do, instead of a nested loop under a filter.
#[test]
fn where_equalities_make_hash_joins() {
    let mut s = session();
    s.execute("CREATE TABLE u (id int PRIMARY KEY, w int); INSERT INTO u VALUES (1, 5), (2, 6)")
        .expect("setup");
    for sql in [
        "EXPLAIN SELECT * FROM t, u WHERE t.id = u.id AND t.v > u.w",
        "EXPLAIN UPDATE t SET v = u.w FROM u WHERE t.id = u.id",
        "EXPLAIN DELETE FROM t USING u WHERE u.id = t.id",
    ] {
        let plan = lines(&mut s, sql).join("\n");
        assert!(plan.contains("HashJoin"), "{sql}:\n{plan}");
        assert!(!plan.contains("NestedLoopJoin"), "{sql}:\n{plan}");
    }
    // No equality between the two sides: still a nested loop.
    let plan = lines(&mut s, "EXPLAIN SELECT * FROM t, u WHERE t.id < u.id").join("\n");
    assert!(plan.contains("NestedLoopJoin"), "{plan}");
}
