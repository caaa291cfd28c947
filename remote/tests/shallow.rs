//! Shallow clones and pushed tags against `file://` remotes: a depth-limited clone transfers
//! a fraction of a full one yet queries, commits, merges, passes fsck and gc, fetches new
//! commits and pushes them, and deepens; revisions past its boundary fail clearly; tags pushed from one
//! clone reach another by fetch, with their commits, and a conflicting tag push is refused.

use std::sync::Arc;
use std::time::Duration;
use vdb_engine::gc::GcOptions;
use vdb_engine::repo::{MergeOptions, MergeOutcome, Repository, Shallow};
use vdb_engine::store::{ChunkStore, DiskStore, DiskStoreOptions, MemoryStore};
use vdb_engine::value::Value;
use vdb_engine::Hash;
use vdb_remote::{
    clone_into, clone_with, Error, Remote, RemoteOptions, RepositoryRemotes, ShallowLimit,
};

mod common;
use common::{sig, url, write_rows_on};

/// Sets rows `ids` of table t on `branch` (creating it) to `v<id>`, and commits.
fn write_rows(repo: &Repository, branch: &str, ids: std::ops::Range<i64>, v: &str) -> Hash {
    write_rows_on(repo, branch, ids, v)
}

/// The shallow boundary's commits.
fn boundary(repo: &Repository) -> Vec<Hash> {
    Shallow::load(&**repo.store())
        .unwrap()
        .commits()
        .copied()
        .collect()
}

fn rows(repo: &Repository, rev: &str) -> Vec<Vec<Value>> {
    let commit = repo.commit_info(repo.resolve(rev).unwrap()).unwrap();
    let root = repo.root_value(commit.root).unwrap();
    let table = root.must_get_table(repo.node_store(), "t").unwrap();
    table.scan().unwrap().map(|r| r.unwrap().1).collect()
}

/// A repository whose main has `n` commits after init, each rewriting all 300 rows, pushed to
/// a new remote in `dir`.
fn long_history(dir: &tempfile::TempDir, n: usize) -> Repository {
    let a = Repository::init(Arc::new(MemoryStore::new()), "main", &sig()).unwrap();
    for i in 0..n {
        write_rows(&a, "main", 0..300, &format!("v{i}-"));
    }
    a.remote_add("origin", &url(dir), &RemoteOptions::default())
        .unwrap();
    a.push("origin", "main", "main", false).unwrap();
    a
}

fn shallow_clone(store: Arc<dyn ChunkStore>, url: &str, depth: u32) -> (Repository, u64, u64) {
    let (repo, report) = clone_with(
        store,
        url,
        &RemoteOptions::default(),
        "origin",
        None,
        ShallowLimit::depth(depth),
        None,
    )
    .unwrap();
    (repo, report.chunks, report.bytes)
}

fn full_clone(url: &str) -> (Repository, u64, u64) {
    let (repo, report) = clone_into(
        Arc::new(MemoryStore::new()),
        url,
        &RemoteOptions::default(),
        "origin",
        None,
    )
    .unwrap();
    (repo, report.chunks, report.bytes)
}

#[test]
fn a_depth_one_clone_transfers_a_fraction_of_a_full_one() {
    let dir = tempfile::tempdir().unwrap();
    let a = long_history(&dir, 40);
    let (full, full_chunks, full_bytes) = full_clone(&url(&dir));
    let (c, chunks, bytes) = shallow_clone(Arc::new(MemoryStore::new()), &url(&dir), 1);
    eprintln!("full clone: {full_chunks} chunks, {full_bytes} bytes; depth 1: {chunks} chunks, {bytes} bytes");
    assert_eq!(full.log("HEAD", None).unwrap().len(), 41);
    assert_eq!(c.log("HEAD", None).unwrap().len(), 1);
    // 40 rewrites of every row: the full clone holds ~40 versions of the table, the shallow
    // one a single version (its pack-index reads are the same).
    assert!(chunks * 10 < full_chunks, "{chunks} vs {full_chunks}");
    assert!(bytes * 4 < full_bytes, "{bytes} vs {full_bytes}");
    assert_eq!(rows(&c, "main"), rows(&a, "main"));
    assert_eq!(boundary(&c), vec![a.branch_head("main").unwrap()]);
}

