//! Merge scenarios through `Repository::merge`, one per test: clean merges, cell conflicts and
//! their resolution, delete against modify, schema conflicts, schema changes that merge,
//! fast-forward, keyless tables and constraint violations.

mod repo_common;

use repo_common::*;
use vdb_engine::repo::{CommitOptions, MergeOptions, MergeOutcome, Side, ViolationKind};
use vdb_engine::table::{RowChange, Schema};
use vdb_engine::value::{Type, Value};
use vdb_engine::Error;

fn merge(repo: &vdb_engine::repo::Repository, rev: &str) -> MergeOutcome {
    repo.merge("main", rev, &MergeOptions::new(sig())).unwrap()
}

/// Edits on both branches to different rows merge into a commit with two parents that holds
/// the rows of both sides.
#[test]
fn clean_merge_has_two_parents_and_rows_from_both() {
    let repo = people_repo();
    set_cell(&repo, "main", "people", 1, 2, int(31));
    let ours = commit_all(&repo, "main", "ann ages");
    change_rows(&repo, "feature", "people", |_| {
        vec![RowChange::Insert(person(4, "dan", 20, "kiev"))]
    });
    let theirs = commit_all(&repo, "feature", "add dan");

    let MergeOutcome::Merged { commit } = merge(&repo, "feature") else {
        panic!("expected a merge commit");
    };
    let info = repo.commit_info(commit).unwrap();
    assert_eq!(info.parents, vec![ours, theirs]);
    assert_eq!(info.message, "Merge feature into main");
    assert_eq!(
        rows_at(&repo, "main", "people"),
        vec![
            person(1, "ann", 31, "oslo"),
            person(2, "bob", 40, "rome"),
            person(3, "cat", 50, "lima"),
            person(4, "dan", 20, "kiev"),
        ]
    );
    // Merging again has nothing to do.
    assert_eq!(merge(&repo, "feature"), MergeOutcome::UpToDate);
}

/// Builds the same-cell conflict: main sets bob's city to paris, feature to berlin.
fn cell_conflict() -> vdb_engine::repo::Repository {
    let repo = people_repo();
    set_cell(&repo, "main", "people", 2, 3, text("paris"));
    set_cell(&repo, "main", "people", 1, 1, text("anne"));
    commit_all(&repo, "main", "bob to paris");
    set_cell(&repo, "feature", "people", 2, 3, text("berlin"));
    set_cell(&repo, "feature", "people", 3, 2, int(51));
    commit_all(&repo, "feature", "bob to berlin");
    repo
}

/// The same cell changed differently is a conflict: the row keeps ours, base/ours/theirs are
/// recorded, the other changes merge, and commit is refused until the conflict is resolved;
/// resolving with ours then commits a two-parent merge.
#[test]
fn cell_conflict_resolved_with_ours() {
    let repo = cell_conflict();
    let outcome = merge(&repo, "feature");
    let MergeOutcome::Conflicts { conflicts, .. } = outcome else {
        panic!("expected conflicts, got {outcome:?}");
    };
    assert_eq!(conflicts.get("people"), Some(&1));
    let rows = repo.conflicts("main", "people").unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].base, Some(person(2, "bob", 40, "rome")));
    assert_eq!(rows[0].ours, Some(person(2, "bob", 40, "paris")));
    assert_eq!(rows[0].theirs, Some(person(2, "bob", 40, "berlin")));
    assert_eq!(
        working_rows(&repo, "main", "people"),
        vec![
            person(1, "anne", 30, "oslo"),
            person(2, "bob", 40, "paris"),
            person(3, "cat", 51, "lima"),
        ]
    );
    let status = repo.status("main").unwrap();
    assert!(status.merge.is_some());
    assert_eq!(status.conflicts.get("people"), Some(&1));
    assert!(matches!(
        repo.commit("main", &CommitOptions::new("", sig())),
        Err(Error::Conflict(_))
    ));

    assert_eq!(
        repo.resolve_conflicts("main", "people", Side::Ours, None)
            .unwrap(),
        1
    );
    repo.stage("main", None).unwrap();
    let commit = repo.commit("main", &CommitOptions::new("", sig())).unwrap();
    assert_eq!(repo.commit_info(commit).unwrap().parents.len(), 2);
    assert_eq!(
        rows_at(&repo, "main", "people")[1],
        person(2, "bob", 40, "paris")
    );
    assert!(repo.status("main").unwrap().merge.is_none());
}

