//! Session behaviour that one .slt script cannot show: two sessions on one branch, autocommit
//! visibility, transaction merges and conflicts, error positions.

use std::sync::Arc;

use vdb_engine::repo::{Repository, Signature};
use vdb_engine::store::MemoryStore;
use vdb_engine::value::Value;
use vdb_sql::{Error, Session, StatementResult};

fn repo() -> Arc<Repository> {
    let store = Arc::new(MemoryStore::new());
    let signature = Signature::new("test", "test@example.invalid", 0);
    Arc::new(Repository::init(store, "main", &signature).expect("init"))
}

fn rows(session: &mut Session, sql: &str) -> Vec<Vec<Value>> {
    match session.execute(sql).expect(sql).pop() {
        Some(StatementResult::Rows { rows, .. }) => rows,
        other => panic!("{sql}: expected rows, got {other:?}"),
    }
}

fn tag(session: &mut Session, sql: &str) -> String {
    match session.execute(sql).expect(sql).pop() {
        Some(StatementResult::Command { tag }) => tag,
        other => panic!("{sql}: expected a command tag, got {other:?}"),
    }
}

/// A repository whose table `c (id, n)` holds counters 1..=`count`, all 0, and a session on it.
fn counters(count: i32) -> (Arc<Repository>, Session) {
    let repo = repo();
    let mut setup = Session::new(repo.clone(), "main");
    setup
        .execute(&format!(
            "CREATE TABLE c (id int PRIMARY KEY, n int); \
             INSERT INTO c SELECT g, 0 FROM generate_series(1, {count}) AS g"
        ))
        .unwrap();
    (repo, setup)
}

/// The one integer `sql` returns.
fn int(session: &mut Session, sql: &str) -> i32 {
    match rows(session, sql).as_slice() {
        [row] => match row.as_slice() {
            [Value::Int4(n)] => *n,
            other => panic!("{sql}: expected one integer, got {other:?}"),
        },
        other => panic!("{sql}: expected one row, got {other:?}"),
    }
}

