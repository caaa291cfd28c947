//! Remotes end to end against `file://` directories: clone, push, fetch, pull with a merge,
//! a rejected non-fast-forward, an interrupted push and its retry, bytes moved by an
//! incremental push and a clone, and URLs and manifests that try to escape.
//! (The same operations against a real S3-compatible server: tests/clients/test_remote_s3.py.)

use std::sync::Arc;
use vdb_engine::prolly::NodeStore;
use vdb_engine::repo::{MergeOptions, MergeOutcome, Repository};
use vdb_engine::store::{ChunkStore, MemoryStore};
use vdb_engine::value::Value;
use vdb_engine::Hash;
use vdb_remote::{clone_into, Error, Remote, RemoteOptions, RepositoryRemotes};

mod common;
use common::{sig, url, write_rows_on};

fn new_repo() -> Repository {
    Repository::init(Arc::new(MemoryStore::new()), "main", &sig()).unwrap()
}

/// Inserts (or replaces) rows `ids` with value `v` into table t on main, creating it, and
/// commits.
fn write_rows(repo: &Repository, ids: impl Iterator<Item = i64>, v: &str) -> Hash {
    write_rows_on(repo, "main", ids, v)
}

fn rows(repo: &Repository, rev: &str) -> Vec<Vec<Value>> {
    let commit = repo.commit_info(repo.resolve(rev).unwrap()).unwrap();
    let root = repo.root_value(commit.root).unwrap();
    let table = root.must_get_table(repo.node_store(), "t").unwrap();
    table.scan().unwrap().map(|r| r.unwrap().1).collect()
}

fn clone(url: &str) -> Repository {
    clone_into(
        Arc::new(MemoryStore::new()),
        url,
        &RemoteOptions::default(),
        "origin",
        None,
    )
    .unwrap()
    .0
}

/// Bytes of every chunk reachable from `repo`'s branches: the size a clone should be near.
fn live_bytes(repo: &Repository) -> u64 {
    let store: Arc<dyn ChunkStore> = repo.store().clone();
    let heads: Vec<Hash> = repo
        .branches()
        .unwrap()
        .into_iter()
        .map(|(_, h)| h)
        .collect();
    let ns = NodeStore::with_cache(store.clone(), 0);
    let all = vdb_remote::missing_chunks(&ns, &heads, &|_| false).unwrap();
    all.iter()
        .map(|h| store.must_get(h).unwrap().len() as u64)
        .sum()
}

#[test]
fn push_clone_fetch_and_fast_forward_pull() {
    let dir = tempfile::tempdir().unwrap();
    let a = new_repo();
    let c1 = write_rows(&a, 0..50, "a");
    a.remote_add("origin", &url(&dir), &RemoteOptions::default())
        .unwrap();
    let report = a.push("origin", "main", "main", false).unwrap();
    assert_eq!((report.old, report.new), (None, c1));
    assert!(report.chunks > 0);
    assert_eq!(a.resolve("origin/main").unwrap(), c1);

    let b = clone(&url(&dir));
    assert_eq!(b.head_branch().unwrap(), "main");
    assert_eq!(b.branch_head("main").unwrap(), c1);
    assert_eq!(rows(&b, "main"), rows(&a, "main"));
    assert_eq!(b.remote_list().unwrap()[0].url, url(&dir));

    let c2 = write_rows(&b, 50..60, "b");
    b.push("origin", "main", "main", false).unwrap();
    let fetched = a.fetch("origin").unwrap();
    assert_eq!(
        fetched.updated,
        vec![("main".to_string(), Some(c1), Some(c2))]
    );
    assert_eq!(a.resolve("origin/main").unwrap(), c2);
    assert_eq!(
        a.branch_head("main").unwrap(),
        c1,
        "fetch leaves local branches alone"
    );
    // A second fetch finds nothing to move.
    let again = a.fetch("origin").unwrap();
    assert_eq!((again.chunks, again.updated.len()), (0, 0));

    let (_, outcome) = a
        .pull("origin", "main", "main", &MergeOptions::new(sig()))
        .unwrap();
    assert!(matches!(outcome, MergeOutcome::FastForward { commit } if commit == c2));
    assert_eq!(rows(&a, "main").len(), 60);
}

