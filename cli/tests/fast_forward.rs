//! Merging a branch that is ahead of the current one moves the current branch to it without a
//! merge commit; `--no-ff` makes one anyway.

mod common;
use common::Scratch;

#[test]
fn merge_fast_forwards_when_possible() {
    let s = Scratch::with_people();
    s.ok(&["checkout", "-b", "feature"]);
    s.import("--update", "people", "id,name,score\n4,dan,40\n");
    s.ok(&["commit", "-am", "add dan"]);
    s.ok(&["checkout", "main"]);
    let out = s.ok(&["merge", "feature"]);
    assert!(out.contains("Fast-forward main"), "{out}");
    let log = s.ok(&["log", "--oneline", "-n", "1"]);
    assert!(log.contains("(HEAD -> main, feature) add dan"), "{log}");
    assert!(s.ok(&["merge", "feature"]).contains("Already up to date"));

    s.ok(&["checkout", "-b", "other"]);
    s.import("--update", "people", "id,name,score\n5,eve,50\n");
    s.ok(&["commit", "-am", "add eve"]);
    s.ok(&["checkout", "main"]);
    s.ok(&["merge", "--no-ff", "other", "-m", "merge other"]);
    assert!(s.ok(&["log", "-n", "1"]).contains("Merge: "));
}
