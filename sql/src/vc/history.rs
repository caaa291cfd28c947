//! Reading other revisions in queries: `t AS OF 'rev'`, the per-table `vdb_history_t`,
//! `vdb_blame_t`, `vdb_diff_t`, `vdb_conflicts_t` and `vdb_constraint_violations_t`, and the
//! table functions `vdb_diff`, `vdb_diff_stat`, `vdb_diff_summary`, `vdb_schema_diff`,
//! `vdb_patch`, `vdb_log`, `vdb_reflog` and `vdb_preview_merge_conflicts_summary`.
//!
//! Each plans to a [`Relation`]: a plan, its columns and the name its columns are qualified by.
//! Row-sized results stream from [`Plan::VersionScan`] and [`Plan::RowDiff`] (whose versions the
//! optimizer prunes by a filter on their commit hash or date); summaries, computed from prolly
//! diffs whose cost follows the changes, are literal rows.
//!
//! Column layouts follow Dolt's `dolt_history_t`, `dolt_diff_t` and `dolt_diff(...)`: history
//! rows are the table's columns then `commit_hash`, `committer`, `commit_date`; diff rows are
//! `to_<col>...`, `to_commit`, `to_commit_date`, `from_<col>...`, `from_commit`,
//! `from_commit_date`, `diff_type` (`added`, `modified`, `removed`). `vdb_history_t` and
//! `vdb_diff_t` use the table's current schema for every commit, matching columns by their
//! stable ids across renames; a column a version lacks, or held with another type, reads NULL.

use std::collections::BTreeMap;

use sqlparser::ast;
use vdb_engine::repo::{Ancestors, RowDiff, TableChange, TableDiff};
use vdb_engine::table::{RootValue, Schema, Table};
use vdb_engine::value::{Type, Value};
use vdb_engine::Hash;

use super::{commit_time, procedures::arg_strings, text, vc_error, VcContext};
use crate::error::{Error, Result};
use crate::expr::{Expr, Row};
use crate::planner::context;
use crate::planner::{DiffKey, DiffPair, KeyRange, Plan, TableVersion};

/// A planned FROM item: its plan, its columns, and the name that qualifies them.
#[derive(Debug)]
pub struct Relation {
    pub plan: Plan,
    pub columns: Vec<(String, Type)>,
    pub name: String,
}

/// The table functions this module plans (besides `vdb_as_of`).
pub const TABLE_FUNCTIONS: &[&str] = &[
    "vdb_diff",
    "vdb_diff_stat",
    "vdb_diff_summary",
    "vdb_schema_diff",
    "vdb_patch",
    "vdb_log",
    "vdb_reflog",
    "vdb_preview_merge_conflicts_summary",
];

/// The per-table system tables' prefixes.
const PER_TABLE: &[&str] = &[
    "vdb_blame_",
    "vdb_history_",
    "vdb_diff_",
    "vdb_conflicts_",
    "vdb_constraint_violations_",
];

/// The statement's repository context (0A000 outside a session).
fn vc() -> Result<VcContext> {
    let snapshot = context::snapshot()
        .ok_or_else(|| Error::Unsupported("version control outside a repository session".into()))?;
    snapshot.must_vc().cloned()
}

fn root_at(vc: &VcContext, addr: Hash) -> Result<RootValue> {
    vc.repo.root_value(addr).map_err(vc_error)
}

fn load_table(vc: &VcContext, addr: Hash) -> Result<Table> {
    Table::load(vc.repo.node_store(), addr).map_err(vc_error)
}

/// A version of a table read through `output`'s columns (matched by stable id and type).
fn version(
    vc: &VcContext,
    addr: Option<Hash>,
    output: &Schema,
    tags: Vec<Value>,
) -> Result<TableVersion> {
    let columns = match addr {
        None => vec![None; output.columns.len()],
        Some(addr) => {
            let table = load_table(vc, addr)?;
            let schema = table.schema();
            output
                .columns
                .iter()
                .map(|c| {
                    schema
                        .position(c.id)
                        .filter(|&p| schema.columns[p].ty == c.ty)
                })
                .collect()
        }
    };
    Ok(TableVersion {
        table: addr,
        columns,
        tags,
    })
}

fn identity(n: usize) -> Vec<Option<usize>> {
    (0..n).map(Some).collect()
}

fn schema_columns(schema: &Schema, prefix: &str) -> Vec<(String, Type)> {
    schema
        .columns
        .iter()
        .map(|c| (format!("{prefix}{}", c.name), c.ty.clone()))
        .collect()
}

