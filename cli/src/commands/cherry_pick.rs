//! `vdb cherry-pick`: applies a commit's changes to the current branch as a new commit.

use super::merge::report;
use crate::context::{Context, Result};
use std::path::Path;

/// Apply the changes of a commit to the current branch (keeping its author and message).
///
/// Example: `vdb cherry-pick feature~2`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The commit to apply.
    rev: String,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    let outcome = ctx
        .repo
        .cherry_pick(&ctx.branch, &args.rev, &ctx.signature()?)?;
    report(&ctx, &outcome, "cherry-pick")
}
