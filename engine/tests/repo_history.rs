//! History scenarios, one per test: merge bases on a criss-cross history, revert and
//! cherry-pick, reset --hard, revision parsing (ancestors, second parents, hash prefixes and
//! their ambiguity), log order and ranges.

mod repo_common;

use repo_common::*;
use vdb_engine::repo::{
    merge_base, merge_bases, Commit, CommitOptions, MergeOptions, MergeOutcome, ResetMode,
    INIT_MESSAGE,
};
use vdb_engine::table::RowChange;
use vdb_engine::{Error, Hash};

/// A criss-cross: main and feature each merge the other's first commit, then both move on.
/// There are two best common ancestors (the two cross-merged commits); `merge_base` picks the
/// later one, and the final merge still merges cleanly.
#[test]
fn criss_cross_merge_base() {
    let repo = people_repo();
    set_cell(&repo, "main", "people", 1, 2, int(31));
    let m1 = commit_all(&repo, "main", "m1");
    set_cell(&repo, "feature", "people", 2, 2, int(41));
    let f1 = commit_all(&repo, "feature", "f1");
    // Cross merges: main takes f1, feature takes m1 (made before either merge commit exists).
    let mut opts = MergeOptions::new(sig());
    opts.no_ff = true;
    let MergeOutcome::Merged { commit: m2 } = repo.merge("main", &f1.to_hex(), &opts).unwrap()
    else {
        panic!("merge into main");
    };
    let MergeOutcome::Merged { commit: f2 } = repo.merge("feature", &m1.to_hex(), &opts).unwrap()
    else {
        panic!("merge into feature");
    };
    set_cell(&repo, "main", "people", 3, 2, int(51));
    let m3 = commit_all(&repo, "main", "m3");
    set_cell(&repo, "feature", "people", 3, 3, text("quito"));
    let f3 = commit_all(&repo, "feature", "f3");

    let store = repo.store().as_ref();
    let mut both = vec![m1, f1];
    both.sort();
    assert_eq!(merge_bases(store, m3, f3).unwrap(), both);
    assert_eq!(merge_bases(store, m2, f2).unwrap(), both);
    // Ties aside, the latest committer time wins: f1 was committed after m1.
    assert_eq!(merge_base(store, m3, f3).unwrap(), Some(f1));
    assert!(matches!(
        repo.merge("main", "feature", &MergeOptions::new(sig()))
            .unwrap(),
        MergeOutcome::Merged { .. }
    ));
    assert_eq!(
        rows_at(&repo, "main", "people"),
        vec![
            person(1, "ann", 31, "oslo"),
            person(2, "bob", 41, "rome"),
            person(3, "cat", 51, "quito"),
        ]
    );
}

/// Revert undoes one commit's change while keeping later ones; cherry-pick applies another
/// branch's commit with its author and message.
#[test]
fn revert_and_cherry_pick() {
    let repo = people_repo();
    set_cell(&repo, "main", "people", 1, 2, int(99));
    let bad = commit_all(&repo, "main", "oops");
    set_cell(&repo, "main", "people", 2, 2, int(41));
    commit_all(&repo, "main", "bob ages");
    let MergeOutcome::Merged { commit } = repo.revert("main", &bad.to_hex(), &sig()).unwrap()
    else {
        panic!("expected a revert commit");
    };
    let info = repo.commit_info(commit).unwrap();
    assert_eq!(info.parents.len(), 1);
    assert!(info.message.starts_with("Revert \"oops\""));
    let rows = rows_at(&repo, "main", "people");
    assert_eq!((rows[0][2].clone(), rows[1][2].clone()), (int(30), int(41)));

    change_rows(&repo, "feature", "people", |_| {
        vec![RowChange::Insert(person(9, "ivy", 9, "nice"))]
    });
    let picked = commit_all(&repo, "feature", "add ivy");
    let MergeOutcome::Merged { commit } = repo.cherry_pick("main", "feature", &sig()).unwrap()
    else {
        panic!("expected a cherry-picked commit");
    };
    let (orig, info) = (
        repo.commit_info(picked).unwrap(),
        repo.commit_info(commit).unwrap(),
    );
    assert_eq!(
        (info.message.as_str(), &info.author),
        ("add ivy", &orig.author)
    );
    assert_ne!(info.committer, orig.committer);
    assert_eq!(rows_at(&repo, "main", "people").len(), 4);
    // Picking it again changes nothing.
    assert_eq!(
        repo.cherry_pick("main", "feature", &sig()).unwrap(),
        MergeOutcome::UpToDate
    );
}

/// reset --hard moves the branch back and throws away staged and working changes; soft keeps
/// them staged.
#[test]
fn reset_hard_discards_changes() {
    let repo = people_repo();
    let before = repo.branch_head("main").unwrap();
    delete_row(&repo, "main", "people", 1);
    commit_all(&repo, "main", "drop ann");
    delete_row(&repo, "main", "people", 2);
    repo.reset("main", ResetMode::Soft, "HEAD~1").unwrap();
    assert_eq!(repo.branch_head("main").unwrap(), before);
    assert_eq!(
        working_rows(&repo, "main", "people").len(),
        1,
        "soft keeps work"
    );
    repo.reset("main", ResetMode::Hard, "HEAD").unwrap();
    assert_eq!(working_rows(&repo, "main", "people").len(), 3);
    let status = repo.status("main").unwrap();
    assert!(status.staged.is_empty() && status.unstaged.is_empty());
}

