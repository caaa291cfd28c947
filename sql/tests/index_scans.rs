//! Scans narrowed by a key prefix or a secondary index: the planner chooses them from
//! `column = constant` conjuncts, they return exactly the rows a full scan with the same filter
//! returns, and they read a handful of nodes where the full scan reads the whole tree. Filters
//! over joins go down to the side they read, and a join whose left side is small looks up its
//! partners instead of hashing the whole right table. An expression index serves `expr =
//! constant` for its expression, and a partial index a filter that includes its predicate.

use std::sync::Arc;

use vdb_engine::repo::{Repository, Signature};
use vdb_engine::store::MemoryStore;
use vdb_engine::value::Value;
use vdb_sql::{Session, StatementResult};

const ROWS: i32 = 20_000;

fn rows(session: &mut Session, sql: &str) -> Vec<Vec<Value>> {
    match session.execute(sql).expect(sql).pop() {
        Some(StatementResult::Rows { rows, .. }) => rows,
        other => panic!("{sql}: expected rows, got {other:?}"),
    }
}

fn plan(session: &mut Session, sql: &str) -> String {
    rows(session, &format!("EXPLAIN {sql}"))
        .into_iter()
        .map(|r| match &r[0] {
            Value::Text(s) => s.clone(),
            other => panic!("{other:?}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `items`: a one-column key, an index on (cat, n) and a unique index on tag; `pairs`: a
/// two-column key. Both hold `ROWS` rows.
fn setup() -> (Arc<Repository>, Session) {
    let store = Arc::new(MemoryStore::new());
    let signature = Signature::new("test", "test@example.invalid", 0);
    let repo = Arc::new(Repository::init(store, "main", &signature).expect("init"));
    let mut session = Session::new(repo.clone(), "main");
    session
        .execute(&format!(
            "CREATE TABLE items (id int PRIMARY KEY, cat text, n int, tag int);
             CREATE INDEX items_cat_n ON items (cat, n);
             CREATE UNIQUE INDEX items_tag ON items (tag);
             INSERT INTO items SELECT g, 'c' || (g % 50), g % 7, {ROWS} - g
               FROM generate_series(1, {ROWS}) AS g;
             CREATE TABLE pairs (a int, b int, v text, PRIMARY KEY (a, b));
             INSERT INTO pairs SELECT g / 100, g % 100, 'v' || g FROM generate_series(1, {ROWS}) AS g;
             CREATE TABLE cats (name text PRIMARY KEY, descr text);
             INSERT INTO cats SELECT 'c' || g, 'd' || (g % 3) FROM generate_series(0, 40) AS g"
        ))
        .expect("setup");
    (repo, session)
}

/// The same rows, whatever order the scans gave them in.
fn sorted(mut rows: Vec<Vec<Value>>) -> Vec<String> {
    let mut text: Vec<String> = rows.drain(..).map(|r| format!("{r:?}")).collect();
    text.sort();
    text
}

/// Each case: a query the planner narrows, the same query with its columns hidden in
/// expressions so that only a full scan can answer it, and what the narrowed plan shows. The
/// plan shows it, and both queries return the same rows.
fn check_narrowed(s: &mut Session, cases: &[(&str, &str, &str)]) {
    for &(narrowed, full, expected_plan) in cases {
        let shown = plan(s, narrowed);
        assert!(shown.contains(expected_plan), "{narrowed}:\n{shown}");
        assert!(plan(s, full).contains("Scan: "), "{full}");
        assert_eq!(
            sorted(rows(s, narrowed)),
            sorted(rows(s, full)),
            "{narrowed}"
        );
    }
}

#[test]
fn narrowed_scans_return_what_full_scans_return() {
    let (_, mut s) = setup();
    // Each pair: a query the planner narrows, and the same query with its columns hidden in
    // expressions so that only a full scan can answer it.
    let cases = [
        (
            "SELECT * FROM items WHERE tag = 1234",
            "SELECT * FROM items WHERE tag + 0 = 1234",
            "IndexScan: items using items_tag",
        ),
        (
            "SELECT * FROM items WHERE cat = 'c7' AND n = 3",
            "SELECT * FROM items WHERE cat || '' = 'c7' AND n + 0 = 3",
            "IndexScan: items using items_cat_n",
        ),
        (
            "SELECT id FROM items WHERE cat = 'c7' AND n > 4",
            "SELECT id FROM items WHERE cat || '' = 'c7' AND n + 0 > 4",
            "IndexScan: items using items_cat_n ('c7')",
        ),
        (
            "SELECT * FROM items WHERE cat = 'nope'",
            "SELECT * FROM items WHERE cat || '' = 'nope'",
            "IndexScan",
        ),
        (
            "SELECT * FROM items WHERE n = 2 AND tag = 99",
            "SELECT * FROM items WHERE n + 0 = 2 AND tag + 0 = 99",
            "IndexScan: items using items_tag",
        ),
        (
            "SELECT * FROM pairs WHERE a = 17",
            "SELECT * FROM pairs WHERE a + 0 = 17",
            "KeyPrefixScan: pairs (17)",
        ),
        (
            "SELECT * FROM pairs WHERE a = 17 AND b = 4",
            "SELECT * FROM pairs WHERE a + 0 = 17 AND b + 0 = 4",
            "KeyPrefixScan: pairs (17, 4)",
        ),
        (
            "SELECT * FROM pairs WHERE b = 4",
            "SELECT * FROM pairs WHERE b + 0 = 4",
            "Scan: pairs",
        ),
        // Matches 2% of the table, more than an index scan fetches one by one: the scan falls
        // back to reading the table in order, with the same answer.
        (
            "SELECT * FROM items WHERE cat = 'c3'",
            "SELECT * FROM items WHERE cat || '' = 'c3'",
            "IndexScan",
        ),
    ];
    check_narrowed(&mut s, &cases);
    assert_eq!(
        rows(&mut s, "SELECT count(*) FROM items WHERE cat = 'c3'"),
        vec![vec![Value::Int8(400)]]
    );
}

#[test]
fn an_index_lookup_reads_a_few_nodes_where_a_scan_reads_the_tree() {
    let (repo, mut s) = setup();
    let loads = |s: &mut Session, sql: &str| {
        let before = repo.node_store().stats().loads;
        let got = rows(s, sql);
        (got.len(), repo.node_store().stats().loads - before)
    };
    let (found, indexed) = loads(&mut s, "SELECT * FROM items WHERE tag = 1234");
    let (again, full) = loads(&mut s, "SELECT * FROM items WHERE tag + 0 = 1234");
    assert_eq!((found, again), (1, 1));
    assert!(indexed <= 16, "index lookup loaded {indexed} nodes");
    assert!(
        full >= 10 * indexed,
        "full scan {full} vs index lookup {indexed} nodes"
    );
    let (found, prefix) = loads(&mut s, "SELECT * FROM pairs WHERE a = 17");
    assert_eq!(found, 100);
    assert!(prefix <= 16, "key prefix scan loaded {prefix} nodes");
}

#[test]
fn updates_and_deletes_find_their_rows_through_indexes() {
    let (_, mut s) = setup();
    assert!(plan(&mut s, "UPDATE items SET n = 100 WHERE tag = 5").contains("IndexScan"));
    s.execute("UPDATE items SET n = 100 WHERE tag = 5").unwrap();
    s.execute("DELETE FROM pairs WHERE a = 3").unwrap();
    // The index follows the update: the old entry is gone and the new one finds the row.
    assert_eq!(
        rows(
            &mut s,
            "SELECT id, n FROM items WHERE cat = 'c45' AND n = 100"
        ),
        vec![vec![Value::Int4(ROWS - 5), Value::Int4(100)]]
    );
    assert_eq!(
        rows(&mut s, "SELECT * FROM pairs WHERE a = 3"),
        Vec::<Vec<Value>>::new()
    );
    assert_eq!(
        rows(&mut s, "SELECT count(*) FROM pairs"),
        vec![vec![Value::Int8(i64::from(ROWS) - 100)]]
    );
    // A dropped index leaves the same query answered by a full scan.
    s.execute("DROP INDEX items_tag").unwrap();
    assert_eq!(
        rows(&mut s, "SELECT id FROM items WHERE tag = 5"),
        vec![vec![Value::Int4(ROWS - 5)]]
    );
}

#[test]
fn aggregates_and_correlated_subqueries_use_the_narrowed_scans() {
    let (repo, mut s) = setup();
    assert!(plan(&mut s, "SELECT count(*) FROM items WHERE cat = 'c7'").contains("IndexScan"));
    assert!(plan(
        &mut s,
        "SELECT sum(v::int) FROM (SELECT substr(v, 2) AS v FROM pairs WHERE a = 5) s"
    )
    .contains("KeyPrefixScan"));
    // A correlated subquery sees the enclosing row's value as a constant, so each evaluation
    // is an index lookup: five lookups read a few dozen nodes, not five whole trees.
    let sql = "SELECT i.id, (SELECT j.id FROM items j WHERE j.tag = i.id), \
               EXISTS (SELECT 1 FROM pairs p WHERE p.a = i.n) FROM items i WHERE i.id <= 5";
    let before = repo.node_store().stats().loads;
    let got = rows(&mut s, sql);
    let loads = repo.node_store().stats().loads - before;
    let want: Vec<Vec<Value>> = (1..=5)
        .map(|i| {
            vec![
                Value::Int4(i),
                Value::Int4(ROWS - i),
                Value::Bool(i % 7 != 0),
            ]
        })
        .collect();
    assert_eq!(got, want);
    assert!(loads <= 200, "correlated lookups loaded {loads} nodes");
}

#[test]
fn in_lists_and_any_arrays_look_up_each_value_once() {
    let (_, mut s) = setup();
    let cases = [
        (
            "SELECT id FROM items WHERE id IN (7, 3, 7, 19999, 40000)",
            "SELECT id FROM items WHERE id + 0 IN (7, 3, 7, 19999, 40000)",
            "KeyPrefixScan: items (7) (3) (7) ... (5 prefixes)",
        ),
        (
            "SELECT * FROM items WHERE tag IN (1, 2, 3)",
            "SELECT * FROM items WHERE tag + 0 IN (1, 2, 3)",
            "IndexScan: items using items_tag (1) (2) (3)",
        ),
        (
            "SELECT * FROM items WHERE cat IN ('c1', 'c2') AND n IN (3, 4)",
            "SELECT * FROM items WHERE cat || '' IN ('c1', 'c2') AND n + 0 IN (3, 4)",
            "IndexScan: items using items_cat_n ('c1', 3)",
        ),
        (
            "SELECT * FROM items WHERE tag = ANY('{5,6,6}'::int[])",
            "SELECT * FROM items WHERE tag + 0 = ANY('{5,6,6}'::int[])",
            "IndexScan: items using items_tag (5) (6) (6)",
        ),
        (
            "SELECT * FROM pairs WHERE a IN (4, 5) AND b = 9",
            "SELECT * FROM pairs WHERE a + 0 IN (4, 5) AND b + 0 = 9",
            "KeyPrefixScan: pairs (4, 9) (5, 9)",
        ),
        (
            "SELECT * FROM pairs WHERE a IN (4, NULL)",
            "SELECT * FROM pairs WHERE a + 0 IN (4, NULL)",
            "Scan: pairs",
        ),
        (
            "SELECT * FROM items WHERE id NOT IN (1, 2)",
            "SELECT * FROM items WHERE id + 0 NOT IN (1, 2)",
            "Scan: items",
        ),
    ];
    for (narrowed, full, expected_plan) in cases {
        let shown = plan(&mut s, narrowed);
        assert!(shown.contains(expected_plan), "{narrowed}:\n{shown}");
        assert_eq!(
            sorted(rows(&mut s, narrowed)),
            sorted(rows(&mut s, full)),
            "{narrowed}"
        );
    }
    // Primary-key order, each row once although 7 is listed twice.
    assert_eq!(
        rows(
            &mut s,
            "SELECT id FROM items WHERE id IN (7, 3, 7, 19999, 40000)"
        ),
        [3, 7, 19999].map(|i| vec![Value::Int4(i)]).to_vec()
    );
}

#[test]
fn filters_go_below_joins_and_small_joins_look_up_their_partners() {
    let (repo, mut s) = setup();
    // Each query beside the same query with its WHERE kept above the join: `OR (x AND false)`
    // reads both sides and changes no row's outcome.
    let cases = [
        (
            "SELECT i.id, c.descr FROM items i JOIN cats c ON c.name = i.cat WHERE i.id = 77",
            "SELECT i.id, c.descr FROM items i JOIN cats c ON c.name = i.cat WHERE i.id = 77 OR (i.n = 0 AND c.descr IS NULL AND false)",
            "LateralJoin",
        ),
        (
            "SELECT i.id, c.descr FROM items i JOIN cats c ON c.name = i.cat WHERE i.id IN (1, 2, 3) AND c.descr = 'd1'",
            "SELECT i.id, c.descr FROM items i JOIN cats c ON c.name = i.cat WHERE (i.id IN (1, 2, 3) AND c.descr = 'd1') OR (i.n = 0 AND c.descr IS NULL AND false)",
            "LateralJoin",
        ),
        (
            "SELECT i.id, c.name FROM items i LEFT JOIN cats c ON c.name = i.cat AND c.descr = 'd2' WHERE i.id < 60 AND c.name IS NULL",
            "SELECT i.id, c.name FROM items i LEFT JOIN cats c ON c.name = i.cat AND c.descr = 'd2' WHERE (i.id < 60 AND c.name IS NULL) OR (i.n = 0 AND c.descr IS NULL AND false)",
            "HashLeftJoin",
        ),
        (
            "SELECT i.id, c.name FROM items i RIGHT JOIN cats c ON c.name = i.cat AND i.id < 100 WHERE i.id IS NULL",
            "SELECT i.id, c.name FROM items i RIGHT JOIN cats c ON c.name = i.cat AND i.id < 100 WHERE i.id IS NULL OR (i.n = 0 AND c.descr IS NULL AND false)",
            "RightJoin",
        ),
        (
            "SELECT i.id, j.id, c.descr FROM items i JOIN items j ON j.tag = i.id JOIN cats c ON c.name = j.cat WHERE i.id IN (10, 20) AND c.descr <> 'd0'",
            "SELECT i.id, j.id, c.descr FROM items i JOIN items j ON j.tag = i.id JOIN cats c ON c.name = j.cat WHERE (i.id IN (10, 20) AND c.descr <> 'd0') OR (i.n = 0 AND c.descr IS NULL AND false)",
            "LateralJoin",
        ),
        (
            "SELECT i.id, j.id FROM items i LEFT JOIN items j ON j.tag = i.id + 1 WHERE i.id IN (5, 6, 99999)",
            "SELECT i.id, j.id FROM items i LEFT JOIN items j ON j.tag = i.id + 1 WHERE i.id IN (5, 6, 99999) OR (i.n = 0 AND j.cat IS NULL AND false)",
            "LateralLeftJoin",
        ),
        (
            "SELECT c.name, count(i.id) FROM cats c JOIN items i ON i.cat = c.name WHERE c.descr = 'd1' GROUP BY c.name",
            "SELECT c.name, count(i.id) FROM cats c JOIN items i ON i.cat = c.name WHERE c.descr = 'd1' OR (i.n = 0 AND c.descr IS NULL AND false) GROUP BY c.name",
            "Filter: (#1 = 'd1')",
        ),
    ];
    for (sql, guarded, expected_plan) in cases {
        let shown = plan(&mut s, sql);
        assert!(shown.contains(expected_plan), "{sql}:\n{shown}");
        assert!(!plan(&mut s, guarded).contains("Lateral"), "{guarded}");
        assert_eq!(
            sorted(rows(&mut s, sql)),
            sorted(rows(&mut s, guarded)),
            "{sql}"
        );
    }
    // The lookup join reads a few nodes per left row, not the right table.
    let before = repo.node_store().stats().loads;
    let got = rows(
        &mut s,
        "SELECT i.id, j.id FROM items i JOIN items j ON j.tag = i.id WHERE i.id = 1234",
    );
    let loads = repo.node_store().stats().loads - before;
    assert_eq!(got, vec![vec![Value::Int4(1234), Value::Int4(ROWS - 1234)]]);
    assert!(loads <= 40, "lookup join loaded {loads} nodes");
}

#[test]
fn a_sort_by_the_key_reads_the_tree_in_order() {
    let (repo, mut s) = setup();
    // Each query beside the same sort by an expression, which the scan's order cannot serve.
    let cases = [
        (
            "SELECT id, cat FROM items ORDER BY id DESC LIMIT 5",
            "SELECT id, cat FROM items ORDER BY id + 0 DESC LIMIT 5",
            "Scan Backward: items",
        ),
        (
            "SELECT cat FROM items WHERE id < 300 ORDER BY id DESC LIMIT 4 OFFSET 2",
            "SELECT cat FROM items WHERE id < 300 ORDER BY id + 0 DESC LIMIT 4 OFFSET 2",
            "KeyRangeScan Backward: items key < 300",
        ),
        (
            "SELECT * FROM items ORDER BY id LIMIT 3 OFFSET 10",
            "SELECT * FROM items ORDER BY id + 0 LIMIT 3 OFFSET 10",
            "Scan: items",
        ),
        (
            "SELECT * FROM pairs WHERE a IN (9, 3) ORDER BY a, b LIMIT 150",
            "SELECT * FROM pairs WHERE a IN (9, 3) ORDER BY a + 0, b LIMIT 150",
            "KeyPrefixScan",
        ),
        (
            "SELECT name FROM cats ORDER BY name DESC",
            "SELECT name FROM cats ORDER BY name || '' DESC",
            "Scan Backward: cats",
        ),
    ];
    for (sql, sorted_sql, expected_plan) in cases {
        let shown = plan(&mut s, sql);
        assert!(
            shown.contains(expected_plan) && !shown.contains("Sort"),
            "{sql}:\n{shown}"
        );
        assert!(plan(&mut s, sorted_sql).contains("Sort"), "{sorted_sql}");
        assert_eq!(rows(&mut s, sql), rows(&mut s, sorted_sql), "{sql}");
    }
    // Mixed directions, a descending two-column key and a non-key column still sort.
    for sql in [
        "SELECT * FROM pairs ORDER BY a DESC, b DESC LIMIT 3",
        "SELECT * FROM pairs ORDER BY a, b DESC LIMIT 3",
        "SELECT * FROM items ORDER BY tag LIMIT 3",
    ] {
        assert!(plan(&mut s, sql).contains("Sort"), "{sql}");
    }
    // min or max of the key alone reads one row, filtered or not, empty or not.
    for (sql, want) in [
        ("SELECT max(id) FROM items", Value::Int4(ROWS)),
        ("SELECT min(id) FROM items WHERE id > 500", Value::Int4(501)),
        ("SELECT max(id) FROM items WHERE id < 0", Value::Null),
        (
            "SELECT max(id) FROM items WHERE n = 3 AND id < 100",
            Value::Int4(94),
        ),
        ("SELECT min(a) FROM pairs", Value::Int4(0)),
    ] {
        assert!(plan(&mut s, sql).contains("Limit: 1"), "{sql}");
        assert_eq!(rows(&mut s, sql), vec![vec![want]], "{sql}");
    }
    assert!(!plan(&mut s, "SELECT max(b) FROM pairs").contains("Limit"));
    // The last five rows of 20,000 cost a few node loads.
    let before = repo.node_store().stats().loads;
    rows(&mut s, "SELECT * FROM items ORDER BY id DESC LIMIT 5");
    let loads = repo.node_store().stats().loads - before;
    assert!(
        loads <= 16,
        "a backward scan of five rows loaded {loads} nodes"
    );
}

#[test]
fn a_limited_sort_gives_the_full_sorts_first_rows() {
    let (_, mut s) = setup();
    // n has seven values over 20,000 rows: ties everywhere, and more rows than the limited
    // sort holds before it prunes, so its stability shows.
    let full = rows(&mut s, "SELECT id, n, cat FROM items ORDER BY n DESC, cat");
    for (limit, offset) in [(1, 0), (10, 5), (700, 1300), (5000, 0), (30_000, 19_990)] {
        let got = rows(
            &mut s,
            &format!(
                "SELECT id, n, cat FROM items ORDER BY n DESC, cat LIMIT {limit} OFFSET {offset}"
            ),
        );
        let want: Vec<Vec<Value>> = full.iter().skip(offset).take(limit).cloned().collect();
        assert_eq!(got, want, "LIMIT {limit} OFFSET {offset}");
    }
}

#[test]
fn expression_and_partial_indexes_serve_the_lookups_they_cover() {
    let (repo, mut s) = setup();
    s.execute(
        "CREATE INDEX items_upper_cat ON items (upper(cat));
         CREATE INDEX items_n_live ON items (n) WHERE tag < 100",
    )
    .expect("indexes");
    let cases = [
        (
            "SELECT * FROM items WHERE upper(cat) = 'C7'",
            "SELECT * FROM items WHERE upper(cat) || '' = 'C7'",
            "IndexScan: items using items_upper_cat ('C7')",
        ),
        (
            "SELECT id FROM items WHERE upper(cat) IN ('C7', 'C8', 'NONE')",
            "SELECT id FROM items WHERE upper(cat) || '' IN ('C7', 'C8', 'NONE')",
            "IndexScan: items using items_upper_cat",
        ),
        // The partial index holds only rows with tag < 100: a query that says so can use it.
        (
            "SELECT * FROM items WHERE n = 3 AND tag < 100",
            "SELECT * FROM items WHERE n + 0 = 3 AND tag + 0 < 100",
            "IndexScan: items using items_n_live (3)",
        ),
    ];
    check_narrowed(&mut s, &cases);
    // Without the predicate's conjunct the partial index would miss rows: a full scan.
    let shown = plan(&mut s, "SELECT * FROM items WHERE n = 3 AND tag < 200");
    assert!(!shown.contains("items_n_live"), "{shown}");
    assert_eq!(
        rows(&mut s, "SELECT count(*) FROM items WHERE upper(cat) = 'C7'"),
        vec![vec![Value::Int8(400)]]
    );
    // A lookup through an expression index reads a few nodes, not the tree.
    s.execute("CREATE INDEX items_tag2 ON items ((tag * 2))")
        .expect("index");
    let loads = |s: &mut Session, sql: &str| {
        let before = repo.node_store().stats().loads;
        let got = rows(s, sql);
        (got.len(), repo.node_store().stats().loads - before)
    };
    let (found, indexed) = loads(&mut s, "SELECT * FROM items WHERE tag * 2 = 2468");
    let (again, full) = loads(&mut s, "SELECT * FROM items WHERE tag * 2 + 0 = 2468");
    assert_eq!((found, again), (1, 1));
    assert!(
        indexed <= 16,
        "expression index lookup loaded {indexed} nodes"
    );
    assert!(
        full >= 5 * indexed,
        "full scan {full} vs expression index lookup {indexed} nodes"
    );
}
