//! The `vdb` schema's system tables, computed from the repository when a statement is planned:
//! `vdb.log` (the session branch's history), `vdb.commits` (every commit any ref reaches),
//! `vdb.commit_ancestors`, `vdb.diff` (which tables each commit changed), `vdb.column_diff`
//! (which columns), `vdb.branches`,
//! `vdb.tags`, `vdb.status`, `vdb.merge_status`, `vdb.conflicts`, `vdb.schema_conflicts`,
//! `vdb.constraint_violations` and `vdb.stashes`.
//!
//! Their columns follow Dolt's `dolt_*` tables (so Dolt users find what they expect), with
//! PostgreSQL types: hashes are `text` (40 hex digits), times are `timestamptz`.

use std::collections::BTreeMap;

use vdb_engine::repo::{Ancestors, Commit, TableChange, TableStatus};
use vdb_engine::table::RootValue;
use vdb_engine::value::{Type, Value};
use vdb_engine::Hash;

use super::{commit_time, text, vc_error, VcContext};
use crate::error::Result;
use crate::expr::Row;

/// The names of the `vdb` schema's tables, in catalog order.
pub const TABLES: &[&str] = &[
    "branches",
    "column_diff",
    "commit_ancestors",
    "commits",
    "conflicts",
    "constraint_violations",
    "diff",
    "log",
    "merge_status",
    "remotes",
    "schema_conflicts",
    "stashes",
    "status",
    "tags",
];

/// The columns of table `vdb.name`.
pub fn columns(name: &str) -> Option<Vec<(String, Type)>> {
    use Type::{Bool, Int4, Int8, Text, TimestampTz};
    let cols: &[(&str, Type)] = match name {
        "log" | "commits" => &[
            ("commit_hash", Text),
            ("committer", Text),
            ("email", Text),
            ("date", TimestampTz),
            ("message", Text),
            ("author", Text),
            ("author_email", Text),
            ("author_date", TimestampTz),
            ("parents", Int4),
        ],
        "commit_ancestors" => &[
            ("commit_hash", Text),
            ("parent_hash", Text),
            ("parent_index", Int4),
        ],
        "diff" => &[
            ("commit_hash", Text),
            ("table_name", Text),
            ("committer", Text),
            ("email", Text),
            ("date", TimestampTz),
            ("message", Text),
            ("data_change", Bool),
            ("schema_change", Bool),
        ],
        "column_diff" => &[
            ("commit_hash", Text),
            ("table_name", Text),
            ("column_name", Text),
            ("committer", Text),
            ("email", Text),
            ("date", TimestampTz),
            ("message", Text),
            ("diff_type", Text),
        ],
        "branches" => &[
            ("name", Text),
            ("hash", Text),
            ("latest_committer", Text),
            ("latest_committer_email", Text),
            ("latest_commit_date", TimestampTz),
            ("latest_commit_message", Text),
            ("is_current", Bool),
        ],
        "tags" => &[
            ("tag_name", Text),
            ("tag_hash", Text),
            ("tagger", Text),
            ("email", Text),
            ("date", TimestampTz),
            ("message", Text),
        ],
        "status" => &[("table_name", Text), ("staged", Bool), ("status", Text)],
        "stashes" => &[
            ("name", Text),
            ("branch", Text),
            ("hash", Text),
            ("stash_hash", Text),
            ("commit_message", Text),
            ("date", TimestampTz),
        ],
        "remotes" => &[
            ("name", Text),
            ("url", Text),
            ("endpoint", Text),
            ("region", Text),
        ],
        "merge_status" => &[
            ("is_merging", Bool),
            ("source", Text),
            ("source_commit", Text),
            ("target", Text),
            ("unmerged_tables", Text),
        ],
        "conflicts" | "constraint_violations" => &[
            ("table_name", Text),
            (
                if name == "conflicts" {
                    "num_conflicts"
                } else {
                    "num_violations"
                },
                Int8,
            ),
        ],
        "schema_conflicts" => &[
            ("table_name", Text),
            ("base_table_hash", Text),
            ("our_table_hash", Text),
            ("their_table_hash", Text),
            ("description", Text),
        ],
        _ => return None,
    };
    Some(
        cols.iter()
            .map(|(n, t)| (n.to_string(), t.clone()))
            .collect(),
    )
}

