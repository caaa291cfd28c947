//! User-defined functions are part of the versioned schema: a function created on a branch is
//! committed with it, absent on a branch that never had it, back when that branch is checked
//! out again, merged into another branch, and still there when the repository is opened
//! afresh (a restart). So are PL/pgSQL functions and the triggers that run them, which are
//! part of their table. Languages vdb cannot run are refused rather than stored.

mod common;

use std::sync::Arc;

use common::{one, repo, rows, sqlstate};
use vdb_engine::repo::Repository;
use vdb_sql::Session;

#[test]
fn a_function_survives_commit_checkout_merge_and_reopen() {
    let (store, repo) = repo();
    let mut s = Session::new(repo.clone(), "main");
    s.execute("CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 10), (2, 20)")
        .expect("setup");
    one(&mut s, "SELECT vdb_commit('-Am', 'table')");
    one(&mut s, "SELECT vdb_branch('feature')");
    one(&mut s, "SELECT vdb_checkout('feature')");
    s.execute(
        "CREATE FUNCTION v_of(k int) RETURNS int LANGUAGE sql STABLE
         AS $$ SELECT v FROM t WHERE id = k $$",
    )
    .expect("create function");
    s.execute("CREATE FUNCTION v_of(k text) RETURNS int LANGUAGE sql AS 'SELECT -1'")
        .expect("create overload");
    assert_eq!(one(&mut s, "SELECT v_of(2)"), "20");
    one(&mut s, "SELECT vdb_commit('-Am', 'function')");

    one(&mut s, "SELECT vdb_checkout('main')");
    assert_eq!(sqlstate(&mut s, "SELECT v_of(2)"), "42883");
    assert_eq!(
        one(
            &mut s,
            "SELECT count(*) FROM pg_proc WHERE proname = 'v_of'"
        ),
        "0"
    );

    one(&mut s, "SELECT vdb_checkout('feature')");
    assert_eq!(one(&mut s, "SELECT v_of(1)"), "10");
    assert_eq!(one(&mut s, "SELECT v_of('x'::text)"), "-1");
    assert_eq!(
        one(
            &mut s,
            "SELECT count(*) FROM pg_proc WHERE proname = 'v_of'"
        ),
        "2"
    );

    one(&mut s, "SELECT vdb_checkout('main')");
    one(&mut s, "SELECT vdb_merge('feature')");
    assert_eq!(one(&mut s, "SELECT v_of(2)"), "20");
    drop(s);
    drop(repo);

    let reopened = Arc::new(Repository::open(store).expect("open"));
    let mut s = Session::new(reopened, "feature");
    assert_eq!(one(&mut s, "SELECT v_of(2) + v_of(1)"), "30");
    s.execute("DROP FUNCTION v_of(text)")
        .expect("drop overload");
    assert_eq!(sqlstate(&mut s, "SELECT v_of('x'::text)"), "42883");
    assert_eq!(one(&mut s, "SELECT v_of(1)"), "10");
}

#[test]
fn other_languages_are_refused() {
    let (_store, repo) = repo();
    let mut s = Session::new(repo, "main");
    for (sql, code) in [
        ("CREATE FUNCTION f() RETURNS int LANGUAGE c AS 'f'", "0A000"),
        (
            "CREATE FUNCTION f() RETURNS int LANGUAGE plpython3u AS 'return 1'",
            "42704",
        ),
        (
            "CREATE FUNCTION f(OUT x int) LANGUAGE sql AS 'SELECT 1'",
            "0A000",
        ),
        (
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'INSERT INTO nowhere VALUES (1)'",
            "0A000",
        ),
        (
            "CREATE FUNCTION f() RETURNS trigger LANGUAGE sql AS 'SELECT 1'",
            "42P13",
        ),
    ] {
        assert_eq!(sqlstate(&mut s, sql), code, "{sql}");
    }
    assert_eq!(sqlstate(&mut s, "SELECT f()"), "42883");
}

