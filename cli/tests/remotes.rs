//! `vdb remote`, `clone`, `push`, `fetch` and `pull` through the real binary against a
//! `file://` remote: a clone, a rejected non-fast-forward, a pull that merges, remote-tracking
//! branches as revisions, and refused URLs.

mod common;
use common::Scratch;

#[test]
fn clone_push_fetch_pull_through_a_directory_remote() {
    let s = Scratch::with_people();
    let url = format!("file://{}/remote", s.path().display());
    s.ok(&["remote", "add", "origin", &url]);
    assert!(s.ok(&["remote"]).contains(&format!("origin\t{url}")));
    let out = s.ok(&["push"]);
    assert!(out.contains("[new branch] main -> origin/main"), "{out}");
    assert!(s.ok(&["push"]).contains("Everything up to date"));

    let out = s.ok(&["clone", &url, "copy"]);
    assert!(out.contains("(branch main;"), "{out}");
    let copy = s.path().join("copy");
    let rows = |dir: &std::path::Path| {
        s.ok(&[
            "-C",
            dir.to_str().unwrap(),
            "sql",
            "--format",
            "csv",
            "-c",
            "SELECT count(*) FROM people",
        ])
    };
    assert_eq!(rows(&copy), rows(s.path()));

    // The copy and the original both commit; the copy pushes first.
    let c = copy.to_str().unwrap();
    s.ok(&[
        "-C",
        c,
        "sql",
        "-c",
        "INSERT INTO people VALUES (10, 'zed', 1)",
    ]);
    s.ok(&["-C", c, "commit", "-am", "add zed"]);
    s.ok(&["-C", c, "push", "origin", "main"]);
    s.import("--update", "people", "id,name,score\n11,yan,2\n");
    s.ok(&["commit", "-am", "add yan"]);
    let err = s.fails(&["push"]);
    assert!(err.contains("not a fast-forward"), "{err}");

    let out = s.ok(&["fetch"]);
    assert!(out.contains("origin/main"), "{out}");
    assert!(s
        .ok(&["log", "--oneline", "-n", "1", "origin/main"])
        .contains("add zed"));
    let out = s.ok(&["pull"]);
    assert!(out.contains("[main "), "a merge commit: {out}");
    s.ok(&["push"]);
    let out = s.ok(&["-C", c, "pull"]);
    assert!(out.contains("Fast-forward main"), "{out}");
    assert_eq!(rows(&copy), rows(s.path()));

    let err = s.fails(&["remote", "add", "evil", "file:///tmp/x/../../etc"]);
    assert!(err.contains("'..'"), "{err}");
    let err = s.fails(&["clone", "s3://bucket/../other", "x"]);
    assert!(err.contains("'..'"), "{err}");
    assert!(!s.path().join("x").exists());
    s.ok(&["remote", "remove", "origin"]);
    assert!(s.fails(&["log", "origin/main"]).contains("not found"));
}
