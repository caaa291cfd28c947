//! The reflog (every ref move recorded, `main@{n}` resolving through it, entries of collected
//! commits dropped) and stashes (push resets the branch; apply merges three-way and refuses
//! conflicts without changing anything; the stack's order and drops).

mod repo_common;

use std::sync::Arc;

use repo_common::*;
use vdb_engine::gc::{collect, GcOptions};
use vdb_engine::repo::reflog;
use vdb_engine::repo::stash::{parse_stash_ref, StashApply};
use vdb_engine::repo::Repository;
use vdb_engine::repo::ResetMode;
use vdb_engine::store::{ChunkStore, DiskStore, DiskStoreOptions};

/// A repository on a disk store in `dir` (syncs are counted, collections run).
fn disk_repo(dir: &std::path::Path) -> (Arc<dyn ChunkStore>, Repository) {
    let store: Arc<dyn ChunkStore> =
        Arc::new(DiskStore::open(dir, DiskStoreOptions::default()).unwrap());
    let repo = Repository::init(store.clone(), "main", &sig()).unwrap();
    (store, repo)
}

/// A collection that keeps nothing for its age.
fn collect_now(store: &Arc<dyn ChunkStore>) -> vdb_engine::gc::GcStats {
    collect(
        store,
        &GcOptions {
            grace: std::time::Duration::ZERO,
        },
    )
    .unwrap()
}

#[test]
fn every_branch_move_is_logged_and_named_by_at_n() {
    let repo = people_repo();
    let first = repo.resolve("main").unwrap();
    set_cell(&repo, "main", "people", 1, 2, int(31));
    let second = commit_all(&repo, "main", "ann ages");
    set_cell(&repo, "main", "people", 2, 2, int(41));
    let third = commit_all(&repo, "main", "bob ages");
    let store = &**repo.store();
    let targets: Vec<_> = reflog::read(store, "refs/heads/main")
        .unwrap()
        .into_iter()
        .map(|e| e.target)
        .collect();
    // init, then three commits.
    assert_eq!(targets[1..], [Some(first), Some(second), Some(third)]);
    assert_eq!(repo.resolve("main@{0}").unwrap(), third);
    assert_eq!(repo.resolve("main@{2}").unwrap(), first);
    assert_eq!(repo.resolve("@{1}").unwrap(), second);
    assert_eq!(repo.resolve("HEAD@{1}~1").unwrap(), first);

    // A hard reset is undone through the reflog.
    repo.reset("main", ResetMode::Hard, "HEAD~2").unwrap();
    assert_eq!(repo.resolve("main").unwrap(), first);
    assert_eq!(repo.resolve("main@{1}").unwrap(), third);
    repo.reset("main", ResetMode::Hard, "main@{1}").unwrap();
    assert_eq!(repo.resolve("main").unwrap(), third);
    assert_eq!(rows_at(&repo, "main", "people")[1][2], int(41));

    // A deleted branch keeps its log; the delete is the newest entry.
    repo.branch_create("tmp", "main~1", false).unwrap();
    repo.branch_delete("tmp", true).unwrap();
    let tmp = reflog::read(store, "refs/heads/tmp").unwrap();
    assert_eq!(
        tmp.iter().map(|e| e.target).collect::<Vec<_>>(),
        [Some(second), None]
    );
    assert_eq!(repo.resolve("tmp@{1}").unwrap(), second);
    let err = repo.resolve("tmp@{0}").unwrap_err().to_string();
    assert!(err.contains("deleted"), "{err}");
    let err = repo.resolve("main@{99}").unwrap_err().to_string();
    assert!(err.contains("only"), "{err}");
    let err = repo.resolve("nobranch@{0}").unwrap_err().to_string();
    assert!(err.contains("no reflog"), "{err}");
    let err = repo.resolve("main@{x}").unwrap_err().to_string();
    assert!(err.contains("count of changes"), "{err}");

    // Tags are logged too, and read as their commits.
    repo.tag_create("v1", "main", None).unwrap();
    assert_eq!(repo.resolve("v1@{0}").unwrap(), third);
    let all = reflog::read_all(store).unwrap();
    assert!(all.windows(2).all(|w| w[0].time_us <= w[1].time_us));
    assert!(all.iter().any(|e| e.short_name() == ("v1", "tag")));
}

#[test]
fn a_logged_ref_update_costs_no_extra_sync() {
    let dir = tempfile::tempdir().unwrap();
    let (store, repo) = disk_repo(dir.path());
    create_table(&repo, "main", "people", people_schema(), vec![]);
    repo.stage("main", None).unwrap();
    let before = store.stats().syncs;
    repo.commit("main", &vdb_engine::repo::CommitOptions::new("one", sig()))
        .unwrap();
    // The ref swap syncs the commit chunk with it; the reflog entry rides in the same write.
    let syncs = store.stats().syncs - before;
    assert_eq!(syncs, 1, "one commit, one sync");
    assert_eq!(reflog::read(&*store, "refs/heads/main").unwrap().len(), 2);
    // Reopened, the entries are still there, in order.
    drop(repo);
    drop(store);
    let store = DiskStore::open(dir.path(), DiskStoreOptions::default()).unwrap();
    let entries = reflog::read(&store, "refs/heads/main").unwrap();
    assert_eq!(entries.len(), 2);
    assert!(entries[0].time_us <= entries[1].time_us);
}

