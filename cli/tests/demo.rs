//! End to end: the `vdb` binary's demo builds, branches, diffs and merges a table on disk, and
//! `vdb fsck` then finds the store sound; on a missing store, fsck fails with a clear message.

use std::process::Command;

fn vdb() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vdb"))
}

#[test]
fn demo_then_fsck() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("store");
    let out = vdb()
        .args(["demo", "--rows", "20000", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("built labels: 20000 rows"), "{stdout}");
    assert!(
        stdout.contains("diff base..relabel: 400 modified rows"),
        "{stdout}"
    );
    assert!(
        stdout.contains("merge relabel into main: 400 changes applied, 0 conflicts"),
        "{stdout}"
    );
    assert!(
        stdout.contains("verify merged tree: 0 problems"),
        "{stdout}"
    );

    let out = vdb()
        .args(["fsck", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("no problems"));
}

#[test]
fn fsck_on_missing_store_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let out = vdb()
        .args(["fsck", "--data-dir"])
        .arg(dir.path().join("nope"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no store at") && stderr.contains("--data-dir"),
        "{stderr}"
    );
}
