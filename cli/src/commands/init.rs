//! `vdb init`: creates a repository (`.vdb/` with its store) with an initial commit on `main`.

use crate::context::{identity, init_dir, Result, VDB_DIR};
use crate::fail;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use vdb_engine::repo::{Repository, Signature};
use vdb_engine::store::{DiskStore, DiskStoreOptions};

/// Create a vdb repository in DIR (default: the current directory).
///
/// Example: `vdb init my-data`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to create the repository (created if missing).
    dir: Option<PathBuf>,
    /// The name of the first branch.
    #[arg(long, default_value = "main")]
    branch: String,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let top = init_dir(start, args.dir.as_deref())?;
    let store_dir = top.join(VDB_DIR).join("store");
    if store_dir.exists() {
        fail!(
            "{} is already a vdb repository; use it, or init another directory",
            top.display()
        );
    }
    std::fs::create_dir_all(&store_dir)?;
    let store = DiskStore::open(&store_dir, DiskStoreOptions::default())?;
    let (name, email) = identity(Some(&top))?;
    Repository::init(
        Arc::new(store),
        &args.branch,
        &Signature::now(&name, &email),
    )?;
    println!(
        "Initialized empty vdb repository in {} (branch {})",
        top.join(VDB_DIR).display(),
        args.branch
    );
    Ok(())
}