/// A PL/pgSQL function and a trigger are versioned as SQL functions are: the trigger is part of
/// its table, so it fires on the branch that has it, not on one that never had it, comes with
/// a merge, and fires again after a restart.
#[test]
fn a_trigger_travels_with_its_table() {
    let (store, repo) = repo();
    let mut s = Session::new(repo.clone(), "main");
    s.execute(
        "CREATE TABLE labels (id int PRIMARY KEY, label text, changed int NOT NULL DEFAULT 0);
         INSERT INTO labels (id, label) VALUES (1, 'cat'), (2, 'dog')",
    )
    .expect("setup");
    one(&mut s, "SELECT vdb_commit('-Am', 'labels')");
    one(&mut s, "SELECT vdb_branch('audited')");
    one(&mut s, "SELECT vdb_checkout('audited')");
    s.execute(
        "CREATE FUNCTION count_change() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN NEW.changed := OLD.changed + 1; RETURN NEW; END $$;
         CREATE TRIGGER labels_changed BEFORE UPDATE OF label ON labels
         FOR EACH ROW EXECUTE FUNCTION count_change()",
    )
    .expect("create trigger");
    s.execute("UPDATE labels SET label = 'kitten' WHERE id = 1")
        .expect("update");
    assert_eq!(one(&mut s, "SELECT changed FROM labels WHERE id = 1"), "1");
    one(&mut s, "SELECT vdb_commit('-Am', 'trigger')");

    one(&mut s, "SELECT vdb_checkout('main')");
    s.execute("UPDATE labels SET label = 'puppy' WHERE id = 2")
        .expect("update on main");
    assert_eq!(one(&mut s, "SELECT changed FROM labels WHERE id = 2"), "0");
    assert_eq!(one(&mut s, "SELECT count(*) FROM pg_trigger"), "0");
    one(&mut s, "SELECT vdb_commit('-Am', 'main edit')");

    one(&mut s, "SELECT vdb_merge('audited')");
    assert_eq!(
        one(
            &mut s,
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'labels'::regclass"
        ),
        "labels_changed"
    );
    assert_eq!(
        rows(&mut s, "SELECT id, label, changed FROM labels ORDER BY id"),
        [["1", "kitten", "1"], ["2", "puppy", "0"]]
    );
    drop(s);
    drop(repo);

    let reopened = Arc::new(Repository::open(store).expect("open"));
    let mut s = Session::new(reopened, "main");
    s.execute("UPDATE labels SET label = 'hound' WHERE id = 2")
        .expect("update after reopen");
    assert_eq!(one(&mut s, "SELECT changed FROM labels WHERE id = 2"), "1");
    s.execute("DROP TRIGGER labels_changed ON labels")
        .expect("drop trigger");
    s.execute("UPDATE labels SET label = 'wolf' WHERE id = 2")
        .expect("update without trigger");
    assert_eq!(one(&mut s, "SELECT changed FROM labels WHERE id = 2"), "1");
}

/// Two branches that create a trigger of one name differently conflict on the table's schema;
/// the same trigger on both sides merges cleanly.
#[test]
fn triggers_merge_by_name() {
    let (_store, repo) = repo();
    let mut s = Session::new(repo, "main");
    s.execute(
        "CREATE TABLE t (id int PRIMARY KEY, v int);
         CREATE FUNCTION keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
    )
    .expect("setup");
    one(&mut s, "SELECT vdb_commit('-Am', 'base')");
    one(&mut s, "SELECT vdb_branch('other')");
    s.execute("CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION keep()")
        .expect("ours");
    one(&mut s, "SELECT vdb_commit('-Am', 'ours')");
    one(&mut s, "SELECT vdb_checkout('other')");
    s.execute("CREATE TRIGGER tr AFTER DELETE ON t FOR EACH ROW EXECUTE FUNCTION keep()")
        .expect("theirs");
    one(&mut s, "SELECT vdb_commit('-Am', 'theirs')");
    one(&mut s, "SELECT vdb_checkout('main')");
    let merged = rows(&mut s, "SELECT conflicts FROM vdb_merge('other')");
    assert_eq!(merged, [["1"]]);
    assert_eq!(
        one(&mut s, "SELECT count(*) FROM vdb.schema_conflicts"),
        "1"
    );
}