/// Resolving the same conflict with theirs takes their row, by key.
#[test]
fn cell_conflict_resolved_with_theirs() {
    let repo = cell_conflict();
    merge(&repo, "feature");
    let key = repo.conflicts("main", "people").unwrap()[0].key.clone();
    repo.resolve_conflicts("main", "people", Side::Theirs, Some(&[key]))
        .unwrap();
    assert!(repo.conflicts("main", "people").unwrap().is_empty());
    commit_all(&repo, "main", "merged feature");
    assert_eq!(
        rows_at(&repo, "main", "people"),
        vec![
            person(1, "anne", 30, "oslo"),
            person(2, "bob", 40, "berlin"),
            person(3, "cat", 51, "lima"),
        ]
    );
}

/// Different cells of the same row changed on each side merge into one row.
#[test]
fn different_cells_of_one_row_merge() {
    let repo = people_repo();
    set_cell(&repo, "main", "people", 2, 2, int(41));
    commit_all(&repo, "main", "bob ages");
    set_cell(&repo, "feature", "people", 2, 3, text("berlin"));
    commit_all(&repo, "feature", "bob moves");
    assert!(matches!(
        merge(&repo, "feature"),
        MergeOutcome::Merged { .. }
    ));
    assert_eq!(
        rows_at(&repo, "main", "people")[1],
        person(2, "bob", 41, "berlin")
    );
}

/// Deleting a row on one side and modifying it on the other is a conflict with no ours.
#[test]
fn delete_against_modify_conflicts() {
    let repo = people_repo();
    delete_row(&repo, "main", "people", 3);
    commit_all(&repo, "main", "drop cat");
    set_cell(&repo, "feature", "people", 3, 2, int(51));
    commit_all(&repo, "feature", "cat ages");
    let MergeOutcome::Conflicts { conflicts, .. } = merge(&repo, "feature") else {
        panic!("expected conflicts");
    };
    assert_eq!(conflicts.get("people"), Some(&1));
    let row = &repo.conflicts("main", "people").unwrap()[0];
    assert_eq!(row.ours, None);
    assert_eq!(row.theirs, Some(person(3, "cat", 51, "lima")));
    assert_eq!(working_rows(&repo, "main", "people").len(), 2, "keeps ours");
    // Aborting returns main's working set to its head.
    repo.merge_abort("main").unwrap();
    assert_eq!(working_rows(&repo, "main", "people").len(), 2);
    assert!(repo.status("main").unwrap().merge.is_none());
}

/// The same column retyped differently on each side is a schema conflict: the merge stops
/// before the rows, keeping our table untouched (their row edit is not applied).
#[test]
fn schema_conflict_stops_before_rows() {
    let repo = people_repo();
    let retype = |repo: &vdb_engine::repo::Repository, branch: &str, ty: Type, age: Value| {
        edit_root(repo, branch, |repo, root| {
            let table = root.must_get_table(repo.node_store(), "people").unwrap();
            let mut schema: Schema = table.schema().clone();
            schema.columns[2].ty = ty;
            let empty = vdb_engine::table::Table::create(repo.node_store(), schema).unwrap();
            let rows = table.scan().unwrap().map(|r| {
                let (_, mut row) = r.unwrap();
                row[2] = age.clone();
                RowChange::Insert(row)
            });
            root.put_table("people", &empty.apply(rows.collect::<Vec<_>>()).unwrap())
                .unwrap();
        });
    };
    retype(&repo, "main", Type::Text, text("old"));
    commit_all(&repo, "main", "age as text");
    retype(&repo, "feature", Type::Float8, Value::Float8(1.5));
    set_cell(&repo, "feature", "people", 1, 1, text("changed"));
    commit_all(&repo, "feature", "age as float");
    let MergeOutcome::Conflicts {
        conflicts,
        schema_conflicts,
        ..
    } = merge(&repo, "feature")
    else {
        panic!("expected a schema conflict");
    };
    assert!(conflicts.is_empty());
    assert_eq!(schema_conflicts.len(), 1);
    assert!(
        schema_conflicts[0]
            .description
            .contains("column age was changed differently"),
        "{}",
        schema_conflicts[0].description
    );
    assert_eq!(working_rows(&repo, "main", "people")[0][1], text("ann"));
    // Taking theirs replaces the whole table.
    repo.resolve_conflicts("main", "people", Side::Theirs, None)
        .unwrap();
    assert_eq!(working_rows(&repo, "main", "people")[0][1], text("changed"));
}

