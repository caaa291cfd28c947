//! `vdb stash` and `vdb reflog` driven through the binary: a relabelling pass put aside and
//! brought back; a bad `reset --hard` undone through the reflog.

mod common;
use common::Scratch;

fn scores(s: &Scratch) -> String {
    s.ok(&[
        "sql",
        "--format",
        "csv",
        "-q",
        "SELECT id, score FROM people ORDER BY id",
    ])
}

#[test]
fn stash_puts_changes_aside_and_pop_brings_them_back() {
    let s = Scratch::with_people();
    let clean = scores(&s);
    s.ok(&["sql", "-q", "UPDATE people SET score = score + 1"]);
    let wip = scores(&s);
    assert!(s.fails(&["stash", "pop"]).contains("no stashes"));

    let out = s.ok(&["stash", "-m", "relabel pass"]);
    assert!(
        out.contains("stash@{0}") && out.contains("relabel pass"),
        "{out}"
    );
    assert_eq!(scores(&s), clean);
    assert!(
        s.ok(&["status"]).contains("nothing to commit") || !s.ok(&["status"]).contains("people")
    );
    let list = s.ok(&["stash", "list"]);
    assert!(
        list.starts_with("stash@{0}: On main: relabel pass"),
        "{list}"
    );
    let show = s.ok(&["stash", "show", "--stat"]);
    assert!(show.contains("people"), "{show}");
    assert!(s.fails(&["stash"]).contains("no local changes"));

    // Other work in between, on another row's column; then pop merges.
    s.ok(&["sql", "-q", "UPDATE people SET name = 'ANN' WHERE id = 1"]);
    let out = s.ok(&["stash", "pop"]);
    assert!(out.contains("Applied and dropped stash@{0}"), "{out}");
    assert_eq!(scores(&s), wip);
    let names = s.ok(&[
        "sql",
        "--format",
        "csv",
        "-q",
        "SELECT name FROM people WHERE id = 1",
    ]);
    assert!(names.contains("ANN"), "{names}");
    assert_eq!(s.ok(&["stash", "list"]), "");
    assert!(s
        .fails(&["stash", "drop", "stash@{x}"])
        .contains("names no stash"));
}

#[test]
fn reflog_lists_moves_and_undoes_a_hard_reset() {
    let s = Scratch::with_people();
    s.ok(&["sql", "-q", "UPDATE people SET score = 0"]);
    s.ok(&["commit", "-am", "zero every score"]);
    let zeroed = scores(&s);
    s.ok(&["reset", "--hard", "HEAD~1"]);
    let log = s.ok(&["reflog"]);
    let lines: Vec<&str> = log.lines().collect();
    assert!(
        lines[0].contains("main@{0}") && lines[0].contains("add people"),
        "{log}"
    );
    assert!(
        lines[1].contains("main@{1}") && lines[1].contains("zero every score"),
        "{log}"
    );

    s.ok(&["reset", "--hard", "main@{1}"]);
    assert_eq!(scores(&s), zeroed);
    assert!(s.ok(&["log"]).contains("zero every score"));
    assert!(s.ok(&["reflog", "--all"]).contains("main@{0}"));
    assert!(s.fails(&["reflog", "nope"]).contains("nope has no reflog"));
    assert!(s.fails(&["show", "main@{50}"]).contains("only"));
}

#[test]
fn clean_drops_only_untracked_tables() {
    let s = Scratch::with_people();
    s.ok(&[
        "sql",
        "-q",
        "CREATE TABLE scratch (id int); UPDATE people SET score = 1",
    ]);
    let out = s.ok(&["clean", "--dry-run"]);
    assert_eq!(out.trim(), "Would drop table scratch");
    assert!(s.fails(&["clean", "people"]).contains("not untracked"));
    assert_eq!(s.ok(&["clean"]).trim(), "Dropped table scratch");
    let tables = s.ok(&["table", "ls"]);
    assert!(
        !tables.contains("scratch") && tables.contains("people"),
        "{tables}"
    );
    // The tracked table's edit is untouched.
    assert!(scores(&s).contains("1,1"), "{}", scores(&s));
}
