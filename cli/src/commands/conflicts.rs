//! `vdb conflicts`: shows the rows a merge could not decide, and resolves them by taking one
//! side, for the whole table or for the rows with the given primary keys.
//!
//! A key is given as its values' text, as `vdb conflicts cat` shows them: `2` for a one-column
//! key, `2,en` for a two-column key (keyless tables: every column). Keys are matched against the
//! conflicted rows' own values, so no type parsing is needed and a key that is not conflicted is
//! reported by name.

use crate::context::{Context, Result};
use crate::fail;
use crate::render::{cell, TextTable};
use bytes::Bytes;
use std::path::Path;
use vdb_engine::repo::{ConflictRow, Side};

/// Show or resolve merge conflicts.
///
/// Example: `vdb conflicts cat people`  or  `vdb conflicts resolve --theirs people`
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: ConflictsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ConflictsCommand {
    Cat(CatArgs),
    Resolve(ResolveArgs),
}

/// Show a table's conflicted rows: base, ours and theirs for each.
///
/// Example: `vdb conflicts cat people`
#[derive(Debug, clap::Args)]
struct CatArgs {
    table: String,
}

/// Resolve a table's conflicted rows by taking our or their version (and stage the table).
///
/// With KEYs, only the rows with those primary keys are resolved (values as `vdb conflicts cat`
/// shows them, comma-separated for a multi-column key); the table is staged once none remain.
///
/// Example: `vdb conflicts resolve --theirs people`  or  `vdb conflicts resolve --ours people 2 7`
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("side").required(true)))]
struct ResolveArgs {
    /// Keep the current branch's version.
    #[arg(long, group = "side")]
    ours: bool,
    /// Keep the merged-in version.
    #[arg(long, group = "side")]
    theirs: bool,
    table: String,
    /// Primary keys of the rows to resolve (default: every conflicted row).
    keys: Vec<String>,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    match &args.command {
        ConflictsCommand::Cat(a) => cat(&ctx, &a.table),
        ConflictsCommand::Resolve(a) => {
            let side = if a.ours { Side::Ours } else { Side::Theirs };
            let keys = if a.keys.is_empty() {
                None
            } else {
                Some(conflict_keys(&ctx, &a.table, &a.keys)?)
            };
            let n = ctx
                .repo
                .resolve_conflicts(&ctx.branch, &a.table, side, keys.as_deref())?;
            let left = ctx.repo.conflicts(&ctx.branch, &a.table)?.len();
            if left == 0 {
                println!("resolved {n} conflict(s) in {} and staged it", a.table);
            } else {
                println!(
                    "resolved {n} conflict(s) in {}; {left} remain (see `vdb conflicts cat {}`)",
                    a.table, a.table
                );
            }
            Ok(())
        }
    }
}

/// The stored keys of the conflicted rows of `table` named by `keys` (text as `cat` shows it).
fn conflict_keys(ctx: &Context, table: &str, keys: &[String]) -> Result<Vec<Bytes>> {
    let ws = ctx.repo.working_set(&ctx.branch)?;
    if ws.schema_conflicts.iter().any(|c| c.table == table) {
        fail!("table {table} has a schema conflict, which is resolved for the whole table: drop the keys");
    }
    let schema = ctx
        .repo
        .working_root(&ctx.branch)?
        .must_get_table(ctx.repo.node_store(), table)?
        .schema()
        .clone();
    let positions = if schema.is_keyless() {
        (0..schema.columns.len()).collect()
    } else {
        schema.key_positions()
    };
    let rows = ctx.repo.conflicts(&ctx.branch, table)?;
    let text_of = |row: &ConflictRow| -> Option<String> {
        let values = row
            .ours
            .as_ref()
            .or(row.theirs.as_ref())
            .or(row.base.as_ref())?;
        let parts: Vec<String> = positions
            .iter()
            .map(|p| values.get(*p).map(cell).unwrap_or_default())
            .collect();
        Some(parts.join(","))
    };
    let mut out = Vec::new();
    for key in keys {
        let wanted: Vec<&str> = key.split(',').map(str::trim).collect();
        let wanted = wanted.join(",");
        match rows.iter().find(|r| text_of(r).as_deref() == Some(wanted.as_str())) {
            Some(row) => out.push(row.key.clone()),
            None => fail!(
                "table {table} has no conflicted row with key {key}; list them with `vdb conflicts cat {table}`"
            ),
        }
    }
    Ok(out)
}

fn cat(ctx: &Context, table: &str) -> Result<()> {
    let ws = ctx.repo.working_set(&ctx.branch)?;
    if let Some(conflict) = ws.schema_conflicts.iter().find(|c| c.table == table) {
        println!("{conflict}");
        println!(
            "take one side of the whole table with `vdb conflicts resolve --ours|--theirs {table}`"
        );
        return Ok(());
    }
    let rows = ctx.repo.conflicts(&ctx.branch, table)?;
    if rows.is_empty() {
        println!("table {table} has no conflicts");
        return Ok(());
    }
    let schema = ctx
        .repo
        .working_root(&ctx.branch)?
        .must_get_table(ctx.repo.node_store(), table)?
        .schema()
        .clone();
    let mut header = vec!["side".to_string()];
    header.extend(schema.columns.iter().map(|c| c.name.clone()));
    let mut out = TextTable::new(header);
    for row in rows {
        for (side, values) in [
            ("base", row.base),
            ("ours", row.ours),
            ("theirs", row.theirs),
        ] {
            let mut line = vec![side.to_string()];
            match values {
                Some(values) => line.extend(values.iter().map(cell)),
                None => line.extend(schema.columns.iter().map(|_| "(absent)".to_string())),
            }
            out.push(line);
        }
    }
    print!("{out}");
    Ok(())
}
