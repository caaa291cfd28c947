//! `vdb diff`: row and cell differences between two states, per table, like Dolt's: `+` added
//! rows, `-` deleted rows, and `<` / `>` the old and new version of a modified row with its
//! changed cells marked (in colour on a terminal, with a trailing `*` otherwise) and long text
//! cells word-diffed (`words.rs`); or one JSON object per changed row (`--format json`), CSV
//! rows (`--format csv`), SQL statements that replay the change (`--format sql`, `sql.rs`), or
//! counts (`--stat`, `--summary`). `--where` keeps the row changes a SQL expression accepts
//! (`filter.rs`). Row changes stream from the tree diff to the output, except that `--where`
//! collects a table's changes first to evaluate them in batches.

mod filter;
mod words;

use super::export::json;
use crate::context::{Context, Result};
use crate::fail;
use crate::render::{cell, colour, paint, value_text, TextTable, BOLD, GREEN, RED, YELLOW};
use filter::Filtered;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use vdb_engine::repo::{CellChange, RowDiff, TableChange, TableDiff};
use vdb_engine::table::Schema;
use vdb_engine::value::Value;
use vdb_sql::vc::patch;

/// Show changed rows and cells between two revisions (default: HEAD and the working set).
///
/// With no revision, compares HEAD with the working set; with one, that revision with the
/// working set; with two (or a range `a..b`, `a...b`), the first with the second. Arguments
/// after the revisions name the tables to show.
///
/// Changed text cells of 40 characters or more show a word diff in their new version
/// (`the [-old-]{+new+} words`).
///
/// `--where` keeps only the row changes for which a SQL expression is true; it sees the columns
/// `diff_type` ('added', 'deleted', 'modified'), `from_C` and `to_C` for each column C.
///
/// Example: `vdb diff main feature people`  or  `vdb diff --where "to_label = 'cat'" --format sql`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Per table: rows added, deleted and modified, and cells modified.
    #[arg(long, conflicts_with = "summary")]
    stat: bool,
    /// Per table: added, dropped or modified, and whether its schema or data changed.
    #[arg(long)]
    summary: bool,
    /// Output format: a table per changed table, JSON lines, CSV, or SQL statements.
    #[arg(long, value_enum, default_value = "table", conflicts_with_all = ["stat", "summary"])]
    format: DiffFormat,
    /// Keep only row changes for which this SQL expression over diff_type, from_C and to_C is
    /// true, e.g. "to_label = 'cat'" or "diff_type = 'deleted'".
    #[arg(long = "where", value_name = "EXPR", conflicts_with = "summary")]
    filter: Option<String>,
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
    /// Per table a header row `diff_type,from_C...,to_C...` then one row per change; tables are
    /// separated by an empty line.
    Csv,
    /// INSERT / UPDATE / DELETE (and CREATE, ALTER, DROP TABLE) statements, valid for psql,
    /// that turn the first state into the second.
    Sql,
}

/// How much of each table diff to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Rows,
    Json,
    Csv,
    Sql,
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
        (_, _, DiffFormat::Csv) => View::Csv,
        (_, _, DiffFormat::Sql) => View::Sql,
        (_, _, DiffFormat::Table) => View::Rows,
    };
    print_filtered(&ctx, &diffs, view, args.filter.as_deref())
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
    print_filtered(ctx, diffs, view, None)
}

/// Prints table diffs in the chosen view, keeping only the row changes `filter` accepts (a
/// table left with no row change and no schema change is then not shown, nor is a table that
/// lacks a column the filter names; a filter that fits no table is an error).
fn print_filtered(
    ctx: &Context,
    diffs: &[TableDiff],
    view: View,
    filter: Option<&str>,
) -> Result<()> {
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
    let mut first = true;
    // With a filter: whether it fitted some table, and why it did not fit the others.
    let (mut applied, mut unfit) = (false, None);
    for d in diffs {
        // Without a filter, rows stream from the tree diff to the output; a filter needs them
        // all first (it evaluates them in batches).
        let rows: Rows<'_> = match filter {
            None => Box::new(
                d.rows(ctx.repo.node_store())?
                    .map(|r| r.map_err(Into::into)),
            ),
            Some(expr) => {
                let all = d
                    .rows(ctx.repo.node_store())?
                    .collect::<std::result::Result<Vec<RowDiff>, _>>()?;
                let cols = table_columns(d);
                match filter::keep(&ctx.repo, &ctx.branch, d, &cols, all, expr)? {
                    Filtered::Kept(kept) => {
                        applied = true;
                        Box::new(kept.into_iter().map(Ok))
                    }
                    Filtered::Empty => Box::new(std::iter::empty()),
                    Filtered::NotApplicable(why) => {
                        unfit.get_or_insert(why);
                        continue;
                    }
                }
            }
        };
        let mut rows = rows.peekable();
        if filter.is_some() && rows.peek().is_none() && d.schema_changes.is_empty() {
            continue;
        }
        match view {
            View::Stat => println!("{}", stat_text(d, &mut rows)?),
            View::Json => print_json(d, &mut rows)?,
            View::Csv => print_csv(d, &mut rows, first)?,
            View::Sql => patch::statements(d, &mut rows, &mut |s| println!("{s}"))?,
            View::Rows | View::Summary => print_rows(d, &mut rows)?,
        }
        first = false;
    }
    match unfit {
        Some(why) if !applied => Err(why.into()),
        _ => Ok(()),
    }
}

/// A table's row changes, streaming.
type Rows<'a> = Box<dyn Iterator<Item = Result<RowDiff>> + 'a>;

/// The `--stat` line of a table diff, as `vdb log --stat` prints it too.
pub fn stat_line(ctx: &Context, d: &TableDiff) -> Result<String> {
    let mut rows = d
        .rows(ctx.repo.node_store())?
        .map(|r| r.map_err(Into::into));
    stat_text(d, &mut rows)
}

