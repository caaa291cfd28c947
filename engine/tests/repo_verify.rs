//! Which tables a merge hands to the SQL layer's constraint verifier: only those whose merged
//! state (parents included, for a foreign key) neither side had, so a merge that takes one
//! side's table as it is never scans it.

mod repo_common;

use repo_common::*;
use vdb_engine::repo::verify::tables_to_verify;
use vdb_engine::repo::{merge_roots, Repository};
use vdb_engine::table::{CheckDef, FkAction, ForeignKeyDef, Schema};

fn checked_schema() -> Schema {
    let mut schema = people_schema();
    schema.checks.push(CheckDef {
        name: "adult".into(),
        expr: "age >= 18".into(),
        not_valid: false,
    });
    schema
}

fn child_schema(parent: &str) -> Schema {
    let mut schema = people_schema();
    let age = schema.columns[2].id;
    schema.foreign_keys.push(ForeignKeyDef {
        name: "fk".into(),
        columns: vec![age],
        ref_table: parent.into(),
        ref_columns: vec!["id".into()],
        on_delete: FkAction::NoAction,
        on_update: FkAction::NoAction,
        deferrable: false,
        initially_deferred: false,
        not_valid: false,
    });
    schema
}

/// (ours, theirs) roots after `ours` and `theirs` edit a common base, and their merge.
fn verified(
    repo: &Repository,
    ours: impl FnOnce(&Repository),
    theirs: impl FnOnce(&Repository),
) -> Vec<String> {
    ours(repo);
    commit_all(repo, "main", "ours");
    theirs(repo);
    commit_all(repo, "feature", "theirs");
    let root = |rev: &str| {
        let commit = repo.commit_info(repo.resolve(rev).unwrap()).unwrap();
        repo.root_value(commit.root).unwrap()
    };
    let (base, o, t) = (root("main~1"), root("main"), root("feature"));
    let merged = merge_roots(repo.node_store(), &base, &o, &t).unwrap();
    tables_to_verify(repo.node_store(), &o, &t, &merged.root).unwrap()
}

fn base() -> Repository {
    let repo = mem_repo();
    let rows = vec![person(1, "ann", 30, "oslo"), person(2, "bob", 40, "rome")];
    create_table(&repo, "main", "checked", checked_schema(), rows.clone());
    create_table(&repo, "main", "parent", people_schema(), rows);
    create_table(&repo, "main", "child", child_schema("parent"), vec![]);
    commit_all(&repo, "main", "base");
    repo.branch_create("feature", "main", false).unwrap();
    repo
}

#[test]
fn one_sided_changes_are_not_verified() {
    let repo = base();
    let tables = verified(
        &repo,
        |r| set_cell(r, "main", "checked", 1, 2, int(31)),
        |r| set_cell(r, "feature", "parent", 2, 3, text("nice")),
    );
    assert!(tables.is_empty(), "{tables:?}");
}

#[test]
fn a_table_both_sides_changed_and_a_child_whose_parent_moved_are() {
    let repo = base();
    let tables = verified(
        &repo,
        |r| {
            set_cell(r, "main", "checked", 1, 2, int(31));
            change_rows(r, "main", "child", |_| {
                vec![vdb_engine::table::RowChange::Insert(person(
                    9, "kid", 2, "x",
                ))]
            });
        },
        |r| {
            set_cell(r, "feature", "checked", 2, 2, int(41));
            delete_row(r, "feature", "parent", 2);
        },
    );
    assert_eq!(tables, ["checked", "child"]);
}
