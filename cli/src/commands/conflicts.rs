//! `vdb conflicts`: shows the rows a merge could not decide, and resolves them by taking one
//! side.

use crate::context::{Context, Result};
use crate::render::{cell, TextTable};
use std::path::Path;
use vdb_engine::repo::Side;

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

/// Resolve every conflicted row of a table by taking our or their version (and stage it).
///
/// Example: `vdb conflicts resolve --theirs people`
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
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    match &args.command {
        ConflictsCommand::Cat(a) => cat(&ctx, &a.table),
        ConflictsCommand::Resolve(a) => {
            let side = if a.ours { Side::Ours } else { Side::Theirs };
            let n = ctx
                .repo
                .resolve_conflicts(&ctx.branch, &a.table, side, None)?;
            println!("resolved {n} conflict(s) in {} and staged it", a.table);
            Ok(())
        }
    }
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
