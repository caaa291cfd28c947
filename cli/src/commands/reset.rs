//! `vdb reset`: moves the current branch to a revision, and with it the staged (default) or
//! the staged and working (`--hard`) state.

use crate::context::{Context, Result};
use crate::render::short;
use std::path::Path;
use vdb_engine::repo::ResetMode;

/// Move the current branch to a revision, resetting staged (or with --hard all) changes.
///
/// `--soft` moves the branch only; the default also resets what is staged to REV; `--hard`
/// also discards the working set's changes.
///
/// Example: `vdb reset --hard HEAD~1`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Move the branch only.
    #[arg(long, conflicts_with = "hard")]
    soft: bool,
    /// Also discard staged and working changes.
    #[arg(long)]
    hard: bool,
    /// Where to move the branch (default HEAD).
    #[arg(default_value = "HEAD")]
    rev: String,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    let mode = match (args.soft, args.hard) {
        (true, _) => ResetMode::Soft,
        (_, true) => ResetMode::Hard,
        _ => ResetMode::Mixed,
    };
    let head = ctx.repo.reset(&ctx.branch, mode, &args.rev)?;
    let summary = ctx.repo.commit_info(head)?.summary().to_string();
    println!("HEAD is now at {} {summary}", short(&head));
    Ok(())
}