/// Table `vdb.name`: its columns and rows, or `None` if there is no such table.
pub fn table(vc: &VcContext, name: &str) -> Result<Option<crate::system::TableRows>> {
    let Some(columns) = columns(name) else {
        return Ok(None);
    };
    let rows = match name {
        "log" => {
            let head = vc.resolve_commit("HEAD")?;
            commit_rows(vc, &[head])?
        }
        "commits" => commit_rows(vc, &ref_heads(vc)?)?,
        "diff" => diff_rows(vc)?,
        "column_diff" => column_diff_rows(vc)?,
        "commit_ancestors" => {
            let mut rows = Vec::new();
            for entry in ancestors(vc, &ref_heads(vc)?)? {
                let (hash, commit) = entry?;
                if commit.parents.is_empty() {
                    rows.push(vec![text(hash.to_hex()), Value::Null, Value::Int4(0)]);
                }
                for (i, parent) in commit.parents.iter().enumerate() {
                    rows.push(vec![
                        text(hash.to_hex()),
                        text(parent.to_hex()),
                        Value::Int4(i as i32),
                    ]);
                }
            }
            rows
        }
        "branches" => {
            let mut rows = Vec::new();
            for (branch, hash) in vc.repo.branches().map_err(vc_error)? {
                let c = vc.commit(hash)?;
                rows.push(vec![
                    text(&branch),
                    text(hash.to_hex()),
                    text(&c.committer.name),
                    text(&c.committer.email),
                    commit_time(c.committer.time_ms),
                    text(&c.message),
                    Value::Bool(vc.pinned.is_none() && branch == vc.branch),
                ]);
            }
            // Remote-tracking branches (`origin/main`), after the local ones.
            let store = &**vc.repo.store();
            let remote =
                vdb_engine::repo::refs::list_refs(store, vdb_engine::repo::refs::REMOTES_PREFIX)
                    .map_err(vc_error)?;
            for (branch, hash) in remote {
                let c = vc.commit(hash)?;
                rows.push(vec![
                    text(format!("remotes/{branch}")),
                    text(hash.to_hex()),
                    text(&c.committer.name),
                    text(&c.committer.email),
                    commit_time(c.committer.time_ms),
                    text(&c.message),
                    Value::Bool(false),
                ]);
            }
            rows
        }
        "tags" => tag_rows(vc)?,
        "remotes" => super::remotes::remote_rows(vc)?,
        "status" => status_rows(vc)?,
        "stashes" => vc
            .repo
            .stashes()
            .map_err(vc_error)?
            .into_iter()
            .map(|stash| {
                vec![
                    text(stash.name()),
                    text(&stash.branch),
                    text(stash.head().to_hex()),
                    text(stash.addr.to_hex()),
                    text(&stash.commit.message),
                    commit_time(stash.commit.committer.time_ms),
                ]
            })
            .collect(),
        "merge_status" => {
            let ws = vc.repo.working_set(&vc.branch).map_err(vc_error)?;
            match ws.merge {
                None => vec![vec![
                    Value::Bool(false),
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                ]],
                Some(m) => {
                    let mut unmerged: Vec<String> = ws.conflicts.keys().cloned().collect();
                    unmerged.extend(ws.schema_conflicts.iter().map(|c| c.table.clone()));
                    unmerged.sort();
                    unmerged.dedup();
                    let source = source_name(vc, m.their_commit)?;
                    vec![vec![
                        Value::Bool(true),
                        source.map_or(Value::Null, text),
                        text(m.their_commit.to_hex()),
                        text(&vc.branch),
                        text(unmerged.join(", ")),
                    ]]
                }
            }
        }
        "conflicts" => {
            let status = vc.repo.status(&vc.branch).map_err(vc_error)?;
            status
                .conflicts
                .iter()
                .map(|(t, n)| vec![text(t), Value::Int8(*n as i64)])
                .collect()
        }
        "constraint_violations" => {
            let ws = vc.repo.working_set(&vc.branch).map_err(vc_error)?;
            let mut counts: BTreeMap<String, i64> = BTreeMap::new();
            for v in &ws.violations {
                *counts.entry(v.table.clone()).or_default() += 1;
            }
            counts
                .into_iter()
                .map(|(t, n)| vec![text(t), Value::Int8(n)])
                .collect()
        }
        "schema_conflicts" => {
            let ws = vc.repo.working_set(&vc.branch).map_err(vc_error)?;
            let hash = |h: Option<Hash>| h.map_or(Value::Null, |h| text(h.to_hex()));
            ws.schema_conflicts
                .iter()
                .map(|c| {
                    vec![
                        text(&c.table),
                        hash(c.base),
                        hash(c.ours),
                        hash(c.theirs),
                        text(&c.description),
                    ]
                })
                .collect()
        }
        _ => Vec::new(),
    };
    Ok(Some((columns, rows)))
}

