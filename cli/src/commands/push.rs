//! `vdb push`: uploads the chunks a remote lacks, then moves the remote's branch, refusing a
//! non-fast-forward unless `--force`.

use super::remote::human_bytes;
use crate::context::{Context, Result};
use crate::render::short;
use std::path::Path;

/// Push a branch to a remote.
///
/// BRANCH is a local branch (default: the current one), pushed to the remote branch of the
/// same name, or `LOCAL:REMOTE`. A push that would drop commits from the remote branch is
/// refused unless --force; fetch and merge (`vdb pull`) first.
///
/// Example: `vdb push`  or  `vdb push origin feature`  or  `vdb push origin main:release`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The remote (default: origin).
    #[arg(default_value = "origin")]
    remote: String,
    /// LOCAL or LOCAL:REMOTE (default: the current branch).
    branch: Option<String>,
    /// Replace the remote branch even if that drops commits from it.
    #[arg(short, long)]
    force: bool,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    let spec = args.branch.clone().unwrap_or_else(|| ctx.branch.clone());
    let (local, remote_branch) = match spec.split_once(':') {
        Some((l, r)) => (l.to_string(), r.to_string()),
        None => (spec.clone(), spec),
    };
    let remote = super::remote::open(&ctx, &args.remote)?;
    let report = vdb_remote::push(&ctx.repo, &remote, &local, &remote_branch, args.force)?;
    let target = format!("{}/{remote_branch}", args.remote);
    match report.old {
        Some(old) if old == report.new => println!("Everything up to date ({target})"),
        Some(old) => println!(
            "   {}{}{}  {local} -> {target}{}",
            short(&old),
            if report.forced { "..." } else { ".." },
            short(&report.new),
            if report.forced {
                " (forced update)"
            } else {
                ""
            }
        ),
        None => println!(
            " * [new branch] {local} -> {target} at {}",
            short(&report.new)
        ),
    }
    println!(
        "Pushed {} chunks ({} bytes, {})",
        report.chunks,
        report.bytes,
        human_bytes(report.bytes)
    );
    Ok(())
}