/// `table AS OF 'rev'`: the table as it was at `rev` (a branch, tag, commit, `HEAD~n`,
/// `WORKING`, `STAGED` or a timestamp), with that revision's schema.
pub fn as_of(table: &str, rev: &str) -> Result<Relation> {
    let vc = vc()?;
    let root = root_at(&vc, vc.read_root(rev)?)?;
    let addr = root
        .table_addr(table)
        .ok_or_else(|| Error::UndefinedTable(format!("{table}\" at revision \"{rev}")))?;
    let schema = load_table(&vc, addr)?.schema().clone();
    let n = schema.columns.len();
    Ok(Relation {
        columns: schema_columns(&schema, ""),
        plan: Plan::VersionScan {
            table: format!("{table} AS OF {rev}"),
            schema,
            versions: vec![TableVersion {
                table: Some(addr),
                columns: identity(n),
                tags: Vec::new(),
            }],
            range: KeyRange::All,
        },
        name: vdb_engine::table::split_qualified(table).1.to_string(),
    })
}

/// Where the session's history starts: its pinned revision, or its branch's head.
fn history_head(vc: &VcContext) -> Result<Hash> {
    vc.resolve_commit(vc.pinned.as_deref().unwrap_or("HEAD"))
}

/// The schema `table` has now: in the working root (unless pinned), else at the newest commit
/// that has it.
fn current_schema(vc: &VcContext, table: &str) -> Result<Option<Schema>> {
    if vc.pinned.is_none() {
        let ws = vc.repo.working_set(&vc.branch).map_err(vc_error)?;
        if let Some(addr) = root_at(vc, ws.working)?.table_addr(table) {
            return Ok(Some(load_table(vc, addr)?.schema().clone()));
        }
    }
    for entry in Ancestors::new(&**vc.repo.store(), &[history_head(vc)?]).map_err(vc_error)? {
        let (_, commit) = entry.map_err(vc_error)?;
        if let Some(addr) = root_at(vc, commit.root)?.table_addr(table) {
            return Ok(Some(load_table(vc, addr)?.schema().clone()));
        }
    }
    Ok(None)
}

/// A per-table system table (`vdb_history_t`...), if `name` is one of a table that exists.
/// They live beside their table: `s.vdb_diff_t` is the diff table of `s.t`.
pub fn per_table(name: &str) -> Result<Option<Relation>> {
    let (schema, local) = vdb_engine::table::split_qualified(name);
    let Some((prefix, table)) = PER_TABLE
        .iter()
        .filter_map(|p| local.strip_prefix(p).map(|t| (*p, t)))
        // `vdb_diff_` is a prefix of no other, but prefer the longest match in general.
        .max_by_key(|(p, _)| p.len())
    else {
        return Ok(None);
    };
    if table.is_empty() || context::snapshot().and_then(|s| s.vc.clone()).is_none() {
        return Ok(None);
    }
    let table = &vdb_engine::table::qualified(schema, table);
    let vc = vc()?;
    let Some(schema) = current_schema(&vc, table)? else {
        return Ok(None);
    };
    let relation = match prefix {
        "vdb_history_" => history(&vc, table, schema)?,
        "vdb_blame_" => blame(&vc, table, &schema)?,
        "vdb_diff_" => diff_history(&vc, table, &schema)?,
        "vdb_conflicts_" => conflicts(&vc, table, &schema)?,
        _ => violations(&vc, table, &schema)?,
    };
    Ok(Some(Relation {
        name: name.to_string(),
        ..relation
    }))
}

/// `vdb_history_t`: every row at every commit of the session's history, newest commit first.
fn history(vc: &VcContext, table: &str, schema: Schema) -> Result<Relation> {
    let mut versions = Vec::new();
    for entry in Ancestors::new(&**vc.repo.store(), &[history_head(vc)?]).map_err(vc_error)? {
        let (hash, commit) = entry.map_err(vc_error)?;
        let Some(addr) = root_at(vc, commit.root)?.table_addr(table) else {
            continue;
        };
        let tags = vec![
            text(hash.to_hex()),
            text(&commit.committer.name),
            commit_time(commit.committer.time_ms),
        ];
        versions.push(version(vc, Some(addr), &schema, tags)?);
    }
    let mut columns = schema_columns(&schema, "");
    columns.extend([
        ("commit_hash".to_string(), Type::Text),
        ("committer".to_string(), Type::Text),
        ("commit_date".to_string(), Type::TimestampTz),
    ]);
    Ok(Relation {
        plan: Plan::VersionScan {
            table: format!("vdb_history_{table}"),
            schema,
            versions,
            range: KeyRange::All,
        },
        columns,
        name: String::new(),
    })
}

