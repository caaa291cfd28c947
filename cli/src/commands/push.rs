//! `vdb push`: uploads the chunks a remote lacks, then moves the remote's branch, refusing a
//! non-fast-forward unless `--force`; or creates the remote's tags (`vdb push origin v1`,
//! `vdb push --tags`), refusing to move a tag the remote has with another target unless
//! `--force`.

use super::remote::human_bytes;
use crate::context::{Context, Result};
use crate::render::short;
use std::path::Path;
use vdb_engine::repo::refs;
use vdb_remote::{Remote, TagPushReport};

/// Push a branch or tags to a remote.
///
/// BRANCH is a local branch (default: the current one), pushed to the remote branch of the
/// same name, or `LOCAL:REMOTE`. A push that would drop commits from the remote branch is
/// refused unless --force; fetch and merge (`vdb pull`) first. A name that is a tag and not a
/// branch (or `refs/tags/NAME`) pushes that tag; --tags pushes every tag (and the branch only
/// if one is named). The commits and annotated tag objects tags name travel with them. A tag
/// the remote already has with another target is refused unless --force.
///
/// Example: `vdb push`  or  `vdb push origin feature`  or  `vdb push origin main:release`  or
/// `vdb push origin v1.0`  or  `vdb push --tags`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The remote (default: origin).
    #[arg(default_value = "origin")]
    remote: String,
    /// LOCAL or LOCAL:REMOTE (default: the current branch), or a tag.
    branch: Option<String>,
    /// Push every local tag.
    #[arg(long)]
    tags: bool,
    /// Replace the remote branch even if that drops commits from it, or a remote tag that
    /// names another commit.
    #[arg(short, long)]
    force: bool,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    let remote = super::remote::open(&ctx, &args.remote)?;
    let store = &**ctx.repo.store();
    if let Some(spec) = &args.branch {
        let tag = spec.strip_prefix(refs::TAGS_PREFIX).or_else(|| {
            let branch = refs::read_ref(store, &refs::branch_ref(spec))
                .ok()
                .flatten();
            let tag = refs::read_ref(store, &refs::tag_ref(spec)).ok().flatten();
            (branch.is_none() && tag.is_some()).then_some(spec.as_str())
        });
        match tag {
            Some(tag) => push_tags(&ctx, &remote, &args.remote, &[tag.to_string()], args.force)?,
            None => push_branch(&ctx, &remote, &args.remote, spec, args.force)?,
        }
    } else if !args.tags {
        push_branch(&ctx, &remote, &args.remote, &ctx.branch, args.force)?;
    }
    if args.tags {
        push_tags(&ctx, &remote, &args.remote, &[], args.force)?;
    }
    Ok(())
}

fn push_branch(ctx: &Context, remote: &Remote, name: &str, spec: &str, force: bool) -> Result<()> {
    let (local, remote_branch) = spec.split_once(':').unwrap_or((spec, spec));
    let report = vdb_remote::push(&ctx.repo, remote, local, remote_branch, force)?;
    let target = format!("{name}/{remote_branch}");
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
    print_sent(report.chunks, report.bytes);
    Ok(())
}

fn push_tags(
    ctx: &Context,
    remote: &Remote,
    name: &str,
    tags: &[String],
    force: bool,
) -> Result<()> {
    let report: TagPushReport = vdb_remote::push_tags(&ctx.repo, remote, tags, force)?;
    for (tag, old, new) in &report.updated {
        match old {
            None => println!(" * [new tag] {tag} -> {name} at {}", short(new)),
            Some(old) => println!(
                " + {}...{}  {tag} -> {name} (forced update)",
                short(old),
                short(new)
            ),
        }
    }
    for tag in &report.up_to_date {
        println!(" = [up to date] {tag}");
    }
    if report.updated.is_empty() && report.up_to_date.is_empty() {
        println!("No tags to push");
    }
    print_sent(report.chunks, report.bytes);
    Ok(())
}

fn print_sent(chunks: u64, bytes: u64) {
    println!(
        "Pushed {chunks} chunks ({bytes} bytes, {})",
        human_bytes(bytes)
    );
}
