//! Chunk stores: immutable byte chunks addressed by their hash, plus named roots.
//!
//! A [`ChunkStore`] holds two kinds of state:
//! - chunks, written once and never changed, found by [`Hash`](struct@Hash) (the hash of their bytes). Every
//!   read verifies the hash, so damaged bytes surface as [`Error::Corrupted`], never as data;
//! - named roots (small byte strings: refs, working sets), changed only by compare-and-swap so
//!   that two writers can never lose each other's update.
//!
//! Durability contract: a chunk is durable once [`ChunkStore::flush`] returns after its `put`.
//! [`ChunkStore::cas_root`] flushes pending chunks before it swaps the root, and is itself durable
//! when it returns, so a durable root never names a chunk that is not durable.
//!
//! Implementations: [`MemoryStore`] (tests), [`DiskStore`] (journal files plus a sled index; the
//! only module that names sled), and [`FaultyStore`] (wraps another and injects failures, for
//! crash tests).

mod disk;
mod faulty;
mod memory;

pub use disk::{DiskStore, DiskStoreOptions, ReadHold, WriteHold};
pub use faulty::{FaultPlan, FaultyStore};
pub use memory::MemoryStore;

use crate::error::{Error, Result};
use crate::hash::Hash;
use bytes::Bytes;
use std::collections::HashSet;
use std::time::Duration;

/// Counters a store keeps, for tests that count structural work instead of timing it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Chunks read by `get` (found or not).
    pub reads: u64,
    /// Of those, the ones read from the medium (a journal file); the others came from memory
    /// (a cache, the write buffer, or a store that lives in memory).
    pub journal_reads: u64,
    /// Chunks newly written by `put` (puts of chunks already present are not counted).
    pub writes: u64,
    /// Bytes of newly written chunks (uncompressed chunk bytes).
    pub bytes_written: u64,
    /// Durability points: fsyncs of the journal by `flush` and `cas_root` (0 for stores without
    /// durability).
    pub syncs: u64,
}

/// An immutable, content-addressed chunk store with compare-and-swap roots.
pub trait ChunkStore: Send + Sync + std::fmt::Debug {
    /// Reads the chunk at `addr`; `Ok(None)` if absent; `Corrupted` if its bytes do not hash to
    /// `addr`.
    fn get(&self, addr: &Hash) -> Result<Option<Bytes>>;

    /// Whether the chunk at `addr` is present.
    fn has(&self, addr: &Hash) -> Result<bool>;

    /// Stores `chunk` and returns its address. Idempotent. Durable after the next `flush`.
    fn put(&self, chunk: Bytes) -> Result<Hash>;

    /// Stores many chunks; returns their addresses in order.
    fn put_many(&self, chunks: Vec<Bytes>) -> Result<Vec<Hash>> {
        chunks.into_iter().map(|c| self.put(c)).collect()
    }

    /// Makes every chunk put so far durable (fsync).
    fn flush(&self) -> Result<()>;

    /// Reads the root named `name`.
    fn get_root(&self, name: &str) -> Result<Option<Vec<u8>>>;

