//! `vdb revert`: undoes a commit's changes with a new commit on the current branch.

use super::merge::report;
use crate::context::{Context, Result};
use std::path::Path;

/// Undo the changes of a commit with a new commit.
///
/// Example: `vdb revert HEAD~1`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The commit to revert.
    rev: String,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    let outcome = ctx.repo.revert(&ctx.branch, &args.rev, &ctx.signature()?)?;
    report(&ctx, &outcome, "revert")
}