/// The diff columns for `to` and `from` schemas.
fn diff_columns(to: &Schema, from: &Schema) -> Vec<(String, Type)> {
    let mut columns = schema_columns(to, "to_");
    columns.push(("to_commit".into(), Type::Text));
    columns.push(("to_commit_date".into(), Type::TimestampTz));
    columns.extend(schema_columns(from, "from_"));
    columns.push(("from_commit".into(), Type::Text));
    columns.push(("from_commit_date".into(), Type::TimestampTz));
    columns.push(("diff_type".into(), Type::Text));
    columns
}

/// Where [`diff_columns`] puts the key of `to` and of `from`, when both key on the same single
/// column (by name and type).
fn diff_key(to: &Schema, from: &Schema) -> Option<DiffKey> {
    let key = |schema: &Schema| -> Option<(usize, String, Type)> {
        let [id] = schema.primary_key.as_slice() else {
            return None;
        };
        let position = schema.position(*id)?;
        let column = &schema.columns[position];
        Some((position, column.name.clone(), column.ty.clone()))
    };
    let (to_at, name, ty) = key(to)?;
    let (from_at, from_name, from_ty) = key(from)?;
    if name != from_name || ty != from_ty {
        return None;
    }
    // to columns, to_commit, to_commit_date, then the from columns.
    Some(DiffKey {
        to: Some(to_at),
        from: Some(to.columns.len() + 2 + from_at),
        ty,
    })
}

/// `vdb_diff_t`: the changes of each commit of the session's history to the table, against
/// its first parent (newest first), led by the uncommitted changes (`to_commit` = `WORKING`).
fn diff_history(vc: &VcContext, table: &str, schema: &Schema) -> Result<Relation> {
    let head = history_head(vc)?;
    let mut pairs = Vec::new();
    let commit_tags = |hash: Hash, time_ms: i64| vec![text(hash.to_hex()), commit_time(time_ms)];
    if vc.pinned.is_none() {
        let ws = vc.repo.working_set(&vc.branch).map_err(vc_error)?;
        let head_commit = vc.commit(head)?;
        let from = root_at(vc, head_commit.root)?.table_addr(table);
        let to = root_at(vc, ws.working)?.table_addr(table);
        if from != to {
            pairs.push(DiffPair {
                from: version(
                    vc,
                    from,
                    schema,
                    commit_tags(head, head_commit.committer.time_ms),
                )?,
                to: version(vc, to, schema, vec![text("WORKING"), Value::Null])?,
            });
        }
    }
    for entry in Ancestors::new(&**vc.repo.store(), &[head]).map_err(vc_error)? {
        let (hash, commit) = entry.map_err(vc_error)?;
        let to = root_at(vc, commit.root)?.table_addr(table);
        let (from, from_tags) = match commit.parents.first() {
            Some(parent) => {
                let p = vc.commit(*parent)?;
                (
                    root_at(vc, p.root)?.table_addr(table),
                    commit_tags(*parent, p.committer.time_ms),
                )
            }
            None => (None, vec![Value::Null, Value::Null]),
        };
        if from == to {
            continue;
        }
        pairs.push(DiffPair {
            from: version(vc, from, schema, from_tags)?,
            to: version(vc, to, schema, commit_tags(hash, commit.committer.time_ms))?,
        });
    }
    Ok(Relation {
        columns: diff_columns(schema, schema),
        plan: Plan::RowDiff {
            table: format!("vdb_diff_{table}"),
            pairs,
            key_at: diff_key(schema, schema),
            key: None,
        },
        name: String::new(),
    })
}

