//! `vdb reset --hard REV` moves the branch back and discards staged and working changes; the
//! default (mixed) reset keeps working changes but unstages them.

mod common;
use common::Scratch;

#[test]
fn reset_hard_discards_commits_and_changes() {
    let s = Scratch::with_people();
    s.import("--update", "people", "id,name,score\n1,ann,99\n");
    s.ok(&["commit", "-am", "bump ann"]);
    s.import("--update", "people", "id,name,score\n2,bob,98\n");

    s.ok(&["add", "-A"]);
    s.ok(&["reset"]);
    let status = s.ok(&["status"]);
    assert!(status.contains("not staged"), "{status}");
    assert!(!status.contains("to be committed"), "{status}");

    let out = s.ok(&["reset", "--hard", "HEAD~1"]);
    assert!(out.contains("add people"), "{out}");
    assert!(s.ok(&["status"]).contains("nothing to commit"));
    assert_eq!(
        s.export("people", "WORKING"),
        "id,name,score\n1,ann,10\n2,bob,20\n3,cat,30\n"
    );
}
