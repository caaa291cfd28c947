//! Helpers shared by the repository tests: a repository in memory, a small `people` table,
//! edits committed at increasing times, and row listings.
#![allow(dead_code)]

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use vdb_engine::repo::{CommitOptions, Repository, Signature};
use vdb_engine::store::MemoryStore;
use vdb_engine::table::{IndexDef, RootValue, RowChange, Schema, Table};
use vdb_engine::value::{Type, Value};
use vdb_engine::Hash;

static CLOCK: AtomicI64 = AtomicI64::new(1_700_000_000_000);

/// A signature one second later than the previous one, so commit order is deterministic.
pub fn sig() -> Signature {
    Signature::new(
        "Ada",
        "ada@example.com",
        CLOCK.fetch_add(1000, Ordering::Relaxed),
    )
}

pub fn mem_repo() -> Repository {
    Repository::init(Arc::new(MemoryStore::new()), "main", &sig()).unwrap()
}

pub fn int(v: i64) -> Value {
    Value::Int8(v)
}

pub fn text(v: &str) -> Value {
    Value::Text(v.to_string())
}

/// people(id int8 primary key, name text, age int8, city text), all but id nullable.
pub fn people_schema() -> Schema {
    Schema::new(
        &[
            ("id", Type::Int8, false),
            ("name", Type::Text, true),
            ("age", Type::Int8, true),
            ("city", Type::Text, true),
        ],
        &["id"],
    )
    .unwrap()
}

pub fn person(id: i64, name: &str, age: i64, city: &str) -> Vec<Value> {
    vec![int(id), text(name), int(age), text(city)]
}

/// people with a UNIQUE index on name.
pub fn people_unique_name_schema() -> Schema {
    let mut schema = people_schema();
    let name = schema.must_get_column("name").unwrap().id;
    schema.indexes.push(IndexDef {
        name: "people_name_key".into(),
        columns: vec![name],
        unique: true,
        constraint: true,
        ..Default::default()
    });
    schema
}

/// Changes the working root of `branch` with `f`.
pub fn edit_root(repo: &Repository, branch: &str, f: impl FnOnce(&Repository, &mut RootValue)) {
    let mut root = repo.working_root(branch).unwrap();
    f(repo, &mut root);
    repo.set_working_root(branch, &root).unwrap();
}

/// Creates `name` with `schema` and `rows` on `branch`'s working root.
pub fn create_table(
    repo: &Repository,
    branch: &str,
    name: &str,
    schema: Schema,
    rows: Vec<Vec<Value>>,
) {
    edit_root(repo, branch, |repo, root| {
        let table = Table::create(repo.node_store(), schema).unwrap();
        let table = table
            .apply(rows.into_iter().map(RowChange::Insert))
            .unwrap();
        root.put_table(name, &table).unwrap();
    });
}

/// Applies row changes built by `f` (from the current table) to table `name` on `branch`.
pub fn change_rows(
    repo: &Repository,
    branch: &str,
    name: &str,
    f: impl FnOnce(&Table) -> Vec<RowChange>,
) {
    edit_root(repo, branch, |repo, root| {
        let table = root.must_get_table(repo.node_store(), name).unwrap();
        let changes = f(&table);
        root.put_table(name, &table.apply(changes).unwrap())
            .unwrap();
    });
}

/// Sets column `col` of the row with integer key `id` to `value`.
pub fn set_cell(repo: &Repository, branch: &str, name: &str, id: i64, col: usize, value: Value) {
    change_rows(repo, branch, name, |t| {
        let key = t.encode_key_values(&[int(id)]).unwrap();
        let mut row = t.get(&key).unwrap().expect("row exists");
        row[col] = value;
        vec![RowChange::Update { key, row }]
    });
}

/// Deletes the row with integer key `id`.
pub fn delete_row(repo: &Repository, branch: &str, name: &str, id: i64) {
    change_rows(repo, branch, name, |t| {
        vec![RowChange::Delete(t.encode_key_values(&[int(id)]).unwrap())]
    });
}

/// Stages everything on `branch` and commits it.
pub fn commit_all(repo: &Repository, branch: &str, message: &str) -> Hash {
    repo.stage(branch, None).unwrap();
    repo.commit(branch, &CommitOptions::new(message, sig()))
        .unwrap()
}

/// The rows of table `name` in the working root of `branch`, in key order.
pub fn working_rows(repo: &Repository, branch: &str, name: &str) -> Vec<Vec<Value>> {
    let root = repo.working_root(branch).unwrap();
    table_rows(repo, &root, name)
}

/// The rows of table `name` in the commit `rev` names.
pub fn rows_at(repo: &Repository, rev: &str, name: &str) -> Vec<Vec<Value>> {
    let commit = repo.commit_info(repo.resolve(rev).unwrap()).unwrap();
    let root = repo.root_value(commit.root).unwrap();
    table_rows(repo, &root, name)
}

pub fn table_rows(repo: &Repository, root: &RootValue, name: &str) -> Vec<Vec<Value>> {
    let table = root.must_get_table(repo.node_store(), name).unwrap();
    let rows: Vec<Vec<Value>> = table.scan().unwrap().map(|r| r.unwrap().1).collect();
    rows
}

/// A repository with people rows 1..=3 committed on main and a branch `feature` at that commit.
pub fn people_repo() -> Repository {
    let repo = mem_repo();
    create_table(
        &repo,
        "main",
        "people",
        people_schema(),
        vec![
            person(1, "ann", 30, "oslo"),
            person(2, "bob", 40, "rome"),
            person(3, "cat", 50, "lima"),
        ],
    );
    commit_all(&repo, "main", "add people");
    repo.branch_create("feature", "main", false).unwrap();
    repo
}