#[test]
fn a_shallow_clone_logs_resolves_commits_checks_and_collects() {
    let dir = tempfile::tempdir().unwrap();
    let a = long_history(&dir, 10);
    let disk = tempfile::tempdir().unwrap();
    let store = Arc::new(DiskStore::open(disk.path(), DiskStoreOptions::default()).unwrap());
    let (c, ..) = shallow_clone(store, &url(&dir), 3);
    let log = c.log("HEAD", None).unwrap();
    assert_eq!(log.len(), 3);
    assert!(log[2].1.parents.is_empty(), "the boundary shows grafted");
    assert_eq!(c.resolve("HEAD~2").unwrap(), a.resolve("HEAD~2").unwrap());
    for rev in ["HEAD~3", "HEAD~2^", "HEAD~9"] {
        let err = c.resolve(rev).unwrap_err();
        assert!(
            matches!(err, vdb_engine::Error::NotFound(_)) && err.to_string().contains("shallow"),
            "{rev}: {err}"
        );
    }
    assert!(c.revert("main", "HEAD~2", &sig()).is_err());
    assert!(
        c.fsck().unwrap().is_ok(),
        "{:?}",
        c.fsck().unwrap().problems
    );

    // Commit on top; then make garbage (a commit reset away) for gc to remove.
    let mine = write_rows(&c, "main", 0..5, "mine");
    write_rows(&c, "main", 0..300, "garbage");
    c.reset("main", vdb_engine::repo::ResetMode::Hard, &mine.to_hex())
        .unwrap();
    let stats = c
        .gc_with(&GcOptions {
            grace: Duration::ZERO,
        })
        .unwrap();
    assert!(
        stats.sweep.chunks_removed > 0,
        "gc removed the garbage: {stats:?}"
    );
    let report = c.fsck().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    let boundary = a.resolve("HEAD~2").unwrap();
    assert!(c.store().has(&boundary).unwrap(), "gc kept the boundary");
    assert_eq!(c.log("HEAD", None).unwrap().len(), 4);
    let now = rows(&c, "main");
    assert_eq!(now.len(), 300);
    assert_eq!(now[4][1], Value::Text("mine4".into()));
    assert_eq!(now[5..], rows(&a, "main")[5..]);
}

#[test]
fn a_shallow_clone_fetches_merges_and_pushes() {
    let dir = tempfile::tempdir().unwrap();
    let a = long_history(&dir, 8);
    let (c, ..) = shallow_clone(Arc::new(MemoryStore::new()), &url(&dir), 2);
    let boundary = Shallow::load(&**c.store()).unwrap();

    // New commits on the remote come in by fetch, down to what the clone has, and no deeper.
    let theirs = write_rows(&a, "main", 1000..1010, "a");
    a.push("origin", "main", "main", false).unwrap();
    let fetched = c.fetch("origin").unwrap();
    assert_eq!(c.resolve("origin/main").unwrap(), theirs);
    assert!(fetched.chunks > 0 && fetched.chunks < 20, "{fetched:?}");
    assert_eq!(Shallow::load(&**c.store()).unwrap(), boundary);

    // Diverge, pull (a real merge: the merge base is above the boundary), push.
    let ours = write_rows(&c, "main", 2000..2010, "c");
    let (_, outcome) = c
        .pull("origin", "main", "main", &MergeOptions::new(sig()))
        .unwrap();
    let MergeOutcome::Merged { commit: merged } = outcome else {
        panic!("expected a merge, got {outcome:?}");
    };
    assert_eq!(c.commit_info(merged).unwrap().parents, vec![ours, theirs]);
    let pushed = c.push("origin", "main", "main", false).unwrap();
    assert!(pushed.chunks > 0);
    assert!(c.fsck().unwrap().is_ok());

    // A full clone elsewhere has the whole history with the shallow clone's work in it.
    let (full, ..) = full_clone(&url(&dir));
    assert_eq!(full.branch_head("main").unwrap(), merged);
    assert_eq!(full.log("HEAD", None).unwrap().len(), 12);
    assert_eq!(rows(&full, "main"), rows(&c, "main"));
    assert_eq!(rows(&full, "main").len(), 320);
    assert!(full.fsck().unwrap().is_ok());
    a.pull("origin", "main", "main", &MergeOptions::new(sig()))
        .unwrap();
    assert_eq!(a.branch_head("main").unwrap(), merged);

    // A remote that lacks the history below the boundary cannot take a push.
    let other = tempfile::tempdir().unwrap();
    c.remote_add("empty", &url(&other), &RemoteOptions::default())
        .unwrap();
    let err = c.push("empty", "main", "main", false).unwrap_err();
    assert!(
        matches!(err, Error::Rejected(_)) && err.to_string().contains("shallow"),
        "{err}"
    );
    let remote = Remote::open_named(&**c.store(), "empty").unwrap();
    assert_eq!(
        remote.manifest().unwrap(),
        None,
        "the refused push wrote nothing"
    );
}

