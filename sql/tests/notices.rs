//! NOTICEs and WARNINGs: after each statement the session's queue holds what PostgreSQL 15
//! sends for it (severity, SQLSTATE, message, DETAIL). Every expected text was copied from
//! `psql` (`\set VERBOSITY verbose`) against PostgreSQL 15 running the same statements.

use std::sync::Arc;

use vdb_engine::repo::{Repository, Signature};
use vdb_engine::store::MemoryStore;
use vdb_engine::value::Value;
use vdb_sql::{Session, StatementResult};

fn session() -> Session {
    let store = Arc::new(MemoryStore::new());
    let signature = Signature::new("test", "test@example.invalid", 0);
    let repo = Arc::new(Repository::init(store, "main", &signature).expect("init"));
    Session::new(repo, "main")
}

/// Runs `sql` (which must succeed) and renders the notices it raised as
/// `SEVERITY CODE: message`, with `DETAIL: ...` after a newline where there is one.
fn notices(session: &mut Session, sql: &str) -> Vec<String> {
    session
        .execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    session
        .take_notices()
        .iter()
        .map(|n| {
            let mut text = format!("{} {}: {}", n.severity.as_str(), n.code, n.message);
            if let Some(detail) = &n.detail {
                text.push_str(&format!("\nDETAIL: {detail}"));
            }
            text
        })
        .collect()
}

/// Runs each `(sql, expected notices)` in order on one session.
fn check(session: &mut Session, steps: &[(&str, &[&str])]) {
    for (sql, expected) in steps {
        assert_eq!(notices(session, sql), *expected, "{sql}");
    }
}

#[test]
fn drop_if_exists_of_missing_objects() {
    let mut s = session();
    check(
        &mut s,
        &[
            (
                "DROP TABLE IF EXISTS x",
                &["NOTICE 00000: table \"x\" does not exist, skipping"],
            ),
            (
                "DROP TABLE IF EXISTS public.x",
                &["NOTICE 00000: table \"x\" does not exist, skipping"],
            ),
            (
                "DROP TABLE IF EXISTS nosuch.x",
                &["NOTICE 00000: schema \"nosuch\" does not exist, skipping"],
            ),
            (
                "DROP TABLE IF EXISTS x, y",
                &[
                    "NOTICE 00000: table \"x\" does not exist, skipping",
                    "NOTICE 00000: table \"y\" does not exist, skipping",
                ],
            ),
            (
                "DROP VIEW IF EXISTS x",
                &["NOTICE 00000: view \"x\" does not exist, skipping"],
            ),
            (
                "DROP INDEX IF EXISTS x",
                &["NOTICE 00000: index \"x\" does not exist, skipping"],
            ),
            (
                "DROP SEQUENCE IF EXISTS x",
                &["NOTICE 00000: sequence \"x\" does not exist, skipping"],
            ),
            (
                "DROP SCHEMA IF EXISTS x, y",
                &[
                    "NOTICE 00000: schema \"x\" does not exist, skipping",
                    "NOTICE 00000: schema \"y\" does not exist, skipping",
                ],
            ),
            (
                "DROP TYPE IF EXISTS x",
                &["NOTICE 00000: type \"x\" does not exist, skipping"],
            ),
            (
                "DROP TYPE IF EXISTS nosuch.x",
                &["NOTICE 00000: schema \"nosuch\" does not exist, skipping"],
            ),
            (
                "DROP VIEW IF EXISTS nosuch.x",
                &["NOTICE 00000: schema \"nosuch\" does not exist, skipping"],
            ),
            ("CREATE TABLE t (a int)", &[]),
            ("DROP TABLE IF EXISTS t", &[]),
        ],
    );
}

