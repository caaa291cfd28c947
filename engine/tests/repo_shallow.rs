//! A shallow repository at the engine level, made by hand: a commit whose parent is absent,
//! recorded as the shallow boundary. Every walk over parents stops there instead of failing
//! on the missing chunk: log, reachability, merge base, revisions (a clear error past the
//! boundary), fsck and gc. Without the record the same store is damaged, so fsck fails.

mod repo_common;

use repo_common::*;
use std::sync::Arc;
use std::time::Duration;
use vdb_engine::gc::GcOptions;
use vdb_engine::repo::{
    is_ancestor, merge_base, Commit, Repository, ResetMode, Shallow, SHALLOW_ROOT,
};
use vdb_engine::store::{DiskStore, DiskStoreOptions};
use vdb_engine::table::RootValue;
use vdb_engine::{Error, Hash};

/// A repository on disk whose main starts at a commit with a parent that is not there.
/// Returns it with that commit.
fn cut_repo(dir: &tempfile::TempDir) -> (Repository, Hash) {
    let store = Arc::new(DiskStore::open(dir.path(), DiskStoreOptions::default()).unwrap());
    let repo = Repository::init(store, "main", &sig()).unwrap();
    let root = RootValue::empty().save(repo.node_store()).unwrap();
    let boundary = Commit {
        root,
        parents: vec![Hash::of(b"history that was never fetched")],
        author: sig(),
        committer: sig(),
        message: "the oldest commit here".into(),
    }
    .save(&**repo.store())
    .unwrap();
    repo.reset("main", ResetMode::Hard, &boundary.to_hex())
        .unwrap();
    (repo, boundary)
}

#[test]
fn walks_stop_at_the_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let (repo, boundary) = cut_repo(&dir);
    // A configuration root (as `vdb remote add` writes) is no reference for fsck either.
    let config = b"vdb-remote-config-v1\0 some url and options";
    assert!(repo
        .store()
        .cas_root("remotes/origin", None, Some(config))
        .unwrap());
    let damaged = repo.fsck().unwrap();
    assert_eq!(damaged.problems.len(), 1, "{:?}", damaged.problems);
    assert!(damaged.problems[0].what.contains("missing"));
    assert!(repo.log("HEAD", None).is_err());

    Shallow::update(&**repo.store(), &[boundary], &[]).unwrap();
    assert!(repo.fsck().unwrap().is_ok(), "{:?}", repo.fsck().unwrap());
    create_table(
        &repo,
        "main",
        "people",
        people_schema(),
        vec![person(1, "Ann", 30, "Oslo")],
    );
    let base = commit_all(&repo, "main", "people");
    repo.branch_create("feature", "main", false).unwrap();
    set_cell(&repo, "main", "people", 1, 2, int(31));
    let ours = commit_all(&repo, "main", "older");
    repo.checkout("feature").unwrap();
    set_cell(&repo, "feature", "people", 1, 3, text("Rome"));
    let theirs = commit_all(&repo, "feature", "moved");
    repo.checkout("main").unwrap();

    let log = repo.log("main", None).unwrap();
    assert_eq!(log.len(), 3);
    assert_eq!(log[2].0, boundary);
    assert!(
        log[2].1.parents.is_empty(),
        "the boundary is seen without parents"
    );
    let store = &**repo.store();
    assert!(is_ancestor(store, boundary, ours).unwrap());
    assert!(!is_ancestor(store, Hash::of(b"history that was never fetched"), ours).unwrap());
    assert_eq!(merge_base(store, ours, theirs).unwrap(), Some(base));
    assert_eq!(repo.resolve("main~2").unwrap(), boundary);
    for rev in ["main~3", "main~2^1", "main~2^2"] {
        let err = repo.resolve(rev).unwrap_err();
        assert!(
            matches!(&err, Error::NotFound(m) if m.contains("shallow")),
            "{rev}: {err}"
        );
    }
    let merged = repo.merge(
        "main",
        "feature",
        &vdb_engine::repo::MergeOptions::new(sig()),
    );
    assert!(merged.is_ok(), "{merged:?}");
    assert_eq!(
        rows_at(&repo, "main", "people"),
        vec![person(1, "Ann", 31, "Rome")]
    );

    // gc removes the init commit that reset left behind, keeps the boundary.
    let stats = repo
        .gc_with(&GcOptions {
            grace: Duration::ZERO,
        })
        .unwrap();
    assert!(stats.sweep.chunks_removed > 0, "{stats:?}");
    assert!(repo.store().has(&boundary).unwrap());
    assert!(repo.fsck().unwrap().is_ok());
    assert!(repo.store().get_root(SHALLOW_ROOT).unwrap().is_some());
}
