//! Tags name commits: `vdb log TAG` starts from the tagged commit, `vdb show TAG` shows it,
//! `vdb log --oneline` decorates it, and `vdb tag -d` removes it.

mod common;
use common::Scratch;

#[test]
fn tag_then_log_by_tag() {
    let s = Scratch::with_people();
    s.ok(&["tag", "v1", "-m", "first release"]);
    s.import("--update", "people", "id,name,score\n4,dan,40\n");
    s.ok(&["commit", "-am", "add dan"]);
    s.ok(&["tag", "light"]);

    let log = s.ok(&["log", "--oneline", "v1"]);
    assert!(
        log.lines().next().unwrap().contains("(tag: v1) add people"),
        "{log}"
    );
    assert_eq!(log.lines().count(), 2, "{log}");
    assert!(s.ok(&["log", "--oneline", "v1..light"]).contains("add dan"));
    assert!(s.ok(&["show", "v1"]).contains("add people"));
    let tags = s.ok(&["tag"]);
    assert!(tags.contains("light") && tags.contains("v1"), "{tags}");
    assert!(s.fails(&["tag", "v1"]).contains("already exists"));
    s.ok(&["tag", "-d", "v1"]);
    assert!(!s.ok(&["tag"]).contains("v1"));
}
