//! `vdb add`: stages tables of the working set for the next commit.

use crate::context::{Context, Result};
use crate::fail;
use std::path::Path;

/// Stage tables for the next commit (`-A` or `.` stages every table, drops included).
///
/// Example: `vdb add people`  or  `vdb add -A`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Stage every table.
    #[arg(short = 'A', long = "all")]
    all: bool,
    /// Tables to stage; `.` means every table.
    tables: Vec<String>,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    if args.all || args.tables.iter().any(|t| t == ".") {
        ctx.repo.stage(&ctx.branch, None)?;
        return Ok(());
    }
    if args.tables.is_empty() {
        fail!("nothing given to stage; name tables, or use -A to stage every table");
    }
    let tables: Vec<&str> = args.tables.iter().map(String::as_str).collect();
    ctx.repo.stage(&ctx.branch, Some(&tables))?;
    Ok(())
}