    /// Lists `(name, value)` of every root whose name starts with `prefix`, ordered by name.
    fn list_roots(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>>;

    /// Atomically sets root `name` to `new` (`None` deletes it) if its current value equals
    /// `expected` (`None` meaning absent). Flushes pending chunks first; durable on return.
    /// Returns `Ok(false)`, changing nothing, if the current value differs.
    fn cas_root(&self, name: &str, expected: Option<&[u8]>, new: Option<&[u8]>) -> Result<bool>;

    /// [`ChunkStore::cas_root`], and when the swap happens, sets root `note.0` to `note.1`
    /// whatever it held, for a record that goes with the swap (a reflog entry). A store with a
    /// journal writes both before one sync; others set the note after the swap. The swap's
    /// result is what counts: a note that fails to land after a successful swap is lost, not
    /// reported.
    fn cas_root_noting(
        &self,
        name: &str,
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
        note: (&str, &[u8]),
    ) -> Result<bool> {
        if !self.cas_root(name, expected, new)? {
            return Ok(false);
        }
        if let Ok(current) = self.get_root(note.0) {
            let _ = self.cas_root(note.0, current.as_deref(), Some(note.1));
        }
        Ok(true)
    }

    /// Counters since the store was opened.
    fn stats(&self) -> StoreStats;

    /// Starts a garbage collection (see [`crate::gc::collect`] for the protocol): makes every
    /// chunk put so far durable, and sets the mark: only chunks written before it may be
    /// removed. The mark is the earliest of the journal's end, the start of the oldest live
    /// [`WriteHold`], and where the journal ended `grace` ago (chunks written since then are
    /// kept: they may belong to a transaction still in flight). From now on it records every
    /// address put or read. Fails if a collection is already running, or with `InvalidInput` if
    /// the store cannot collect.
    fn gc_begin(&self, grace: Duration) -> Result<()> {
        let _ = grace;
        Err(Error::InvalidInput(
            "this store does not support garbage collection".into(),
        ))
    }

    /// Tries to finish the collection begun by `gc_begin`, with `live` the chunks reached from
    /// the roots so far. Atomically with respect to every writer and reader, it looks for
    /// addresses that `live` does not hold but must: the current value of every root, every
    /// root a read hold names ([`ChunkStore::hold_root`]) and every address put or read since
    /// the last try, if written before the mark. If there are any it returns them
    /// ([`GcSweep::Unresolved`]) for the caller to walk and try again; otherwise it removes
    /// every chunk written before the mark that `live` lacks, compacts the files that
    /// held them, and ends the collection.
    fn gc_finish(&self, live: &HashSet<Hash>) -> Result<GcSweep> {
        let _ = live;
        Err(Error::InvalidInput(
            "this store does not support garbage collection".into(),
        ))
    }

    /// Ends a collection without removing anything (after an error in the walk).
    fn gc_abort(&self) {}

    /// Protects every chunk written from now until the hold is dropped from garbage collection,
    /// reachable or not: a transaction takes one for its lifetime, so that the chunks of a root
    /// it has not published yet survive any collection. `None` for stores without gc.
    fn hold(&self) -> Option<WriteHold> {
        None
    }

    /// Protects everything `root` reaches from garbage collection until the hold (and every
    /// clone of it) is dropped, as if a named root named it: a reader takes one on the root it
    /// reads from (a transaction's snapshot), so that the root survives its ref moving on.
    /// Holds on one root are counted. `None` for stores without gc.
    ///
    /// A collection that sweeps after the hold is taken keeps `root`; one that swept between
    /// the reader finding `root` and taking the hold may have removed it. So the reader must
    /// know `root` was complete after taking the hold: it found `root` in a named root again,
    /// or another hold already covered it (see `Repository::hold_read`).
    fn hold_root(&self, root: Hash) -> Option<ReadHold> {
        let _ = root;
        None
    }

    /// The roots read holds name now, for the collection's walk.
    fn held_roots(&self) -> Vec<Hash> {
        Vec::new()
    }

    /// Forgets chunks kept in memory, so that the next read of each comes from the medium and
    /// is verified there (fsck's reads must check what is stored, not what was read before).
    fn drop_caches(&self) {}

    /// Reads the chunk at `addr`, failing with `MissingChunk` if it is absent.
    fn must_get(&self, addr: &Hash) -> Result<Bytes> {
        self.get(addr)?.ok_or(Error::MissingChunk(*addr))
    }
}

/// The outcome of one [`ChunkStore::gc_finish`] try.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GcSweep {
    /// Addresses written before the mark that are not marked live yet, though a root or a read
    /// hold names one or a writer or reader touched one during the collection: walk them and try again.
    Unresolved(Vec<Hash>),
    /// The collection is finished.
    Done(SweepStats),
}

/// What a finished collection removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepStats {
    /// Chunks removed.
    pub chunks_removed: u64,
    /// Journal bytes of the removed chunks' records.
    pub record_bytes_removed: u64,
    /// Chunks kept in the files that were compacted, copied to the active file.
    pub chunks_moved: u64,
    /// Journal files removed after their live records were copied out.
    pub files_removed: u64,
    /// Journal bytes freed: the removed files' sizes less the bytes copied out of them.
    pub bytes_reclaimed: u64,
}

/// Verifies that `bytes` hash to `addr`.
pub(crate) fn verify(addr: &Hash, bytes: &[u8]) -> Result<()> {
    let actual = Hash::of(bytes);
    if actual != *addr {
        return Err(Error::corrupted(*addr, format!("bytes hash to {actual}")));
    }
    Ok(())
}
