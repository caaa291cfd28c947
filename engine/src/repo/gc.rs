//! Repository-level entry points to fsck and garbage collection (`crate::gc`), for the CLI and
//! for SQL (`SELECT vdb_gc()`): a repository's store is all they need.

use super::Repository;
use crate::error::Result;
use crate::gc::{collect, fsck, FsckReport, GcOptions, GcStats};
use crate::store::WriteHold;

impl Repository {
    /// Checks every chunk and tree reachable from the repository's refs, tags and working sets.
    pub fn fsck(&self) -> Result<FsckReport> {
        fsck(self.store())
    }

    /// Removes every chunk that no ref, tag, working set, staged root, merge state or conflict
    /// map reaches, and compacts the journal files that held them. Safe while other threads
    /// read and write (see `crate::gc`).
    /// Keeps chunks written in the last ten minutes (see [`GcOptions`]).
    pub fn gc(&self) -> Result<GcStats> {
        collect(self.store(), &GcOptions::default())
    }

    /// [`Repository::gc`] with options.
    pub fn gc_with(&self, options: &GcOptions) -> Result<GcStats> {
        collect(self.store(), options)
    }

    /// A hold on garbage collection for a transaction: no collection removes a chunk written
    /// while it lives (see `ChunkStore::hold`). `None` if the store does not collect.
    pub fn gc_hold(&self) -> Option<WriteHold> {
        self.store().hold()
    }
}
