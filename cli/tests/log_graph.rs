//! `vdb log --graph` draws merges as `git log --graph` does, beside one-line or full commits, `--stat` counts each
//! commit's row changes, and `-- TABLE` keeps only the commits that changed that table.

mod common;
use common::Scratch;

/// Replaces every 12-digit short hash with `H` so that outputs can be compared exactly.
fn hashless(text: &str) -> String {
    text.split(' ')
        .map(|w| {
            if w.len() == 12 && w.chars().all(|c| c.is_ascii_hexdigit()) {
                "H"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn graph_stat_and_table_filter() {
    let s = Scratch::with_people();
    s.ok(&["checkout", "-b", "feature"]);
    s.import("--update", "people", "id,name,score\n2,bobby,20\n");
    s.ok(&["commit", "-am", "rename bob"]);
    s.ok(&["checkout", "main"]);
    s.ok(&["sql", "-q", "CREATE TABLE pets (id int PRIMARY KEY)"]);
    s.ok(&["add", "pets"]);
    s.ok(&["commit", "-m", "add pets"]);
    s.ok(&["merge", "feature", "-m", "merge feature"]);

    // The branch's commit and main's own come newest first, each in its own lane.
    assert_eq!(
        hashless(&s.ok(&["log", "--graph", "--oneline"])),
        "*   H (HEAD -> main) merge feature\n\
         |\\\n\
         * | H add pets\n\
         | * H (feature) rename bob\n\
         |/\n\
         * H add people\n\
         * H Initialize data repository\n"
    );

    let stat = s.ok(&["log", "--oneline", "--stat", "-n", "2"]);
    assert!(
        stat.contains(" people: 0 row(s) added, 0 deleted, 1 modified (1 cell(s))"),
        "{stat}"
    );
    assert!(
        stat.contains(" pets: 0 row(s) added, 0 deleted, 0 modified (0 cell(s))"),
        "{stat}"
    );

    // With --graph, stat lines continue the lanes.
    let graph_stat = hashless(&s.ok(&["log", "--graph", "--oneline", "--stat"]));
    assert!(
        graph_stat.contains("* | H add pets\n| |   pets: 0 row(s) added"),
        "{graph_stat}"
    );

    // Without --oneline, the full format runs beside the lanes.
    let full = s.ok(&["log", "--graph", "-n", "2"]);
    let lines: Vec<&str> = full.lines().collect();
    assert!(lines[0].starts_with("* commit "), "{full}");
    assert!(lines[0].ends_with(" (HEAD -> main)"), "{full}");
    assert!(lines[1].starts_with("| Merge: "), "{full}");
    assert!(
        lines[2].starts_with("| Author: Test User <test@example.com>"),
        "{full}"
    );
    assert_eq!(lines[5], "|     merge feature", "{full}");
    assert_eq!(lines[6], "|", "{full}");
    assert!(lines[7].starts_with("* commit "), "{full}");

    let pets = hashless(&s.ok(&["log", "--oneline", "--", "pets"]));
    assert_eq!(pets, "H add pets\n");
    // The merge only brought in the branch's change, so it is left out, as git does for paths.
    let people = hashless(&s.ok(&["log", "--graph", "--oneline", "--", "people"]));
    assert_eq!(people, "* H (feature) rename bob\n* H add people\n");
}
