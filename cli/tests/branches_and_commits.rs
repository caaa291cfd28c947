//! Each branch keeps its own working set: uncommitted changes stay on the branch they were made
//! on across checkouts. Also: branch list marks the current one, `-d` refuses an unmerged
//! branch and `-D` forces it, `-m` renames; `commit --author` and `--amend`; the default author
//! with a hint when no user is configured.

mod common;
use common::Scratch;

#[test]
fn uncommitted_changes_stay_with_their_branch() {
    let s = Scratch::with_people();
    s.ok(&["checkout", "-b", "feature"]);
    s.import("--update", "people", "id,name,score\n1,ann,77\n");
    s.ok(&["checkout", "main"]);
    assert!(s.ok(&["status"]).contains("nothing to commit"));
    s.ok(&["checkout", "feature"]);
    assert!(s.ok(&["status"]).contains("modified:   people (data)"));
    assert!(s.export("people", "WORKING").contains("1,ann,77\n"));
}

#[test]
fn branch_management_and_commit_options() {
    let s = Scratch::with_people();
    s.ok(&["checkout", "-b", "feature"]);
    s.import("--update", "people", "id,name,score\n4,dan,40\n");
    s.ok(&[
        "commit",
        "-am",
        "add dan",
        "--author",
        "Dan Dev <dan@example.com>",
    ]);
    assert!(s
        .ok(&["log", "-n", "1"])
        .contains("Author: Dan Dev <dan@example.com>"));
    s.ok(&["commit", "--amend", "-m", "add dan (amended)"]);
    let log = s.ok(&["log", "--oneline"]);
    assert!(
        log.contains("add dan (amended)") && !log.contains("add dan\n"),
        "{log}"
    );

    s.ok(&["checkout", "main"]);
    let list = s.ok(&["branch"]);
    assert!(
        list.contains("* main") && list.contains("  feature"),
        "{list}"
    );
    assert!(s
        .fails(&["branch", "-d", "feature"])
        .contains("not fully merged"));
    s.ok(&["branch", "-m", "feature", "topic"]);
    assert!(s.ok(&["branch"]).contains("topic"));
    s.ok(&["branch", "-D", "topic"]);
    assert!(!s.ok(&["branch"]).contains("topic"));
}

#[test]
fn default_author_comes_with_a_hint() {
    let s = Scratch::new();
    s.ok(&["init"]);
    let out = s.run(&["commit", "--allow-empty", "-m", "empty"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("vdb config --global user.name"));
    assert!(s
        .ok(&["log", "-n", "1"])
        .contains("Author: vdb <vdb@localhost>"));
    s.ok(&["config", "--global", "user.name", "Glo Bal"]);
    s.ok(&["config", "--global", "user.email", "g@example.com"]);
    assert_eq!(s.ok(&["config", "user.name"]), "Glo Bal\n");
    s.ok(&["commit", "--allow-empty", "-m", "again"]);
    assert!(s
        .ok(&["log", "-n", "1"])
        .contains("Author: Glo Bal <g@example.com>"));
}