/// `vdb_blame_t`, Dolt's `dolt_blame_t`: for each row of the table at the session's HEAD,
/// its primary key (a keyless table's: every column) and the commit that last changed it (`commit`, `commit_date`,
/// `committer`, `email`, `message`), in key order ([`vdb_engine::repo::blame`]).
fn blame(vc: &VcContext, table: &str, schema: &Schema) -> Result<Relation> {
    let head = history_head(vc)?;
    let commit = vc.repo.commit_info(head).map_err(vc_error)?;
    let at_head = match root_at(vc, commit.root)?.table_addr(table) {
        Some(addr) => Some(load_table(vc, addr)?),
        None => None,
    };
    let keyed = at_head.as_ref().map_or(schema, |t| t.schema());
    // A keyless table's rows are known by all their columns.
    let mut positions = keyed.key_positions();
    if positions.is_empty() {
        positions = (0..keyed.columns.len()).collect();
    }
    let mut columns: Vec<(String, Type)> = positions
        .iter()
        .map(|&i| (keyed.columns[i].name.clone(), keyed.columns[i].ty.clone()))
        .collect();
    for name in ["commit", "commit_date", "committer", "email", "message"] {
        let ty = if name == "commit_date" {
            Type::TimestampTz
        } else {
            Type::Text
        };
        columns.push((name.to_string(), ty));
    }
    let Some(at_head) = at_head else {
        return Ok(values(Vec::new(), columns));
    };
    let blamed = vdb_engine::repo::blame(&vc.repo, head, table)
        .map_err(vc_error)?
        .unwrap_or_default();
    let mut commits = BTreeMap::new();
    let mut rows = Vec::with_capacity(blamed.len());
    for entry in at_head.scan().map_err(vc_error)? {
        let (key, row) = entry.map_err(vc_error)?;
        let Some(hash) = blamed.get(&key) else {
            continue;
        };
        if !commits.contains_key(hash) {
            let info = vc.repo.commit_info(*hash).map_err(vc_error)?;
            commits.insert(*hash, info);
        }
        let info = &commits[hash];
        let mut out: Row = positions.iter().map(|&i| row[i].clone()).collect();
        out.push(text(hash.to_string()));
        out.push(commit_time(info.committer.time_ms));
        out.push(text(info.committer.name.clone()));
        out.push(text(info.committer.email.clone()));
        out.push(text(info.message.clone()));
        rows.push(out);
    }
    Ok(values(rows, columns))
}

/// `vdb_conflicts_t`: each conflicted row's base, ours and theirs, and the conflict's key.
/// Ours is the row as the statement sees the table (its transaction's changes included).
fn conflicts(vc: &VcContext, table: &str, schema: &Schema) -> Result<Relation> {
    let mut rows = vc.repo.conflicts(&vc.branch, table).map_err(vc_error)?;
    if let Some(snapshot) = context::snapshot() {
        if let Some(current) = snapshot
            .root
            .get_table(&snapshot.ns, table)
            .map_err(vc_error)?
        {
            for row in &mut rows {
                row.ours = current.get(&row.key).map_err(vc_error)?;
            }
        }
    }
    let n = schema.columns.len();
    let side = |row: &Option<Vec<Value>>| -> Vec<Value> {
        match row {
            Some(r) => r
                .iter()
                .take(n)
                .cloned()
                .chain(std::iter::repeat(Value::Null))
                .take(n)
                .collect(),
            None => vec![Value::Null; n],
        }
    };
    let diff_type = |base: &Option<Vec<Value>>, row: &Option<Vec<Value>>| match (base, row) {
        (None, Some(_)) => text("added"),
        (Some(_), None) => text("removed"),
        _ => text("modified"),
    };
    let literal_rows: Vec<Row> = rows
        .iter()
        .map(|c| {
            let mut row = side(&c.base);
            row.extend(side(&c.ours));
            row.push(diff_type(&c.base, &c.ours));
            row.extend(side(&c.theirs));
            row.push(diff_type(&c.base, &c.theirs));
            row.push(Value::Bytea(c.key.to_vec()));
            row
        })
        .collect();
    let mut columns = schema_columns(schema, "base_");
    columns.extend(schema_columns(schema, "our_"));
    columns.push(("our_diff_type".into(), Type::Text));
    columns.extend(schema_columns(schema, "their_"));
    columns.push(("their_diff_type".into(), Type::Text));
    columns.push(("vdb_conflict_id".into(), Type::Bytea));
    Ok(values(literal_rows, columns))
}

/// `vdb_constraint_violations_t`: the kind of each violation, the violating row, and what is
/// violated.
fn violations(vc: &VcContext, table: &str, schema: &Schema) -> Result<Relation> {
    use vdb_engine::repo::ViolationKind;
    let ws = vc.repo.working_set(&vc.branch).map_err(vc_error)?;
    let working = root_at(vc, ws.working)?;
    let current = working
        .get_table(vc.repo.node_store(), table)
        .map_err(vc_error)?;
    let n = schema.columns.len();
    let mut rows = Vec::new();
    for v in ws.violations.iter().filter(|v| v.table == table) {
        let (kind, info) = match &v.kind {
            ViolationKind::Unique { index } => ("unique index", index.clone()),
            ViolationKind::NotNull { column } => ("not null", column.clone()),
            ViolationKind::ForeignKey { constraint } => ("foreign key", constraint.clone()),
            ViolationKind::Check { constraint } => ("check constraint", constraint.clone()),
        };
        let mut row = vec![text(kind)];
        let values = match &current {
            Some(t) => t.get(&v.key).map_err(vc_error)?,
            None => None,
        };
        row.extend(
            values
                .unwrap_or_default()
                .into_iter()
                .chain(std::iter::repeat(Value::Null))
                .take(n),
        );
        row.push(text(info));
        rows.push(row);
    }
    let mut columns = vec![("violation_type".to_string(), Type::Text)];
    columns.extend(schema_columns(schema, ""));
    columns.push(("violation_info".into(), Type::Text));
    Ok(values(rows, columns))
}

