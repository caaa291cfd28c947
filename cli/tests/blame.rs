//! `vdb blame`: each row with the commit that last changed it, at HEAD or another revision,
//! through a merge; an unknown table or revision is an error.

mod common;
use common::Scratch;

/// The blame table's data lines as (id, message), in key order.
fn blamed(out: &str) -> Vec<(String, String)> {
    out.lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| id "))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].to_string(), cells[5].to_string())
        })
        .collect()
}

#[test]
fn blame_shows_the_last_commit_to_change_each_row() {
    let s = Scratch::with_people();
    s.ok(&["checkout", "-b", "feature"]);
    s.import("--update", "people", "id,name,score\n4,dan,40\n");
    s.ok(&["commit", "-am", "add dan"]);
    s.ok(&["checkout", "main"]);
    s.ok(&["sql", "-q", "UPDATE people SET score = 99 WHERE id = 2"]);
    s.ok(&["commit", "-am", "rescore 2"]);
    s.ok(&["merge", "feature", "-m", "merge feature"]);

    let out = s.ok(&["blame", "people"]);
    assert!(out.contains("| id "), "{out}");
    let rows = blamed(&out);
    let ids: Vec<&str> = rows.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3", "4"], "{out}");
    let first = rows[0].1.clone();
    assert_eq!(rows[1].1, "rescore 2");
    assert_eq!(rows[2].1, first);
    assert_eq!(rows[3].1, "add dan");
    assert_ne!(first, "merge feature");

    // Two commits back, before the rescore, row 2 belonged to the first commit.
    let before = blamed(&s.ok(&["blame", "HEAD~2", "people"]));
    assert_eq!(before[1].1, first);

    assert!(s
        .fails(&["blame", "nope"])
        .contains("table \"nope\" does not exist"));
    assert!(s
        .fails(&["blame", "no-such-rev", "people"])
        .contains("no-such-rev"));
}