/// HEAD~n follows first parents, ^2 takes a merge's second parent, full hashes and unique
/// prefixes resolve, and unknown names fail with NotFound naming the revision.
#[test]
fn revision_parsing() {
    let repo = people_repo();
    let base = repo.branch_head("main").unwrap();
    set_cell(&repo, "feature", "people", 1, 2, int(1));
    let theirs = commit_all(&repo, "feature", "f");
    set_cell(&repo, "main", "people", 2, 2, int(2));
    let ours = commit_all(&repo, "main", "m");
    let MergeOutcome::Merged { commit: merge } = repo
        .merge("main", "feature", &MergeOptions::new(sig()))
        .unwrap()
    else {
        panic!("merge");
    };
    assert_eq!(repo.resolve("HEAD").unwrap(), merge);
    assert_eq!(repo.resolve("HEAD^").unwrap(), ours);
    assert_eq!(repo.resolve("HEAD^2").unwrap(), theirs);
    assert_eq!(repo.resolve("HEAD~2").unwrap(), base);
    assert_eq!(repo.resolve("main^2~1").unwrap(), base);
    assert_eq!(repo.resolve("HEAD^0").unwrap(), merge);
    assert_eq!(repo.resolve(&merge.to_hex()).unwrap(), merge);
    assert_eq!(repo.resolve(&merge.to_hex()[..10]).unwrap(), merge);
    assert_eq!(
        repo.resolve(&merge.to_hex()[..10].to_uppercase()).unwrap(),
        merge
    );
    let initial = repo.resolve("HEAD~3").unwrap();
    assert_eq!(repo.commit_info(initial).unwrap().message, INIT_MESSAGE);
    for (rev, needle) in [
        ("HEAD~4", "has no ancestor 4"),
        ("HEAD^3", "has no parent 3"),
        ("nosuch", "no branch or tag"),
        ("abcd0123", "no branch, tag or commit hash"),
    ] {
        match repo.resolve(rev) {
            Err(Error::NotFound(msg)) => assert!(msg.contains(needle), "{rev}: {msg}"),
            other => panic!("{rev}: {other:?}"),
        }
    }
    repo.tag_create("v1", "HEAD~1", Some((&sig(), "first")))
        .unwrap();
    assert_eq!(repo.resolve("v1").unwrap(), ours);
    assert!(matches!(
        repo.resolve("WORKING"),
        Err(Error::InvalidInput(_))
    ));
}

/// Two commits whose hashes share a 4-digit prefix make that prefix ambiguous: the error lists
/// both candidates; one more digit resolves it.
#[test]
fn ambiguous_prefix_lists_candidates() {
    let repo = mem_repo();
    let store = repo.store().as_ref();
    let head = repo.branch_head("main").unwrap();
    let root = repo.commit_info(head).unwrap().root;
    // A chain of commits, long enough that two share a 4-digit prefix (birthday bound ~300).
    let mut seen = std::collections::HashMap::new();
    let mut tip = head;
    let mut pair = None;
    for i in 0..2000 {
        let signature = sig();
        tip = Commit {
            root,
            parents: vec![tip],
            author: signature.clone(),
            committer: signature,
            message: format!("c{i}"),
        }
        .save(store)
        .unwrap();
        let prefix = tip.to_hex()[..4].to_string();
        if let Some(other) = seen.insert(prefix.clone(), tip) {
            pair = Some((prefix, other, tip));
            break;
        }
    }
    repo.branch_create("long", &tip.to_hex(), false).unwrap();
    let (prefix, a, b): (String, Hash, Hash) = pair.expect("a shared prefix");
    match repo.resolve(&prefix) {
        Err(Error::InvalidInput(msg)) => {
            assert!(msg.contains("ambiguous"), "{msg}");
            assert!(msg.contains(&a.to_hex()[..12]) && msg.contains(&b.to_hex()[..12]));
        }
        other => panic!("expected ambiguity, got {other:?}"),
    }
    let (ha, hb) = (a.to_hex(), b.to_hex());
    let digits = (4..40).find(|&n| ha[..n] != hb[..n]).unwrap_or(40);
    let longer = &ha[..digits];
    assert_eq!(repo.resolve(longer).unwrap(), a);
}

/// log walks newest first; `a..b` lists what b has that a lacks; `a...b` both sides' own.
#[test]
fn log_order_and_ranges() {
    let repo = people_repo();
    let mut empty = CommitOptions::new("m", sig());
    empty.allow_empty = true;
    let m = repo.commit("main", &empty).unwrap();
    set_cell(&repo, "feature", "people", 1, 1, text("feature"));
    let f = commit_all(&repo, "feature", "f");
    let log: Vec<String> = repo
        .log("main", None)
        .unwrap()
        .into_iter()
        .map(|(_, c)| c.message)
        .collect();
    assert_eq!(log, ["m", "add people", INIT_MESSAGE]);
    assert_eq!(repo.log("main", Some(1)).unwrap()[0].0, m);
    let only = |range: &str| -> Vec<Hash> {
        repo.log_range(range, None)
            .unwrap()
            .into_iter()
            .map(|(h, _)| h)
            .collect()
    };
    assert_eq!(only("main..feature"), vec![f]);
    assert_eq!(only("feature...main"), vec![f, m]);
    let diffs = repo.diff_range("main...feature").unwrap();
    assert_eq!(diffs.len(), 1, "only feature's change, from the merge base");
}
