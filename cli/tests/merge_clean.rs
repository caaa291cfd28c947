//! init → import CSV → add → commit → branch → checkout → edits on both sides (different rows
//! and different cells) → `vdb merge` makes a merge commit with both edits, and `vdb log` shows
//! it with its two parents.

mod common;
use common::Scratch;

#[test]
fn clean_merge_of_edits_on_both_branches() {
    let s = Scratch::repo();
    let file = s.write(
        "people.csv",
        "id,name,score\n1,ann,10\n2,bob,20\n3,cat,30\n",
    );
    let out = s.import_file(&["--create", "--pk", "id"], "people", &file);
    assert!(out.contains("3 rows imported"), "{out}");
    assert!(s.ok(&["status"]).contains("new table:  people"));
    s.ok(&["add", "people"]);
    assert!(s.ok(&["status"]).contains("Changes to be committed"));
    s.ok(&["commit", "-m", "add people"]);
    assert!(s.ok(&["status"]).contains("nothing to commit"));

    s.ok(&["branch", "feature"]);
    s.ok(&["checkout", "feature"]);
    s.import("--update", "people", "id,name,score\n2,bobby,20\n");
    s.ok(&["commit", "-am", "rename bob"]);

    s.ok(&["checkout", "main"]);
    s.import("--update", "people", "id,name,score\n2,bob,21\n3,cat,31\n");
    s.ok(&["commit", "-am", "rescore"]);

    let out = s.ok(&["merge", "feature"]);
    assert!(out.contains("Merge feature into main"), "{out}");
    assert_eq!(
        s.export("people", "HEAD"),
        "id,name,score\n1,ann,10\n2,bobby,21\n3,cat,31\n"
    );

    let log = s.ok(&["log", "-n", "1"]);
    assert!(log.contains("Merge: "), "{log}");
    assert!(
        log.contains("Author: Test User <test@example.com>"),
        "{log}"
    );
    let oneline = s.ok(&["log", "--oneline"]);
    let lines: Vec<&str> = oneline.lines().collect();
    assert_eq!(lines.len(), 5, "{oneline}");
    assert!(
        lines[0].contains("(HEAD -> main) Merge feature into main"),
        "{oneline}"
    );
    assert!(s.ok(&["fsck"]).contains("no problems"));
}
