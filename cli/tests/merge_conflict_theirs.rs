//! A cell changed differently on two branches is a conflict: `vdb merge` fails naming it,
//! `vdb status` lists it, `vdb conflicts cat` shows base / ours / theirs, `vdb commit` is
//! refused until `vdb conflicts resolve --theirs` takes their value; then the commit has both
//! parents.

mod common;
use common::Scratch;

#[test]
fn cell_conflict_resolved_with_theirs() {
    let s = Scratch::with_people();
    s.ok(&["checkout", "-b", "feature"]);
    s.import("--update", "people", "id,name,score\n1,ann,11\n");
    s.ok(&["commit", "-am", "theirs"]);
    s.ok(&["checkout", "main"]);
    s.import("--update", "people", "id,name,score\n1,ann,12\n");
    s.ok(&["commit", "-am", "ours"]);

    let err = s.fails(&["merge", "feature"]);
    assert!(err.contains("conflicts resolve"), "{err}");
    let status = s.ok(&["status"]);
    assert!(status.contains("merge of"), "{status}");
    assert!(status.contains("conflicts:  people (1 row)"), "{status}");

    let cat = s.ok(&["conflicts", "cat", "people"]);
    assert!(cat.contains("| base   | 1  | ann  | 10    |"), "{cat}");
    assert!(cat.contains("| ours   | 1  | ann  | 12    |"), "{cat}");
    assert!(cat.contains("| theirs | 1  | ann  | 11    |"), "{cat}");

    let err = s.fails(&["commit", "-m", "too early"]);
    assert!(err.contains("conflicts"), "{err}");

    s.ok(&["conflicts", "resolve", "--theirs", "people"]);
    assert!(!s.ok(&["status"]).contains("Unmerged"));
    s.ok(&["commit", "-m", "merge feature"]);
    assert!(s.ok(&["log", "-n", "1"]).contains("Merge: "));
    assert_eq!(
        s.export("people", "HEAD"),
        "id,name,score\n1,ann,11\n2,bob,20\n3,cat,30\n"
    );
}
