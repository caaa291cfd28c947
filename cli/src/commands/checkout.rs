//! `vdb checkout`: switches the current branch, or creates one and switches to it.

use crate::context::{Context, Result};
use crate::fail;
use std::path::Path;

/// Switch to a branch (`-b` creates it first).
///
/// Each branch keeps its own working set, as in Dolt: uncommitted changes stay with the branch
/// they were made on and are there again when you switch back; nothing is lost or carried over.
/// A branch created with `-b` starts with a clean working set at its start revision.
///
/// Example: `vdb checkout -b feature`  or  `vdb checkout main`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Create branch NEW (at REV, default HEAD) and switch to it.
    #[arg(short = 'b', value_name = "NEW")]
    create: Option<String>,
    /// The branch to switch to, or with -b the revision the new branch starts at.
    target: Option<String>,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    let branch = match (&args.create, &args.target) {
        (Some(new), rev) => {
            ctx.repo
                .branch_create(new, rev.as_deref().unwrap_or("HEAD"), false)?;
            new.clone()
        }
        (None, Some(branch)) => branch.clone(),
        (None, None) => fail!("name the branch to switch to, or create one with -b NEW"),
    };
    if ctx.repo.branch_head(&branch).is_err() {
        fail!("branch {branch} does not exist; create it with `vdb checkout -b {branch}`");
    }
    ctx.repo.checkout(&branch)?;
    println!("Switched to branch {branch}");
    Ok(())
}
