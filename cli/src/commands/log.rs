//! `vdb log`: the commits reachable from a revision, or in a range, newest first.

use crate::context::{Context, Result};
use crate::render::{date, short};
use std::collections::HashMap;
use std::path::Path;
use vdb_engine::repo::commit::peel_to_commit;
use vdb_engine::repo::Commit;
use vdb_engine::Hash;

/// Show the commit history.
///
/// Example: `vdb log --oneline -n 10 main..feature`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One line per commit: short hash, decorations, summary.
    #[arg(long)]
    oneline: bool,
    /// Show at most N commits.
    #[arg(short = 'n', long = "max-count", value_name = "N")]
    max_count: Option<usize>,
    /// A revision (default HEAD) or a range `a..b` / `a...b`.
    rev: Option<String>,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    let rev = args.rev.as_deref().unwrap_or("HEAD");
    let commits = if rev.contains("..") {
        ctx.repo.log_range(rev, args.max_count)?
    } else {
        ctx.repo.log(rev, args.max_count)?
    };
    let decorations = decorations(&ctx)?;
    for (i, (hash, commit)) in commits.iter().enumerate() {
        let names = decorations.get(hash).map(Vec::as_slice).unwrap_or(&[]);
        if args.oneline {
            let deco = if names.is_empty() {
                String::new()
            } else {
                format!(" ({})", names.join(", "))
            };
            println!("{}{deco} {}", short(hash), commit.summary());
        } else {
            if i > 0 {
                println!();
            }
            print_commit(*hash, commit, names);
        }
    }
    Ok(())
}

/// Prints a commit's header and message, as `log` and `show` do.
pub fn print_commit(hash: Hash, commit: &Commit, names: &[String]) {
    if names.is_empty() {
        println!("commit {hash}");
    } else {
        println!("commit {hash} ({})", names.join(", "));
    }
    if commit.parents.len() > 1 {
        let parents: Vec<String> = commit.parents.iter().map(short).collect();
        println!("Merge: {}", parents.join(" "));
    }
    println!("Author: {}", commit.author);
    println!("Date:   {}", date(&commit.author));
    println!();
    for line in commit.message.lines() {
        println!("    {line}");
    }
}

/// Branch and tag names by the commit they point at (`HEAD -> main` for the current branch).
pub fn decorations(ctx: &Context) -> Result<HashMap<Hash, Vec<String>>> {
    let mut out: HashMap<Hash, Vec<String>> = HashMap::new();
    for (name, hash) in ctx.repo.branches()? {
        let label = if name == ctx.branch {
            format!("HEAD -> {name}")
        } else {
            name
        };
        out.entry(hash).or_default().push(label);
    }
    for (name, hash) in ctx.repo.tags()? {
        let commit = peel_to_commit(&**ctx.repo.store(), hash)?;
        out.entry(commit).or_default().push(format!("tag: {name}"));
    }
    for names in out.values_mut() {
        names.sort_by_key(|n| !n.starts_with("HEAD"));
    }
    Ok(out)
}