/// Runs `work` on one thread per value of `ids`, each with its own session on main, and waits
/// for them all.
fn in_threads(
    repo: &Arc<Repository>,
    ids: impl Iterator<Item = i32>,
    work: impl Fn(i32, Session) + Clone + Send + 'static,
) {
    let threads: Vec<_> = ids
        .map(|id| {
            let (repo, work) = (repo.clone(), work.clone());
            std::thread::spawn(move || work(id, Session::new(repo, "main")))
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

fn setup() -> (Session, Session) {
    let repo = repo();
    setup_on(repo.clone(), repo)
}

/// Two sessions on one store as two processes see it: each through its own `Repository`, so
/// neither waits for the other's row locks, and only the merge at commit keeps them apart.
fn setup_two_processes() -> (Session, Session) {
    let store = Arc::new(MemoryStore::new());
    let signature = Signature::new("test", "test@example.invalid", 0);
    let one = Repository::init(store.clone(), "main", &signature).expect("init");
    let two = Repository::open(store).expect("open");
    setup_on(Arc::new(one), Arc::new(two))
}

fn setup_on(one: Arc<Repository>, two: Arc<Repository>) -> (Session, Session) {
    let mut a = Session::new(one, "main");
    let b = Session::new(two, "main");
    a.execute("CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0), (2, 0)")
        .expect("setup");
    (a, b)
}

#[test]
fn settings_follow_set_and_transactions() {
    let (mut a, _) = setup();
    assert_eq!(a.setting("server_version").as_deref(), Some("15.0"));
    assert_eq!(a.setting("DateStyle").as_deref(), Some("ISO, MDY"));
    assert_eq!(a.setting("no_such_parameter"), None);
    tag(&mut a, "SET application_name = 'psql'");
    assert_eq!(a.setting("application_name").as_deref(), Some("psql"));
    tag(&mut a, "BEGIN");
    tag(&mut a, "SET application_name = 'inside'");
    tag(&mut a, "ROLLBACK");
    assert_eq!(a.setting("application_name").as_deref(), Some("psql"));
    assert_eq!(tag(&mut a, "DEALLOCATE ALL"), "DEALLOCATE ALL");
    assert_eq!(tag(&mut a, "RESET ALL"), "RESET");
    assert_eq!(a.setting("application_name").as_deref(), Some(""));
}

/// A query string with a SHOW among other statements runs each of them (sqlparser's SHOW
/// reads to the end of the text), and set_config in a failed statement sets nothing.
#[test]
fn show_among_statements_and_set_config_of_a_failed_statement() {
    let (mut a, _) = setup();
    let results = a
        .execute("SHOW search_path; SELECT 1; SET my.x = 'y'; SHOW my.x")
        .unwrap();
    assert_eq!(results.len(), 4);
    assert!(
        matches!(&results[3], StatementResult::Rows { rows, .. } if rows == &vec![vec![Value::Text("y".into())]])
    );
    assert!(a
        .execute("SELECT set_config('my.z', 'set', false), 1 / 0")
        .is_err());
    assert_eq!(a.setting("my.z"), None);
    rows(&mut a, "SELECT set_config('my.z', 'set', false)");
    assert_eq!(a.setting("my.z").as_deref(), Some("set"));
}

#[test]
fn command_tags_follow_postgresql() {
    let (mut a, _) = setup();
    assert_eq!(
        tag(&mut a, "INSERT INTO t VALUES (3, 0), (4, 0)"),
        "INSERT 0 2"
    );
    assert_eq!(tag(&mut a, "UPDATE t SET v = 1 WHERE id > 2"), "UPDATE 2");
    assert_eq!(tag(&mut a, "DELETE FROM t WHERE id = 4"), "DELETE 1");
    assert_eq!(tag(&mut a, "BEGIN"), "BEGIN");
    assert_eq!(tag(&mut a, "COMMIT"), "COMMIT");
    assert_eq!(tag(&mut a, "TRUNCATE t"), "TRUNCATE TABLE");
    assert_eq!(tag(&mut a, "CREATE TABLE u (a int)"), "CREATE TABLE");
    assert_eq!(tag(&mut a, "DROP TABLE t"), "DROP TABLE");
}

#[test]
fn autocommit_is_visible_to_other_sessions() {
    let (mut a, mut b) = setup();
    a.execute("UPDATE t SET v = 5 WHERE id = 1").unwrap();
    assert_eq!(
        rows(&mut b, "SELECT v FROM t WHERE id = 1"),
        vec![vec![Value::Int4(5)]]
    );
}

#[test]
fn transaction_is_isolated_until_commit() {
    let (mut a, mut b) = setup();
    a.execute("BEGIN; UPDATE t SET v = 7 WHERE id = 1").unwrap();
    assert_eq!(
        rows(&mut b, "SELECT v FROM t WHERE id = 1"),
        vec![vec![Value::Int4(0)]]
    );
    a.execute("COMMIT").unwrap();
    assert_eq!(
        rows(&mut b, "SELECT v FROM t WHERE id = 1"),
        vec![vec![Value::Int4(7)]]
    );
}

#[test]
fn transactions_on_different_rows_both_commit() {
    let (mut a, mut b) = setup();
    a.execute("BEGIN; UPDATE t SET v = 1 WHERE id = 1").unwrap();
    b.execute("BEGIN; UPDATE t SET v = 2 WHERE id = 2; COMMIT")
        .unwrap();
    a.execute("COMMIT").unwrap();
    let all = rows(&mut a, "SELECT id, v FROM t ORDER BY id");
    assert_eq!(
        all,
        vec![
            vec![Value::Int4(1), Value::Int4(1)],
            vec![Value::Int4(2), Value::Int4(2)]
        ]
    );
}

/// A writer that takes no lock of ours (another process) changes a row a block wrote: the
/// block's COMMIT fails with 40001 and applies none of its changes.
#[test]
fn later_commit_of_the_same_row_fails_and_applies_nothing() {
    let (mut a, mut b) = setup_two_processes();
    a.execute("BEGIN; UPDATE t SET v = 1 WHERE id = 1; INSERT INTO t VALUES (3, 3)")
        .unwrap();
    b.execute("BEGIN; UPDATE t SET v = 2 WHERE id = 1; COMMIT")
        .unwrap();
    let err = a.execute("COMMIT").unwrap_err();
    assert_eq!(err.sqlstate(), "40001", "{err}");
    assert!(!a.in_transaction());
    let all = rows(&mut a, "SELECT id, v FROM t ORDER BY id");
    assert_eq!(
        all,
        vec![
            vec![Value::Int4(1), Value::Int4(2)],
            vec![Value::Int4(2), Value::Int4(0)]
        ]
    );
}

#[test]
fn failed_transaction_rejects_statements_until_rollback() {
    let (mut a, _) = setup();
    a.execute("BEGIN").unwrap();
    assert_eq!(a.execute("SELECT 1/0").unwrap_err().sqlstate(), "22012");
    assert_eq!(a.execute("SELECT 1").unwrap_err().sqlstate(), "25P02");
    assert_eq!(tag(&mut a, "COMMIT"), "ROLLBACK");
    assert_eq!(rows(&mut a, "SELECT 1"), vec![vec![Value::Int4(1)]]);
}

#[test]
fn syntax_errors_carry_postgresql_position() {
    let (mut a, _) = setup();
    let err = a.execute("SELECT * FORM t").unwrap_err();
    assert_eq!(err.sqlstate(), "42601");
    assert_eq!(err.to_string(), "syntax error at or near \"FORM\"");
    assert!(
        matches!(
            err,
            Error::Syntax {
                position: Some(10),
                ..
            }
        ),
        "{err:?}"
    );
    let err = a.execute("SELECT 1 +").unwrap_err();
    assert_eq!(err.to_string(), "syntax error at end of input");
}

/// The lines of `EXPLAIN`'s output for `sql` (which starts with EXPLAIN).
fn plan_lines(session: &mut Session, sql: &str) -> Vec<String> {
    rows(session, sql)
        .into_iter()
        .map(|r| match &r[0] {
            Value::Text(s) => s.clone(),
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn explain_shows_a_point_lookup() {
    let (mut a, _) = setup();
    let text = plan_lines(&mut a, "EXPLAIN SELECT v FROM t WHERE id = 2");
    assert!(
        text.iter().any(|l| l.contains("KeyLookup: t key = 2")),
        "{text:?}"
    );
}

/// A condition on a view's or derived table's column goes below the projection, so a key
/// condition still reads one row, and the projection's columns nobody reads are not computed.
#[test]
fn views_keep_point_lookups_and_skip_unread_columns() {
    let (mut a, _) = setup();
    a.execute("CREATE VIEW tv AS SELECT id, v * 2 AS twice, 10 / v AS tenth FROM t")
        .expect("view");
    for sql in [
        "EXPLAIN SELECT * FROM tv WHERE id = 2",
        "EXPLAIN SELECT * FROM (SELECT id, v + 1 AS w FROM t) s WHERE id = 2",
    ] {
        let text = plan_lines(&mut a, sql);
        assert!(
            text.iter().any(|l| l.contains("KeyLookup: t key = 2")),
            "{sql}: {text:?}"
        );
    }
    // v is 0 in every row: computing `10 / v` would fail with 22012.
    assert_eq!(
        rows(&mut a, "SELECT count(*) FROM tv"),
        vec![vec![Value::Int8(2)]]
    );
    assert_eq!(
        rows(&mut a, "SELECT twice FROM tv ORDER BY id"),
        vec![vec![Value::Int4(0)], vec![Value::Int4(0)]]
    );
    let err = a.execute("SELECT tenth FROM tv").unwrap_err();
    assert_eq!(err.sqlstate(), "22012", "{err}");
}

/// Odd and hostile inputs return results or errors, never panics.
#[test]
fn odd_inputs_do_not_panic() {
    let (mut a, _) = setup();
    let inputs = [
        "",
        ";",
        ";;SELECT 1;;",
        "SELECT",
        "SELECT -9223372036854775808",
        "SELECT 9223372036854775807 * 2",
        "SELECT -32768::smallint",
        "SELECT 1e400::float8",
        "SELECT 'abc' LIKE '%%%%%%%%%%%%%%%%%%%%b'",
        "SELECT 'a' LIKE 'a\\'",
        "SELECT * FROM t WHERE id = NULL",
        "SELECT * FROM t WHERE id > 'x'",
        "SELECT * FROM t WHERE id = 99999999999",
        "SELECT * FROM t WHERE id < 1.5",
        "SELECT * FROM t ORDER BY 0",
        "SELECT count(*) FROM t GROUP BY 5",
        "SELECT sum(id) OVER () FROM t",
        "INSERT INTO t VALUES ()",
        "INSERT INTO t SELECT * FROM t",
        "UPDATE t SET id = NULL",
        "DELETE FROM t WHERE v / 0 = 1",
        "CREATE TABLE x (a int, PRIMARY KEY (a, a))",
        "CREATE TABLE x (a numeric(1000, 2000))",
        "SELECT '0000-00-00'::date, '2024-01-01 25:61:61'::timestamp",
        "SELECT '\\xZZ'::bytea",
        "SELECT round(1.5, 2147483647)",
        "SELECT left('abc', -2147483648)",
        "BEGIN; BEGIN; COMMIT; COMMIT; ROLLBACK",
        "EXPLAIN INSERT INTO t VALUES (9, 9)",
        "SELECT t.* FROM t AS u",
        "SELECT * FROM (SELECT 1 AS a, 2 AS a) AS s WHERE a = 1",
    ];
    for sql in inputs {
        let _ = a.execute(sql);
    }
    a.execute("ROLLBACK").unwrap();
    assert_eq!(
        rows(&mut a, "SELECT count(*) FROM t"),
        vec![vec![Value::Int8(2)]]
    );
}

#[test]
fn concurrent_autocommit_writes_to_different_rows_all_land() {
    let (repo, mut setup) = counters(4);
    in_threads(&repo, 1..=4, |id, mut s| {
        for _ in 0..50 {
            s.execute(&format!("UPDATE c SET n = n + 1 WHERE id = {id}"))
                .expect("disjoint autocommit writes merge instead of failing");
        }
    });
    assert_eq!(
        rows(&mut setup, "SELECT n FROM c ORDER BY id"),
        vec![vec![Value::Int4(50)]; 4]
    );
}

/// Autocommit statements that write the same row from four threads: a statement that loses the
/// race runs again on the new root (PostgreSQL's READ COMMITTED waits and re-evaluates), so
/// none fails and no increment is lost.
#[test]
fn concurrent_autocommit_writes_to_one_row_all_land() {
    let (repo, mut setup) = counters(1);
    in_threads(&repo, 0..4, |_, mut s| {
        for _ in 0..50 {
            s.execute("UPDATE c SET n = n + 1 WHERE id = 1")
                .expect("a conflicting autocommit write runs again");
        }
    });
    assert_eq!(
        rows(&mut setup, "SELECT n FROM c"),
        vec![vec![Value::Int4(200)]]
    );
}

/// A cancel from another thread stops a long statement with 57014 and leaves nothing of it:
/// its INSERT is not published, and the session runs the next statement normally.
#[test]
fn a_cancel_stops_the_running_statement_and_writes_nothing() {
    let mut s = Session::new(repo(), "main");
    s.execute("CREATE TABLE t (id bigint PRIMARY KEY)")
        .expect("create");
    let handle = s.cancel_handle();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        handle.cancel();
    });
    // Ten billion rows: it ends only by being canceled.
    let err = s
        .execute(
            "INSERT INTO t SELECT a * 100000 + b FROM generate_series(1, 100000) a, \
             generate_series(1, 100000) b",
        )
        .expect_err("canceled");
    canceller.join().expect("canceller");
    assert_eq!(err.sqlstate(), "57014");
    assert_eq!(err.to_string(), "canceling statement due to user request");
    assert_eq!(
        rows(&mut s, "SELECT count(*) FROM t"),
        vec![vec![Value::Int8(0)]]
    );
}

#[test]
fn statement_timeout_stops_long_statements_only() {
    let mut s = Session::new(repo(), "main");
    tag(&mut s, "SET statement_timeout = '100ms'");
    let err = s
        .execute("SELECT count(*) FROM generate_series(1, 100000) a, generate_series(1, 100000) b")
        .expect_err("timed out");
    assert_eq!(err.sqlstate(), "57014");
    assert_eq!(
        err.to_string(),
        "canceling statement due to statement timeout"
    );
    assert_eq!(
        rows(&mut s, "SELECT count(*) FROM generate_series(1, 10)"),
        vec![vec![Value::Int8(10)]]
    );
    assert_eq!(
        rows(&mut s, "SHOW statement_timeout"),
        vec![vec![Value::Text("100ms".into())]]
    );
    let err = s
        .execute("SET statement_timeout = '5 parsecs'")
        .expect_err("bad unit");
    assert_eq!(err.sqlstate(), "22023");
}

/// Two REPEATABLE READ transactions that change one row to the same result (each adds 5 to a
/// balance read at BEGIN) must not both commit: the merge would take the two writes as one and
/// lose an update. The second fails with 40001, as PostgreSQL's repeatable read fails it, and a
/// retry lands. The two sessions are two processes here, so that neither waits for the
/// other's row lock (see `repeatable_read_write_of_a_row_another_changed_fails_after_waiting`).
#[test]
fn concurrent_equal_updates_of_one_row_do_not_lose_one() {
    let (mut a, mut b) = setup_two_processes();
    const BEGIN: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ";
    for s in [&mut a, &mut b] {
        tag(s, BEGIN);
        tag(s, "UPDATE t SET v = v + 5 WHERE id = 1");
    }
    tag(&mut a, "COMMIT");
    let err = b
        .execute("COMMIT")
        .expect_err("the second commit would lose an update");
    assert_eq!(err.sqlstate(), "40001", "{err}");
    tag(&mut b, BEGIN);
    tag(&mut b, "UPDATE t SET v = v + 5 WHERE id = 1");
    tag(&mut b, "COMMIT");
    assert_eq!(
        rows(&mut a, "SELECT v FROM t WHERE id = 1"),
        vec![vec![Value::Int4(10)]]
    );

    // The same insert in two transactions: one of them commits.
    for s in [&mut a, &mut b] {
        tag(s, BEGIN);
        tag(s, "INSERT INTO t VALUES (3, 7)");
    }
    tag(&mut a, "COMMIT");
    assert_eq!(b.execute("COMMIT").expect_err("twice").sqlstate(), "40001");

    // Different cells of one row: a merge of branches would combine them, but the second
    // transaction read the row before the first changed it, so it fails.
    tag(&mut a, "ALTER TABLE t ADD COLUMN w int DEFAULT 0");
    for (s, col) in [(&mut a, "v"), (&mut b, "w")] {
        tag(s, BEGIN);
        tag(s, &format!("UPDATE t SET {col} = {col} + 100 WHERE id = 1"));
    }
    tag(&mut a, "COMMIT");
    assert_eq!(
        b.execute("COMMIT").expect_err("one row").sqlstate(),
        "40001"
    );
    assert_eq!(
        rows(&mut a, "SELECT v, w FROM t WHERE id = 1"),
        vec![vec![Value::Int4(110), Value::Int4(0)]]
    );
    tag(&mut a, "ALTER TABLE t DROP COLUMN w");

    // Changes to different rows still merge.
    for (s, id) in [(&mut a, 1), (&mut b, 2)] {
        tag(s, BEGIN);
        tag(s, &format!("UPDATE t SET v = v + 1 WHERE id = {id}"));
    }
    tag(&mut a, "COMMIT");
    tag(&mut b, "COMMIT");
    assert_eq!(
        rows(&mut a, "SELECT v FROM t ORDER BY id"),
        vec![
            vec![Value::Int4(111)],
            vec![Value::Int4(1)],
            vec![Value::Int4(7)]
        ]
    );
}

/// READ COMMITTED blocks (the default) that update one row from four threads wait for its
/// lock, then run on what the others committed, as PostgreSQL's writers wait for the row lock
/// and re-read the row. No COMMIT fails and no increment is lost; every block also reads its
/// own write back.
#[test]
fn read_committed_blocks_writing_one_row_wait_for_its_lock() {
    let (repo, mut setup) = counters(1);
    in_threads(&repo, 0..4, |_, mut s| {
        for _ in 0..25 {
            tag(&mut s, "BEGIN");
            let b = int(&mut s, "SELECT n FROM c WHERE id = 1");
            tag(&mut s, "UPDATE c SET n = n + 1 WHERE id = 1");
            let a = int(&mut s, "SELECT n FROM c WHERE id = 1");
            assert!(a > b, "the write reads what others committed: {b} -> {a}");
            s.execute("COMMIT")
                .expect("blocks that took turns do not conflict");
        }
    });
    assert_eq!(
        rows(&mut setup, "SELECT n FROM c"),
        vec![vec![Value::Int4(100)]]
    );
}

/// Each statement of a READ COMMITTED block runs on what is committed when it starts, with
/// the block's own changes on top; REPEATABLE READ keeps BEGIN's snapshot and fails at COMMIT,
/// as in PostgreSQL.
#[test]
fn read_committed_statements_see_what_others_committed() {
    let (mut a, mut b) = setup();
    tag(&mut b, "BEGIN");
    assert_eq!(
        rows(&mut b, "SELECT v FROM t WHERE id = 1"),
        vec![vec![Value::Int4(0)]]
    );
    tag(&mut a, "UPDATE t SET v = 10 WHERE id = 1");
    assert_eq!(
        rows(&mut b, "SELECT v FROM t WHERE id = 1"),
        vec![vec![Value::Int4(10)]]
    );
    tag(&mut b, "UPDATE t SET v = v + 1 WHERE id = 2");
    tag(&mut a, "UPDATE t SET v = 20 WHERE id = 1");
    assert_eq!(
        rows(&mut b, "SELECT id, v FROM t ORDER BY id"),
        vec![
            vec![Value::Int4(1), Value::Int4(20)],
            vec![Value::Int4(2), Value::Int4(1)]
        ],
        "others' commits under the block's own change"
    );
    tag(&mut b, "UPDATE t SET v = 2 WHERE id = 2");
    tag(&mut a, "UPDATE t SET v = 10 WHERE id = 1");
    tag(&mut b, "UPDATE t SET v = v + 1 WHERE id = 1");
    tag(&mut b, "COMMIT");
    assert_eq!(
        rows(&mut a, "SELECT v FROM t WHERE id = 1"),
        vec![vec![Value::Int4(11)]]
    );

    tag(&mut b, "BEGIN");
    tag(&mut b, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    assert_eq!(
        rows(&mut b, "SELECT v FROM t WHERE id = 1"),
        vec![vec![Value::Int4(11)]]
    );
    tag(&mut a, "UPDATE t SET v = 20 WHERE id = 1");
    let stale = b.execute("UPDATE t SET v = v + 1 WHERE id = 1");
    assert_eq!(stale.expect_err("stale").sqlstate(), "40001");
    assert_eq!(tag(&mut b, "COMMIT"), "ROLLBACK");
    assert_eq!(
        rows(&mut a, "SELECT v FROM t WHERE id = 1"),
        vec![vec![Value::Int4(20)]]
    );
}

/// SELECT ... FOR UPDATE in a READ COMMITTED block waits for the branch lock and reads the
/// newest row, so a client that computes the new value itself loses no update and gets no
/// 40001, as with PostgreSQL's row lock.
#[test]
fn select_for_update_then_write_loses_no_update() {
    let (repo, mut setup) = counters(1);
    in_threads(&repo, 0..4, |_, mut s| {
        for _ in 0..10 {
            tag(&mut s, "BEGIN");
            let n = int(&mut s, "SELECT n FROM c WHERE id = 1 FOR UPDATE");
            tag(&mut s, &format!("UPDATE c SET n = {} WHERE id = 1", n + 1));
            s.execute("COMMIT").expect("the lock reader commits");
        }
    });
    assert_eq!(
        rows(&mut setup, "SELECT n FROM c"),
        vec![vec![Value::Int4(40)]]
    );
}

/// Unaliased select items are named as PostgreSQL's FigureColname names them.
#[test]
fn unaliased_columns_take_postgresql_names() {
    let (mut a, _) = setup();
    let names = match a
        .execute(
            "SELECT timestamp '2024-01-01' AT TIME ZONE 'UTC', CASE WHEN true THEN 1 END, \
             extract(year FROM date '2024-01-01'), ARRAY[1], v, t.id, 1 + 1, \
             EXISTS (SELECT 1), NOT EXISTS (SELECT 1), interval '1 hour'::text, \
             interval '1 day', v::text::int, 1::text::int, CASE WHEN true THEN 1 ELSE v END, \
             CASE WHEN true THEN 'a' ELSE upper(v::text) END, CASE WHEN true THEN 'a' ELSE \
             'b'::text END FROM t",
        )
        .expect("select")
        .pop()
    {
        Some(StatementResult::Rows { columns, .. }) => columns
            .into_iter()
            .map(|(name, _)| name)
            .collect::<Vec<_>>(),
        other => panic!("expected rows, got {other:?}"),
    };
    assert_eq!(
        names,
        [
            "timezone", "case", "extract", "array", "v", "id", "?column?", "exists", "?column?",
            "text", "interval", "v", "int4", "v", "upper", "case"
        ]
    );
}

#[test]
fn open_transactions_draw_different_serial_values_and_both_commit() {
    let (mut a, mut b) = setup();
    tag(&mut a, "CREATE TABLE s (id serial PRIMARY KEY, v text)");
    tag(&mut a, "BEGIN");
    tag(&mut b, "BEGIN");
    assert_eq!(
        int(&mut a, "INSERT INTO s (v) VALUES ('a') RETURNING id"),
        1
    );
    assert_eq!(
        int(&mut b, "INSERT INTO s (v) VALUES ('b') RETURNING id"),
        2
    );
    tag(&mut a, "COMMIT");
    tag(&mut b, "COMMIT");
    assert_eq!(int(&mut a, "SELECT count(*)::int FROM s"), 2);
    // A value drawn by a rolled-back transaction is not drawn again.
    tag(&mut a, "BEGIN");
    assert_eq!(
        int(&mut a, "INSERT INTO s (v) VALUES ('c') RETURNING id"),
        3
    );
    tag(&mut a, "ROLLBACK");
    assert_eq!(
        int(&mut b, "INSERT INTO s (v) VALUES ('d') RETURNING id"),
        4
    );
    // Resetting the sequence is seen by the next draw.
    tag(&mut a, "TRUNCATE s RESTART IDENTITY");
    assert_eq!(
        int(&mut b, "INSERT INTO s (v) VALUES ('e') RETURNING id"),
        1
    );
    let rows = rows(&mut a, "SELECT setval('s_id_seq', 40)");
    assert_eq!(rows, vec![vec![Value::Int8(40)]]);
    assert_eq!(
        int(&mut b, "INSERT INTO s (v) VALUES ('f') RETURNING id"),
        41
    );
}

#[test]
fn statements_the_parser_reads_only_alone_run_in_a_multi_statement_string() {
    let (mut a, _) = setup();
    let results = a
        .execute(
            "CREATE SEQUENCE q; SELECT nextval('q'); ALTER SEQUENCE q RESTART; \
             SELECT nextval('q')",
        )
        .unwrap();
    assert_eq!(results.len(), 4);
    assert!(
        matches!(&results[3], StatementResult::Rows { rows, .. } if rows == &vec![vec![Value::Int8(1)]]),
        "{:?}",
        results[3]
    );
    // A syntax error in any of them still fails the whole string before anything runs.
    let err = a
        .execute("CREATE SEQUENCE r; ALTER SEQUENCE r RESTAR")
        .unwrap_err();
    assert_eq!(err.sqlstate(), "42601");
    assert!(a.execute("SELECT nextval('r')").is_err());
}

/// Runs `work` on another thread with its own session on `repo`, and returns once it has
/// started waiting for a lock (or finished): the thread's result comes from the handle.
fn waiting_writer<T: Send + 'static>(
    repo: &Arc<Repository>,
    work: impl FnOnce(&mut Session) -> T + Send + 'static,
) -> std::thread::JoinHandle<T> {
    let waiting_before = waits(repo);
    let handle = {
        let repo = repo.clone();
        std::thread::spawn(move || work(&mut Session::new(repo, "main")))
    };
    while waits(repo) == waiting_before && !handle.is_finished() {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    handle
}

/// How many owners of `repo`'s locks are waiting.
fn waits(repo: &Repository) -> usize {
    repo.locks().waiting()
}

/// A write of a row another block holds waits until that block ends, then runs on what it
/// committed; writes of other rows do not wait. Each row a statement writes is one lock, held
/// until the block ends.
#[test]
fn a_writer_of_a_locked_row_waits_for_the_block_and_reads_its_commit() {
    let (repo, mut a) = counters(3);
    tag(&mut a, "BEGIN");
    tag(&mut a, "UPDATE c SET n = n + 1 WHERE id IN (1, 2)");
    assert_eq!(repo.locks().row_locks_held(), 2);
    let waiter = waiting_writer(&repo, |s| {
        tag(s, "UPDATE c SET n = n + 10 WHERE id = 1");
        int(s, "SELECT n FROM c WHERE id = 1")
    });
    // Another row is free: this autocommit write does not wait, and holds no lock after.
    let mut other = Session::new(repo.clone(), "main");
    tag(&mut other, "UPDATE c SET n = 100 WHERE id = 3");
    assert!(
        !waiter.is_finished(),
        "the writer of row 1 waits for the block"
    );
    assert_eq!(repo.locks().row_locks_held(), 2);
    tag(&mut a, "UPDATE c SET n = n + 1 WHERE id = 1");
    tag(&mut a, "COMMIT");
    assert_eq!(
        waiter.join().unwrap(),
        12,
        "the waiter added to the block's 2"
    );
    assert_eq!(repo.locks().row_locks_held(), 0);
    assert_eq!(
        rows(&mut a, "SELECT n FROM c ORDER BY id"),
        vec![
            vec![Value::Int4(12)],
            vec![Value::Int4(1)],
            vec![Value::Int4(100)]
        ]
    );

    // ROLLBACK releases the locks too, and the waiter then reads the row as it was.
    tag(&mut a, "BEGIN");
    tag(&mut a, "DELETE FROM c WHERE id = 2");
    let waiter = waiting_writer(&repo, |s| tag(s, "UPDATE c SET n = n * 2 WHERE id = 2"));
    tag(&mut a, "ROLLBACK");
    assert_eq!(waiter.join().unwrap(), "UPDATE 1");
    assert_eq!(int(&mut a, "SELECT n FROM c WHERE id = 2"), 2);
}

/// Two blocks that each hold a row the other then writes: the second to wait fails at once
/// with 40P01 (PostgreSQL's "deadlock detected"), and the first goes on once it rolls back.
#[test]
fn two_blocks_waiting_for_each_other_fail_one_with_a_deadlock() {
    let (repo, mut a) = counters(2);
    tag(&mut a, "BEGIN");
    tag(&mut a, "UPDATE c SET n = 1 WHERE id = 1");
    let (to_b, from_a) = std::sync::mpsc::channel::<()>();
    let repo_b = repo.clone();
    let b = std::thread::spawn(move || {
        let s = &mut Session::new(repo_b, "main");
        tag(s, "BEGIN");
        tag(s, "UPDATE c SET n = 2 WHERE id = 2");
        from_a.recv().unwrap();
        // Waits for a's row 1.
        let r = s.execute("UPDATE c SET n = 2 WHERE id = 1").map(|_| ());
        let committed = s.execute("COMMIT");
        (r, committed.map(|mut r| r.pop()))
    });
    // b now holds row 2; wait until it waits for row 1.
    while repo.locks().row_locks_held() < 2 {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    to_b.send(()).unwrap();
    while waits(&repo) == 0 {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let err = a
        .execute("UPDATE c SET n = 1 WHERE id = 2")
        .expect_err("a closes the cycle");
    assert_eq!(err.sqlstate(), "40P01", "{err}");
    assert_eq!(err.to_string(), "deadlock detected");
    assert_eq!(tag(&mut a, "ROLLBACK"), "ROLLBACK");
    let (r, committed) = b.join().unwrap();
    r.expect("b's wait ends when a rolls back");
    assert!(committed.is_ok());
    assert_eq!(
        rows(&mut a, "SELECT n FROM c ORDER BY id"),
        vec![vec![Value::Int4(2)], vec![Value::Int4(2)]]
    );
}

/// `lock_timeout` bounds one wait for a lock (55P03), as in PostgreSQL; the failed block keeps
/// nothing and the holder is not disturbed.
#[test]
fn lock_timeout_stops_a_wait_for_a_row() {
    let (mut a, mut b) = setup();
    tag(&mut a, "BEGIN");
    tag(&mut a, "UPDATE t SET v = 1 WHERE id = 1");
    tag(&mut b, "SET lock_timeout = '30ms'");
    let err = b
        .execute("UPDATE t SET v = 2 WHERE id = 1")
        .expect_err("the row stays locked");
    assert_eq!(err.sqlstate(), "55P03", "{err}");
    assert_eq!(err.to_string(), "canceling statement due to lock timeout");
    tag(&mut b, "BEGIN");
    tag(&mut b, "UPDATE t SET v = 2 WHERE id = 2");
    let err = b.execute("DELETE FROM t WHERE id = 1").expect_err("locked");
    assert_eq!(err.sqlstate(), "55P03", "{err}");
    assert_eq!(tag(&mut b, "COMMIT"), "ROLLBACK");
    tag(&mut a, "COMMIT");
    assert_eq!(
        rows(&mut b, "SELECT v FROM t ORDER BY id"),
        vec![vec![Value::Int4(1)], vec![Value::Int4(0)]]
    );
}

/// `SELECT ... FOR UPDATE NOWAIT` fails at once with PostgreSQL's 55P03 while another block
/// holds the row, leaves the block usable after ROLLBACK, and locks once the writer ended.
#[test]
fn select_for_update_nowait_fails_instead_of_waiting() {
    let (mut a, mut b) = setup();
    tag(&mut a, "BEGIN");
    tag(&mut a, "UPDATE t SET v = 1 WHERE id = 1");
    tag(&mut b, "BEGIN");
    let err = b
        .execute("SELECT v FROM t WHERE id = 1 FOR UPDATE NOWAIT")
        .expect_err("another block holds the row");
    assert_eq!(err.sqlstate(), "55P03", "{err}");
    assert_eq!(
        err.to_string(),
        "could not obtain lock on row in relation \"t\""
    );
    assert_eq!(tag(&mut b, "COMMIT"), "ROLLBACK");
    tag(&mut a, "COMMIT");
    tag(&mut b, "BEGIN");
    assert_eq!(
        rows(&mut b, "SELECT v FROM t WHERE id = 1 FOR UPDATE NOWAIT"),
        vec![vec![Value::Int4(1)]]
    );
    tag(&mut b, "COMMIT");
}

/// REPEATABLE READ: a write of a row another block holds waits for it; when that block
/// commits a change to the row, the write fails with 40001 (PostgreSQL's "could not serialize
/// access due to concurrent update"); when it rolls back, the write goes on.
#[test]
fn repeatable_read_write_of_a_row_another_changed_fails_after_waiting() {
    let (repo, mut a) = counters(1);
    for (end, expect) in [("COMMIT", Some("40001")), ("ROLLBACK", None)] {
        tag(&mut a, "BEGIN");
        tag(&mut a, "UPDATE c SET n = n + 1 WHERE id = 1");
        let waiter = waiting_writer(&repo, |s| {
            tag(s, "BEGIN ISOLATION LEVEL REPEATABLE READ");
            let r = s.execute("UPDATE c SET n = n + 5 WHERE id = 1");
            let ended = tag(s, "COMMIT");
            (r.err().map(|e| e.sqlstate()), ended)
        });
        tag(&mut a, end);
        let (failed, ended) = waiter.join().unwrap();
        assert_eq!(failed, expect, "after the holder's {end}");
        assert_eq!(
            ended,
            if expect.is_some() {
                "ROLLBACK"
            } else {
                "COMMIT"
            }
        );
    }
    assert_eq!(int(&mut a, "SELECT n FROM c WHERE id = 1"), 6);
}

/// A READ COMMITTED block's savepoints move with its snapshot: ROLLBACK TO keeps what others
/// committed since the savepoint was set, and drops only the block's own later changes.
#[test]
fn rollback_to_a_savepoint_keeps_what_others_committed_since() {
    let (mut a, mut b) = setup();
    tag(&mut b, "BEGIN");
    tag(&mut b, "UPDATE t SET v = 5 WHERE id = 2");
    tag(&mut b, "SAVEPOINT s");
    tag(&mut b, "UPDATE t SET v = 6 WHERE id = 2");
    tag(&mut a, "UPDATE t SET v = 9 WHERE id = 1");
    tag(&mut a, "INSERT INTO t VALUES (3, 3)");
    assert_eq!(int(&mut b, "SELECT count(*)::int FROM t"), 3);
    tag(&mut b, "ROLLBACK TO s");
    assert_eq!(
        rows(&mut b, "SELECT id, v FROM t ORDER BY id"),
        vec![
            vec![Value::Int4(1), Value::Int4(9)],
            vec![Value::Int4(2), Value::Int4(5)],
            vec![Value::Int4(3), Value::Int4(3)]
        ]
    );
    tag(&mut b, "COMMIT");
    assert_eq!(
        rows(&mut a, "SELECT id, v FROM t ORDER BY id"),
        vec![
            vec![Value::Int4(1), Value::Int4(9)],
            vec![Value::Int4(2), Value::Int4(5)],
            vec![Value::Int4(3), Value::Int4(3)]
        ]
    );
}

/// A statement that changes a schema cannot name its rows: it takes the branch lock, which
/// waits for every other block's row locks, and holds off their writes until it ends.
#[test]
fn a_schema_change_in_a_block_waits_for_the_writers_of_rows() {
    let (repo, mut a) = counters(2);
    tag(&mut a, "BEGIN");
    tag(&mut a, "UPDATE c SET n = 1 WHERE id = 1");
    let ddl = waiting_writer(&repo, |s| {
        tag(s, "BEGIN");
        tag(s, "ALTER TABLE c ADD COLUMN m int DEFAULT 7");
        tag(s, "COMMIT")
    });
    tag(&mut a, "UPDATE c SET n = 1 WHERE id = 2");
    tag(&mut a, "COMMIT");
    assert_eq!(ddl.join().unwrap(), "COMMIT");
    assert_eq!(
        rows(&mut a, "SELECT id, n, m FROM c ORDER BY id"),
        vec![
            vec![Value::Int4(1), Value::Int4(1), Value::Int4(7)],
            vec![Value::Int4(2), Value::Int4(1), Value::Int4(7)]
        ]
    );
}

/// A query without end (a recursive CTE that never stops) fails with 53200 once its result
/// outgrows `vdb.max_result_memory`, instead of taking the server's memory; the session goes on.
#[test]
fn endless_results_stop_at_the_result_memory_budget() {
    let mut s = Session::new(repo(), "main");
    s.execute("SET vdb.max_result_memory = '4MB'").unwrap();
    let err = s
        .execute("WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM x) SELECT * FROM x")
        .expect_err("an endless result must fail");
    assert_eq!(err.sqlstate(), "53200");
    assert!(err.detail().is_some_and(|d| d.contains("4 MB")), "{err:?}");
    // Results within the budget are whole; a LIMIT stops the endless query in time.
    assert_eq!(
        rows(&mut s, "SELECT g FROM generate_series(1, 10000) AS g").len(),
        10000
    );
    assert_eq!(
        rows(
            &mut s,
            "WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM x) SELECT * FROM x LIMIT 3"
        )
        .len(),
        3
    );
}
