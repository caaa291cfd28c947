//! `vdb constraints verify`: checks tables' rows against their foreign keys and CHECK
//! constraints, as `dolt constraints verify` does, and records what breaks them as constraint
//! violations of the working set (`vdb_sql::vc::verify`).

use crate::context::{Context, Result};
use crate::fail;
use std::path::Path;

/// Check foreign keys and CHECK constraints.
///
/// Example: `vdb constraints verify`  or  `vdb constraints verify --output-only labels`
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: ConstraintsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ConstraintsCommand {
    Verify(VerifyArgs),
}

/// Check every row of the tables (default: all) against their foreign keys and CHECK
/// constraints; record each violation in the working set (so `vdb status` shows it and a
/// commit waits until it is fixed and the table staged), replacing what an earlier check
/// recorded for those tables. Exits nonzero when a violation is found.
#[derive(Debug, clap::Args)]
struct VerifyArgs {
    /// Only report; record nothing.
    #[arg(short = 'o', long)]
    output_only: bool,
    /// Tables to check (default: every table).
    tables: Vec<String>,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ConstraintsCommand::Verify(a) = &args.command;
    let ctx = Context::open(start)?;
    let found =
        vdb_sql::vc::verify::verify_branch(&ctx.repo, &ctx.branch, &a.tables, !a.output_only)?;
    for violation in &found {
        println!("{violation}");
    }
    let count = found.len();
    if count > 0 {
        fail!("{count} constraint violation(s) found");
    }
    println!("No constraint violations");
    Ok(())
}
