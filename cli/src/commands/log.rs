//! `vdb log`: the commits reachable from a revision, or in a range, newest first; with
//! `--graph` beside an ASCII graph (`graph.rs`), with `--stat` each commit's row counts per table,
//! and with `-- TABLE...` only the commits that changed one of those tables.
//!
//! Table filtering follows git's history simplification for paths: a commit is shown when the
//! table differs from every parent (the initial commit: when it holds the table), so a merge
//! that only brought in a change already shown on its branch is left out; the graph then links
//! each shown commit to its nearest shown ancestors.

mod graph;

use super::diff::stat_line;
use crate::context::{Context, Result};
use crate::render::{date, short};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use vdb_engine::repo::commit::peel_to_commit;
use vdb_engine::repo::{diff_roots, Commit, Shallow};
use vdb_engine::table::RootValue;
use vdb_engine::Hash;

/// Show the commit history.
///
/// Example: `vdb log --oneline -n 10 main..feature`  or  `vdb log --graph -- people`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One line per commit: short hash, decorations, summary.
    #[arg(long)]
    oneline: bool,
    /// Draw the commit graph beside the commits, as `git log --graph` (with `--oneline`: one
    /// line per commit).
    #[arg(long)]
    graph: bool,
    /// After each commit, per table: rows added, deleted and modified since its first parent.
    #[arg(long)]
    stat: bool,
    /// Show at most N commits.
    #[arg(short = 'n', long = "max-count", value_name = "N")]
    max_count: Option<usize>,
    /// A revision (default HEAD) or a range `a..b` / `a...b`.
    rev: Option<String>,
    /// Only commits that changed one of these tables (after `--`).
    #[arg(last = true, value_name = "TABLE")]
    tables: Vec<String>,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    let rev = args.rev.as_deref().unwrap_or("HEAD");
    let limit = if args.tables.is_empty() {
        args.max_count
    } else {
        None
    };
    let mut commits = if rev.contains("..") {
        ctx.repo.log_range(rev, limit)?
    } else {
        ctx.repo.log(rev, limit)?
    };
    let mut parents: HashMap<Hash, Vec<Hash>> = commits
        .iter()
        .map(|(h, c)| (*h, c.parents.clone()))
        .collect();
    if !args.tables.is_empty() {
        let touching = touching(&ctx, &commits, &args.tables)?;
        parents = rewrite_parents(&commits, &touching);
        commits.retain(|(h, _)| touching.contains(h));
        commits.truncate(args.max_count.unwrap_or(usize::MAX));
    }
    if args.graph {
        let order = graph::topo_order(
            commits
                .iter()
                .map(|(h, _)| (*h, parents.remove(h).unwrap_or_default()))
                .collect(),
        );
        let by_hash: HashMap<Hash, &Commit> = commits.iter().map(|(h, c)| (*h, c)).collect();
        let shown: HashSet<Hash> = by_hash.keys().copied().collect();
        let decorations = decorations(&ctx)?;
        let mut lanes = graph::Graph::default();
        let count = order.len();
        for (i, (hash, parents)) in order.into_iter().enumerate() {
            let parents: Vec<Hash> = parents.into_iter().filter(|p| shown.contains(p)).collect();
            let drawn = lanes.commit(hash, &parents);
            let names = decorations.get(&hash).map(Vec::as_slice).unwrap_or(&[]);
            let commit = by_hash[&hash];
            if args.oneline {
                println!("{}{}", drawn.row, oneline(hash, commit, names));
            } else {
                // The full format, every line after the first behind the lanes, and a
                // separating line, as git draws it.
                let lines = commit_lines(hash, commit, names);
                println!("{}{}", drawn.row, lines[0]);
                for line in &lines[1..] {
                    println!("{}", format!("{}{line}", drawn.continuation).trim_end());
                }
            }
            if args.stat {
                if !args.oneline {
                    println!("{}", drawn.continuation.trim_end());
                }
                print_stat(&ctx, commit, &format!("{}  ", drawn.continuation))?;
            }
            if !args.oneline && i + 1 < count {
                println!("{}", drawn.continuation.trim_end());
            }
            for line in drawn.transition {
                println!("{line}");
            }
        }
        return Ok(());
    }
    let decorations = decorations(&ctx)?;
    for (i, (hash, commit)) in commits.iter().enumerate() {
        let names = decorations.get(hash).map(Vec::as_slice).unwrap_or(&[]);
        if args.oneline {
            println!("{}", oneline(*hash, commit, names));
        } else {
            if i > 0 {
                println!();
            }
            print_commit(*hash, commit, names);
        }
        if args.stat {
            if !args.oneline {
                println!();
            }
            print_stat(&ctx, commit, " ")?;
        }
    }
    Ok(())
}

