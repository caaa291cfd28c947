//! `vdb merge`: merges a revision into the current branch three-way (fast-forward when
//! possible), or aborts a merge in progress. The outcome report is shared with revert and
//! cherry-pick.

use crate::context::{Context, Result};
use crate::fail;
use crate::render::short;
use std::path::Path;
use vdb_engine::repo::{MergeOptions, MergeOutcome};

/// Merge a branch, tag or commit into the current branch.
///
/// Example: `vdb merge feature`  or  `vdb merge --abort`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Make a merge commit even when a fast-forward is possible.
    #[arg(long)]
    no_ff: bool,
    /// Put the merged changes in the working set without committing.
    #[arg(long, conflicts_with = "no_ff")]
    squash: bool,
    /// Abandon the merge in progress, returning to the state before it.
    #[arg(long, conflicts_with_all = ["rev", "no_ff", "squash", "message"])]
    abort: bool,
    /// The merge commit's message.
    #[arg(short, long)]
    message: Option<String>,
    /// What to merge.
    rev: Option<String>,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    if args.abort {
        ctx.repo.merge_abort(&ctx.branch)?;
        println!("Merge aborted; branch {} is back at its head", ctx.branch);
        return Ok(());
    }
    let Some(rev) = &args.rev else {
        fail!("name what to merge (a branch, tag or commit), or pass --abort");
    };
    let mut opts = MergeOptions::new(ctx.signature()?);
    opts.no_ff = args.no_ff;
    opts.squash = args.squash;
    opts.message.clone_from(&args.message);
    let outcome = ctx.repo.merge(&ctx.branch, rev, &opts)?;
    report(&ctx, &outcome, "merge")
}

/// Prints how a merge, revert or cherry-pick ended; conflicts make the command fail.
pub fn report(ctx: &Context, outcome: &MergeOutcome, what: &str) -> Result<()> {
    match outcome {
        MergeOutcome::UpToDate => println!("Already up to date."),
        MergeOutcome::FastForward { commit } => {
            println!("Fast-forward {} to {}", ctx.branch, short(commit));
        }
        MergeOutcome::Merged { commit } => {
            let summary = ctx.repo.commit_info(*commit)?.summary().to_string();
            println!("[{} {}] {summary}", ctx.branch, short(commit));
        }
        MergeOutcome::Squashed { .. } => {
            println!("Squashed changes are staged; commit them with `vdb commit -m MSG`");
        }
        MergeOutcome::Conflicts {
            conflicts,
            schema_conflicts,
            violations,
        } => {
            for (table, n) in conflicts {
                println!("CONFLICT: table {table}: {n} conflicted row(s)");
            }
            for c in schema_conflicts {
                println!("CONFLICT: {c}");
            }
            for v in violations {
                println!("VIOLATION: {v}");
            }
            fail!(
                "the {what} stopped with conflicts; see them with `vdb conflicts cat TABLE`, \
                 resolve them with `vdb conflicts resolve --ours|--theirs TABLE`, then `vdb \
                 commit`, or abort with `vdb merge --abort`"
            );
        }
    }
    Ok(())
}