#[test]
fn create_if_not_exists_of_existing_objects() {
    let mut s = session();
    check(
        &mut s,
        &[
            ("CREATE TABLE t (a int PRIMARY KEY, b int)", &[]),
            (
                "CREATE TABLE IF NOT EXISTS t (a int)",
                &["NOTICE 42P07: relation \"t\" already exists, skipping"],
            ),
            (
                "CREATE TABLE IF NOT EXISTS public.t (a int)",
                &["NOTICE 42P07: relation \"t\" already exists, skipping"],
            ),
            (
                "CREATE TABLE IF NOT EXISTS t AS SELECT 1",
                &["NOTICE 42P07: relation \"t\" already exists, skipping"],
            ),
            ("CREATE INDEX i ON t (b)", &[]),
            (
                "CREATE INDEX IF NOT EXISTS i ON t (b)",
                &["NOTICE 42P07: relation \"i\" already exists, skipping"],
            ),
            (
                "CREATE INDEX IF NOT EXISTS t ON t (b)",
                &["NOTICE 42P07: relation \"t\" already exists, skipping"],
            ),
            ("CREATE SEQUENCE s", &[]),
            (
                "CREATE SEQUENCE IF NOT EXISTS s",
                &["NOTICE 42P07: relation \"s\" already exists, skipping"],
            ),
            (
                "CREATE TABLE IF NOT EXISTS s (a int)",
                &["NOTICE 42P07: relation \"s\" already exists, skipping"],
            ),
            ("CREATE SCHEMA sc", &[]),
            (
                "CREATE SCHEMA IF NOT EXISTS sc",
                &["NOTICE 42P06: schema \"sc\" already exists, skipping"],
            ),
            ("CREATE TABLE IF NOT EXISTS u (a int)", &[]),
        ],
    );
}

#[test]
fn a_skipped_create_table_as_reports_its_own_tag() {
    let mut s = session();
    s.execute("CREATE TABLE t (a int)").expect("setup");
    let results = s
        .execute("CREATE TABLE IF NOT EXISTS t AS SELECT 1")
        .expect("skipped");
    assert_eq!(
        results,
        [StatementResult::Command {
            tag: "CREATE TABLE AS".into()
        }]
    );
}

#[test]
fn alter_table_if_exists() {
    let mut s = session();
    check(
        &mut s,
        &[
            ("CREATE TABLE t (a int PRIMARY KEY, b int)", &[]),
            (
                "ALTER TABLE IF EXISTS nope ADD COLUMN c int",
                &["NOTICE 00000: relation \"nope\" does not exist, skipping"],
            ),
            (
                "ALTER TABLE IF EXISTS nope RENAME TO q",
                &["NOTICE 00000: relation \"nope\" does not exist, skipping"],
            ),
            (
                "ALTER TABLE t DROP COLUMN IF EXISTS zz",
                &["NOTICE 00000: column \"zz\" of relation \"t\" does not exist, skipping"],
            ),
            (
                "ALTER TABLE t DROP CONSTRAINT IF EXISTS zz",
                &["NOTICE 00000: constraint \"zz\" of relation \"t\" does not exist, skipping"],
            ),
            (
                "ALTER TABLE t ADD COLUMN IF NOT EXISTS b int",
                &["NOTICE 42701: column \"b\" of relation \"t\" already exists, skipping"],
            ),
            ("ALTER TABLE t DROP COLUMN IF EXISTS b", &[]),
        ],
    );
}

#[test]
fn transaction_control_out_of_place() {
    let mut s = session();
    let none = "WARNING 25P01: there is no transaction in progress";
    let already = "WARNING 25001: there is already a transaction in progress";
    check(
        &mut s,
        &[
            ("COMMIT", &[none]),
            ("ROLLBACK", &[none]),
            ("END", &[none]),
            ("ABORT", &[none]),
            ("BEGIN; ABORT TRANSACTION", &[]),
            ("BEGIN", &[]),
            ("BEGIN", &[already]),
            ("START TRANSACTION", &[already]),
            ("BEGIN ISOLATION LEVEL READ COMMITTED", &[already]),
            ("COMMIT", &[]),
            (
                "SET LOCAL search_path = public",
                &["WARNING 25P01: SET LOCAL can only be used in transaction blocks"],
            ),
            (
                "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
                &["WARNING 25P01: SET TRANSACTION can only be used in transaction blocks"],
            ),
            (
                "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED",
                &[],
            ),
        ],
    );
}