/// Adds column `column` of type `ty` to people on `branch`, setting it to `value` in row `id`.
fn add_column(
    repo: &vdb_engine::repo::Repository,
    branch: &str,
    column: &str,
    ty: Type,
    id: i64,
    value: Value,
) {
    edit_root(repo, branch, |repo, root| {
        let table = root.must_get_table(repo.node_store(), "people").unwrap();
        let mut schema = table.schema().clone();
        schema.add_column(column, ty, true, None).unwrap();
        let mut table = table.with_schema(schema).unwrap();
        let key = table.encode_key_values(&[int(id)]).unwrap();
        let mut row = table.get(&key).unwrap().unwrap();
        *row.last_mut().unwrap() = value;
        table = table.apply([RowChange::Update { key, row }]).unwrap();
        root.put_table("people", &table).unwrap();
    });
}

/// The people schema in the working root of `branch`.
fn people_schema_at(repo: &vdb_engine::repo::Repository, branch: &str) -> Schema {
    let root = repo.working_root(branch).unwrap();
    let table = root.must_get_table(repo.node_store(), "people").unwrap();
    table.schema().clone()
}

/// A different column added on each side (each with its own derived id) merges into both
/// columns, each side's values in its own column.
#[test]
fn columns_added_on_both_sides_merge() {
    let repo = people_repo();
    let add = |branch: &str, column: &str, id: i64, value: Value| {
        add_column(&repo, branch, column, Type::Text, id, value);
    };
    add("main", "email", 1, text("ann@x"));
    set_cell(&repo, "main", "people", 3, 2, int(52));
    commit_all(&repo, "main", "add email");
    add("feature", "phone", 2, text("555"));
    set_cell(&repo, "feature", "people", 3, 3, text("quito"));
    commit_all(&repo, "feature", "add phone");
    assert!(matches!(
        merge(&repo, "feature"),
        MergeOutcome::Merged { .. }
    ));
    let root = repo.working_root("main").unwrap();
    let table = root.must_get_table(repo.node_store(), "people").unwrap();
    let names: Vec<&str> = table.schema().columns.iter().map(|c| &*c.name).collect();
    assert_eq!(names, ["id", "name", "age", "city", "email", "phone"]);
    let null = Value::Null;
    assert_eq!(
        table_rows(&repo, &root, "people"),
        vec![
            vec![
                int(1),
                text("ann"),
                int(30),
                text("oslo"),
                text("ann@x"),
                null.clone()
            ],
            vec![
                int(2),
                text("bob"),
                int(40),
                text("rome"),
                null.clone(),
                text("555")
            ],
            vec![
                int(3),
                text("cat"),
                int(52),
                text("quito"),
                null.clone(),
                null
            ],
        ]
    );
}

/// (a) A branch merged twice. main adds email and feature adds phone; feature is merged; then
/// feature adds note, changes a phone number and is merged again. With ids from a per-table
/// counter, email and phone both got the next id and phone was renumbered in main, so the
/// second merge saw feature's phone id as main's email. Derived ids are the same on both
/// branches, so the second merge only adds note and takes the new phone number.
#[test]
fn branch_merged_twice_keeps_its_columns_apart() {
    let repo = people_repo();
    add_column(&repo, "main", "email", Type::Text, 1, text("ann@x"));
    commit_all(&repo, "main", "add email");
    add_column(&repo, "feature", "phone", Type::Text, 2, text("555"));
    commit_all(&repo, "feature", "add phone");
    assert!(matches!(
        merge(&repo, "feature"),
        MergeOutcome::Merged { .. }
    ));
    add_column(&repo, "feature", "note", Type::Text, 3, text("hi"));
    set_cell(&repo, "feature", "people", 2, 4, text("556"));
    commit_all(&repo, "feature", "add note, bob's new phone");
    assert!(matches!(
        merge(&repo, "feature"),
        MergeOutcome::Merged { .. }
    ));
    let merged = people_schema_at(&repo, "main");
    let names: Vec<&str> = merged.columns.iter().map(|c| &*c.name).collect();
    assert_eq!(
        names,
        ["id", "name", "age", "city", "email", "phone", "note"]
    );
    let feature = people_schema_at(&repo, "feature");
    for column in &feature.columns {
        assert_eq!(merged.must_get_column(&column.name).unwrap().id, column.id);
    }
    let null = Value::Null;
    let rows = working_rows(&repo, "main", "people");
    assert_eq!(rows[0][4..], [text("ann@x"), null.clone(), null.clone()]);
    assert_eq!(rows[1][4..], [null.clone(), text("556"), null.clone()]);
    assert_eq!(rows[2][4..], [null.clone(), null, text("hi")]);
}

