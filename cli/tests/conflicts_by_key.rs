//! `vdb conflicts resolve --ours|--theirs TABLE KEY...` resolves only the rows with those keys;
//! the table is staged once no conflict is left, and an unknown key is refused by name.

mod common;
use common::Scratch;

#[test]
fn resolve_conflicts_row_by_row() {
    let s = Scratch::with_people();
    s.ok(&["checkout", "-b", "feature"]);
    s.import("--update", "people", "id,name,score\n1,ann,11\n2,bob,21\n");
    s.ok(&["commit", "-am", "theirs"]);
    s.ok(&["checkout", "main"]);
    s.import("--update", "people", "id,name,score\n1,ann,12\n2,bob,22\n");
    s.ok(&["commit", "-am", "ours"]);
    s.fails(&["merge", "feature"]);

    let err = s.fails(&["conflicts", "resolve", "--theirs", "people", "9"]);
    assert!(
        err.contains("table people has no conflicted row with key 9"),
        "{err}"
    );
    let out = s.ok(&["conflicts", "resolve", "--theirs", "people", "1"]);
    assert_eq!(
        out,
        "resolved 1 conflict(s) in people; 1 remain (see `vdb conflicts cat people`)\n"
    );
    s.fails(&["commit", "-m", "too early"]);
    let out = s.ok(&["conflicts", "resolve", "--ours", "people", "2"]);
    assert_eq!(out, "resolved 1 conflict(s) in people and staged it\n");
    s.ok(&["commit", "-m", "merge feature"]);
    assert_eq!(
        s.export("people", "HEAD"),
        "id,name,score\n1,ann,11\n2,bob,22\n3,cat,30\n"
    );
}
