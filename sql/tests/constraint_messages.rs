//! Constraint violations carry PostgreSQL 15's wording, constraint names and DETAIL lines (the
//! .slt files check only SQLSTATEs); the expected texts were copied from psql against PG15. Also:
//! a failed statement changes nothing, and sequences branch and merge with the data.

use std::sync::Arc;

use vdb_engine::repo::{Repository, Signature};
use vdb_engine::store::MemoryStore;
use vdb_engine::value::Value;
use vdb_sql::{Error, Session, StatementResult};

fn session() -> Session {
    let store = Arc::new(MemoryStore::new());
    let signature = Signature::new("test", "test@example.invalid", 0);
    let repo = Arc::new(Repository::init(store, "main", &signature).expect("init"));
    Session::new(repo, "main")
}

fn error(session: &mut Session, sql: &str) -> Error {
    match session.execute(sql) {
        Err(e) => e,
        Ok(r) => panic!("{sql}: expected an error, got {r:?}"),
    }
}

fn rows(session: &mut Session, sql: &str) -> Vec<Vec<Value>> {
    match session.execute(sql).expect(sql).pop() {
        Some(StatementResult::Rows { rows, .. }) => rows,
        other => panic!("{sql}: expected rows, got {other:?}"),
    }
}

fn setup() -> Session {
    let mut s = session();
    s.execute(
        "CREATE TABLE labels (id int PRIMARY KEY, email text UNIQUE, qty int CHECK (qty > 0), \
         lo int, hi int, CHECK (lo < hi), CHECK (lo + hi < 100), a int, b int, UNIQUE (a, b), \
         n text NOT NULL); \
         INSERT INTO labels VALUES (1, 'x', 1, 1, 2, 1, 1, 'n')",
    )
    .expect("setup");
    s
}

fn unique(e: Error) -> (String, String) {
    match e {
        Error::UniqueViolation {
            table,
            constraint,
            detail,
        } => {
            assert_eq!(table, "labels");
            (constraint, detail)
        }
        other => panic!("expected a unique violation, got {other:?}"),
    }
}

#[test]
fn unique_violations_name_the_constraint_and_key() {
    let mut s = setup();
    let e = error(
        &mut s,
        "INSERT INTO labels VALUES (1, 'y', 1, 1, 2, 1, 2, 'n')",
    );
    assert_eq!(
        e.to_string(),
        "duplicate key value violates unique constraint \"labels_pkey\""
    );
    assert_eq!(
        unique(e),
        ("labels_pkey".into(), "Key (id)=(1) already exists.".into())
    );
    let e = error(
        &mut s,
        "INSERT INTO labels VALUES (2, 'x', 1, 1, 2, 1, 2, 'n')",
    );
    assert_eq!(
        unique(e),
        (
            "labels_email_key".into(),
            "Key (email)=(x) already exists.".into()
        )
    );
    let e = error(
        &mut s,
        "INSERT INTO labels VALUES (2, 'y', 1, 1, 2, 1, 1, 'n')",
    );
    assert_eq!(
        unique(e),
        (
            "labels_a_b_key".into(),
            "Key (a, b)=(1, 1) already exists.".into()
        )
    );
}

#[test]
fn check_and_not_null_messages() {
    let mut s = setup();
    // (statement, message, the constraint or column the error names, DETAIL)
    let cases = [
        (
            "INSERT INTO labels VALUES (2, 'y', 0, 1, 2, 1, 1, 'n')",
            "new row for relation \"labels\" violates check constraint \"labels_qty_check\"",
            "labels_qty_check",
            "Failing row contains (2, y, 0, 1, 2, 1, 1, n).",
        ),
        (
            "INSERT INTO labels VALUES (2, 'y', 1, 3, 2, 1, 3, 'n')",
            "new row for relation \"labels\" violates check constraint \"labels_check\"",
            "labels_check",
            "Failing row contains (2, y, 1, 3, 2, 1, 3, n).",
        ),
        (
            "INSERT INTO labels VALUES (2, 'y', 1, 1, 200, 1, 3, 'n')",
            "new row for relation \"labels\" violates check constraint \"labels_check1\"",
            "labels_check1",
            "Failing row contains (2, y, 1, 1, 200, 1, 3, n).",
        ),
        (
            "INSERT INTO labels VALUES (2, NULL, 1, 1, 2, 1, 3, NULL)",
            "null value in column \"n\" of relation \"labels\" violates not-null constraint",
            "n",
            "Failing row contains (2, null, 1, 1, 2, 1, 3, null).",
        ),
    ];
    for (sql, message, named, detail) in cases {
        let e = error(&mut s, sql);
        assert_eq!(e.to_string(), message, "{sql}");
        assert_eq!(e.detail(), Some(detail), "{sql}");
        let object = e.object().expect("an integrity error names its table");
        assert_eq!(
            (object.schema.as_str(), object.table.as_str()),
            ("public", "labels")
        );
        let name = object.constraint.or(object.column);
        assert_eq!(name.as_deref(), Some(named), "{sql}");
    }
}

