//! `vdb diff` shows added (+), deleted (-) and modified (< / >) rows with changed cells marked
//! `*` when not on a terminal; `--format json` gives one object per row; `--stat` counts them; a table name filters; two revisions
//! compare commits.

mod common;
use common::Scratch;

#[test]
fn diff_working_against_head() {
    let s = Scratch::with_people();
    s.import(
        "--replace",
        "people",
        "id,name,score\n1,ann,10\n2,bob,25\n4,dan,40\n",
    );
    let out = s.ok(&["diff"]);
    assert!(out.contains("diff --vdb a/people b/people"), "{out}");
    assert!(out.contains("| < | 2  | bob  | 20*   |"), "{out}");
    assert!(out.contains("| > | 2  | bob  | 25*   |"), "{out}");
    assert!(out.contains("| - | 3  | cat  | 30    |"), "{out}");
    assert!(out.contains("| + | 4  | dan  | 40    |"), "{out}");
    let json = s.ok(&["diff", "--format", "json"]);
    assert!(json.contains(r#"{"table":"people","diff":"modified","old":{"id":2,"name":"bob","score":20},"new":{"id":2,"name":"bob","score":25},"changed":["score"]}"#), "{json}");
    assert!(
        json.contains(
            r#"{"table":"people","diff":"added","new":{"id":4,"name":"dan","score":40}}"#
        ),
        "{json}"
    );
    let stat = s.ok(&["diff", "--stat", "people"]);
    assert!(
        stat.contains("people: 1 row(s) added, 1 deleted, 1 modified (1 cell(s))"),
        "{stat}"
    );

    s.ok(&["commit", "-am", "edit"]);
    assert_eq!(s.ok(&["diff"]), "");
    let out = s.ok(&["diff", "HEAD~1", "HEAD", "people"]);
    assert!(out.contains("| + | 4  | dan  | 40    |"), "{out}");
    assert!(s
        .ok(&["diff", "--summary", "HEAD~2", "HEAD"])
        .contains("| people | added"));
}