/// The head of every branch and the commit of every tag.
fn ref_heads(vc: &VcContext) -> Result<Vec<Hash>> {
    let mut heads: Vec<Hash> = vc
        .repo
        .branches()
        .map_err(vc_error)?
        .into_iter()
        .map(|(_, h)| h)
        .collect();
    for (_, value) in vc.repo.tags().map_err(vc_error)? {
        heads.push(
            vdb_engine::repo::commit::peel_to_commit(&**vc.repo.store(), value)
                .map_err(vc_error)?,
        );
    }
    Ok(heads)
}

fn ancestors<'a>(
    vc: &'a VcContext,
    starts: &[Hash],
) -> Result<impl Iterator<Item = Result<(Hash, Commit)>> + 'a> {
    Ok(Ancestors::new(&**vc.repo.store(), starts)
        .map_err(vc_error)?
        .map(|e| e.map_err(vc_error)))
}

/// `vdb.diff`, Dolt's `dolt_diff`: per commit of the session's history (newest first) and per
/// table it changed against its first parent, whether rows and whether the schema changed;
/// first the uncommitted changes, as `WORKING` (staged → working) and `STAGED` (HEAD → staged)
/// with no committer. Tables whose chunk is the same on both sides are never read.
/// Walks the session's history as `vdb.diff` and `vdb.column_diff` list it: first the
/// uncommitted changes (`WORKING`: staged → working, `STAGED`: HEAD → staged; not for a pinned
/// revision), then each commit against its first parent, newest first. `each` gets the step's
/// name (`WORKING`, `STAGED` or the commit's hash), the commit, and the two roots.
fn history_steps(
    vc: &VcContext,
    mut each: impl FnMut(&str, Option<&Commit>, &RootValue, &RootValue) -> Result<()>,
) -> Result<()> {
    let root = |addr: Hash| vc.repo.root_value(addr).map_err(vc_error);
    let head = vc.resolve_commit(vc.pinned.as_deref().unwrap_or("HEAD"))?;
    if vc.pinned.is_none() {
        let ws = vc.repo.working_set(&vc.branch).map_err(vc_error)?;
        let committed = root(vc.commit(head)?.root)?;
        let staged = root(ws.staged)?;
        each("WORKING", None, &staged, &root(ws.working)?)?;
        each("STAGED", None, &committed, &staged)?;
    }
    for entry in ancestors(vc, &[head])? {
        let (hash, commit) = entry?;
        let parent = match commit.parents.first() {
            Some(p) => root(vc.commit(*p)?.root)?,
            None => RootValue::empty(),
        };
        each(&hash.to_hex(), Some(&commit), &parent, &root(commit.root)?)?;
    }
    Ok(())
}

/// A history step's `committer`, `email`, `date` and `message` (NULL for uncommitted ones).
fn step_commit_columns(commit: Option<&Commit>) -> [Value; 4] {
    match commit {
        Some(c) => [
            text(&c.committer.name),
            text(&c.committer.email),
            commit_time(c.committer.time_ms),
            text(&c.message),
        ],
        None => [Value::Null, Value::Null, Value::Null, Value::Null],
    }
}