#[test]
fn cascades_name_what_they_drop() {
    let mut s = session();
    check(
        &mut s,
        &[
            ("CREATE TABLE t (a int PRIMARY KEY, b int)", &[]),
            ("CREATE VIEW v AS SELECT * FROM t", &[]),
            (
                "DROP TABLE t CASCADE",
                &["NOTICE 00000: drop cascades to view v"],
            ),
            ("CREATE TABLE t (a int PRIMARY KEY, b int)", &[]),
            ("CREATE VIEW v AS SELECT * FROM t", &[]),
            ("CREATE VIEW v2 AS SELECT * FROM v", &[]),
            (
                "DROP TABLE t CASCADE",
                &["NOTICE 00000: drop cascades to 2 other objects\n\
                   DETAIL: drop cascades to view v\ndrop cascades to view v2"],
            ),
            ("CREATE TABLE t (a int PRIMARY KEY, b int)", &[]),
            ("CREATE TABLE c (x int REFERENCES t (a))", &[]),
            (
                "DROP TABLE t CASCADE",
                &["NOTICE 00000: drop cascades to constraint c_x_fkey on table c"],
            ),
            ("CREATE TABLE t (a int PRIMARY KEY, b int)", &[]),
            ("CREATE TABLE c2 (x int REFERENCES t (a))", &[]),
            ("CREATE VIEW v AS SELECT * FROM t", &[]),
            (
                "DROP TABLE t CASCADE",
                &["NOTICE 00000: drop cascades to 2 other objects\n\
                   DETAIL: drop cascades to constraint c2_x_fkey on table c2\n\
                   drop cascades to view v"],
            ),
            ("CREATE SCHEMA s", &[]),
            ("CREATE TABLE s.a (x int)", &[]),
            ("CREATE VIEW s.b AS SELECT 1", &[]),
            (
                "DROP SCHEMA s CASCADE",
                &["NOTICE 00000: drop cascades to 2 other objects\n\
                   DETAIL: drop cascades to table s.a\ndrop cascades to view s.b"],
            ),
            ("CREATE SCHEMA s2", &[]),
            ("CREATE TABLE s2.a (x int)", &[]),
            (
                "DROP SCHEMA s2 CASCADE",
                &["NOTICE 00000: drop cascades to table s2.a"],
            ),
        ],
    );
}

#[test]
fn truncate_cascade_names_the_referencing_tables() {
    let mut s = session();
    check(
        &mut s,
        &[
            ("CREATE TABLE t (a int PRIMARY KEY, b int)", &[]),
            ("INSERT INTO t VALUES (1, 1)", &[]),
            ("CREATE TABLE c3 (x int REFERENCES t (a))", &[]),
            ("INSERT INTO c3 VALUES (1)", &[]),
            (
                "TRUNCATE t CASCADE",
                &["NOTICE 00000: truncate cascades to table \"c3\""],
            ),
            ("CREATE TABLE c4 (x int REFERENCES t (a))", &[]),
            (
                "TRUNCATE t CASCADE",
                &[
                    "NOTICE 00000: truncate cascades to table \"c3\"",
                    "NOTICE 00000: truncate cascades to table \"c4\"",
                ],
            ),
            (
                "TRUNCATE t, c3 CASCADE",
                &["NOTICE 00000: truncate cascades to table \"c4\""],
            ),
        ],
    );
    match s.execute("SELECT count(*) FROM c3").expect("count").pop() {
        Some(StatementResult::Rows { rows, .. }) => assert_eq!(rows, [[Value::Int8(0)]]),
        other => panic!("expected rows, got {other:?}"),
    }
}

#[test]
fn client_min_messages_hides_lower_levels() {
    let mut s = session();
    check(
        &mut s,
        &[
            ("SET client_min_messages = warning", &[]),
            ("DROP TABLE IF EXISTS x", &[]),
            (
                "COMMIT",
                &["WARNING 25P01: there is no transaction in progress"],
            ),
            ("SET client_min_messages = error", &[]),
            ("COMMIT", &[]),
            ("RESET client_min_messages", &[]),
            (
                "DROP TABLE IF EXISTS x",
                &["NOTICE 00000: table \"x\" does not exist, skipping"],
            ),
        ],
    );
}

#[test]
fn a_failed_statement_keeps_the_notices_raised_before_its_error() {
    let mut s = session();
    s.execute("CREATE TABLE t (a int PRIMARY KEY); CREATE TABLE c (x int REFERENCES t (a))")
        .expect("setup");
    let error = s
        .execute("DROP TABLE IF EXISTS t, nosuch")
        .expect_err("t is referenced");
    assert_eq!(error.sqlstate(), "2BP01");
    let notices: Vec<String> = s.take_notices().iter().map(|n| n.message.clone()).collect();
    assert_eq!(notices, ["table \"nosuch\" does not exist, skipping"]);
}