fn values(rows: Vec<Row>, columns: Vec<(String, Type)>) -> Relation {
    Relation {
        plan: Plan::Values {
            rows: rows
                .into_iter()
                .map(|r| r.into_iter().map(Expr::Literal).collect())
                .collect(),
        },
        columns,
        name: String::new(),
    }
}

/// One side of a diff: the root it reads and the tags its rows carry.
struct Side {
    root: RootValue,
    label: Value,
    date: Value,
}

fn side(vc: &VcContext, rev: &str) -> Result<Side> {
    let upper = rev.to_ascii_uppercase();
    if upper == "WORKING" || upper == "STAGED" {
        return Ok(Side {
            root: root_at(vc, vc.read_root(rev)?)?,
            label: text(upper),
            date: Value::Null,
        });
    }
    let hash = vc.resolve_commit(rev)?;
    let commit = vc.commit(hash)?;
    Ok(Side {
        root: root_at(vc, commit.root)?,
        label: text(hash.to_hex()),
        date: commit_time(commit.committer.time_ms),
    })
}

/// The two sides named by `from, to` or by a range `a..b` / `a...b` (from the merge base).
fn sides(vc: &VcContext, name: &str, args: &[String]) -> Result<(Side, Side, Vec<String>)> {
    if let Some(first) = args.first() {
        if let Some((a, b)) = split_range(first) {
            let (a, b) = (or_head(a), or_head(b));
            let from = if first.contains("...") {
                let (x, y) = (vc.resolve_commit(a)?, vc.resolve_commit(b)?);
                let base = vdb_engine::repo::merge_base(&**vc.repo.store(), x, y)
                    .map_err(vc_error)?
                    .ok_or_else(|| {
                        Error::invalid("22023", format!("{a} and {b} have no common ancestor"))
                    })?;
                side(vc, &base.to_hex())?
            } else {
                side(vc, a)?
            };
            return Ok((from, side(vc, b)?, args[1..].to_vec()));
        }
    }
    match args {
        [from, to, rest @ ..] => Ok((side(vc, from)?, side(vc, to)?, rest.to_vec())),
        _ => Err(Error::invalid(
            "22023",
            format!("{name}: give two revisions, or a range 'a..b' or 'a...b'"),
        )),
    }
}

fn split_range(text: &str) -> Option<(&str, &str)> {
    text.split_once("...").or_else(|| text.split_once(".."))
}

fn or_head(rev: &str) -> &str {
    if rev.is_empty() {
        "HEAD"
    } else {
        rev
    }
}

/// A table function of this module (`None` if `name` is none of them).
pub fn table_function(name: &str, args: &[ast::Expr]) -> Result<Option<Relation>> {
    if name == "vdb_as_of" {
        let args = arg_strings(name, args)?;
        let [table, rev] = args.as_slice() else {
            return Err(Error::invalid("22023", "vdb_as_of(table, revision)"));
        };
        return as_of(table, rev).map(Some);
    }
    if !TABLE_FUNCTIONS.contains(&name) {
        return Ok(None);
    }
    let vc = vc()?;
    let args = arg_strings(name, args)?;
    let relation = match name {
        "vdb_log" => log(&vc, &args)?,
        "vdb_reflog" => reflog(&vc, &args)?,
        "vdb_preview_merge_conflicts_summary" => preview_merge(&vc, &args)?,
        _ => {
            let (from, to, rest) = sides(&vc, name, &args)?;
            let table = match rest.as_slice() {
                [] => None,
                [t] => Some(t.as_str()),
                _ => {
                    return Err(Error::invalid(
                        "22023",
                        format!("{name}: too many arguments"),
                    ))
                }
            };
            match name {
                "vdb_diff" => {
                    let table = table.ok_or_else(|| {
                        Error::invalid("22023", "vdb_diff(from, to, table): name the table")
                    })?;
                    diff(&vc, &from, &to, table)?
                }
                "vdb_diff_stat" => diff_stat(&vc, &from, &to, table)?,
                "vdb_diff_summary" => diff_summary(&vc, &from, &to, table)?,
                "vdb_schema_diff" => schema_diff(&vc, &from, &to, table)?,
                _ => patch(&vc, &from, &to, table)?,
            }
        }
    };
    Ok(Some(Relation {
        name: name.to_string(),
        ..relation
    }))
}

