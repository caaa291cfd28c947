//! The plan cache (`vdb_sql::plan_cache`): statements that differ only in their literals run
//! from one generic plan, give the answers (and errors) that planning them afresh gives, and are
//! planned again when what they read changes.

mod common;

use std::sync::Arc;

use common::{repo, rows};
use vdb_sql::{Session, StatementResult};

const SETUP: &str = "
    CREATE TABLE labels (id bigint PRIMARY KEY, text text, label int, score double precision,
                         day date, tags text[]);
    CREATE INDEX labels_label ON labels (label);
    CREATE TABLE notes (id serial PRIMARY KEY, label_id bigint REFERENCES labels (id),
                        body varchar(20) NOT NULL, amount numeric(10, 2) DEFAULT 0);
    INSERT INTO labels
        SELECT i, 'text ' || i, i % 7, i / 10.0, date '2024-01-01' + i, ARRAY['a' || (i % 3)]
        FROM generate_series(1, 200) AS i;
    INSERT INTO notes (label_id, body, amount)
        SELECT i, 'note ' || i, i * 1.25 FROM generate_series(1, 50) AS i";

fn session() -> Session {
    let (_, repo) = repo();
    let mut s = Session::new(repo, "main");
    s.execute(SETUP).expect("setup");
    s
}

/// The outcome of one statement, comparable across sessions: its rows and columns or tag, or
/// its error's SQLSTATE and message.
fn outcome(session: &mut Session, sql: &str) -> String {
    match session.execute(sql) {
        Ok(mut results) => match results.pop() {
            Some(StatementResult::Rows { columns, rows, tag }) => {
                format!("{columns:?} {rows:?} {tag:?}")
            }
            other => format!("{other:?}"),
        },
        Err(e) => format!("error {} {e}", e.sqlstate()),
    }
}

#[test]
fn statements_that_differ_in_literals_share_a_plan() {
    let mut s = session();
    for id in 1..=20 {
        let got = rows(
            &mut s,
            &format!("SELECT id, text, label FROM labels WHERE id = {id}"),
        );
        assert_eq!(
            got,
            vec![vec![
                id.to_string(),
                format!("text {id}"),
                (id % 7).to_string()
            ]]
        );
    }
    // The first run plans as usual, the second keeps the generic plan, the rest use it.
    assert_eq!(s.plan_cache_hits(), 18);
    // A key that no row has, one out of the integer range, a string where a number stands.
    assert!(rows(&mut s, "SELECT id, text, label FROM labels WHERE id = 999").is_empty());
    assert_eq!(s.plan_cache_hits(), 19);
    assert!(rows(
        &mut s,
        "SELECT id, text, label FROM labels WHERE id = 99999999999"
    )
    .is_empty());
    let got = rows(&mut s, "SELECT id, text, label FROM labels WHERE id = '7'");
    assert_eq!(
        got,
        vec![vec!["7".to_string(), "text 7".into(), "0".into()]]
    );
}

/// Statement shapes, each with `{}` where values go, and the values to try (valid and not).
const SHAPES: &[(&str, &[&str])] = &[
    ("SELECT * FROM labels WHERE id = {}", &["1", "17", "0", "-3", "'5'", "'x'", "NULL", "2.5", "3000000000"]),
    ("SELECT text, score FROM labels WHERE id BETWEEN {} AND 40 ORDER BY id DESC LIMIT 3", &["1", "35", "39", "50"]),
    ("SELECT id FROM labels WHERE id IN ({}, 3, 5) ORDER BY 1", &["2", "7", "5", "'9'"]),
    ("SELECT count(*), sum(score) FROM labels WHERE label = {} AND text LIKE 'text 1%'", &["1", "3", "9", "'2'"]),
    ("SELECT label, count(*), avg(score) FROM labels WHERE score > {} GROUP BY label ORDER BY label", &["1.5", "10", "19.95", "'7'"]),
    ("SELECT id, day FROM labels WHERE day = {} ", &["'2024-01-05'", "'2024-02-01'", "'garbage'", "'2024-13-01'", "date '2024-01-09'"]),
    ("SELECT id, text || {} FROM labels WHERE id < 4 ORDER BY id", &["'!'", "'?'", "5"]),
    ("SELECT id, CASE WHEN label > {} THEN 'hi' ELSE 'lo' END FROM labels WHERE id <= 5 ORDER BY id", &["2", "4", "6"]),
    ("SELECT id, 10 / {} FROM labels WHERE id = 1", &["2", "0", "3"]),
    ("SELECT n.body, l.text FROM notes n JOIN labels l ON l.id = n.label_id WHERE n.id = {}", &["1", "30", "77"]),
    ("SELECT id FROM labels WHERE tags = {} ORDER BY id LIMIT 2", &["'{a1}'", "'{a2}'", "'{oops'"]),
    ("SELECT id FROM labels WHERE text = {} OR id = 3", &["'text 12'", "'none'"]),
    ("SELECT {} + 1, {}::text", &["1", "2147483647", "'7'"]),
    ("SELECT coalesce(NULL, {}), upper({})", &["'a'", "'b'"]),
];

