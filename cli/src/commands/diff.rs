//! `vdb diff`: row and cell differences between two states, per table, like Dolt's: `+` added
//! rows, `-` deleted rows, and `<` / `>` the old and new version of a modified row with its
//! changed cells marked (in colour on a terminal, with a trailing `*` otherwise); or one JSON
//! object per changed row (`--format json`), or counts (`--stat`, `--summary`).

use super::export::json;
use crate::context::{Context, Result};
use crate::fail;
use crate::render::{cell, colour, paint, TextTable, BOLD, GREEN, RED, YELLOW};
use std::collections::BTreeSet;
use std::path::Path;
use vdb_engine::repo::{RowDiff, TableChange, TableDiff};
use vdb_engine::table::Schema;
use vdb_engine::value::Value;

/// Show changed rows and cells between two revisions (default: HEAD and the working set).
///
/// With no revision, compares HEAD with the working set; with one, that revision with the
/// working set; with two (or a range `a..b`, `a...b`), the first with the second. Arguments
/// after the revisions name the tables to show.
///
/// Example: `vdb diff main feature people`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Per table: rows added, deleted and modified, and cells modified.
    #[arg(long, conflicts_with = "summary")]
    stat: bool,
    /// Per table: added, dropped or modified, and whether its schema or data changed.
    #[arg(long)]
    summary: bool,
    /// Output format: a table per changed table, or one JSON object per changed row.
    #[arg(long, value_enum, default_value = "table", conflicts_with_all = ["stat", "summary"])]
    format: DiffFormat,
    /// Up to two revisions (or one range), then table names.
    args: Vec<String>,
}

/// How `vdb diff` prints row changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// Boxed tables, like Dolt's.
    Table,
    /// JSON lines: {"table", "diff": added|deleted|modified, "old", "new", "changed"}.
    Json,
}

/// How much of each table diff to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Rows,
    Json,
    Stat,
    Summary,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    let mut revs: Vec<&str> = Vec::new();
    let mut tables: Vec<&str> = Vec::new();
    for arg in &args.args {
        let is_rev = tables.is_empty()
            && revs.len() < 2
            && !revs.iter().any(|r| r.contains(".."))
            && (arg.contains("..") || ctx.repo.resolve_root_on(&ctx.branch, arg).is_ok());
        if is_rev {
            revs.push(arg);
        } else {
            tables.push(arg);
        }
    }
    let mut diffs = match revs[..] {
        [] => ctx.repo.diff("HEAD", "WORKING")?,
        [range] if range.contains("..") => ctx.repo.diff_range(range)?,
        [rev] => ctx.repo.diff(rev, "WORKING")?,
        [a, b] => ctx.repo.diff(a, b)?,
        _ => unreachable!("at most two revisions are taken"),
    };
    if !tables.is_empty() {
        check_tables(&ctx, &revs, &tables)?;
        diffs.retain(|d| tables.contains(&d.name.as_str()));
    }
    let view = match (args.stat, args.summary, args.format) {
        (true, _, _) => View::Stat,
        (_, true, _) => View::Summary,
        (_, _, DiffFormat::Json) => View::Json,
        _ => View::Rows,
    };
    print_diffs(&ctx, &diffs, view)
}

/// Fails if a named table exists in neither compared state (it may be a mistyped revision).
fn check_tables(ctx: &Context, revs: &[&str], tables: &[&str]) -> Result<()> {
    let mut states: Vec<&str> = revs.iter().flat_map(|r| r.split("..")).collect();
    states.retain(|s| !s.is_empty() && *s != ".");
    states.extend(["HEAD", "WORKING"]);
    let mut known = BTreeSet::new();
    for state in states {
        let state = state.trim_start_matches('.');
        if let Ok(addr) = ctx.repo.resolve_root_on(&ctx.branch, state) {
            let root = ctx.repo.root_value(addr)?;
            known.extend(root.table_names().map(str::to_string));
        }
    }
    for t in tables {
        if !known.contains(*t) {
            fail!("{t} is neither a revision nor a table; check the name with `vdb branch`, `vdb log` or `vdb table ls`");
        }
    }
    Ok(())
}

/// Prints table diffs in the chosen view.
pub fn print_diffs(ctx: &Context, diffs: &[TableDiff], view: View) -> Result<()> {
    if view == View::Summary {
        let mut out = TextTable::new(vec![
            "table".into(),
            "change".into(),
            "schema".into(),
            "data".into(),
        ]);
        for d in diffs {
            let change = match d.change {
                TableChange::Added => "added",
                TableChange::Dropped => "dropped",
                TableChange::Modified => "modified",
            };
            let yes = |b: bool| if b { "changed" } else { "-" }.to_string();
            out.push(vec![
                d.name.clone(),
                change.into(),
                yes(!d.schema_changes.is_empty()),
                yes(d.data_changed()),
            ]);
        }
        if !out.is_empty() {
            print!("{out}");
        }
        return Ok(());
    }
    for d in diffs {
        match view {
            View::Stat => print_stat(ctx, d)?,
            View::Json => print_json(ctx, d)?,
            _ => print_rows(ctx, d)?,
        }
    }
    Ok(())
}

