//! Outside a repository every repository command fails with the init hint; `-C DIR` and
//! running from a subdirectory find the repository like git does.

mod common;
use common::Scratch;

#[test]
fn outside_a_repository_suggests_init() {
    let s = Scratch::new();
    for args in [&["status"][..], &["log"], &["table", "ls"], &["diff"]] {
        let err = s.fails(args);
        assert!(
            err.contains("not a vdb repository (or any parent up to /): run `vdb init`"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn repository_is_found_from_subdirectories_and_with_dash_c() {
    let s = Scratch::new();
    s.ok(&["init", "data"]);
    let sub = s.path().join("data").join("nested");
    std::fs::create_dir_all(&sub).unwrap();
    let out = s.run_in(&sub, &["status"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("On branch main"));
    assert!(s.ok(&["-C", "data", "branch"]).contains("* main"));
    assert!(s
        .ok(&["--data-dir", "data", "log", "--oneline"])
        .contains("Initialize data repository"));
    assert!(s
        .fails(&["init", "data"])
        .contains("already a vdb repository"));
}
