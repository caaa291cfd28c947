//! Repository-level entry points to fsck and garbage collection (`crate::gc`), for the CLI and
//! for SQL (`SELECT vdb_gc()`): a repository's store is all they need. Also the holds that keep
//! a collection from removing what a transaction writes (`gc_hold`) or reads (`hold_read`).

use super::Repository;
use crate::error::{Error, Result};
use crate::gc::{collect, fsck, FsckReport, GcOptions, GcStats};
use crate::hash::Hash;
use crate::store::{ReadHold, WriteHold};

/// Reads `hold_read` makes before it gives up: each retry means the root changed between two
/// reads a moment apart, so even a busy writer rarely costs more than one.
const HOLD_READ_TRIES: usize = 64;

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

impl Repository {
    /// A read hold on `root` (see `ChunkStore::hold_root`), for a root that is already safe
    /// while the hold is taken: another hold covers it, or it was just written under a
    /// [`WriteHold`]. For a root found in a ref or working set, use [`Repository::hold_read`].
    /// `None` if the store does not collect.
    pub fn gc_read_hold(&self, root: Hash) -> Option<ReadHold> {
        self.store().hold_root(root)
    }

    /// Finds a root with `read` (a branch's working root, the root of a revision) and holds it,
    /// so that no collection removes anything it reaches while the hold lives, though `read`
    /// stops finding it. A collection could sweep it between the read and the hold, so `read`
    /// runs again once the hold is taken: if it finds the same root, that root was complete
    /// when the hold already protected it; otherwise the hold is dropped and the new root held.
    pub fn hold_read<E: From<Error>>(
        &self,
        mut read: impl FnMut() -> Result<Hash, E>,
    ) -> Result<(Hash, Option<ReadHold>), E> {
        let mut root = read()?;
        for _ in 0..HOLD_READ_TRIES {
            let hold = self.gc_read_hold(root);
            let again = read()?;
            if again == root {
                return Ok((root, hold));
            }
            root = again;
        }
        Err(Error::Conflict(format!(
            "the root kept changing in {HOLD_READ_TRIES} reads; try again"
        ))
        .into())
    }
}