/// `vdb_reflog([name | '--all'])`, Dolt's `dolt_reflog`: where refs pointed over time, newest
/// first: `ref` (the full ref name), `ref_timestamp`, `commit_hash` and `commit_message` (NULL
/// for a delete). Without an argument, or with `--all`, every ref's entries; with a name, the
/// entries of that branch, tag or remote-tracking branch (42704 if it has none).
fn reflog(vc: &VcContext, args: &[String]) -> Result<Relation> {
    use vdb_engine::repo::reflog;
    let store = &**vc.repo.store();
    let entries = match args {
        [] => reflog::read_all(store),
        [all] if all == "--all" => reflog::read_all(store),
        [name] => reflog::find(store, name).and_then(|full| reflog::read(store, &full)),
        _ => return Err(Error::invalid("22023", "vdb_reflog([name | '--all'])")),
    }
    .map_err(vc_error)?;
    let rows = entries
        .into_iter()
        .rev()
        .map(|entry| {
            let commit = entry.target.and_then(|addr| {
                let commit = vdb_engine::repo::commit::peel_to_commit(store, addr).ok()?;
                Some((commit, vc.repo.commit_info(commit).ok()?.message))
            });
            let (hash, message) = match commit {
                Some((hash, message)) => (text(hash.to_hex()), text(message)),
                None => (Value::Null, Value::Null),
            };
            vec![
                text(entry.ref_name),
                Value::TimestampTz(entry.time_us - 946_684_800_000_000),
                hash,
                message,
            ]
        })
        .collect();
    let columns = vec![
        ("ref".to_string(), Type::Text),
        ("ref_timestamp".to_string(), Type::TimestampTz),
        ("commit_hash".to_string(), Type::Text),
        ("commit_message".to_string(), Type::Text),
    ];
    Ok(values(rows, columns))
}

/// `vdb_preview_merge_conflicts_summary(base, merge)`, Dolt's function of that name: per
/// table, how many rows and schema changes would conflict if `merge` were merged into `base`,
/// found by running the three-way merge without touching any branch or working set. (The
/// merge writes its result's chunks, which nothing references: `vdb gc` removes them.)
fn preview_merge(vc: &VcContext, args: &[String]) -> Result<Relation> {
    let [ours, theirs] = args else {
        return Err(Error::invalid(
            "22023",
            "vdb_preview_merge_conflicts_summary(base_branch, merge_branch)",
        ));
    };
    let (ours, theirs) = (vc.resolve_commit(ours)?, vc.resolve_commit(theirs)?);
    // No collection removes what the merge writes while it reads it back.
    let _hold = vc.repo.gc_hold();
    let store = &**vc.repo.store();
    let base = match vdb_engine::repo::merge_base(store, ours, theirs).map_err(vc_error)? {
        Some(base) => root_at(vc, vc.commit(base)?.root)?,
        None => RootValue::empty(),
    };
    let merged = vdb_engine::repo::merge_roots(
        vc.repo.node_store(),
        &base,
        &root_at(vc, vc.commit(ours)?.root)?,
        &root_at(vc, vc.commit(theirs)?.root)?,
    )
    .map_err(vc_error)?;
    let mut counts: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (table, n) in &merged.conflicts {
        counts.entry(table.clone()).or_default().0 += i64::try_from(*n).unwrap_or(i64::MAX);
    }
    for conflict in &merged.schema_conflicts {
        counts.entry(conflict.table.clone()).or_default().1 += 1;
    }
    let rows = counts
        .into_iter()
        .map(|(table, (data, schema))| vec![text(table), Value::Int8(data), Value::Int8(schema)])
        .collect();
    let columns = vec![
        ("table".to_string(), Type::Text),
        ("num_data_conflicts".to_string(), Type::Int8),
        ("num_schema_conflicts".to_string(), Type::Int8),
    ];
    Ok(values(rows, columns))
}

