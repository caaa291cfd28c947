//! `vdb branch`: lists, creates, deletes and renames branches.

use crate::context::{Context, Result};
use crate::render::short;
use std::path::Path;

/// List branches (the current one marked `*`), or create, delete or rename one.
///
/// Example: `vdb branch feature HEAD~2`  or  `vdb branch -d feature`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Delete a branch that is merged into the current one and has no uncommitted changes.
    #[arg(short = 'd', long = "delete", value_name = "NAME", conflicts_with_all = ["force_delete", "rename", "name"])]
    delete: Option<String>,
    /// Delete a branch whatever it holds.
    #[arg(short = 'D', value_name = "NAME", conflicts_with_all = ["rename", "name"])]
    force_delete: Option<String>,
    /// Rename branch OLD to NEW.
    #[arg(short = 'm', long = "move", num_args = 2, value_names = ["OLD", "NEW"], conflicts_with = "name")]
    rename: Option<Vec<String>>,
    /// The branch to create.
    name: Option<String>,
    /// Where the new branch starts (default HEAD).
    rev: Option<String>,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    if let Some(name) = &args.delete {
        ctx.repo.branch_delete(name, false)?;
        println!("Deleted branch {name}");
    } else if let Some(name) = &args.force_delete {
        ctx.repo.branch_delete(name, true)?;
        println!("Deleted branch {name}");
    } else if let Some(names) = &args.rename {
        ctx.repo.branch_rename(&names[0], &names[1], false)?;
        println!("Renamed branch {} to {}", names[0], names[1]);
    } else if let Some(name) = &args.name {
        let at = ctx
            .repo
            .branch_create(name, args.rev.as_deref().unwrap_or("HEAD"), false)?;
        println!("Created branch {name} at {}", short(&at));
    } else {
        for (name, head) in ctx.repo.branches()? {
            let mark = if name == ctx.branch { "*" } else { " " };
            let summary = ctx.repo.commit_info(head)?.summary().to_string();
            println!("{mark} {name:<20} {} {summary}", short(&head));
        }
    }
    Ok(())
}