fn diff_rows(vc: &VcContext) -> Result<Vec<Row>> {
    let ns = vc.repo.node_store();
    let mut rows = Vec::new();
    history_steps(vc, |step, commit, from, to| {
        for d in vdb_engine::repo::diff_roots(ns, from, to).map_err(vc_error)? {
            let schema = d.change != TableChange::Modified || !d.schema_changes.is_empty();
            let mut row = vec![text(step), text(&d.name)];
            row.extend(step_commit_columns(commit));
            row.extend([Value::Bool(d.data_changed()), Value::Bool(schema)]);
            rows.push(row);
        }
        Ok(())
    })?;
    Ok(rows)
}

/// `vdb.column_diff`, Dolt's `dolt_column_diff`: per history step and per column it changed,
/// `added` or `removed` (the column, or its table, came or went), else `modified` (its
/// definition changed, or a cell of it: a changed cell, or a non-NULL cell of an added or
/// deleted row). The row diff of a table stops once every column is marked.
fn column_diff_rows(vc: &VcContext) -> Result<Vec<Row>> {
    let ns = vc.repo.node_store();
    let mut rows = Vec::new();
    history_steps(vc, |step, commit, from, to| {
        for d in vdb_engine::repo::diff_roots(ns, from, to).map_err(vc_error)? {
            for (column, kind) in column_changes(vc, &d)? {
                let mut row = vec![text(step), text(&d.name), text(column)];
                row.extend(step_commit_columns(commit));
                row.push(text(kind));
                rows.push(row);
            }
        }
        Ok(())
    })?;
    Ok(rows)
}

/// The columns one table diff changed, in the new schema's order then the dropped ones, each
/// with `added`, `removed` or `modified`.
fn column_changes(
    vc: &VcContext,
    d: &vdb_engine::repo::TableDiff,
) -> Result<Vec<(String, &'static str)>> {
    use vdb_engine::repo::{RowDiff, SchemaChange};
    let names = |t: &Option<vdb_engine::table::Table>| -> Vec<String> {
        t.as_ref().map_or_else(Vec::new, |t| {
            t.schema().columns.iter().map(|c| c.name.clone()).collect()
        })
    };
    match d.change {
        TableChange::Added => return Ok(names(&d.to).into_iter().map(|c| (c, "added")).collect()),
        TableChange::Dropped => {
            return Ok(names(&d.from).into_iter().map(|c| (c, "removed")).collect())
        }
        TableChange::Modified => {}
    }
    let mut order = names(&d.to);
    for old in names(&d.from) {
        if !order.contains(&old) {
            order.push(old);
        }
    }
    let mut marked: BTreeMap<String, &'static str> = BTreeMap::new();
    for change in &d.schema_changes {
        let (name, kind) = match change {
            SchemaChange::ColumnAdded { name, .. } => (name, "added"),
            SchemaChange::ColumnDropped { name } => (name, "removed"),
            SchemaChange::ColumnRenamed { to, .. } => (to, "modified"),
            SchemaChange::ColumnRetyped { name, .. }
            | SchemaChange::NullabilityChanged { name, .. }
            | SchemaChange::DefaultChanged { name, .. } => (name, "modified"),
            _ => continue,
        };
        marked.entry(name.clone()).or_insert(kind);
    }
    if d.data_changed() {
        let (old_names, new_names) = (names(&d.from), names(&d.to));
        for diff in d.rows(vc.repo.node_store()).map_err(vc_error)? {
            let changed: Vec<String> = match diff.map_err(vc_error)? {
                RowDiff::Modified { cells, .. } => cells.into_iter().map(|c| c.column).collect(),
                RowDiff::Added { row, .. } => non_null(&new_names, &row),
                RowDiff::Deleted { row, .. } => non_null(&old_names, &row),
            };
            for name in changed {
                marked.entry(name).or_insert("modified");
            }
            if marked.len() >= order.len() {
                break;
            }
        }
    }
    Ok(order
        .into_iter()
        .filter_map(|c| marked.get(&c).map(|kind| (c.clone(), *kind)))
        .collect())
}