fn stat_text(d: &TableDiff, rows: &mut dyn Iterator<Item = Result<RowDiff>>) -> Result<String> {
    let (mut added, mut deleted, mut modified, mut cells) = (0u64, 0u64, 0u64, 0u64);
    for row in rows {
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
    Ok(format!(
        "{}: {added} row(s) added, {deleted} deleted, {modified} modified ({cells} cell(s)){schema}",
        d.name
    ))
}

/// A column shown in a table diff: its name and its position in old and new rows.
pub type Column = (String, Option<usize>, Option<usize>);

/// The columns of a table diff (see [`columns`]).
fn table_columns(d: &TableDiff) -> Vec<Column> {
    columns(
        d.from.as_ref().map(|t| t.schema()),
        d.to.as_ref().map(|t| t.schema()),
    )
}

/// Columns shown for a table diff: the new schema's, then dropped ones; each with its position
/// in old and new rows.
fn columns(from: Option<&Schema>, to: Option<&Schema>) -> Vec<Column> {
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

fn print_rows(d: &TableDiff, rows: &mut dyn Iterator<Item = Result<RowDiff>>) -> Result<()> {
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
    let cols = table_columns(d);
    let mut header = vec![String::new()];
    header.extend(cols.iter().map(|c| c.0.clone()));
    let mut out = TextTable::new(header);
    let render = |mark: &str, code: &str, row: &[Value], old: bool, changed: &[&CellChange]| {
        let mut line = vec![paint(on, code, mark)];
        for (name, i, j) in &cols {
            let pos = if old { *i } else { *j };
            let text = pos.map_or_else(String::new, |p| cell(&row[p]));
            let change = changed.iter().find(|c| c.column == *name);
            line.push(match change {
                None if code == YELLOW => text,
                None => paint(on, code, &text),
                Some(c) if !old => match (&c.old, &c.new) {
                    (Value::Text(a), Value::Text(b)) if words::is_long(a, b) => {
                        words::word_diff(a, b, on)
                    }
                    _ if on => paint(on, GREEN, &text),
                    _ => format!("{text}*"),
                },
                Some(_) if on => paint(on, RED, &text),
                Some(_) => format!("{text}*"),
            });
        }
        line
    };
    for row in rows {
        match row? {
            RowDiff::Added { row, .. } => out.push(render("+", GREEN, &row, false, &[])),
            RowDiff::Deleted { row, .. } => out.push(render("-", RED, &row, true, &[])),
            RowDiff::Modified {
                old, new, cells, ..
            } => {
                let changed: Vec<&CellChange> = cells.iter().collect();
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

/// A row as a JSON object (column name → value) under `schema`.
fn json_object(schema: Option<&Schema>, row: &[Value]) -> Result<String> {
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
}

/// One JSON object per changed row: its table, how it changed, the old and new row as objects
/// (column name → value) and, for a modified row, the names of the changed columns.
fn print_json(d: &TableDiff, rows: &mut dyn Iterator<Item = Result<RowDiff>>) -> Result<()> {
    let from = d.from.as_ref().map(|t| t.schema());
    let to = d.to.as_ref().map(|t| t.schema());
    let table = serde_json::to_string(&d.name)?;
    for row in rows {
        let line = match row? {
            RowDiff::Added { row, .. } => format!(
                "{{\"table\":{table},\"diff\":\"added\",\"new\":{}}}",
                json_object(to, &row)?
            ),
            RowDiff::Deleted { row, .. } => format!(
                "{{\"table\":{table},\"diff\":\"deleted\",\"old\":{}}}",
                json_object(from, &row)?
            ),
            RowDiff::Modified {
                old, new, cells, ..
            } => {
                let changed: Vec<&str> = cells.iter().map(|c| c.column.as_str()).collect();
                format!(
                    "{{\"table\":{table},\"diff\":\"modified\",\"old\":{},\"new\":{},\"changed\":{}}}",
                    json_object(from, &old)?,
                    json_object(to, &new)?,
                    serde_json::to_string(&changed)?
                )
            }
        };
        println!("{line}");
    }
    Ok(())
}

/// A table's changes as CSV: `diff_type,from_C...,to_C...`, then one row per change with NULL
/// (and the absent side) as an empty field. Tables after the first are preceded by an empty
/// line.
fn print_csv(
    d: &TableDiff,
    rows: &mut dyn Iterator<Item = Result<RowDiff>>,
    first: bool,
) -> Result<()> {
    let cols = table_columns(d);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if !first {
        out.write_all(b"\n")?;
    }
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out);
    let mut header = vec!["diff_type".to_string()];
    header.extend(cols.iter().map(|c| format!("from_{}", c.0)));
    header.extend(cols.iter().map(|c| format!("to_{}", c.0)));
    writer.write_record(&header)?;
    for row in rows {
        let row = row?;
        let (kind, old, new): (&str, Option<&Vec<Value>>, Option<&Vec<Value>>) = match &row {
            RowDiff::Added { row, .. } => ("added", None, Some(row)),
            RowDiff::Deleted { row, .. } => ("deleted", Some(row), None),
            RowDiff::Modified { old, new, .. } => ("modified", Some(old), Some(new)),
        };
        let text = |values: Option<&Vec<Value>>, pos: Option<usize>| {
            values
                .zip(pos)
                .and_then(|(v, p)| v.get(p))
                .and_then(value_text)
                .unwrap_or_default()
        };
        let mut record = vec![kind.to_string()];
        record.extend(cols.iter().map(|(_, i, _)| text(old, *i)));
        record.extend(cols.iter().map(|(_, _, j)| text(new, *j)));
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(())
}
