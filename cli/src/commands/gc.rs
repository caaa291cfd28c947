//! `vdb gc`: removes the chunks that no ref, tag, working set, staged root, merge state or
//! conflict reaches, compacts the journal files that held them, and reports what it reclaimed
//! (`vdb_engine::gc::collect`).

use super::fsck::store_dir;
use crate::context::Result;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use vdb_engine::gc::{collect, GcOptions};
use vdb_engine::store::{ChunkStore, DiskStore, DiskStoreOptions};

/// Remove unreachable chunks and report the bytes reclaimed.
///
/// Marks every chunk that a ref, tag, HEAD or working set (working and staged roots, a merge in
/// progress, conflicts) reaches, removes every other chunk, and rewrites the journal files that
/// held them. Removes nothing if the store is damaged (run vdb fsck). The store must not be in
/// use by a server: this command has it to itself, so nothing is in flight and no grace period
/// is needed (a server collects online instead, keeping recent chunks). Without --data-dir,
/// collects the repository vdb finds from the current directory, or else the demo's store.
///
/// Example: `vdb gc`  or  `vdb gc --data-dir .vdb-data/demo`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The store to collect.
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let dir = store_dir(args.data_dir.as_deref(), start)?;
    let disk = Arc::new(DiskStore::open(&dir, DiskStoreOptions::default())?);
    let before = disk.disk_usage()?;
    let store: Arc<dyn ChunkStore> = disk.clone();
    let stats = collect(
        &store,
        &GcOptions {
            grace: Duration::ZERO,
        },
    )?;
    let after = disk.disk_usage()?;
    let sweep = stats.sweep;
    println!(
        "gc: {} chunks live ({} bytes); removed {} chunks; moved {} chunks out of {} journal \
         files; reclaimed {} journal bytes (store {} → {} bytes)",
        stats.live_chunks,
        stats.live_bytes,
        sweep.chunks_removed,
        sweep.chunks_moved,
        sweep.files_removed,
        sweep.bytes_reclaimed,
        before,
        after
    );
    if stats.reflog_pruned > 0 {
        println!(
            "gc: dropped {} reflog entries whose commits were removed",
            stats.reflog_pruned
        );
    }
    Ok(())
}