/// `vdb_diff(from, to, table)`: the table's changed rows, `to_` columns in the `to` schema and
/// `from_` columns in the `from` schema.
fn diff(vc: &VcContext, from: &Side, to: &Side, table: &str) -> Result<Relation> {
    let (a, b) = (from.root.table_addr(table), to.root.table_addr(table));
    let schema_of = |addr: Option<Hash>| -> Result<Option<Schema>> {
        addr.map(|a| load_table(vc, a).map(|t| t.schema().clone()))
            .transpose()
    };
    let (from_schema, to_schema) = match (schema_of(a)?, schema_of(b)?) {
        (None, None) => return Err(Error::UndefinedTable(table.to_string())),
        (Some(f), None) => (f.clone(), f),
        (None, Some(t)) => (t.clone(), t),
        (Some(f), Some(t)) => (f, t),
    };
    let versions = |addr: Option<Hash>, schema: &Schema, tags: Vec<Value>| TableVersion {
        table: addr,
        columns: if addr.is_some() {
            identity(schema.columns.len())
        } else {
            vec![None; schema.columns.len()]
        },
        tags,
    };
    let pairs = if a == b {
        Vec::new()
    } else {
        vec![DiffPair {
            from: versions(a, &from_schema, vec![from.label.clone(), from.date.clone()]),
            to: versions(b, &to_schema, vec![to.label.clone(), to.date.clone()]),
        }]
    };
    Ok(Relation {
        columns: diff_columns(&to_schema, &from_schema),
        plan: Plan::RowDiff {
            table: format!("vdb_diff {table}"),
            pairs,
            key_at: diff_key(&to_schema, &from_schema),
            key: None,
        },
        name: String::new(),
    })
}

/// The table differences between two sides, optionally only `table`'s.
fn table_diffs(
    vc: &VcContext,
    from: &Side,
    to: &Side,
    table: Option<&str>,
) -> Result<Vec<TableDiff>> {
    let diffs = vdb_engine::repo::diff_roots(vc.repo.node_store(), &from.root, &to.root)
        .map_err(vc_error)?;
    if let Some(t) = table {
        if from.root.table_addr(t).is_none() && to.root.table_addr(t).is_none() {
            return Err(Error::UndefinedTable(t.to_string()));
        }
    }
    Ok(diffs
        .into_iter()
        .filter(|d| table.is_none_or(|t| d.name == t))
        .collect())
}

fn change_word(change: TableChange) -> &'static str {
    match change {
        TableChange::Added => "added",
        TableChange::Dropped => "dropped",
        TableChange::Modified => "modified",
    }
}

/// `vdb_diff_stat(from, to [, table])`: per changed table, counts of rows and cells.
fn diff_stat(vc: &VcContext, from: &Side, to: &Side, table: Option<&str>) -> Result<Relation> {
    let ns = vc.repo.node_store();
    let mut rows = Vec::new();
    for d in table_diffs(vc, from, to, table)? {
        let width = |t: &Option<Table>| t.as_ref().map_or(0, |t| t.schema().columns.len() as i64);
        let count = |t: &Option<Table>| t.as_ref().map_or(0, |t| t.count() as i64);
        let (mut added, mut deleted, mut modified, mut cells_modified) = (0i64, 0i64, 0i64, 0i64);
        for change in d.rows(ns).map_err(vc_error)? {
            match change.map_err(vc_error)? {
                RowDiff::Added { .. } => added += 1,
                RowDiff::Deleted { .. } => deleted += 1,
                RowDiff::Modified { cells, .. } => {
                    modified += 1;
                    cells_modified += cells.len() as i64;
                }
            }
        }
        let (old_rows, new_rows) = (count(&d.from), count(&d.to));
        let (old_width, new_width) = (width(&d.from), width(&d.to));
        rows.push(vec![
            text(&d.name),
            Value::Int8(old_rows - deleted - modified),
            Value::Int8(added),
            Value::Int8(deleted),
            Value::Int8(modified),
            Value::Int8(added * new_width),
            Value::Int8(deleted * old_width),
            Value::Int8(cells_modified),
            Value::Int8(old_rows),
            Value::Int8(new_rows),
            Value::Int8(old_rows * old_width),
            Value::Int8(new_rows * new_width),
        ]);
    }
    let mut columns = vec![("table_name".to_string(), Type::Text)];
    for c in [
        "rows_unmodified",
        "rows_added",
        "rows_deleted",
        "rows_modified",
        "cells_added",
        "cells_deleted",
        "cells_modified",
        "old_row_count",
        "new_row_count",
        "old_cell_count",
        "new_cell_count",
    ] {
        columns.push((c.to_string(), Type::Int8));
    }
    Ok(values(rows, columns))
}

/// The table's name if it exists on that side of the diff, else NULL.
fn name_if(d: &TableDiff, side: &Option<Table>) -> Value {
    match side {
        Some(_) => text(&d.name),
        None => Value::Null,
    }
}

/// `vdb_diff_summary(from, to [, table])`: per changed table, the kind of change.
fn diff_summary(vc: &VcContext, from: &Side, to: &Side, table: Option<&str>) -> Result<Relation> {
    let rows = table_diffs(vc, from, to, table)?
        .into_iter()
        .map(|d| {
            vec![
                name_if(&d, &d.from),
                name_if(&d, &d.to),
                text(change_word(d.change)),
                Value::Bool(d.data_changed()),
                Value::Bool(!d.schema_changes.is_empty() || d.change != TableChange::Modified),
            ]
        })
        .collect();
    Ok(values(
        rows,
        vec![
            ("from_table_name".into(), Type::Text),
            ("to_table_name".into(), Type::Text),
            ("diff_type".into(), Type::Text),
            ("data_change".into(), Type::Bool),
            ("schema_change".into(), Type::Bool),
        ],
    ))
}