fn print_stat(ctx: &Context, d: &TableDiff) -> Result<()> {
    let (mut added, mut deleted, mut modified, mut cells) = (0u64, 0u64, 0u64, 0u64);
    for row in d.rows(ctx.repo.node_store())? {
        match row? {
            RowDiff::Added { .. } => added += 1,
            RowDiff::Deleted { .. } => deleted += 1,
            RowDiff::Modified { cells: c, .. } => {
                modified += 1;
                cells += c.len() as u64;
            }
        }
    }
    let schema = if d.schema_changes.is_empty() {
        String::new()
    } else {
        format!(", {} schema change(s)", d.schema_changes.len())
    };
    println!(
        "{}: {added} row(s) added, {deleted} deleted, {modified} modified ({cells} cell(s)){schema}",
        d.name
    );
    Ok(())
}

/// Columns shown for a table diff: the new schema's, then dropped ones; each with its position
/// in old and new rows.
fn columns(
    from: Option<&Schema>,
    to: Option<&Schema>,
) -> Vec<(String, Option<usize>, Option<usize>)> {
    match (from, to) {
        (Some(a), Some(b)) => {
            let mut cols: Vec<_> = b
                .columns
                .iter()
                .enumerate()
                .map(|(j, c)| (c.name.clone(), a.position(c.id), Some(j)))
                .collect();
            for (i, c) in a.columns.iter().enumerate() {
                if b.column_by_id(c.id).is_none() {
                    cols.push((c.name.clone(), Some(i), None));
                }
            }
            cols
        }
        (Some(a), None) => a
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), Some(i), None))
            .collect(),
        (None, Some(b)) => b
            .columns
            .iter()
            .enumerate()
            .map(|(j, c)| (c.name.clone(), None, Some(j)))
            .collect(),
        (None, None) => Vec::new(),
    }
}

fn print_rows(ctx: &Context, d: &TableDiff) -> Result<()> {
    let on = colour();
    println!(
        "{}",
        paint(on, BOLD, &format!("diff --vdb a/{0} b/{0}", d.name))
    );
    match d.change {
        TableChange::Added => println!("added table"),
        TableChange::Dropped => println!("deleted table"),
        TableChange::Modified => {}
    }
    for change in &d.schema_changes {
        println!("schema: {change}");
    }
    let cols = columns(
        d.from.as_ref().map(|t| t.schema()),
        d.to.as_ref().map(|t| t.schema()),
    );
    let mut header = vec![String::new()];
    header.extend(cols.iter().map(|c| c.0.clone()));
    let mut out = TextTable::new(header);
    let render = |mark: &str, code: &str, row: &[Value], old: bool, changed: &BTreeSet<&str>| {
        let mut line = vec![paint(on, code, mark)];
        for (name, i, j) in &cols {
            let pos = if old { *i } else { *j };
            let text = pos.map_or_else(String::new, |p| cell(&row[p]));
            line.push(if !changed.contains(name.as_str()) {
                if code == YELLOW {
                    text
                } else {
                    paint(on, code, &text)
                }
            } else if on {
                paint(on, if old { RED } else { GREEN }, &text)
            } else {
                format!("{text}*")
            });
        }
        line
    };
    let none = BTreeSet::new();
    for row in d.rows(ctx.repo.node_store())? {
        match row? {
            RowDiff::Added { row, .. } => out.push(render("+", GREEN, &row, false, &none)),
            RowDiff::Deleted { row, .. } => out.push(render("-", RED, &row, true, &none)),
            RowDiff::Modified {
                old, new, cells, ..
            } => {
                let changed: BTreeSet<&str> = cells.iter().map(|c| c.column.as_str()).collect();
                out.push(render("<", YELLOW, &old, true, &changed));
                out.push(render(">", YELLOW, &new, false, &changed));
            }
        }
    }
    if !out.is_empty() {
        print!("{out}");
    }
    Ok(())
}

/// One JSON object per changed row: its table, how it changed, the old and new row as objects
/// (column name → value) and, for a modified row, the names of the changed columns.
fn print_json(ctx: &Context, d: &TableDiff) -> Result<()> {
    let object = |schema: Option<&Schema>, row: &[Value]| -> Result<String> {
        let mut out = String::from("{");
        if let Some(schema) = schema {
            for (i, (column, value)) in schema.columns.iter().zip(row).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(&column.name)?);
                out.push(':');
                out.push_str(&json(value)?);
            }
        }
        out.push('}');
        Ok(out)
    };
    let from = d.from.as_ref().map(|t| t.schema());
    let to = d.to.as_ref().map(|t| t.schema());
    let table = serde_json::to_string(&d.name)?;
    for row in d.rows(ctx.repo.node_store())? {
        let line = match row? {
            RowDiff::Added { row, .. } => format!(
                "{{\"table\":{table},\"diff\":\"added\",\"new\":{}}}",
                object(to, &row)?
            ),
            RowDiff::Deleted { row, .. } => format!(
                "{{\"table\":{table},\"diff\":\"deleted\",\"old\":{}}}",
                object(from, &row)?
            ),
            RowDiff::Modified {
                old, new, cells, ..
            } => {
                let changed: Vec<&str> = cells.iter().map(|c| c.column.as_str()).collect();
                format!(
                    "{{\"table\":{table},\"diff\":\"modified\",\"old\":{},\"new\":{},\"changed\":{}}}",
                    object(from, &old)?,
                    object(to, &new)?,
                    serde_json::to_string(&changed)?
                )
            }
        };
        println!("{line}");
    }
    Ok(())
}
