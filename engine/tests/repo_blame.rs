//! Blame: the commit that last changed each row, on linear histories against a model (the
//! last commit that set each key's value) and across a merge.

mod repo_common;

use std::collections::BTreeMap;

use proptest::prelude::*;
use repo_common::*;
use vdb_engine::repo::CommitOptions;
use vdb_engine::repo::{blame, MergeOptions, MergeOutcome};
use vdb_engine::table::RowChange;
use vdb_engine::value::Value;
use vdb_engine::Hash;

/// Blame of `people` at `rev`, by integer id.
fn blame_by_id(repo: &vdb_engine::repo::Repository, rev: &str) -> BTreeMap<i64, Hash> {
    let start = repo.resolve(rev).unwrap();
    let commit = repo.commit_info(start).unwrap();
    let table = repo
        .root_value(commit.root)
        .unwrap()
        .must_get_table(repo.node_store(), "people")
        .unwrap();
    let blamed = blame(repo, start, "people").unwrap().expect("table exists");
    let mut by_id = BTreeMap::new();
    for row in table.scan().unwrap() {
        let Value::Int8(id) = row.unwrap().1[0] else {
            panic!("integer id");
        };
        let key = table.encode_key_values(&[int(id)]).unwrap();
        by_id.insert(id, blamed[&key]);
    }
    assert_eq!(by_id.len(), blamed.len(), "one blame per row, no more");
    by_id
}

#[test]
fn merge_hands_each_row_to_the_side_that_changed_it() {
    let repo = people_repo();
    let initial = repo.resolve("main").unwrap();
    set_cell(&repo, "main", "people", 1, 2, int(31));
    let ours = commit_all(&repo, "main", "ann ages");
    set_cell(&repo, "feature", "people", 2, 3, text("nice"));
    change_rows(&repo, "feature", "people", |_| {
        vec![RowChange::Insert(person(4, "dan", 20, "bern"))]
    });
    let theirs = commit_all(&repo, "feature", "bob moves, dan arrives");
    let MergeOutcome::Merged { commit: merge } = repo
        .merge("main", "feature", &MergeOptions::new(sig()))
        .unwrap()
    else {
        panic!("a clean merge commit");
    };
    let blamed = blame_by_id(&repo, "main");
    assert_eq!(
        blamed,
        BTreeMap::from([(1, ours), (2, theirs), (3, initial), (4, theirs)])
    );
    assert!(
        !blamed.values().any(|c| *c == merge),
        "the merge changed nothing itself"
    );

    // Deleted and inserted again: blamed on the insert.
    delete_row(&repo, "main", "people", 3);
    let deleted = commit_all(&repo, "main", "cat leaves");
    change_rows(&repo, "main", "people", |_| {
        vec![RowChange::Insert(person(3, "cat", 50, "lima"))]
    });
    let back = commit_all(&repo, "main", "cat is back");
    assert_ne!(deleted, back);
    assert_eq!(blame_by_id(&repo, "main")[&3], back);
    // An older revision is blamed as it was.
    assert_eq!(blame_by_id(&repo, "HEAD~2")[&3], initial);
}

#[test]
fn a_table_the_revision_lacks_has_no_blame() {
    let repo = people_repo();
    let head = repo.resolve("main").unwrap();
    assert!(blame(&repo, head, "nope").unwrap().is_none());
}

