//! `vdb status`: the current branch, a merge in progress, staged and unstaged tables, and what
//! a merge left to resolve.

use crate::context::{Context, Result};
use crate::render::short;
use std::path::Path;
use vdb_engine::repo::{TableChange, TableStatus};

/// Show the branch, staged and unstaged table changes, and conflicts.
///
/// Example: `vdb status`
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    let status = ctx.repo.status(&ctx.branch)?;
    println!("On branch {}", status.branch);
    if let Some(merge) = &status.merge {
        println!(
            "A merge of {} is in progress: resolve conflicts, then `vdb commit`, or `vdb merge --abort`.",
            short(&merge.their_commit)
        );
    }
    let unresolved = !status.conflicts.is_empty()
        || !status.schema_conflicts.is_empty()
        || !status.violations.is_empty();
    if unresolved {
        println!("\nUnmerged tables (fix with `vdb conflicts resolve --ours|--theirs TABLE`):");
        for (table, n) in &status.conflicts {
            println!("  conflicts:  {table} ({n} row{})", plural(*n));
        }
        for c in &status.schema_conflicts {
            println!("  {c}");
        }
        for v in &status.violations {
            println!("  violation:  {v}");
        }
    }
    print_section("Changes to be committed:", &status.staged);
    print_section(
        "Changes not staged for commit (use `vdb add TABLE` to stage):",
        &status.unstaged,
    );
    if status.staged.is_empty() && status.unstaged.is_empty() && !unresolved {
        println!("nothing to commit, working set clean");
    }
    Ok(())
}

fn print_section(title: &str, tables: &[TableStatus]) {
    if tables.is_empty() {
        return;
    }
    println!("\n{title}");
    for t in tables {
        let (what, detail) = match t.change {
            TableChange::Added => ("new table:", String::new()),
            TableChange::Dropped => ("deleted:", String::new()),
            TableChange::Modified => {
                let parts: Vec<&str> = [(t.schema_changed, "schema"), (t.data_changed, "data")]
                    .iter()
                    .filter(|(on, _)| *on)
                    .map(|(_, name)| *name)
                    .collect();
                ("modified:", format!(" ({})", parts.join(", ")))
            }
        };
        println!("  {what:<11} {}{detail}", t.table);
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
