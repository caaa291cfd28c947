//! Refs, branches, tags, durability and diff, one scenario per test: compare-and-swap races,
//! branch delete and rename rules, working sets and conflicts surviving a reopen of a disk
//! store, and cell-level diffs.

mod repo_common;

use repo_common::*;
use std::sync::Arc;
use vdb_engine::repo::{
    refs, CellChange, CommitOptions, MergeOptions, MergeOutcome, Repository, RowDiff, SchemaChange,
    TableChange,
};
use vdb_engine::store::{ChunkStore, DiskStore, DiskStoreOptions};
use vdb_engine::table::RowChange;
use vdb_engine::Error;

/// Two writers that read the same branch head both try to move it: the first wins, the second
/// gets a Conflict naming the ref, and the ref holds the winner's commit.
#[test]
fn ref_cas_race_has_one_winner() {
    let repo = people_repo();
    let store = repo.store().as_ref();
    let head = repo.branch_head("main").unwrap();
    let a = repo.resolve("HEAD~1").unwrap();
    let b = repo.branch_head("feature").unwrap();
    refs::update_ref(store, "refs/heads/main", Some(head), Some(a)).unwrap();
    match refs::update_ref(store, "refs/heads/main", Some(head), Some(b)) {
        Err(Error::Conflict(msg)) => assert!(msg.contains("refs/heads/main"), "{msg}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(repo.branch_head("main").unwrap(), a);
}

/// Two sessions commit from the same working set concurrently: the second commit's ref swap
/// loses (its expected head is stale) and nothing is overwritten.
#[test]
fn concurrent_commits_do_not_lose_updates() {
    let repo = people_repo();
    let other = Repository::open(repo.store().clone()).unwrap();
    delete_row(&repo, "main", "people", 1);
    repo.stage("main", None).unwrap();
    let first = repo
        .commit("main", &CommitOptions::new("one", sig()))
        .unwrap();
    // `other` saw the same head before `repo` committed: simulate by swapping from the old head.
    let old = repo.commit_info(first).unwrap().parents[0];
    let stale = other
        .commit_info(old)
        .unwrap()
        .save(other.store().as_ref())
        .unwrap();
    assert!(matches!(
        refs::update_ref(
            other.store().as_ref(),
            "refs/heads/main",
            Some(old),
            Some(stale)
        ),
        Err(Error::Conflict(_))
    ));
    assert_eq!(other.branch_head("main").unwrap(), first);
}

/// Two SQL sessions read the same working root and both try to write theirs: the working-set
/// compare-and-swap lets exactly one win; the loser is told (None) and nothing is overwritten.
#[test]
fn working_root_cas_has_one_winner() {
    let repo = people_repo();
    let start = repo.working_set("main").unwrap().working;
    let mut mine = repo.working_root("main").unwrap();
    let mut theirs = mine.clone();
    let ns = repo.node_store();
    for (root, id) in [(&mut mine, 1), (&mut theirs, 2)] {
        let table = root.must_get_table(ns, "people").unwrap();
        let key = table.encode_key_values(&[int(id)]).unwrap();
        let table = table.apply(vec![RowChange::Delete(key)]).unwrap();
        root.put_table("people", &table).unwrap();
    }
    let won = repo.set_working_root_if("main", start, &mine).unwrap();
    assert!(won.is_some());
    assert_eq!(
        repo.set_working_root_if("main", start, &theirs).unwrap(),
        None
    );
    assert_eq!(repo.working_set("main").unwrap().working, won.unwrap());
}

/// Branch rules: bad names are refused; deleting an unmerged branch needs force; the current
/// branch cannot be deleted; a rename carries the working set and HEAD along.
#[test]
fn branch_create_delete_rename() {
    let repo = people_repo();
    assert!(matches!(
        repo.branch_create("bad..name", "HEAD", false),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        repo.branch_create("feature", "HEAD", false),
        Err(Error::InvalidInput(_))
    ));
    delete_row(&repo, "feature", "people", 1);
    commit_all(&repo, "feature", "drop ann");
    match repo.branch_delete("feature", false) {
        Err(Error::InvalidInput(msg)) => assert!(msg.contains("not fully merged"), "{msg}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        repo.branch_delete("main", true),
        Err(Error::InvalidInput(_))
    ));
    set_cell(&repo, "feature", "people", 2, 1, text("uncommitted"));
    repo.branch_rename("feature", "topic", false).unwrap();
    assert!(matches!(
        repo.branch_head("feature"),
        Err(Error::NotFound(_))
    ));
    assert_eq!(
        working_rows(&repo, "topic", "people")[0][1],
        text("uncommitted")
    );
    repo.branch_rename("main", "trunk", false).unwrap();
    assert_eq!(repo.head_branch().unwrap(), "trunk");
    repo.branch_delete("topic", true).unwrap();
    let names: Vec<String> = repo
        .branches()
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["trunk"]);
}

/// Tags: lightweight and annotated both resolve to the commit; duplicates are refused.
#[test]
fn tags_resolve_and_delete() {
    let repo = people_repo();
    let head = repo.branch_head("main").unwrap();
    repo.tag_create("light", "HEAD", None).unwrap();
    let object = repo
        .tag_create("v1.0", "HEAD", Some((&sig(), "release")))
        .unwrap();
    assert_ne!(object, head);
    assert_eq!(repo.resolve("light").unwrap(), head);
    assert_eq!(repo.resolve("v1.0").unwrap(), head);
    assert!(repo.tag_create("light", "HEAD", None).is_err());
    repo.tag_delete("light").unwrap();
    assert!(matches!(repo.resolve("light"), Err(Error::NotFound(_))));
    assert_eq!(repo.tags().unwrap().len(), 1);
}

/// Uncommitted edits and an unresolved merge (its conflicts and merge state) survive closing
/// and reopening a disk store.
#[test]
fn working_sets_survive_reopen_on_disk_store() {
    let dir = tempfile::tempdir().unwrap();
    let open = || -> Arc<dyn ChunkStore> {
        Arc::new(DiskStore::open(dir.path(), DiskStoreOptions::default()).unwrap())
    };
    {
        let repo = Repository::init(open(), "main", &sig()).unwrap();
        create_table(
            &repo,
            "main",
            "people",
            people_schema(),
            vec![person(1, "ann", 30, "oslo")],
        );
        commit_all(&repo, "main", "people");
        repo.branch_create("feature", "main", false).unwrap();
        set_cell(&repo, "main", "people", 1, 3, text("paris"));
        commit_all(&repo, "main", "paris");
        set_cell(&repo, "feature", "people", 1, 3, text("berlin"));
        commit_all(&repo, "feature", "berlin");
        let outcome = repo
            .merge("main", "feature", &MergeOptions::new(sig()))
            .unwrap();
        assert!(matches!(outcome, MergeOutcome::Conflicts { .. }));
        // An uncommitted edit on another branch.
        change_rows(&repo, "feature", "people", |_| {
            vec![RowChange::Insert(person(2, "bob", 40, "rome"))]
        });
    }
    let repo = Repository::open(open()).unwrap();
    let status = repo.status("main").unwrap();
    assert!(status.merge.is_some());
    assert_eq!(status.conflicts.get("people"), Some(&1));
    let conflict = &repo.conflicts("main", "people").unwrap()[0];
    assert_eq!(conflict.theirs, Some(person(1, "ann", 30, "berlin")));
    assert_eq!(working_rows(&repo, "feature", "people").len(), 2);
    assert_eq!(repo.status("feature").unwrap().unstaged.len(), 1);
}

/// A diff between revisions reports schema changes by column id and cell-level row changes;
/// WORKING diffs against uncommitted edits.
#[test]
fn diff_reports_schema_and_cell_changes() {
    let repo = people_repo();
    set_cell(&repo, "main", "people", 2, 3, text("paris"));
    delete_row(&repo, "main", "people", 3);
    edit_root(&repo, "main", |repo, root| {
        let table = root.must_get_table(repo.node_store(), "people").unwrap();
        let mut schema = table.schema().clone();
        schema.columns[3].name = "town".into();
        root.put_table("people", &table.with_schema(schema).unwrap())
            .unwrap();
    });
    create_table(&repo, "main", "extra", people_schema(), vec![]);
    let diffs = repo.diff("HEAD", "WORKING").unwrap();
    assert_eq!(diffs.len(), 2);
    assert_eq!(
        (diffs[0].name.as_str(), diffs[0].change),
        ("extra", TableChange::Added)
    );
    let people = &diffs[1];
    assert_eq!(
        people.schema_changes,
        vec![SchemaChange::ColumnRenamed {
            from: "city".into(),
            to: "town".into()
        }]
    );
    let rows: Vec<RowDiff> = people
        .rows(repo.node_store())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let RowDiff::Modified { cells, .. } = &rows[0] else {
        panic!("{:?}", rows[0]);
    };
    assert_eq!(
        cells,
        &vec![CellChange {
            column: "town".into(),
            old: text("rome"),
            new: text("paris")
        }]
    );
    assert!(matches!(&rows[1], RowDiff::Deleted { row, .. } if row[0] == int(3)));
}
