//! `vdb fetch`: downloads what a remote has that this repository lacks and moves the
//! remote-tracking branches (`origin/main`); local branches are left alone. In a shallow clone,
//! `--deepen N` and `--unshallow` fetch history below its boundary first.

use super::remote::human_bytes;
use crate::context::{Context, Result};
use crate::render::short;
use std::path::Path;
use vdb_remote::FetchReport;

/// Download new commits from a remote; update its remote-tracking branches.
///
/// In a shallow clone (`vdb clone --depth N`) a fetch brings new commits down to those the
/// clone has, never the history behind its boundary; `--deepen N` and `--unshallow` fetch
/// that history.
///
/// Example: `vdb fetch`  or  `vdb fetch origin`, then `vdb log origin/main`  or
/// `vdb fetch --deepen 10`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The remote (default: origin).
    #[arg(default_value = "origin")]
    remote: String,
    /// In a shallow clone: also fetch N more commits below the boundary, along every parent
    /// path.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    deepen: Option<u32>,
    /// In a shallow clone: fetch all the history below the boundary, making the clone
    /// complete.
    #[arg(long, conflicts_with = "deepen")]
    unshallow: bool,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    let remote = super::remote::open(&ctx, &args.remote)?;
    let report = if args.unshallow {
        vdb_remote::deepen(&ctx.repo, &remote, None)?
    } else if let Some(n) = args.deepen {
        vdb_remote::deepen(&ctx.repo, &remote, Some(n))?
    } else {
        vdb_remote::fetch(&ctx.repo, &remote)?
    };
    print_report(&args.remote, &report);
    Ok(())
}

/// Prints the branches a fetch moved and what it downloaded.
pub fn print_report(remote: &str, report: &FetchReport) {
    for (branch, old, new) in &report.updated {
        match (old, new) {
            (None, Some(new)) => println!(" * [new branch] {remote}/{branch} at {}", short(new)),
            (Some(old), Some(new)) => {
                println!("   {}..{}  {remote}/{branch}", short(old), short(new));
            }
            (_, None) => println!(" - [deleted] {remote}/{branch}"),
        }
    }
    for tag in &report.new_tags {
        println!(" * [new tag] {tag}");
    }
    println!(
        "Fetched {} chunks ({}) from {remote}",
        report.chunks,
        human_bytes(report.bytes)
    );
}