/// Statements that write, run in order in both sessions.
const WRITES: &[&str] = &[
    "INSERT INTO notes (label_id, body, amount) VALUES (3, 'a', 1.5) RETURNING id, body, amount",
    "INSERT INTO notes (label_id, body, amount) VALUES (4, 'b', 2.25) RETURNING id, body, amount",
    "INSERT INTO notes (label_id, body, amount) VALUES (5, 'c', 3) RETURNING id, body, amount",
    "INSERT INTO notes (label_id, body, amount) VALUES (999, 'd', 3) RETURNING id",
    "INSERT INTO notes (label_id, body, amount) VALUES (6, 'this body is far too long', 3)",
    "INSERT INTO notes (label_id, body, amount) VALUES (7, 'e', 123456789.5)",
    "UPDATE labels SET score = score + 1, label = 3 WHERE id = 10 RETURNING id, score, label",
    "UPDATE labels SET score = score + 2, label = 4 WHERE id = 11 RETURNING id, score, label",
    "UPDATE labels SET score = score + 3, label = 5 WHERE id = 12 RETURNING id, score, label",
    "UPDATE labels SET score = score + 4, label = 6 WHERE id = 10 RETURNING id, score, label",
    "DELETE FROM notes WHERE id = 1 RETURNING body",
    "DELETE FROM notes WHERE id = 2 RETURNING body",
    "DELETE FROM notes WHERE id = 2 RETURNING body",
    "DELETE FROM notes WHERE id = 3 RETURNING body",
    "SELECT count(*), sum(amount) FROM notes",
    "SELECT id, score, label FROM labels WHERE id BETWEEN 9 AND 13 ORDER BY id",
];

#[test]
fn cached_plans_answer_as_fresh_planning_does() {
    let mut cached = session();
    let mut fresh = session();
    fresh.set_plan_cache(false);
    for (shape, values) in SHAPES {
        // Each value three times over, so that later runs come from the generic plan.
        for _ in 0..3 {
            for value in *values {
                let sql = shape.replace("{}", value);
                assert_eq!(
                    outcome(&mut cached, &sql),
                    outcome(&mut fresh, &sql),
                    "{sql}"
                );
            }
        }
    }
    for sql in WRITES {
        assert_eq!(outcome(&mut cached, sql), outcome(&mut fresh, sql), "{sql}");
    }
    assert_eq!(fresh.plan_cache_hits(), 0);
    assert!(
        cached.plan_cache_hits() > 100,
        "{} hits",
        cached.plan_cache_hits()
    );
}

#[test]
fn a_changed_table_or_setting_is_planned_again() {
    let mut s = session();
    let star = |s: &mut Session, id: i32| rows(s, &format!("SELECT * FROM notes WHERE id = {id}"));
    for id in 1..=3 {
        assert_eq!(star(&mut s, id)[0].len(), 4);
    }
    let hits = s.plan_cache_hits();
    assert_eq!(hits, 1);
    s.execute("ALTER TABLE notes ADD COLUMN extra int DEFAULT 5")
        .expect("alter");
    assert_eq!(star(&mut s, 4)[0], ["4", "4", "note 4", "5.00", "5"]);
    s.execute("ALTER TABLE notes DROP COLUMN amount")
        .expect("alter");
    assert_eq!(star(&mut s, 5)[0], ["5", "5", "note 5", "5"]);
    // A table of the same name with other columns.
    s.execute("DROP TABLE notes; CREATE TABLE notes (id int8 PRIMARY KEY, n text)")
        .expect("recreate");
    s.execute("INSERT INTO notes VALUES (6, 'sixty')")
        .expect("insert");
    assert_eq!(star(&mut s, 6), [["6", "sixty"]]);
    // Another search path finds another table.
    s.execute("CREATE SCHEMA other; CREATE TABLE other.notes (id int, word text)")
        .expect("schema");
    s.execute("INSERT INTO other.notes VALUES (7, 'seven')")
        .expect("insert");
    s.execute("SET search_path = other, public").expect("set");
    assert_eq!(star(&mut s, 7), [["7", "seven"]]);
    // A temporary table hides it.
    s.execute("CREATE TEMP TABLE notes (id int, t timestamp)")
        .expect("temp");
    assert!(star(&mut s, 7).is_empty());
    s.execute("DROP TABLE notes").expect("drop temp");
    assert_eq!(star(&mut s, 7), [["7", "seven"]]);
    // Each statement after the first ran from a plan, kept or made again.
    assert!(s.plan_cache_hits() > hits + 5);
}