#[test]
fn collection_drops_entries_whose_commits_it_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (store, repo) = disk_repo(dir.path());
    create_table(
        &repo,
        "main",
        "people",
        people_schema(),
        vec![person(1, "a", 1, "x")],
    );
    let kept = commit_all(&repo, "main", "kept");
    set_cell(&repo, "main", "people", 1, 2, int(2));
    let dropped = commit_all(&repo, "main", "dropped");
    repo.reset("main", ResetMode::Hard, "HEAD~1").unwrap();
    // Not collected yet: still named.
    assert_eq!(repo.resolve("main@{1}").unwrap(), dropped);
    let stats = collect_now(&store);
    assert_eq!(stats.reflog_pruned, 1);
    let left: Vec<_> = reflog::read(&*store, "refs/heads/main")
        .unwrap()
        .into_iter()
        .map(|e| e.target)
        .collect();
    assert!(!left.contains(&Some(dropped)));
    assert_eq!(left.last(), Some(&Some(kept)));
    // Collection never takes a reflog entry for a reference.
    assert!(vdb_engine::gc::fsck(&store).unwrap().is_ok());
}

#[test]
fn push_resets_the_branch_and_pop_brings_the_changes_back_over_new_work() {
    let repo = people_repo();
    let committed = working_rows(&repo, "main", "people");
    // Staged and unstaged changes, and a table never staged.
    set_cell(&repo, "main", "people", 1, 2, int(31));
    repo.stage("main", None).unwrap();
    delete_row(&repo, "main", "people", 3);
    create_table(
        &repo,
        "main",
        "scratch",
        people_schema(),
        vec![person(9, "z", 1, "q")],
    );
    let wip = working_rows(&repo, "main", "people");

    let stash = repo
        .stash_push("main", Some("relabel"), false, &sig())
        .unwrap();
    assert_eq!(stash.name(), "stash@{0}");
    assert_eq!(stash.commit.message, "On main: relabel");
    assert_eq!(working_rows(&repo, "main", "people"), committed);
    let ws = repo.working_set("main").unwrap();
    let head_root = repo
        .commit_info(repo.resolve("main").unwrap())
        .unwrap()
        .root;
    assert_eq!(ws.staged, head_root, "nothing staged after a stash");
    // The untracked table stayed.
    assert_eq!(working_rows(&repo, "main", "scratch").len(), 1);

    // New work on another row, then pop: both.
    set_cell(&repo, "main", "people", 2, 3, text("nice"));
    let popped = repo.stash_apply("main", 0, StashApply::Drop).unwrap();
    assert_eq!(popped.addr, stash.addr);
    let rows = working_rows(&repo, "main", "people");
    assert_eq!(rows.len(), 2, "row 3's delete came back");
    assert_eq!(rows[0], wip[0]);
    assert_eq!(rows[1][3], text("nice"));
    assert!(repo.stashes().unwrap().is_empty());
    let err = repo.stash_apply("main", 0, StashApply::Keep).unwrap_err();
    assert!(err.to_string().contains("no stashes"), "{err}");
}

#[test]
fn apply_refuses_a_conflict_and_changes_nothing() {
    let repo = people_repo();
    set_cell(&repo, "main", "people", 1, 2, int(31));
    repo.stash_push("main", None, false, &sig()).unwrap();
    set_cell(&repo, "main", "people", 1, 2, int(99));
    let before = repo.working_set("main").unwrap();
    let err = repo
        .stash_apply("main", 0, StashApply::Drop)
        .unwrap_err()
        .to_string();
    assert!(err.contains("conflicts") && err.contains("people"), "{err}");
    assert_eq!(repo.working_set("main").unwrap(), before);
    assert_eq!(
        repo.stashes().unwrap().len(),
        1,
        "a refused pop keeps the stash"
    );
}

#[test]
fn the_stack_orders_newest_first_and_drops_by_index() {
    let repo = people_repo();
    let err = repo
        .stash_push("main", None, false, &sig())
        .unwrap_err()
        .to_string();
    assert!(err.contains("no local changes"), "{err}");
    for age in [1, 2, 3] {
        set_cell(&repo, "main", "people", 1, 2, int(age));
        repo.stash_push("main", Some(&format!("age {age}")), false, &sig())
            .unwrap();
        // Distinct stash times.
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let messages = |repo: &Repository| -> Vec<String> {
        repo.stashes()
            .unwrap()
            .into_iter()
            .map(|s| s.commit.message)
            .collect()
    };
    assert_eq!(
        messages(&repo),
        ["On main: age 3", "On main: age 2", "On main: age 1"]
    );
    repo.stash_drop(1).unwrap();
    assert_eq!(messages(&repo), ["On main: age 3", "On main: age 1"]);
    // Applied on another branch, kept.
    repo.stash_apply("feature", 1, StashApply::Keep).unwrap();
    assert_eq!(working_rows(&repo, "feature", "people")[0][2], int(1));
    assert_eq!(repo.stash_clear().unwrap(), 2);
    assert!(repo.stashes().unwrap().is_empty());
    assert_eq!(parse_stash_ref("stash@{4}").unwrap(), 4);
    assert_eq!(parse_stash_ref("2").unwrap(), 2);
    assert!(parse_stash_ref("stash@{x}").is_err());
}

#[test]
fn include_untracked_takes_new_tables_and_a_collection_keeps_stashes() {
    let dir = tempfile::tempdir().unwrap();
    let (store, repo) = disk_repo(dir.path());
    create_table(
        &repo,
        "main",
        "scratch",
        people_schema(),
        vec![person(9, "z", 1, "q")],
    );
    repo.stash_push("main", None, true, &sig()).unwrap();
    assert!(repo
        .working_root("main")
        .unwrap()
        .table_addr("scratch")
        .is_none());
    collect_now(&store);
    repo.stash_apply("main", 0, StashApply::Drop).unwrap();
    assert_eq!(working_rows(&repo, "main", "scratch").len(), 1);
}