#[test]
fn a_clone_deeper_than_the_history_is_complete() {
    let dir = tempfile::tempdir().unwrap();
    long_history(&dir, 3);
    let (c, ..) = shallow_clone(Arc::new(MemoryStore::new()), &url(&dir), 50);
    assert!(Shallow::load(&**c.store()).unwrap().is_empty());
    assert_eq!(c.log("HEAD", None).unwrap().len(), 4);
    assert!(c.resolve("HEAD~3").is_ok());
}

#[test]
fn tags_pushed_by_one_clone_reach_another_by_fetch() {
    let dir = tempfile::tempdir().unwrap();
    let a = long_history(&dir, 2);
    let (b, ..) = full_clone(&url(&dir));

    // An annotated tag on main, and a lightweight tag on a commit no remote branch has.
    let annotated = a
        .tag_create("v1", "main", Some((&sig(), "release 1")))
        .unwrap();
    a.branch_create("side", "main", false).unwrap();
    let side = write_rows(&a, "side", 500..510, "side");
    a.tag_create("side-tip", "side", None).unwrap();
    let report = a.push_tags("origin", &[], false).unwrap();
    assert_eq!(report.updated.len(), 2);
    assert!(report.chunks > 0);
    let again = a.push_tags("origin", &[], false).unwrap();
    assert_eq!((again.updated.len(), again.up_to_date.len()), (0, 2));

    let fetched = b.fetch("origin").unwrap();
    assert_eq!(
        fetched.new_tags,
        vec!["side-tip".to_string(), "v1".to_string()]
    );
    let tags = b.tags().unwrap();
    assert!(tags.contains(&("v1".to_string(), annotated)), "{tags:?}");
    assert_eq!(b.resolve("side-tip").unwrap(), side);
    assert_eq!(rows(&b, "side-tip"), rows(&a, "side"));
    assert!(b.fsck().unwrap().is_ok());

    // b moves v1 to another commit: refused without force, accepted with it.
    b.tag_delete("v1").unwrap();
    b.tag_create("v1", "side-tip", None).unwrap();
    let err = b
        .push_tags("origin", &["v1".to_string()], false)
        .unwrap_err();
    assert!(matches!(err, Error::Rejected(_)), "{err}");
    let remote = Remote::open_named(&**b.store(), "origin").unwrap();
    let m = remote.manifest().unwrap().unwrap();
    assert_eq!(m.get_ref("refs/tags/v1"), Some(annotated));
    let forced = b.push_tags("origin", &["v1".to_string()], true).unwrap();
    assert_eq!(forced.updated, vec![("v1".into(), Some(annotated), side)]);
    assert!(matches!(
        b.push_tags("origin", &["nope".to_string()], false),
        Err(Error::NotFound(_))
    ));

    // A fresh clone gets the tags; a shallow one only those it has the commits of.
    let (full, ..) = full_clone(&url(&dir));
    assert_eq!(full.tags().unwrap().len(), 2);
    let (shallow, ..) = shallow_clone(Arc::new(MemoryStore::new()), &url(&dir), 1);
    assert!(shallow.tags().unwrap().is_empty(), "{:?}", shallow.tags());
    assert!(shallow.fsck().unwrap().is_ok());
}