#[test]
fn diverged_push_is_rejected_then_pull_merges() {
    let dir = tempfile::tempdir().unwrap();
    let a = new_repo();
    write_rows(&a, 0..10, "base");
    a.remote_add("origin", &url(&dir), &RemoteOptions::default())
        .unwrap();
    a.push("origin", "main", "main", false).unwrap();
    let b = clone(&url(&dir));

    let ours = write_rows(&a, 100..110, "a");
    let theirs = write_rows(&b, 200..210, "b");
    b.push("origin", "main", "main", false).unwrap();
    let err = a.push("origin", "main", "main", false).unwrap_err();
    assert!(matches!(err, Error::Rejected(_)), "{err}");
    let remote = Remote::open_named(&**a.store(), "origin").unwrap();
    let m = remote.manifest().unwrap().unwrap();
    assert_eq!(
        m.get_ref("refs/heads/main"),
        Some(theirs),
        "the rejected push changed nothing"
    );

    let (_, outcome) = a
        .pull("origin", "main", "main", &MergeOptions::new(sig()))
        .unwrap();
    let MergeOutcome::Merged { commit } = outcome else {
        panic!("expected a merge commit, got {outcome:?}");
    };
    assert_eq!(a.commit_info(commit).unwrap().parents, vec![ours, theirs]);
    assert_eq!(rows(&a, "main").len(), 30);
    a.push("origin", "main", "main", false).unwrap();
    b.pull("origin", "main", "main", &MergeOptions::new(sig()))
        .unwrap();
    assert_eq!(b.branch_head("main").unwrap(), commit);

    // --force replaces a diverged remote branch.
    let lone = write_rows(&b, 300..301, "force");
    a.reset("main", vdb_engine::repo::ResetMode::Hard, "main~1")
        .unwrap();
    write_rows(&a, 400..401, "other");
    assert!(matches!(
        a.push("origin", "main", "main", false),
        Err(Error::Rejected(_))
    ));
    b.push("origin", "main", "main", false).unwrap();
    let forced = a.push("origin", "main", "main", true).unwrap();
    assert!(forced.forced);
    assert_eq!(forced.old, Some(lone));
}

#[test]
fn interrupted_push_leaves_the_remote_intact_and_a_retry_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let a = new_repo();
    let c1 = write_rows(&a, 0..100, "a");
    a.remote_add("origin", &url(&dir), &RemoteOptions::default())
        .unwrap();
    a.push("origin", "main", "main", false).unwrap();
    let c2 = write_rows(&a, 0..2000, "b");

    let remote = Remote::open_named(&**a.store(), "origin").unwrap();
    remote.backend().fail_puts_under(Some("manifests"));
    let err = vdb_remote::push(&a, &remote, "main", "main", false).unwrap_err();
    assert!(matches!(err, Error::Store { .. }), "{err}");
    let uploaded = remote.backend().bytes_sent();
    assert!(
        uploaded > 1_000,
        "the pack went up before the failure: {uploaded}"
    );
    // The remote still names c1, and a clone of it is whole.
    let fresh = clone(&url(&dir));
    assert_eq!(fresh.branch_head("main").unwrap(), c1);
    assert_eq!(rows(&fresh, "main").len(), 100);
    assert_eq!(a.resolve("origin/main").unwrap(), c1);

    // The retry finds its pack already uploaded and sends only the manifest.
    remote.backend().fail_puts_under(None);
    let report = vdb_remote::push(&a, &remote, "main", "main", false).unwrap();
    assert_eq!(report.new, c2);
    assert!(report.bytes < 1024, "retry re-sent {} bytes", report.bytes);
    let fresh = clone(&url(&dir));
    assert_eq!(rows(&fresh, "main"), rows(&a, "main"));

    // A push cut before its pack leaves nothing behind either.
    write_rows(&a, 5000..5010, "c");
    remote.backend().fail_puts_under(Some("packs"));
    assert!(vdb_remote::push(&a, &remote, "main", "main", false).is_err());
    assert_eq!(
        remote
            .manifest()
            .unwrap()
            .unwrap()
            .get_ref("refs/heads/main"),
        Some(c2)
    );
}