/// The names of a row's non-NULL cells.
fn non_null(names: &[String], row: &[Value]) -> Vec<String> {
    names
        .iter()
        .zip(row)
        .filter(|(_, v)| !matches!(v, Value::Null))
        .map(|(n, _)| n.clone())
        .collect()
}

/// One row per commit reachable from `starts`, newest first.
fn commit_rows(vc: &VcContext, starts: &[Hash]) -> Result<Vec<Row>> {
    ancestors(vc, starts)?
        .map(|entry| entry.map(|(hash, c)| commit_row(hash, &c)))
        .collect()
}

/// One commit as a row of `vdb.log` (and `vdb.commits`, `vdb_log(...)`).
pub(crate) fn commit_row(hash: Hash, c: &Commit) -> Row {
    vec![
        text(hash.to_hex()),
        text(&c.committer.name),
        text(&c.committer.email),
        commit_time(c.committer.time_ms),
        text(&c.message),
        text(&c.author.name),
        text(&c.author.email),
        commit_time(c.author.time_ms),
        Value::Int4(c.parents.len() as i32),
    ]
}

fn tag_rows(vc: &VcContext) -> Result<Vec<Row>> {
    use vdb_engine::repo::commit::{object_kind, ObjectKind};
    let store = &**vc.repo.store();
    let mut rows = Vec::new();
    for (name, value) in vc.repo.tags().map_err(vc_error)? {
        let annotated = matches!(
            object_kind(store, &value).map_err(vc_error)?,
            Some(ObjectKind::Tag)
        );
        if annotated {
            let tag = vdb_engine::repo::Tag::load(store, value).map_err(vc_error)?;
            rows.push(vec![
                text(&name),
                text(tag.target.to_hex()),
                text(&tag.tagger.name),
                text(&tag.tagger.email),
                commit_time(tag.tagger.time_ms),
                text(&tag.message),
            ]);
        } else {
            let c = vc.commit(value)?;
            rows.push(vec![
                text(&name),
                text(value.to_hex()),
                text(&c.committer.name),
                text(&c.committer.email),
                commit_time(c.committer.time_ms),
                Value::Text(String::new()),
            ]);
        }
    }
    Ok(rows)
}

fn status_rows(vc: &VcContext) -> Result<Vec<Row>> {
    let status = vc.repo.status(&vc.branch).map_err(vc_error)?;
    let word = |t: &TableStatus| match t.change {
        TableChange::Added => "new table",
        TableChange::Dropped => "deleted",
        TableChange::Modified if t.schema_changed => "schema change",
        TableChange::Modified => "modified",
    };
    let mut rows = Vec::new();
    for t in &status.staged {
        rows.push(vec![text(&t.table), Value::Bool(true), text(word(t))]);
    }
    for t in &status.unstaged {
        rows.push(vec![text(&t.table), Value::Bool(false), text(word(t))]);
    }
    for table in status.conflicts.keys() {
        rows.push(vec![text(table), Value::Bool(false), text("conflict")]);
    }
    for c in &status.schema_conflicts {
        rows.push(vec![
            text(&c.table),
            Value::Bool(false),
            text("schema conflict"),
        ]);
    }
    let mut violated: Vec<&str> = status.violations.iter().map(|v| v.table.as_str()).collect();
    violated.dedup();
    for table in violated {
        rows.push(vec![
            text(table),
            Value::Bool(false),
            text("constraint violation"),
        ]);
    }
    Ok(rows)
}

/// The branch whose head is `commit`, if any (what a merge in progress merges).
fn source_name(vc: &VcContext, commit: Hash) -> Result<Option<String>> {
    Ok(vc
        .repo
        .branches()
        .map_err(vc_error)?
        .into_iter()
        .find(|(_, h)| *h == commit)
        .map(|(b, _)| b))
}