#[test]
fn deepening_fetches_the_history_below_the_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let a = long_history(&dir, 9);
    let (c, ..) = shallow_clone(Arc::new(MemoryStore::new()), &url(&dir), 1);
    let remote = Remote::open_named(&**c.store(), "origin").unwrap();
    let report = vdb_remote::deepen(&c, &remote, Some(3)).unwrap();
    assert!(report.chunks > 0);
    assert_eq!(c.log("HEAD", None).unwrap().len(), 4);
    assert_eq!(boundary(&c), vec![a.resolve("HEAD~3").unwrap()]);
    assert_eq!(rows(&c, "HEAD~3"), rows(&a, "HEAD~3"));
    assert!(c.fsck().unwrap().is_ok());

    vdb_remote::deepen(&c, &remote, None).unwrap();
    assert!(Shallow::load(&**c.store()).unwrap().is_empty());
    assert_eq!(c.log("HEAD", None).unwrap().len(), 10);
    assert_eq!(rows(&c, "HEAD~8"), rows(&a, "HEAD~8"));
    assert!(c.fsck().unwrap().is_ok());
    assert!(matches!(
        vdb_remote::deepen(&c, &remote, None),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn depth_counts_along_every_parent_path() {
    let dir = tempfile::tempdir().unwrap();
    let a = long_history(&dir, 4);
    a.branch_create("side", "main~2", false).unwrap();
    let side = write_rows(&a, "side", 700..710, "side");
    let main = a.branch_head("main").unwrap();
    let MergeOutcome::Merged { commit: merge } =
        a.merge("main", "side", &MergeOptions::new(sig())).unwrap()
    else {
        panic!("expected a merge commit");
    };
    a.push("origin", "main", "main", false).unwrap();

    // Depth 2 from the merge: the merge and both of its parents, which are the boundary.
    let (c, ..) = shallow_clone(Arc::new(MemoryStore::new()), &url(&dir), 2);
    let log: Vec<Hash> = c
        .log("HEAD", None)
        .unwrap()
        .into_iter()
        .map(|(h, _)| h)
        .collect();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0], merge);
    let boundary: Vec<Hash> = boundary(&c);
    let mut expected = vec![main, side];
    expected.sort();
    assert_eq!(boundary, expected);
    assert_eq!(rows(&c, "main"), rows(&a, "main"));
    assert!(c.fsck().unwrap().is_ok());

    // Depth 3 reaches the fork point through both parents.
    let (c, ..) = shallow_clone(Arc::new(MemoryStore::new()), &url(&dir), 3);
    assert_eq!(c.log("HEAD", None).unwrap().len(), 5);
    assert!(Shallow::load(&**c.store())
        .unwrap()
        .contains(&a.resolve("main~1~2").unwrap()));
}

/// `clone --shallow-since`: the commits made at or after the date, cut below the oldest of
/// them; a date after every commit still brings the tip.
#[test]
fn a_clone_since_a_date_keeps_the_newer_commits_and_cuts_below_them() {
    let dir = tempfile::tempdir().unwrap();
    let a = long_history(&dir, 6);
    let oldest_kept = a.resolve("HEAD~3").unwrap();
    let since = a.commit_info(oldest_kept).unwrap().committer.time_ms;
    let since_clone = |since_ms: i64| {
        clone_with(
            Arc::new(MemoryStore::new()),
            &url(&dir),
            &RemoteOptions::default(),
            "origin",
            None,
            ShallowLimit {
                depth: None,
                since_ms: Some(since_ms),
            },
            None,
        )
        .unwrap()
    };
    let (b, report) = since_clone(since);
    assert_eq!(boundary(&b), vec![oldest_kept]);
    for rev in ["HEAD", "HEAD~3"] {
        assert_eq!(rows(&b, rev), rows(&a, rev), "{rev}");
    }
    assert!(b.resolve("HEAD~4").is_err());
    // Fewer chunks than a clone that also holds the two older commits' data. (Their time is
    // read, not computed: other tests draw from the same clock, so gaps between commits vary.)
    let oldest = a.resolve("HEAD~5").unwrap();
    let (_, deeper) = since_clone(a.commit_info(oldest).unwrap().committer.time_ms);
    assert!(
        report.chunks < deeper.chunks,
        "{} vs {}",
        report.chunks,
        deeper.chunks
    );

    let (c, _) = since_clone(i64::MAX / 2);
    let tip = a.resolve("HEAD").unwrap();
    assert_eq!(boundary(&c), vec![tip]);
    assert_eq!(rows(&c, "HEAD"), rows(&a, "HEAD"));
}