/// One commit's edits: (id in 0..12, Some(age) to upsert or None to delete).
fn commit_edits() -> impl Strategy<Value = Vec<(i64, Option<i64>)>> {
    prop::collection::vec((0..12i64, prop::option::weighted(0.8, 0..3i64)), 1..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    /// On a linear history, each row is blamed on the last commit that changed its value
    /// (writing the same value again is no change, as the diff sees it).
    #[test]
    fn linear_history_agrees_with_model(commits in prop::collection::vec(commit_edits(), 1..8)) {
        let repo = mem_repo();
        create_table(&repo, "main", "people", people_schema(), Vec::new());
        commit_all(&repo, "main", "empty people");
        // id -> (age, commit that set it)
        let mut model: BTreeMap<i64, (i64, Option<Hash>)> = BTreeMap::new();
        for edits in commits {
            let mut touched = Vec::new();
            change_rows(&repo, "main", "people", |t| {
                let mut changes = Vec::new();
                let mut state: BTreeMap<i64, Option<i64>> = BTreeMap::new();
                for (id, age) in &edits {
                    state.insert(*id, *age);
                }
                for (id, age) in state {
                    let key = t.encode_key_values(&[int(id)]).unwrap();
                    let exists = t.get(&key).unwrap().is_some();
                    match (age, exists) {
                        (Some(age), false) => changes.push(RowChange::Insert(person(id, "p", age, "c"))),
                        (Some(age), true) => changes.push(RowChange::Update { key, row: person(id, "p", age, "c") }),
                        (None, true) => changes.push(RowChange::Delete(key)),
                        (None, false) => continue,
                    }
                    touched.push((id, age));
                }
                changes
            });
            repo.stage("main", None).unwrap();
            let mut options = CommitOptions::new("edit", sig());
            options.allow_empty = true;
            let commit = repo.commit("main", &options).unwrap();
            for (id, age) in touched {
                match age {
                    Some(age) => {
                        let unchanged = model.get(&id).is_some_and(|(old, _)| *old == age);
                        if !unchanged {
                            model.insert(id, (age, Some(commit)));
                        }
                    }
                    None => {
                        model.remove(&id);
                    }
                }
            }
        }
        let want: BTreeMap<i64, Hash> = model
            .into_iter()
            .map(|(id, (_, commit))| (id, commit.expect("set by a commit")))
            .collect();
        prop_assert_eq!(blame_by_id(&repo, "main"), want);
    }
}

/// Blame reads the table once (its rows are the answer) and then, per commit of history, only
/// the paths to what that commit changed: on a 20,000-row table with 20 one-row commits, its
/// node loads stay within one full scan plus a few root-to-leaf paths per commit (counted with
/// `NodeStore::stats`, not timed).
#[test]
fn blame_cost_is_one_scan_plus_the_changes() {
    const ROWS: i64 = 20_000;
    const COMMITS: i64 = 20;
    let repo = mem_repo();
    let rows = (0..ROWS)
        .map(|id| person(id, &format!("person {id:06}"), id, "x"))
        .collect();
    create_table(&repo, "main", "people", people_schema(), rows);
    commit_all(&repo, "main", "load");
    for i in 0..COMMITS {
        set_cell(
            &repo,
            "main",
            "people",
            i * (ROWS / COMMITS),
            2,
            int(-i - 1),
        );
        commit_all(&repo, "main", "fix one");
    }
    let head = repo.resolve("main").unwrap();
    let table = repo
        .root_value(repo.commit_info(head).unwrap().root)
        .unwrap()
        .must_get_table(repo.node_store(), "people")
        .unwrap();
    let ns = repo.node_store();

    let before = ns.stats().loads;
    assert_eq!(table.rows().iter().unwrap().count() as i64, ROWS);
    let scan = ns.stats().loads - before;

    let before = ns.stats().loads;
    let blamed = blame(&repo, head, "people").unwrap().unwrap();
    let loads = ns.stats().loads - before;
    assert_eq!(blamed.len() as i64, ROWS);
    // Each commit's step diffs two trees that differ in one row: a path of depth + 1 nodes in
    // each, and at most as many again where the edit moved a chunk boundary, plus the table
    // roots read on the way. A blame that read the table at every commit would load
    // 21 scans' worth.
    let depth = table.rows().depth() as u64;
    let per_commit = 4 * (depth + 2);
    let bound = scan + (COMMITS as u64 + 1) * per_commit;
    println!("blame: {loads} loads; scan {scan}; depth {depth}; bound {bound}");
    assert!(loads <= bound, "blame loaded {loads} nodes, bound {bound}");
    assert!(loads < 3 * scan, "blame must not read the table per commit");
}
