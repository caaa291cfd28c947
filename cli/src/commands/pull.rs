//! `vdb pull`: fetch, then merge the remote-tracking branch into the current branch (a
//! fast-forward when possible; conflicts stop it as `vdb merge` does).

use crate::context::{Context, Result};
use crate::fail;
use std::path::Path;
use vdb_engine::repo::{refs, MergeOptions};

/// Fetch from a remote and merge its branch into the current branch.
///
/// Example: `vdb pull`  or  `vdb pull origin main`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The remote (default: origin).
    #[arg(default_value = "origin")]
    remote: String,
    /// The remote branch to merge (default: the current branch's name).
    branch: Option<String>,
    /// Make a merge commit even when a fast-forward is possible.
    #[arg(long)]
    no_ff: bool,
    /// The merge commit's message.
    #[arg(short, long)]
    message: Option<String>,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    let remote_branch = args.branch.clone().unwrap_or_else(|| ctx.branch.clone());
    let mut opts = MergeOptions::new(ctx.signature()?);
    opts.no_ff = args.no_ff;
    opts.message.clone_from(&args.message);
    let remote = super::remote::open(&ctx, &args.remote)?;
    let report = vdb_remote::fetch(&ctx.repo, &remote)?;
    super::fetch::print_report(&args.remote, &report);
    let tracking = refs::remote_ref(&args.remote, &remote_branch);
    if refs::read_ref(&**ctx.repo.store(), &tracking)?.is_none() {
        fail!("remote {} has no branch {remote_branch}", args.remote);
    }
    let outcome = ctx.repo.merge(
        &ctx.branch,
        &format!("{}/{remote_branch}", args.remote),
        &opts,
    )?;
    super::merge::report(&ctx, &outcome, "pull")
}
