//! `vdb stash`: puts the current branch's uncommitted changes aside and brings them back, as
//! git's and Dolt's `stash` do (the stack is kept by `vdb_engine::repo::stash`).

use super::diff::{print_diffs, View};
use crate::context::{Context, Result};
use crate::render::{date, short};
use std::path::Path;
use vdb_engine::repo::diff_roots;
use vdb_engine::repo::stash::{parse_stash_ref, StashApply};

/// Put uncommitted changes aside, and bring them back.
///
/// `vdb stash` (or `vdb stash push`) saves the current branch's staged and unstaged changes on
/// a stack and resets the branch to its last commit; tables never staged or committed stay
/// unless -u. `pop` / `apply` merge a stash back into the working tables (refusing, changing
/// nothing, if that would conflict); staged changes come back unstaged. A stash is named
/// `stash@{n}`, 0 being the newest, or just n.
///
/// Example: `vdb stash -m "half-done relabel"`, `vdb checkout other`, ..., `vdb stash pop`
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    push: PushArgs,
}

#[derive(Debug, Default, clap::Args)]
struct PushArgs {
    /// A message describing the stash.
    #[arg(short, long)]
    message: Option<String>,
    /// Also stash tables that were never staged or committed.
    #[arg(short = 'u', long = "include-untracked")]
    include_untracked: bool,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Save the changes and reset the branch (the default).
    Push(PushArgs),
    /// List the stashes, newest first.
    List,
    /// Show the changes a stash holds, against the commit it was made on.
    Show {
        /// stash@{n} or n (default: the newest).
        stash: Option<String>,
        /// Rows changed per table instead of the rows themselves.
        #[arg(long)]
        stat: bool,
    },
    /// Apply a stash and drop it.
    Pop {
        /// stash@{n} or n (default: the newest).
        stash: Option<String>,
    },
    /// Apply a stash and keep it.
    Apply {
        /// stash@{n} or n (default: the newest).
        stash: Option<String>,
    },
    /// Drop a stash without applying it.
    Drop {
        /// stash@{n} or n (default: the newest).
        stash: Option<String>,
    },
    /// Drop every stash.
    Clear,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    let index = |stash: &Option<String>| parse_stash_ref(stash.as_deref().unwrap_or(""));
    match &args.command {
        None => push(&ctx, &args.push),
        Some(Command::Push(push_args)) => push(&ctx, push_args),
        Some(Command::List) => {
            for stash in ctx.repo.stashes()? {
                println!(
                    "{}: {} ({}, {})",
                    stash.name(),
                    stash.commit.summary(),
                    short(&stash.addr),
                    date(&stash.commit.committer)
                );
            }
            Ok(())
        }
        Some(Command::Show { stash, stat }) => {
            let stash = ctx.repo.stash(index(stash)?)?;
            let base = ctx
                .repo
                .root_value(ctx.repo.commit_info(stash.head())?.root)?;
            let held = ctx.repo.root_value(stash.commit.root)?;
            let diffs = diff_roots(ctx.repo.node_store(), &base, &held)?;
            let view = if *stat { View::Stat } else { View::Rows };
            print_diffs(&ctx, &diffs, view)
        }
        Some(Command::Pop { stash }) => {
            let stash = ctx
                .repo
                .stash_apply(&ctx.branch, index(stash)?, StashApply::Drop)?;
            println!(
                "Applied and dropped {} ({})",
                stash.name(),
                short(&stash.addr)
            );
            Ok(())
        }
        Some(Command::Apply { stash }) => {
            let stash = ctx
                .repo
                .stash_apply(&ctx.branch, index(stash)?, StashApply::Keep)?;
            println!("Applied {} ({})", stash.name(), short(&stash.addr));
            Ok(())
        }
        Some(Command::Drop { stash }) => {
            let stash = ctx.repo.stash_drop(index(stash)?)?;
            println!("Dropped {} ({})", stash.name(), short(&stash.addr));
            Ok(())
        }
        Some(Command::Clear) => {
            let n = ctx.repo.stash_clear()?;
            println!("Dropped {n} stashes");
            Ok(())
        }
    }
}

fn push(ctx: &Context, args: &PushArgs) -> Result<()> {
    let stash = ctx.repo.stash_push(
        &ctx.branch,
        args.message.as_deref(),
        args.include_untracked,
        &ctx.signature()?,
    )?;
    println!(
        "Saved working tables as {}: {}",
        stash.name(),
        stash.commit.summary()
    );
    Ok(())
}