#[test]
fn a_script_pairs_each_result_with_its_notices() {
    let mut s = session();
    let (results, error) =
        s.execute_script_with_notices("DROP TABLE IF EXISTS a; SELECT 1; DROP VIEW IF EXISTS b");
    assert!(error.is_none());
    let messages: Vec<Vec<String>> = results
        .iter()
        .map(|(_, notices)| notices.iter().map(|n| n.message.clone()).collect())
        .collect();
    assert_eq!(
        messages,
        [
            vec!["table \"a\" does not exist, skipping".to_string()],
            vec![],
            vec!["view \"b\" does not exist, skipping".to_string()],
        ]
    );
    assert!(s.take_notices().is_empty());

    // A notice is kept or dropped by the setting in force when its statement ran.
    let (results, _) = s.execute_script_with_notices(
        "DROP TABLE IF EXISTS a; SET client_min_messages = warning; DROP TABLE IF EXISTS b",
    );
    let counts: Vec<usize> = results.iter().map(|(_, n)| n.len()).collect();
    assert_eq!(counts, [1, 0, 0]);
}

#[test]
fn drop_of_routines_and_triggers_vdb_never_has() {
    let mut s = session();
    check(
        &mut s,
        &[
            (
                "DROP FUNCTION IF EXISTS f",
                &["NOTICE 00000: function f() does not exist, skipping"],
            ),
            (
                "DROP FUNCTION IF EXISTS f(int, varchar, text[])",
                &["NOTICE 00000: function f(pg_catalog.int4,pg_catalog.varchar,text[]) does not exist, skipping"],
            ),
            (
                "DROP FUNCTION IF EXISTS public.f(int)",
                &["NOTICE 00000: function public.f(pg_catalog.int4) does not exist, skipping"],
            ),
            (
                "DROP FUNCTION IF EXISTS nosuch.f(int)",
                &["NOTICE 00000: schema \"nosuch\" does not exist, skipping"],
            ),
            (
                "DROP FUNCTION IF EXISTS f(int), g(text)",
                &[
                    "NOTICE 00000: function f(pg_catalog.int4) does not exist, skipping",
                    "NOTICE 00000: function g(text) does not exist, skipping",
                ],
            ),
            (
                "DROP PROCEDURE IF EXISTS p()",
                &["NOTICE 00000: procedure p() does not exist, skipping"],
            ),
            (
                "DROP TRIGGER IF EXISTS tr ON nosuch",
                &["NOTICE 00000: relation \"nosuch\" does not exist, skipping"],
            ),
            ("CREATE TABLE x (a int)", &[]),
            (
                "DROP TRIGGER IF EXISTS tr ON x",
                &["NOTICE 00000: trigger \"tr\" for relation \"x\" does not exist, skipping"],
            ),
            (
                "DROP TRIGGER IF EXISTS tr ON public.x",
                &["NOTICE 00000: trigger \"tr\" for relation \"public.x\" does not exist, skipping"],
            ),
        ],
    );
    for (sql, sqlstate, message) in [
        ("DROP FUNCTION f()", "42883", "function f() does not exist"),
        (
            "DROP PROCEDURE p(int)",
            "42883",
            "procedure p(integer) does not exist",
        ),
        (
            "DROP TRIGGER tr ON x",
            "42704",
            "trigger \"tr\" for table \"x\" does not exist",
        ),
    ] {
        let error = s.execute(sql).expect_err(sql);
        assert_eq!(
            (error.sqlstate(), error.to_string().as_str()),
            (sqlstate, message)
        );
    }
}

#[test]
fn plpgsql_raise_sends_each_level() {
    let mut s = session();
    check(
        &mut s,
        &[(
            "DO $$ BEGIN RAISE NOTICE 'hello %', 1 + 1; RAISE WARNING 'careful'; \
             RAISE INFO 'fyi'; RAISE NOTICE 'x' USING DETAIL = 'd', ERRCODE = '22012'; \
             RAISE NOTICE '100%% sure'; END $$",
            &[
                "NOTICE 00000: hello 2",
                "WARNING 01000: careful",
                "INFO 00000: fyi",
                "NOTICE 22012: x\nDETAIL: d",
                "NOTICE 00000: 100% sure",
            ],
        )],
    );
    // INFO reaches the client whatever client_min_messages says; NOTICE does not.
    check(
        &mut s,
        &[
            ("SET client_min_messages = warning", &[]),
            (
                "DO $$ BEGIN RAISE NOTICE 'hidden'; RAISE INFO 'shown'; END $$",
                &["INFO 00000: shown"],
            ),
        ],
    );
}
