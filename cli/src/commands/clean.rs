//! `vdb clean`: drops the tables of the working set that were never staged nor committed, as
//! `dolt clean` does (`Repository::clean`).

use crate::context::{Context, Result};
use std::path::Path;

/// Drop untracked tables: those created since the last commit and never staged.
///
/// Without TABLE, every untracked table; with --dry-run, only lists them. Tracked tables are
/// left alone (use `vdb reset --hard` or `vdb checkout TABLE` for their changes).
///
/// Example: `vdb clean --dry-run`, then `vdb clean scratch`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Tables to drop (default: every untracked table).
    tables: Vec<String>,
    /// List what would be dropped, and drop nothing.
    #[arg(short = 'n', long)]
    dry_run: bool,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    let names: Vec<&str> = args.tables.iter().map(String::as_str).collect();
    let chosen = (!names.is_empty()).then_some(names.as_slice());
    let dropped = ctx.repo.clean(&ctx.branch, chosen, args.dry_run)?;
    let verb = if args.dry_run {
        "Would drop"
    } else {
        "Dropped"
    };
    for table in &dropped {
        println!("{verb} table {table}");
    }
    Ok(())
}