/// (b) The same column (same name and type) added on both sides has the same id on both, so
/// it merges into one column holding both sides' values.
#[test]
fn same_column_added_on_both_sides_merges_into_one() {
    let repo = people_repo();
    add_column(&repo, "main", "email", Type::Text, 1, text("ann@x"));
    commit_all(&repo, "main", "add email");
    add_column(&repo, "feature", "email", Type::Text, 2, text("bob@x"));
    commit_all(&repo, "feature", "add email too");
    assert!(matches!(
        merge(&repo, "feature"),
        MergeOutcome::Merged { .. }
    ));
    let rows = working_rows(&repo, "main", "people");
    let emails: Vec<&Value> = rows.iter().map(|r| &r[4]).collect();
    assert_eq!(emails, [&text("ann@x"), &text("bob@x"), &Value::Null]);
    assert_eq!(rows[0].len(), 5);
}

/// (c) The same name added on both sides with different types is two columns with one name:
/// a schema conflict.
#[test]
fn same_name_added_with_different_types_is_a_schema_conflict() {
    let repo = people_repo();
    add_column(&repo, "main", "rank", Type::Int8, 1, int(1));
    commit_all(&repo, "main", "rank as bigint");
    add_column(&repo, "feature", "rank", Type::Text, 2, text("first"));
    commit_all(&repo, "feature", "rank as text");
    let MergeOutcome::Conflicts {
        schema_conflicts, ..
    } = merge(&repo, "feature")
    else {
        panic!("expected a schema conflict");
    };
    assert_eq!(schema_conflicts.len(), 1);
    assert_eq!(
        schema_conflicts[0].description,
        "column rank was added on both sides with different definitions \
         (ours: rank bigint; theirs: rank text)"
    );
}

/// When main has not moved, merging a branch that has moves main to it without a commit.
#[test]
fn fast_forward_moves_the_branch() {
    let repo = people_repo();
    delete_row(&repo, "feature", "people", 1);
    let tip = commit_all(&repo, "feature", "drop ann");
    assert_eq!(
        merge(&repo, "feature"),
        MergeOutcome::FastForward { commit: tip }
    );
    assert_eq!(repo.branch_head("main").unwrap(), tip);
    assert_eq!(working_rows(&repo, "main", "people").len(), 2);
    // With no_ff, a merge commit is made instead.
    let repo = people_repo();
    delete_row(&repo, "feature", "people", 1);
    let tip = commit_all(&repo, "feature", "drop ann");
    let mut opts = MergeOptions::new(sig());
    opts.no_ff = true;
    let MergeOutcome::Merged { commit } = repo.merge("main", "feature", &opts).unwrap() else {
        panic!("expected a merge commit");
    };
    assert_eq!(repo.commit_info(commit).unwrap().parents[1], tip);
}

/// Keyless tables merge by their hidden row ids: rows inserted on both sides are all kept,
/// and an update on one side and an insert on the other both land.
#[test]
fn keyless_table_merges() {
    let repo = mem_repo();
    let schema = Schema::new(&[("a", Type::Int8, true), ("b", Type::Text, true)], &[]).unwrap();
    create_table(&repo, "main", "log", schema, vec![vec![int(1), text("x")]]);
    commit_all(&repo, "main", "log");
    repo.branch_create("feature", "main", false).unwrap();
    change_rows(&repo, "main", "log", |t| {
        let (key, _) = t.scan().unwrap().next().unwrap().unwrap();
        vec![
            RowChange::Update {
                key,
                row: vec![int(1), text("y")],
            },
            RowChange::Insert(vec![int(2), text("main")]),
        ]
    });
    commit_all(&repo, "main", "main edits");
    change_rows(&repo, "feature", "log", |_| {
        vec![RowChange::Insert(vec![int(3), text("feature")])]
    });
    commit_all(&repo, "feature", "feature edits");
    assert!(matches!(
        merge(&repo, "feature"),
        MergeOutcome::Merged { .. }
    ));
    let mut rows = rows_at(&repo, "main", "log");
    rows.sort_by(|a, b| a[0].sql_cmp(&b[0]));
    assert_eq!(
        rows,
        vec![
            vec![int(1), text("y")],
            vec![int(2), text("main")],
            vec![int(3), text("feature")],
        ]
    );
}

