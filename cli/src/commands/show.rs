//! `vdb show`: a commit's header and message, then its changes against its first parent.

use super::diff::{print_diffs, View};
use super::log::{decorations, print_commit};
use crate::context::{Context, Result};
use std::path::Path;
use vdb_engine::repo::{diff_roots, Shallow};
use vdb_engine::table::RootValue;

/// Show a commit and the changes it made.
///
/// Example: `vdb show HEAD~1`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The commit (default HEAD).
    #[arg(default_value = "HEAD")]
    rev: String,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    let hash = ctx.repo.resolve(&args.rev)?;
    // A shallow clone's boundary commit shows, as in git, as if it had no parents.
    let shallow = Shallow::load(&**ctx.repo.store())?;
    let commit = shallow.graft(&hash, ctx.repo.commit_info(hash)?);
    let names = decorations(&ctx)?.remove(&hash).unwrap_or_default();
    print_commit(hash, &commit, &names);
    let old = match commit.parents.first() {
        Some(parent) => ctx.repo.root_value(ctx.repo.commit_info(*parent)?.root)?,
        None => RootValue::empty(),
    };
    let new = ctx.repo.root_value(commit.root)?;
    let diffs = diff_roots(ctx.repo.node_store(), &old, &new)?;
    if !diffs.is_empty() {
        println!();
    }
    print_diffs(&ctx, &diffs, View::Rows)
}
