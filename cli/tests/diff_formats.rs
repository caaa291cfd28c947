//! `vdb diff --format sql` prints statements that replay a change (checked by replaying them
//! through `vdb sql` on the old state and finding no difference left), `--format csv` prints
//! `diff_type,from_C...,to_C...` rows, `--where` keeps the row changes a SQL expression
//! accepts, and a long text cell shows a word diff.

mod common;
use common::Scratch;

fn edited() -> Scratch {
    let s = Scratch::with_people();
    s.import(
        "--replace",
        "people",
        "id,name,score\n1,ann,10\n2,bob's,25\n4,dan,40\n",
    );
    s
}

#[test]
fn sql_format_replays_the_change() {
    let s = edited();
    let sql = s.ok(&["diff", "--format", "sql"]);
    assert_eq!(
        sql,
        "UPDATE people SET name = 'bob''s', score = 25 WHERE id = 2;\n\
         DELETE FROM people WHERE id = 3;\n\
         INSERT INTO people (id, name, score) VALUES (4, 'dan', 40);\n"
    );
    // Back to HEAD, then the statements make the working set equal to the edited one again.
    let edited = s.export("people", "WORKING");
    s.ok(&["reset", "--hard", "HEAD"]);
    assert_eq!(s.ok(&["diff"]), "");
    s.ok(&["sql", "-q", &sql]);
    assert_eq!(s.export("people", "WORKING"), edited);
}

#[test]
fn sql_format_creates_added_tables() {
    let s = Scratch::repo();
    s.ok(&[
        "sql",
        "-q",
        "CREATE TABLE t (k text PRIMARY KEY, n int NOT NULL); INSERT INTO t VALUES ('a', 1)",
    ]);
    assert_eq!(
        s.ok(&["diff", "--format", "sql"]),
        "CREATE TABLE t (k text NOT NULL, n integer NOT NULL, PRIMARY KEY (k));\n\
         INSERT INTO t (k, n) VALUES ('a', 1);\n"
    );
}

#[test]
fn csv_format_and_where_filter() {
    let s = edited();
    assert_eq!(
        s.ok(&["diff", "--format", "csv"]),
        "diff_type,from_id,from_name,from_score,to_id,to_name,to_score\n\
         modified,2,bob,20,2,bob's,25\n\
         deleted,3,cat,30,,,\n\
         added,,,,4,dan,40\n"
    );
    assert_eq!(
        s.ok(&[
            "diff",
            "--format",
            "csv",
            "--where",
            "to_score > 30 OR from_name = 'cat'"
        ]),
        "diff_type,from_id,from_name,from_score,to_id,to_name,to_score\n\
         deleted,3,cat,30,,,\n\
         added,,,,4,dan,40\n"
    );
    let stat = s.ok(&["diff", "--stat", "--where", "diff_type = 'modified'"]);
    assert_eq!(
        stat,
        "people: 0 row(s) added, 0 deleted, 1 modified (2 cell(s))\n"
    );
    // A filter that keeps nothing shows no table at all.
    assert_eq!(s.ok(&["diff", "--where", "to_name = 'nobody'"]), "");
    let err = s.fails(&["diff", "--where", "true; DELETE FROM people"]);
    assert!(
        err.contains("--where takes one SQL expression, not statements"),
        "{err}"
    );
    // Nothing was deleted.
    assert!(s
        .ok(&["diff", "--format", "csv"])
        .ends_with("added,,,,4,dan,40\n"));
    let err = s.fails(&["diff", "--where", "no_such_column = 1"]);
    assert!(
        err.contains("--where \"no_such_column = 1\" cannot be evaluated"),
        "{err}"
    );
}

#[test]
fn where_skips_tables_without_the_named_columns() {
    let s = edited();
    s.ok(&["sql", "-q", "CREATE TABLE pets (id int PRIMARY KEY, kind text); INSERT INTO pets VALUES (1, 'cat'), (2, 'dog')"]);
    let out = s.ok(&["diff", "--format", "sql", "--where", "to_kind = 'cat'"]);
    assert_eq!(
        out,
        "CREATE TABLE pets (id integer NOT NULL, kind text, PRIMARY KEY (id));\n\
         INSERT INTO pets (id, kind) VALUES (1, 'cat');\n"
    );
    let err = s.fails(&["diff", "--where", "to_knd = 'cat'"]);
    assert!(err.contains("column \"to_knd\" does not exist"), "{err}");
}

#[test]
fn long_text_cells_show_a_word_diff() {
    let s = Scratch::repo();
    s.ok(&[
        "sql",
        "-q",
        "CREATE TABLE notes (id int PRIMARY KEY, body text); \
        INSERT INTO notes VALUES (1, 'the quick brown fox jumps over the lazy dog today')",
    ]);
    s.ok(&["add", "notes"]);
    s.ok(&["commit", "-m", "notes"]);
    s.ok(&[
        "sql",
        "-q",
        "UPDATE notes SET body = 'the quick red fox jumps over the lazy dog today'",
    ]);
    let out = s.ok(&["diff"]);
    assert!(
        out.contains("| > | 1  | the quick [-brown-]{+red+} fox jumps over the lazy dog today"),
        "{out}"
    );
    assert!(
        out.contains("| < | 1  | the quick brown fox jumps over the lazy dog today*"),
        "{out}"
    );
}