/// Rows that are fine on each side but share a UNIQUE value after the merge are recorded as
/// violations (both rows), and commit refuses until the table is fixed and staged.
#[test]
fn merge_creating_unique_violation_is_recorded() {
    let repo = mem_repo();
    create_table(
        &repo,
        "main",
        "people",
        people_unique_name_schema(),
        vec![person(1, "ann", 30, "oslo")],
    );
    commit_all(&repo, "main", "people");
    repo.branch_create("feature", "main", false).unwrap();
    change_rows(&repo, "main", "people", |_| {
        vec![RowChange::Insert(person(2, "zed", 1, "a"))]
    });
    commit_all(&repo, "main", "zed 2");
    change_rows(&repo, "feature", "people", |_| {
        vec![RowChange::Insert(person(3, "zed", 2, "b"))]
    });
    commit_all(&repo, "feature", "zed 3");
    let MergeOutcome::Conflicts { violations, .. } = merge(&repo, "feature") else {
        panic!("expected violations");
    };
    assert_eq!(violations.len(), 2);
    assert!(violations.iter().all(|v| v.kind
        == ViolationKind::Unique {
            index: "people_name_key".into()
        }));
    assert_eq!(
        working_rows(&repo, "main", "people").len(),
        3,
        "both rows are kept"
    );
    assert!(matches!(
        repo.commit("main", &CommitOptions::new("", sig())),
        Err(Error::Conflict(_))
    ));
    set_cell(&repo, "main", "people", 3, 1, text("zoe"));
    repo.stage("main", Some(&["people"])).unwrap();
    let commit = repo.commit("main", &CommitOptions::new("", sig())).unwrap();
    assert_eq!(repo.commit_info(commit).unwrap().parents.len(), 2);
}

/// A squash merge puts the merged rows in the working and staged roots without committing;
/// the commit that follows has one parent.
#[test]
fn squash_merge_stages_without_committing() {
    let repo = people_repo();
    set_cell(&repo, "main", "people", 1, 2, int(31));
    let head = commit_all(&repo, "main", "ann ages");
    delete_row(&repo, "feature", "people", 3);
    commit_all(&repo, "feature", "drop cat");
    let mut opts = MergeOptions::new(sig());
    opts.squash = true;
    let outcome = repo.merge("main", "feature", &opts).unwrap();
    assert!(matches!(outcome, MergeOutcome::Squashed { .. }));
    assert_eq!(repo.branch_head("main").unwrap(), head);
    assert_eq!(repo.status("main").unwrap().staged.len(), 1);
    let commit = repo
        .commit("main", &CommitOptions::new("squashed feature", sig()))
        .unwrap();
    assert_eq!(repo.commit_info(commit).unwrap().parents, vec![head]);
    assert_eq!(rows_at(&repo, "main", "people").len(), 2);
}

/// A merge refuses to start over uncommitted changes, and a second merge refuses while one is
/// in progress; both say what to do.
#[test]
fn merge_refuses_uncommitted_changes() {
    let repo = cell_conflict();
    set_cell(&repo, "main", "people", 3, 1, text("dirty"));
    match repo.merge("main", "feature", &MergeOptions::new(sig())) {
        Err(Error::Conflict(msg)) => assert!(msg.contains("uncommitted changes"), "{msg}"),
        other => panic!("{other:?}"),
    }
    repo.reset("main", vdb_engine::repo::ResetMode::Hard, "HEAD")
        .unwrap();
    merge(&repo, "feature");
    match repo.merge("main", "feature", &MergeOptions::new(sig())) {
        Err(Error::Conflict(msg)) => assert!(msg.contains("merge is in progress"), "{msg}"),
        other => panic!("{other:?}"),
    }
}
