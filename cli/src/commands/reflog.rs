//! `vdb reflog`: where a ref pointed over time, newest first, so that a commit left behind by
//! `reset --hard`, a forced branch move or a branch delete can be found and named (`main@{2}`).

use crate::context::{Context, Result};
use crate::render::{date_ms, short};
use std::path::Path;
use vdb_engine::repo::commit::peel_to_commit;
use vdb_engine::repo::reflog::{self, ReflogEntry};

/// Show where a branch (or tag) pointed over time.
///
/// Each line is the commit, `NAME@{n}` (n changes ago: pass it to any command that takes a
/// revision), the time of the change and the commit's subject. The reflog is local to this
/// repository; garbage collection drops the entries of commits it removed.
///
/// Example: `vdb reflog main`, then `vdb reset --hard main@{1}` to undo the last move.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The branch, tag or remote-tracking branch (default: the current branch).
    name: Option<String>,
    /// Every ref's changes, interleaved by time.
    #[arg(long, conflicts_with = "name")]
    all: bool,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    let store = &**ctx.repo.store();
    let entries = if args.all {
        reflog::read_all(store)?
    } else {
        let name = args.name.as_deref().unwrap_or(&ctx.branch);
        reflog::read(store, &reflog::find(store, name)?)?
    };
    // `@{n}` counts back within each ref's own log.
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut lines = Vec::with_capacity(entries.len());
    for entry in entries.iter().rev() {
        let n = seen.entry(&entry.ref_name).or_default();
        lines.push(line(&ctx, entry, *n));
        *n += 1;
    }
    for line in lines {
        println!("{line}");
    }
    Ok(())
}

/// `HASH NAME@{n}: DATE SUBJECT`, or `(deleted)` for a delete.
fn line(ctx: &Context, entry: &ReflogEntry, n: usize) -> String {
    let (name, _) = entry.short_name();
    let when = date_ms(entry.time_us.div_euclid(1000));
    let Some(target) = entry.target else {
        return format!("{:12} {name}@{{{n}}}: {when} (deleted)", "-");
    };
    let store = &**ctx.repo.store();
    let subject = peel_to_commit(store, target)
        .and_then(|commit| ctx.repo.commit_info(commit))
        .map(|c| c.message.lines().next().unwrap_or("").to_string())
        .unwrap_or_else(|_| "(commit no longer in the store)".into());
    format!("{} {name}@{{{n}}}: {when} {subject}", short(&target))
}