/// `short-hash (decorations) summary`.
fn oneline(hash: Hash, commit: &Commit, names: &[String]) -> String {
    let deco = if names.is_empty() {
        String::new()
    } else {
        format!(" ({})", names.join(", "))
    };
    format!("{}{deco} {}", short(&hash), commit.summary())
}

/// The root a commit's first parent committed (empty for the initial commit).
fn parent_root(ctx: &Context, commit: &Commit) -> Result<RootValue> {
    Ok(match commit.parents.first() {
        Some(parent) => ctx.repo.root_value(ctx.repo.commit_info(*parent)?.root)?,
        None => RootValue::empty(),
    })
}

/// Prints, indented, one `--stat` line per table the commit changed since its first parent.
fn print_stat(ctx: &Context, commit: &Commit, indent: &str) -> Result<()> {
    let before = parent_root(ctx, commit)?;
    let after = ctx.repo.root_value(commit.root)?;
    for d in diff_roots(ctx.repo.node_store(), &before, &after)? {
        println!("{indent}{}", stat_line(ctx, &d)?);
    }
    Ok(())
}

/// The commits among `commits` whose version of one of `tables` differs from every parent's.
fn touching(ctx: &Context, commits: &[(Hash, Commit)], tables: &[String]) -> Result<HashSet<Hash>> {
    let addrs = |commit: &Commit| -> Result<Vec<Option<Hash>>> {
        let root = ctx.repo.root_value(commit.root)?;
        Ok(tables.iter().map(|t| root.table_addr(t)).collect())
    };
    let mut out = HashSet::new();
    for (hash, commit) in commits {
        let mine = addrs(commit)?;
        let changed = if commit.parents.is_empty() {
            mine.iter().any(Option::is_some)
        } else {
            let mut all = true;
            for parent in &commit.parents {
                all &= addrs(&ctx.repo.commit_info(*parent)?)? != mine;
            }
            all
        };
        if changed {
            out.insert(*hash);
        }
    }
    Ok(out)
}

/// Each shown commit's nearest shown ancestors, through hidden commits: what the graph links
/// it to when `-- TABLE` hides commits. `commits` come children first.
fn rewrite_parents(commits: &[(Hash, Commit)], shown: &HashSet<Hash>) -> HashMap<Hash, Vec<Hash>> {
    let mut through: HashMap<Hash, Vec<Hash>> = HashMap::new();
    for (hash, commit) in commits.iter().rev() {
        let mut nearest: Vec<Hash> = Vec::new();
        for parent in &commit.parents {
            let reached = if shown.contains(parent) {
                vec![*parent]
            } else {
                through.get(parent).cloned().unwrap_or_default()
            };
            for h in reached {
                if !nearest.contains(&h) {
                    nearest.push(h);
                }
            }
        }
        through.insert(*hash, nearest);
    }
    through
}

/// Prints a commit's header and message, as `log` and `show` do.
pub fn print_commit(hash: Hash, commit: &Commit, names: &[String]) {
    for line in commit_lines(hash, commit, names) {
        println!("{line}");
    }
}

/// A commit's header and message as lines: `commit HASH (names)`, `Merge:`, `Author:`,
/// `Date:`, an empty line, then the message indented.
fn commit_lines(hash: Hash, commit: &Commit, names: &[String]) -> Vec<String> {
    let mut lines = vec![if names.is_empty() {
        format!("commit {hash}")
    } else {
        format!("commit {hash} ({})", names.join(", "))
    }];
    if commit.parents.len() > 1 {
        let parents: Vec<String> = commit.parents.iter().map(short).collect();
        lines.push(format!("Merge: {}", parents.join(" ")));
    }
    lines.push(format!("Author: {}", commit.author));
    lines.push(format!("Date:   {}", date(&commit.author)));
    lines.push(String::new());
    lines.extend(commit.message.lines().map(|line| format!("    {line}")));
    lines
}

/// Branch and tag names by the commit they point at (`HEAD -> main` for the current branch),
/// and `grafted` on the boundary commits of a shallow clone.
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
    // The boundary of a shallow clone, marked as git marks it.
    for hash in Shallow::load(&**ctx.repo.store())?.commits() {
        out.entry(*hash).or_default().push("grafted".into());
    }
    for names in out.values_mut() {
        names.sort_by_key(|n| !n.starts_with("HEAD"));
    }
    Ok(out)
}
