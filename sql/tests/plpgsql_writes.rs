//! Where PL/pgSQL code may write, beyond what the .slt scripts (checked against PostgreSQL)
//! show: vdb refuses, with 0A000 and nothing written, the writes it cannot order with the
//! statement that runs the code, rather than lose them.

mod common;

use common::{one, repo, sqlstate};
use vdb_sql::Session;

#[test]
fn a_before_row_trigger_may_not_write_the_table_it_fires_on() {
    let (_store, repo) = repo();
    let mut s = Session::new(repo, "main");
    s.execute(
        "CREATE TABLE t (id int PRIMARY KEY, v int);
         CREATE FUNCTION twin() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.id < 100 THEN INSERT INTO t VALUES (NEW.id + 100, NEW.v); END IF;
         RETURN NEW; END $$;
         CREATE TRIGGER t_twin BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION twin()",
    )
    .expect("setup");
    assert_eq!(sqlstate(&mut s, "INSERT INTO t VALUES (1, 1)"), "0A000");
    assert_eq!(one(&mut s, "SELECT count(*) FROM t"), "0");
    // As an AFTER trigger the same code writes (the twin's own insert fires it too, and
    // writes nothing).
    s.execute(
        "DROP TRIGGER t_twin ON t;
         CREATE OR REPLACE FUNCTION twin() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.id < 100 THEN INSERT INTO t VALUES (NEW.id + 100, NEW.v); END IF;
         RETURN NULL; END $$;
         CREATE TRIGGER t_twin AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION twin();
         INSERT INTO t VALUES (1, 1)",
    )
    .expect("after trigger");
    assert_eq!(
        one(
            &mut s,
            "SELECT string_agg(id::text, ',' ORDER BY id) FROM t"
        ),
        "1,101"
    );
}

#[test]
fn a_function_called_from_update_may_read_but_not_write() {
    let (_store, repo) = repo();
    let mut s = Session::new(repo, "main");
    s.execute(
        "CREATE TABLE t (id int PRIMARY KEY, v int);
         CREATE TABLE log (msg text);
         INSERT INTO t VALUES (1, 1), (2, 2);
         CREATE FUNCTION bump(x int) RETURNS int LANGUAGE plpgsql AS $$
         BEGIN INSERT INTO log VALUES ('bump ' || x); RETURN x + 1; END $$;
         CREATE FUNCTION total() RETURNS bigint LANGUAGE plpgsql AS $$
         BEGIN RETURN (SELECT sum(v) FROM t); END $$",
    )
    .expect("setup");
    assert_eq!(sqlstate(&mut s, "UPDATE t SET v = bump(v)"), "0A000");
    assert_eq!(one(&mut s, "SELECT count(*) FROM log"), "0");
    assert_eq!(one(&mut s, "SELECT sum(v) FROM t"), "3");
    // Reading is fine there, and the same function writes when a query calls it.
    s.execute("UPDATE t SET v = v + total() WHERE id = 1")
        .expect("reading function in UPDATE");
    assert_eq!(one(&mut s, "SELECT v FROM t WHERE id = 1"), "4");
    assert_eq!(one(&mut s, "SELECT bump(1)"), "2");
    assert_eq!(one(&mut s, "SELECT msg FROM log"), "bump 1");
}

#[test]
fn what_a_function_wrote_rolls_back_with_its_transaction() {
    let (_store, repo) = repo();
    let mut s = Session::new(repo, "main");
    s.execute(
        "CREATE TABLE log (msg text);
         CREATE FUNCTION note(m text) RETURNS void LANGUAGE plpgsql AS $$
         BEGIN INSERT INTO log VALUES (m); END $$",
    )
    .expect("setup");
    s.execute("BEGIN; SELECT note('kept'); COMMIT")
        .expect("commit");
    s.execute("BEGIN; SELECT note('dropped'); ROLLBACK")
        .expect("rollback");
    assert_eq!(one(&mut s, "SELECT string_agg(msg, ',') FROM log"), "kept");
}
