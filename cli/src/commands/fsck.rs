//! `vdb fsck`: checks a whole store (`vdb_engine::gc::fsck`): every chunk reachable from a ref,
//! tag, `HEAD` or working set (with its staged root, merge state and conflict maps) is read, its
//! hash verified and its bytes decoded; refs must name what they should; every prolly tree must
//! keep its invariants. Each problem is printed with the chunk's address and the path to it; any
//! problem makes the exit status nonzero.

use crate::context::{discover, Result, VDB_DIR};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use vdb_engine::gc::fsck;
use vdb_engine::store::{ChunkStore, DiskStore, DiskStoreOptions};

/// Check a whole store: every reachable chunk's hash, tree invariants, refs, working sets.
///
/// Reads every chunk that a ref, tag, HEAD or working set (working and staged roots, a merge in
/// progress, conflicts) reaches, verifying that its bytes hash to its address and decode, and
/// checks every prolly tree (key order, counts, levels, chunk boundaries, blobs). Problems are
/// printed one a line as `ADDRESS (at PATH): PROBLEM`; the exit status is nonzero if there are
/// any. Without --data-dir, checks the repository vdb finds from the current directory, or else
/// the demo's store in .vdb-data/demo. The server must not be running on the store.
///
/// Example: `vdb fsck`  or  `vdb fsck --data-dir .vdb-data/demo`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The store to check.
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

/// The store a command names: `--data-dir`, else the repository found from `start`, else the
/// demo's store.
pub(crate) fn store_dir(data_dir: Option<&Path>, start: Option<&Path>) -> Result<PathBuf> {
    let dir = match (data_dir, discover(start)) {
        (Some(dir), _) => dir.to_path_buf(),
        (None, Ok(top)) => top.join(VDB_DIR).join("store"),
        (None, Err(_)) => PathBuf::from(".vdb-data/demo"),
    };
    if !dir.exists() {
        return Err(format!("no store at {}; pass --data-dir", dir.display()).into());
    }
    Ok(dir)
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let dir = store_dir(args.data_dir.as_deref(), start)?;
    let store: Arc<dyn ChunkStore> = Arc::new(DiskStore::open(&dir, DiskStoreOptions::default())?);
    let report = fsck(&store)?;
    for problem in &report.problems {
        println!("{problem}");
    }
    if !report.is_ok() {
        return Err(format!(
            "{} problems found; the store is damaged, restore it from a copy",
            report.problems.len()
        )
        .into());
    }
    println!(
        "fsck: {} roots, {} chunks ({} bytes), {} trees checked, no problems",
        report.roots, report.chunks, report.bytes, report.trees
    );
    Ok(())
}