/// `vdb_schema_diff(from, to [, table])`: per table whose schema differs, both CREATE TABLEs.
fn schema_diff(vc: &VcContext, from: &Side, to: &Side, table: Option<&str>) -> Result<Relation> {
    let create = |name: &str, t: &Option<Table>| match t {
        Some(t) => text(super::patch::create_table(
            &super::patch::ident(name),
            t.schema(),
        )),
        None => Value::Null,
    };
    let rows = table_diffs(vc, from, to, table)?
        .into_iter()
        .filter(|d| !d.schema_changes.is_empty() || d.change != TableChange::Modified)
        .map(|d| {
            vec![
                name_if(&d, &d.from),
                name_if(&d, &d.to),
                create(&d.name, &d.from),
                create(&d.name, &d.to),
            ]
        })
        .collect();
    Ok(values(
        rows,
        vec![
            ("from_table_name".into(), Type::Text),
            ("to_table_name".into(), Type::Text),
            ("from_create_statement".into(), Type::Text),
            ("to_create_statement".into(), Type::Text),
        ],
    ))
}

/// `vdb_patch(from, to [, table])`: the SQL statements that turn `from` into `to`, in order.
fn patch(vc: &VcContext, from: &Side, to: &Side, table: Option<&str>) -> Result<Relation> {
    let ns = vc.repo.node_store();
    let mut rows = Vec::new();
    for d in table_diffs(vc, from, to, table)? {
        let mut changes = d.rows(ns).map_err(vc_error)?;
        let mut statements = Vec::new();
        super::patch::statements(&d, &mut changes, &mut |s| statements.push(s))
            .map_err(vc_error)?;
        for statement in statements {
            let kind = if statement.starts_with("INSERT")
                || statement.starts_with("UPDATE")
                || statement.starts_with("DELETE")
            {
                "data"
            } else {
                "schema"
            };
            rows.push(vec![
                Value::Int8(rows.len() as i64 + 1),
                from.label.clone(),
                to.label.clone(),
                text(&d.name),
                text(kind),
                text(statement),
            ]);
        }
    }
    Ok(values(
        rows,
        vec![
            ("statement_order".into(), Type::Int8),
            ("from_commit".into(), Type::Text),
            ("to_commit".into(), Type::Text),
            ("table_name".into(), Type::Text),
            ("diff_type".into(), Type::Text),
            ("statement".into(), Type::Text),
        ],
    ))
}

/// `vdb_log([rev | range])`: commits newest first, with `vdb.log`'s columns.
fn log(vc: &VcContext, args: &[String]) -> Result<Relation> {
    let store = &**vc.repo.store();
    let commits = match args {
        [] => Ancestors::new(store, &[history_head(vc)?])
            .map_err(vc_error)?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(vc_error)?,
        [rev] => match split_range(rev) {
            None => Ancestors::new(store, &[vc.resolve_commit(rev)?])
                .map_err(vc_error)?
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(vc_error)?,
            Some((a, b)) => {
                let (a, b) = (
                    vc.resolve_commit(or_head(a))?,
                    vc.resolve_commit(or_head(b))?,
                );
                if rev.contains("...") {
                    let mut both: BTreeMap<Hash, ()> = BTreeMap::new();
                    let left = vdb_engine::repo::history::commits_between(store, &[b], &[a])
                        .map_err(vc_error)?;
                    let mut out = vdb_engine::repo::history::commits_between(store, &[a], &[b])
                        .map_err(vc_error)?;
                    for (h, _) in &out {
                        both.insert(*h, ());
                    }
                    out.extend(left.into_iter().filter(|(h, _)| !both.contains_key(h)));
                    out.sort_by_key(|(_, c)| std::cmp::Reverse(c.committer.time_ms));
                    out
                } else {
                    vdb_engine::repo::history::commits_between(store, &[a], &[b])
                        .map_err(vc_error)?
                }
            }
        },
        _ => return Err(Error::invalid("22023", "vdb_log([revision or range])")),
    };
    let rows = commits
        .into_iter()
        .map(|(hash, c)| super::tables::commit_row(hash, &c))
        .collect();
    Ok(values(
        rows,
        super::tables::columns("log").unwrap_or_default(),
    ))
}