#[test]
fn a_bad_literal_is_an_error_even_with_no_rows_to_read() {
    let mut s = session();
    s.execute("CREATE TABLE empty (d date, n int)")
        .expect("create");
    for day in ["2024-01-01", "2024-01-02", "2024-01-03"] {
        assert!(rows(&mut s, &format!("SELECT n FROM empty WHERE d = '{day}'")).is_empty());
    }
    assert_eq!(s.plan_cache_hits(), 1);
    let e = s
        .execute("SELECT n FROM empty WHERE d = 'not a day'")
        .expect_err("bad date");
    assert_eq!(e.sqlstate(), "22007");
    assert_eq!(
        e.to_string(),
        "invalid input syntax for type date: \"not a day\""
    );
    let e = s
        .execute("SELECT n FROM empty WHERE n = 'x'")
        .expect_err("bad integer");
    assert_eq!(e.sqlstate(), "22P02");
}

#[test]
fn what_reads_the_repository_is_never_cached() {
    let mut s = session();
    s.execute("SELECT vdb_commit('-Am', 'setup')")
        .expect("commit");
    for i in 0..4 {
        s.execute(&format!("SELECT vdb_branch('b{i}')"))
            .expect("branch");
        let got = rows(
            &mut s,
            "SELECT count(*) FROM vdb.branches WHERE name LIKE 'b%'",
        );
        assert_eq!(got, [[(i + 1).to_string()]]);
        let got = rows(
            &mut s,
            &format!("SELECT name FROM vdb.branches WHERE name = 'b{i}'"),
        );
        assert_eq!(got, [[format!("b{i}")]]);
    }
    assert_eq!(s.plan_cache_hits(), 0);
}

#[test]
fn prepared_statements_keep_their_plan() {
    use vdb_engine::value::{Type, Value};
    use vdb_sql::params::Param;
    let mut cached = session();
    let mut fresh = session();
    fresh.set_plan_cache(false);
    let shapes = [
        "SELECT id, text, score FROM labels WHERE id = $1",
        "SELECT count(*) FROM labels WHERE label = $1 AND score < $2",
        "UPDATE labels SET score = score + $2 WHERE id = $1 RETURNING id, score",
        "INSERT INTO notes (label_id, body) VALUES ($1, $2) RETURNING id, body, amount",
    ];
    let params: [&[Param]; 7] = [
        &[
            Param::Typed(Value::Int8(3), Type::Int8),
            Param::Unknown(Some("40".into())),
        ],
        &[
            Param::Typed(Value::Int8(4), Type::Int8),
            Param::Unknown(Some("2".into())),
        ],
        &[
            Param::Unknown(Some("5".into())),
            Param::Unknown(Some("7".into())),
        ],
        &[
            Param::Unknown(Some("x".into())),
            Param::Unknown(Some("7".into())),
        ],
        &[Param::Unknown(None), Param::Unknown(Some("7".into()))],
        &[
            Param::Typed(Value::Int8(999), Type::Int8),
            Param::Unknown(Some("1".into())),
        ],
        &[
            Param::Typed(Value::Int8(6), Type::Int8),
            Param::Unknown(Some("a body".into())),
        ],
    ];
    for shape in shapes {
        let statement = Arc::new(vdb_sql::session::parse(shape).expect(shape).remove(0));
        let arity = vdb_sql::params::count(&statement);
        for _ in 0..3 {
            for p in params {
                let p = &p[..arity];
                let show = |r: vdb_sql::Result<StatementResult>| match r {
                    Ok(r) => format!("{r:?}"),
                    Err(e) => format!("error {} {e}", e.sqlstate()),
                };
                let a = show(cached.execute_bound(&statement, p));
                let b = show(fresh.execute_bound(&statement, p));
                assert_eq!(a, b, "{shape} with {p:?}");
            }
        }
    }
    assert!(
        cached.plan_cache_hits() >= 30,
        "{} hits",
        cached.plan_cache_hits()
    );
    assert_eq!(fresh.plan_cache_hits(), 0);
}
