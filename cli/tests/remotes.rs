//! `vdb remote`, `clone`, `push`, `fetch` and `pull` through the real binary against a
//! `file://` remote: a clone, a rejected non-fast-forward, a pull that merges, remote-tracking
//! branches as revisions, and refused URLs; a shallow clone that logs, commits and pushes, and
//! tags pushed by name, by `--tags` and from SQL, with a conflicting tag refused.

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

#[test]
fn shallow_clone_and_pushed_tags_through_a_directory_remote() {
    let s = Scratch::with_people();
    let url = format!("file://{}/remote", s.path().display());
    for i in 0..4 {
        s.ok(&[
            "sql",
            "-c",
            &format!("INSERT INTO people VALUES ({}, 'p{i}', {i})", 100 + i),
        ]);
        s.ok(&["commit", "-am", &format!("add p{i}")]);
    }
    s.ok(&["tag", "v1", "HEAD~1"]);
    s.ok(&["remote", "add", "origin", &url]);
    s.ok(&["push"]);

    // A tag by name, then every tag; pushing again changes nothing.
    let out = s.ok(&["push", "origin", "v1"]);
    assert!(out.contains("[new tag] v1 -> origin"), "{out}");
    s.ok(&["tag", "v2"]);
    let out = s.ok(&["push", "--tags"]);
    assert!(
        out.contains("[new tag] v2") && out.contains("[up to date] v1"),
        "{out}"
    );

    let out = s.ok(&["clone", "--depth", "2", &url, "shallow"]);
    assert!(out.contains("shallow, depth 2"), "{out}");
    let sh = s.path().join("shallow");
    let sh = sh.to_str().unwrap();
    let log = s.ok(&["-C", sh, "log", "--oneline"]);
    assert_eq!(log.lines().count(), 2, "{log}");
    assert!(log.lines().nth(1).unwrap().contains("grafted"), "{log}");
    assert!(log.contains("tag: v1") && log.contains("tag: v2"), "{log}");
    let err = s.fails(&["-C", sh, "show", "HEAD~2"]);
    assert!(err.contains("shallow clone"), "{err}");
    assert!(s.ok(&["-C", sh, "fsck"]).contains("no problems"));
    s.ok(&[
        "-C",
        sh,
        "sql",
        "-c",
        "INSERT INTO people VALUES (200, 'sh', 1)",
    ]);
    s.ok(&["-C", sh, "commit", "-am", "from the shallow clone"]);
    s.ok(&["-C", sh, "push"]);
    s.ok(&["-C", sh, "fetch", "--deepen", "1"]);
    assert_eq!(s.ok(&["-C", sh, "log", "--oneline"]).lines().count(), 4);
    s.ok(&["-C", sh, "fetch", "--unshallow"]);
    let log = s.ok(&["-C", sh, "log", "--oneline"]);
    assert!(!log.contains("grafted"), "{log}");
    assert!(s.ok(&["-C", sh, "fsck"]).contains("no problems"));

    // --shallow-since: a date in the future keeps only the tips; one in the past, everything;
    // a date that does not parse is an error that leaves no directory behind.
    let out = s.ok(&["clone", "--shallow-since", "tomorrow", &url, "tips"]);
    assert!(out.contains("shallow, since tomorrow"), "{out}");
    let log = s.ok(&[
        "-C",
        s.path().join("tips").to_str().unwrap(),
        "log",
        "--oneline",
    ]);
    assert_eq!(log.lines().count(), 1, "{log}");
    assert!(log.contains("grafted"), "{log}");
    s.ok(&[
        "clone",
        "--shallow-since",
        "2000-01-01 00:00+00",
        &url,
        "since2000",
    ]);
    let log = s.ok(&[
        "-C",
        s.path().join("since2000").to_str().unwrap(),
        "log",
        "--oneline",
    ]);
    assert!(!log.contains("grafted") && log.lines().count() > 4, "{log}");
    let err = s.fails(&["clone", "--shallow-since", "not a date", &url, "bad"]);
    assert!(
        err.contains("invalid input syntax for type timestamp with time zone"),
        "{err}"
    );
    assert!(!s.path().join("bad").exists());

    // Another clone moves v1: refused without --force; the original fetches the result.
    s.ok(&["clone", &url, "full"]);
    let full = s.path().join("full");
    let full = full.to_str().unwrap();
    s.ok(&["-C", full, "tag", "-d", "v1"]);
    s.ok(&["-C", full, "tag", "v1"]);
    let err = s.fails(&["-C", full, "push", "origin", "v1"]);
    assert!(err.contains("already exist"), "{err}");
    s.ok(&["-C", full, "push", "--force", "origin", "v1"]);
    s.ok(&["fetch"]);
    let log = s.ok(&["log", "--oneline", "-n", "1", "origin/main"]);
    assert!(log.contains("from the shallow clone"), "{log}");
    let err = s.fails(&["sql", "-c", "SELECT vdb_push('origin', '--tags')"]);
    assert!(err.contains("already exist"), "the local v1 differs: {err}");
    s.ok(&["tag", "-d", "v1"]);
    s.ok(&["fetch"]);
    s.ok(&["tag", "v3"]);
    let out = s.ok(&[
        "sql",
        "--format",
        "csv",
        "-c",
        "SELECT * FROM vdb_push('origin', '--tags')",
    ]);
    assert!(
        out.contains("origin,1,2,"),
        "v3 new; v1, v2 up to date: {out}"
    );
}