#[test]
fn foreign_key_messages() {
    let mut s = session();
    s.execute(
        "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (id int PRIMARY KEY, pid int REFERENCES p); \
         INSERT INTO p VALUES (1); INSERT INTO c VALUES (1, 1)",
    )
    .expect("setup");
    match error(&mut s, "INSERT INTO c VALUES (2, 5)") {
        Error::ForeignKeyViolation {
            table,
            constraint,
            message,
            detail,
        } => {
            assert_eq!((table.as_str(), constraint.as_str()), ("c", "c_pid_fkey"));
            assert_eq!(
                message,
                "insert or update on table \"c\" violates foreign key constraint \"c_pid_fkey\""
            );
            assert_eq!(detail, "Key (pid)=(5) is not present in table \"p\".");
        }
        other => panic!("{other:?}"),
    }
    match error(&mut s, "DELETE FROM p") {
        Error::ForeignKeyViolation {
            table,
            constraint,
            message,
            detail,
        } => {
            // The error names the referencing table, as PostgreSQL's does.
            assert_eq!((table.as_str(), constraint.as_str()), ("c", "c_pid_fkey"));
            assert_eq!(
                message,
                "update or delete on table \"p\" violates foreign key constraint \"c_pid_fkey\" on table \"c\""
            );
            assert_eq!(detail, "Key (id)=(1) is still referenced from table \"c\".");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_failed_statement_changes_nothing() {
    let mut s = setup();
    s.execute("CREATE TABLE t (id serial PRIMARY KEY, v int CHECK (v < 3))")
        .expect("create");
    // The third row fails its check after the first two were accepted: no row stays, but the
    // three values drawn from the sequence stay drawn, as in PostgreSQL (nextval is not
    // transactional).
    error(&mut s, "INSERT INTO t (v) VALUES (1), (2), (3)");
    assert!(rows(&mut s, "SELECT * FROM t").is_empty());
    assert_eq!(
        rows(&mut s, "SELECT nextval('t_id_seq')"),
        vec![vec![Value::Int8(4)]]
    );
}

#[test]
fn sequence_errors() {
    let mut s = session();
    s.execute("CREATE SEQUENCE s2").expect("create");
    assert_eq!(
        error(&mut s, "SELECT currval('s2')").to_string(),
        "currval of sequence \"s2\" is not yet defined in this session"
    );
    assert_eq!(
        error(&mut s, "SELECT setval('s2', 0)").to_string(),
        "setval: value 0 is out of bounds for sequence \"s2\" (1..9223372036854775807)"
    );
    s.execute("CREATE TABLE idt (id int GENERATED ALWAYS AS IDENTITY)")
        .expect("create");
    assert_eq!(
        error(&mut s, "INSERT INTO idt VALUES (1)").to_string(),
        "cannot insert a non-DEFAULT value into column \"id\""
    );
}

#[test]
fn command_tags_of_the_new_statements() {
    let mut s = session();
    let tags: Vec<String> = s
        .execute(
            "CREATE TABLE src (id serial PRIMARY KEY, v int); \
             INSERT INTO src (v) VALUES (1), (2); \
             CREATE TABLE dst AS SELECT v FROM src; \
             CREATE SEQUENCE s; CREATE UNIQUE INDEX src_v ON src (v); \
             ALTER TABLE dst ADD COLUMN w int; TRUNCATE dst; DROP INDEX src_v; DROP SEQUENCE s",
        )
        .expect("statements")
        .into_iter()
        .map(|r| match r {
            StatementResult::Command { tag } => tag,
            other => panic!("expected a tag, got {other:?}"),
        })
        .collect();
    assert_eq!(
        tags,
        [
            "CREATE TABLE",
            "INSERT 0 2",
            "SELECT 2",
            "CREATE SEQUENCE",
            "CREATE INDEX",
            "ALTER TABLE",
            "TRUNCATE TABLE",
            "DROP INDEX",
            "DROP SEQUENCE"
        ]
    );
}

#[test]
fn refused_drops_name_their_dependents_with_postgresql_detail_and_hint() {
    let mut s = session();
    for sql in [
        "CREATE SCHEMA s1",
        "CREATE TABLE s1.t (a int)",
        "CREATE VIEW s1.v AS SELECT * FROM s1.t",
        "CREATE TABLE p (id int PRIMARY KEY)",
        "CREATE TABLE c (pid int REFERENCES p)",
        "CREATE TABLE w (id serial, b int)",
        "CREATE VIEW wv AS SELECT b FROM w",
    ] {
        s.execute(sql).expect(sql);
    }
    let hint = "Use DROP ... CASCADE to drop the dependent objects too.";
    // Texts copied from psql against PostgreSQL 15.
    let cases = [
        (
            "DROP SCHEMA s1",
            "cannot drop schema s1 because other objects depend on it",
            "table s1.t depends on schema s1\nview s1.v depends on schema s1",
        ),
        (
            "DROP TABLE s1.t",
            "cannot drop table s1.t because other objects depend on it",
            "view s1.v depends on table s1.t",
        ),
        (
            "DROP TABLE p",
            "cannot drop table p because other objects depend on it",
            "constraint c_pid_fkey on table c depends on table p",
        ),
        (
            "ALTER TABLE w DROP COLUMN b",
            "cannot drop column b of table w because other objects depend on it",
            "view wv depends on column b of table w",
        ),
        (
            "DROP SEQUENCE w_id_seq",
            "cannot drop sequence w_id_seq because other objects depend on it",
            "default value for column id of table w depends on sequence w_id_seq",
        ),
    ];
    for (sql, message, detail) in cases {
        let e = error(&mut s, sql);
        assert_eq!(e.sqlstate(), "2BP01", "{sql}");
        assert_eq!(e.to_string(), message, "{sql}");
        assert_eq!(e.detail(), Some(detail), "{sql}");
        assert_eq!(e.hint(), Some(hint), "{sql}");
    }
}

#[test]
fn check_option_violations_name_the_view_and_the_row() {
    let mut s = session();
    for sql in [
        "CREATE TABLE base (a int, b int)",
        "CREATE VIEW pos AS SELECT * FROM base WHERE a > 0 WITH CHECK OPTION",
        "CREATE VIEW small AS SELECT * FROM pos WHERE b < 10",
    ] {
        s.execute(sql).expect(sql);
    }
    // Texts copied from psql against PostgreSQL 15; `small` has no check option of its own,
    // but writing through it checks `pos`'s.
    for (sql, view, detail) in [
        (
            "INSERT INTO pos VALUES (-1, 1)",
            "pos",
            "Failing row contains (-1, 1).",
        ),
        (
            "INSERT INTO small VALUES (-2, 1)",
            "pos",
            "Failing row contains (-2, 1).",
        ),
    ] {
        let e = error(&mut s, sql);
        assert_eq!(e.sqlstate(), "44000", "{sql}");
        assert_eq!(
            e.to_string(),
            format!("new row violates check option for view \"{view}\""),
            "{sql}"
        );
        assert_eq!(e.detail(), Some(detail), "{sql}");
    }
    // Nothing of a refused statement stays; a row the view shows goes in.
    s.execute("INSERT INTO small VALUES (3, 30)")
        .expect("not small's to check");
    assert_eq!(
        rows(&mut s, "SELECT count(*) FROM base"),
        vec![vec![Value::Int8(1)]]
    );
}
