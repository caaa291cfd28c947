//! `vdb sql` runs SQL on the current branch's working set and prints what psql prints: aligned
//! tables, command tags, `ERROR:  message` (a syntax error with psql's `LINE n:` and caret)
//! with exit status 1 (stopping the script there), `NOTICE:  ...` and `WARNING:  ...` on stderr; or CSV and JSON. Input comes from `-q`, `-f` or standard input; what it writes is seen by
//! `vdb status`, `add`, `commit`, `diff` and `log`.

mod common;
use common::Scratch;

const SETUP: &str =
    "CREATE TABLE pets (id int PRIMARY KEY, name text, weight numeric, indoor boolean);
INSERT INTO pets VALUES (1, 'rex', 12.5, false), (2, 'tom', 4, true), (10, NULL, NULL, NULL);";

fn pets() -> Scratch {
    let s = Scratch::repo();
    assert_eq!(s.ok(&["sql", "-q", SETUP]), "CREATE TABLE\nINSERT 0 3\n");
    s
}

#[test]
fn query_prints_an_aligned_table_like_psql() {
    let s = pets();
    let out = s.ok(&[
        "sql",
        "-q",
        "SELECT id, name, weight, indoor FROM pets ORDER BY id",
    ]);
    assert_eq!(
        out,
        " id | name | weight | indoor \n\
         ----+------+--------+--------\n  \
         1 | rex  |   12.5 | f\n  \
         2 | tom  |      4 | t\n \
         10 |      |        | \n\
         (3 rows)\n\n"
    );
    let one = s.ok(&[
        "sql",
        "-c",
        "SELECT name AS pet_name FROM pets WHERE id = 2",
    ]);
    assert_eq!(one, " pet_name \n----------\n tom\n(1 row)\n\n");
}

#[test]
fn csv_and_json_formats() {
    let s = pets();
    let query = "SELECT id, name, indoor FROM pets ORDER BY id";
    assert_eq!(
        s.ok(&["sql", "--format", "csv", "-q", query]),
        "id,name,indoor\n1,rex,f\n2,tom,t\n10,,\n"
    );
    assert_eq!(
        s.ok(&["sql", "--format", "json", "-q", query]),
        "[{\"id\":1,\"name\":\"rex\",\"indoor\":false},{\"id\":2,\"name\":\"tom\",\"indoor\":true},\
         {\"id\":10,\"name\":null,\"indoor\":null}]\n"
    );
}

#[test]
fn an_error_stops_the_script_with_status_1() {
    let s = pets();
    let out = s.run(&[
        "sql",
        "-q",
        "INSERT INTO pets VALUES (3, 'kit', 1, true); SELECT * FROM nope; INSERT INTO pets VALUES (4, 'never', 1, true);",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "INSERT 0 1\n");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "ERROR:  relation \"nope\" does not exist\n"
    );
    let syntax = s.run(&["sql", "-q", "SELECT 1;\nSELECT * FROMM pets"]);
    assert_eq!(syntax.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&syntax.stderr),
        "ERROR:  syntax error at or near \"FROMM\"\nLINE 1: SELECT * FROMM pets\n                 ^\n"
    );
    // The statement before the error was kept; the one after never ran.
    assert_eq!(
        s.ok(&[
            "sql",
            "--format",
            "csv",
            "-q",
            "SELECT id FROM pets WHERE id > 2 ORDER BY id"
        ]),
        "id\n3\n10\n"
    );
}

#[test]
fn notices_and_warnings_go_to_stderr_as_psql_prints_them() {
    let s = pets();
    // The texts are psql 15's against PostgreSQL 15 for the same script.
    let out = s.run(&[
        "sql",
        "-q",
        "DROP TABLE IF EXISTS nosuch; CREATE VIEW v AS SELECT * FROM pets; \
         CREATE VIEW w AS SELECT * FROM v; DROP TABLE pets CASCADE; COMMIT;",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "DROP TABLE\nCREATE VIEW\nCREATE VIEW\nDROP TABLE\nCOMMIT\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "NOTICE:  table \"nosuch\" does not exist, skipping\n\
         NOTICE:  drop cascades to 2 other objects\n\
         DETAIL:  drop cascades to view v\n\
         drop cascades to view w\n\
         WARNING:  there is no transaction in progress\n"
    );
}

#[test]
fn scripts_from_a_file_and_from_standard_input() {
    let s = pets();
    let file = s.write(
        "edit.sql",
        "-- a comment; not a statement\nUPDATE pets\n  SET name = 'a;b'\n  WHERE id = 10;\nDELETE FROM pets WHERE id = 1\n",
    );
    assert_eq!(
        s.ok(&["sql", "-f", file.to_str().unwrap()]),
        "UPDATE 1\nDELETE 1\n"
    );
    let out = s.run_with_input(
        &["sql", "--format", "csv"],
        "SELECT name FROM pets ORDER BY id;\n",
    );
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "name\ntom\na;b\n");
    let missing = s.fails(&["sql", "-f", "missing.sql"]);
    assert!(
        missing.starts_with("vdb: cannot read SQL script missing.sql:"),
        "{missing}"
    );
}

#[test]
fn sql_changes_are_committed_with_add_and_commit() {
    let s = pets();
    assert!(s.ok(&["status"]).contains("pets"));
    s.ok(&["add", "pets"]);
    s.ok(&["commit", "-m", "pets from sql"]);
    assert!(s.ok(&["log", "--oneline"]).contains("pets from sql"));
    s.ok(&["sql", "-q", "UPDATE pets SET weight = 5 WHERE id = 2"]);
    let diff = s.ok(&["diff"]);
    assert!(diff.contains("| < | 2  | tom  | 4*     |"), "{diff}");
    assert!(diff.contains("| > | 2  | tom  | 5*     |"), "{diff}");
    s.ok(&["commit", "-am", "tom is heavier"]);
    let log = s.ok(&["log", "--oneline"]);
    assert!(
        log.lines().next().unwrap().ends_with("tom is heavier"),
        "{log}"
    );
    assert_eq!(s.ok(&["diff"]), "");
    // A transaction left open when the script ends is rolled back.
    s.ok(&["sql", "-q", "BEGIN; DELETE FROM pets"]);
    assert_eq!(s.ok(&["diff"]), "");
}
