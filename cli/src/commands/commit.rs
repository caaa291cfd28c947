//! `vdb commit`: records the staged tables as a new commit on the current branch.

use crate::context::{parse_author, Context, Result};
use crate::render::short;
use std::path::Path;
use vdb_engine::repo::CommitOptions;

/// Record the staged changes as a commit.
///
/// Example: `vdb commit -am "fix labels"`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The commit message (may be left out to conclude a merge with its prepared message).
    #[arg(short, long)]
    message: Option<String>,
    /// Stage every table first.
    #[arg(short, long)]
    all: bool,
    /// Commit even if nothing changed.
    #[arg(long)]
    allow_empty: bool,
    /// Replace the last commit instead of adding one.
    #[arg(long)]
    amend: bool,
    /// Override the author: "Name <email>".
    #[arg(long)]
    author: Option<String>,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    if args.all {
        ctx.repo.stage(&ctx.branch, None)?;
    }
    let committer = ctx.signature()?;
    let author = match &args.author {
        Some(text) => parse_author(text)?,
        None => committer.clone(),
    };
    let message = match (&args.message, args.amend) {
        (Some(m), _) => m.clone(),
        (None, true) => {
            ctx.repo
                .commit_info(ctx.repo.branch_head(&ctx.branch)?)?
                .message
        }
        (None, false) => String::new(),
    };
    let mut opts = CommitOptions::new(&message, author);
    opts.committer = Some(committer);
    opts.allow_empty = args.allow_empty;
    opts.amend = args.amend;
    let commit = ctx.repo.commit(&ctx.branch, &opts)?;
    let summary = ctx.repo.commit_info(commit)?.summary().to_string();
    println!("[{} {}] {summary}", ctx.branch, short(&commit));
    Ok(())
}
