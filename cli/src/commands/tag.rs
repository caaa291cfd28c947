//! `vdb tag`: lists, creates (lightweight, or annotated with -m) and deletes tags.

use crate::context::{Context, Result};
use crate::fail;
use crate::render::short;
use std::path::Path;
use vdb_engine::repo::commit::peel_to_commit;

/// List tags, or create or delete one (`-m` makes an annotated tag).
///
/// Example: `vdb tag v1.0 -m "first release"`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Delete tag NAME.
    #[arg(short = 'd', long = "delete", value_name = "NAME", conflicts_with_all = ["name", "message"])]
    delete: Option<String>,
    /// Annotate the new tag with this message.
    #[arg(short, long, requires = "name")]
    message: Option<String>,
    /// The tag to create.
    name: Option<String>,
    /// What it names (default HEAD).
    rev: Option<String>,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let ctx = Context::open(start)?;
    if let Some(name) = &args.delete {
        ctx.repo.tag_delete(name)?;
        println!("Deleted tag {name}");
        return Ok(());
    }
    let Some(name) = &args.name else {
        for (name, target) in ctx.repo.tags()? {
            let commit = peel_to_commit(&**ctx.repo.store(), target)?;
            println!("{name:<20} {}", short(&commit));
        }
        return Ok(());
    };
    let rev = args.rev.as_deref().unwrap_or("HEAD");
    let signature;
    let annotation = match &args.message {
        Some(m) if m.trim().is_empty() => fail!("the tag message is empty; give one with -m"),
        Some(m) => {
            signature = ctx.signature()?;
            Some((&signature, m.as_str()))
        }
        None => None,
    };
    ctx.repo.tag_create(name, rev, annotation)?;
    println!("Created tag {name} at {}", short(&ctx.repo.resolve(rev)?));
    Ok(())
}
