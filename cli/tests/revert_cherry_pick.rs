//! `vdb revert` undoes a commit with a new one; `vdb cherry-pick` applies another branch's
//! commit here, keeping its message.

mod common;
use common::Scratch;

#[test]
fn revert_and_cherry_pick() {
    let s = Scratch::with_people();
    s.import("--update", "people", "id,name,score\n1,ann,99\n");
    s.ok(&["commit", "-am", "bump ann"]);
    s.ok(&["revert", "HEAD"]);
    assert!(s
        .ok(&["log", "--oneline", "-n", "1"])
        .contains("Revert \"bump ann\""));
    assert!(s.export("people", "HEAD").contains("1,ann,10\n"));

    s.ok(&["checkout", "-b", "feature"]);
    s.import("--update", "people", "id,name,score\n4,dan,40\n");
    s.ok(&["commit", "-am", "add dan"]);
    s.ok(&["checkout", "main"]);
    s.ok(&["cherry-pick", "feature"]);
    assert!(s.ok(&["log", "--oneline", "-n", "1"]).contains("add dan"));
    assert!(s.export("people", "HEAD").contains("4,dan,40\n"));
}