#[test]
fn transfer_is_in_proportion_to_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let a = new_repo();
    write_rows(&a, 0..50_000, "initial-value-");
    a.remote_add("origin", &url(&dir), &RemoteOptions::default())
        .unwrap();
    let first = a.push("origin", "main", "main", false).unwrap();
    // One commit changing 100 rows of 50,000.
    write_rows(&a, (0..100).map(|i| 10_000 + i * 3), "changed-");
    let second = a.push("origin", "main", "main", false).unwrap();
    assert!(
        second.bytes * 20 < first.bytes,
        "incremental push sent {} bytes, the first {}",
        second.bytes,
        first.bytes
    );
    // 300 keys' worth of neighbouring rows span a few leaves; with their internal nodes, the
    // table, the root value and the commit that is a few tens of chunks, not the ~400 of the
    // table.
    assert!(second.chunks <= 30, "{} chunks", second.chunks);
    assert!(first.chunks > 300, "{} chunks", first.chunks);

    let (b, report) = clone_into(
        Arc::new(MemoryStore::new()),
        &url(&dir),
        &RemoteOptions::default(),
        "origin",
        None,
    )
    .unwrap();
    let live = live_bytes(&a);
    assert!(
        report.bytes * 10 <= live * 12,
        "clone moved {} bytes for {live} live bytes",
        report.bytes
    );
    println!(
        "first push {} B / {} chunks; incremental {} B / {} chunks; clone {} B for {live} live B",
        first.bytes, first.chunks, second.bytes, second.chunks, report.bytes
    );
    assert_eq!(rows(&b, "main"), rows(&a, "main"));
    // Fetching into an up-to-date clone reads only the manifest and indexes.
    let again = b.fetch("origin").unwrap();
    assert_eq!(again.chunks, 0);
    assert!(again.bytes * 20 < report.bytes);
}

#[test]
fn urls_names_and_manifests_that_escape_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = new_repo();
    let opts = RemoteOptions::default();
    for bad in [
        format!("file://{}/x/../../etc", dir.path().display()),
        "file://relative".to_string(),
        "s3://bucket/../other".to_string(),
        "http://example.invalid/x".to_string(),
    ] {
        assert!(
            matches!(a.remote_add("o", &bad, &opts), Err(Error::InvalidInput(_))),
            "{bad}"
        );
    }
    for bad in ["a/b", "..", "", "x y"] {
        assert!(a.remote_add(bad, &url(&dir), &opts).is_err(), "{bad:?}");
    }
    a.remote_add("origin", &url(&dir), &opts).unwrap();
    assert!(
        a.remote_add("origin", &url(&dir), &opts).is_err(),
        "duplicate"
    );

    // A manifest naming a ref that would land outside refs/remotes/origin/ is refused.
    let forged = vdb_remote::Manifest {
        seq: 1,
        head: None,
        refs: vec![("refs/heads/../../HEAD".into(), Hash::of(b"x"))],
        packs: vec![],
    };
    let bytes = forged.encode().unwrap();
    let manifests = dir.path().join("remote/manifests");
    std::fs::create_dir_all(&manifests).unwrap();
    std::fs::write(manifests.join(format!("{:020}", 1)), bytes).unwrap();
    let err = a.fetch("origin").unwrap_err();
    assert!(matches!(err, Error::Corrupted(_)), "{err}");
    assert!(
        vdb_engine::repo::refs::list_refs(&**a.store(), "refs/remotes/")
            .unwrap()
            .is_empty()
    );

    a.remote_remove("origin").unwrap();
    assert!(a.remote_list().unwrap().is_empty());
    assert!(matches!(a.fetch("origin"), Err(Error::NotFound(_))));
}

#[test]
fn of_two_manifests_with_one_number_only_the_first_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let a = new_repo();
    let c1 = write_rows(&a, 0..5, "a");
    a.remote_add("origin", &url(&dir), &RemoteOptions::default())
        .unwrap();
    a.push("origin", "main", "main", false).unwrap();
    let remote = Remote::open_named(&**a.store(), "origin").unwrap();
    let current = remote.manifest().unwrap().unwrap();
    let mut mine = current.clone();
    mine.seq += 1;
    mine.set_ref("refs/heads/other", Some(c1));
    let mut theirs = current;
    theirs.seq += 1;
    theirs.set_ref("refs/heads/main", None);
    assert!(vdb_remote::manifest::publish(remote.backend(), &mine).unwrap());
    assert!(!vdb_remote::manifest::publish(remote.backend(), &theirs).unwrap());
    assert_eq!(remote.manifest().unwrap().unwrap(), mine);
}
