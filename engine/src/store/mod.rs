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

pub use disk::{DiskStore, DiskStoreOptions};
pub use faulty::{FaultPlan, FaultyStore};
pub use memory::MemoryStore;

use crate::error::{Error, Result};
use crate::hash::Hash;
use bytes::Bytes;

/// Counters a store keeps, for tests that count structural work instead of timing it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Chunks read by `get` (found or not).
    pub reads: u64,
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

    /// Counters since the store was opened.
    fn stats(&self) -> StoreStats;

    /// Reads the chunk at `addr`, failing with `MissingChunk` if it is absent.
    fn must_get(&self, addr: &Hash) -> Result<Bytes> {
        self.get(addr)?.ok_or(Error::MissingChunk(*addr))
    }
}

/// Verifies that `bytes` hash to `addr`.
pub(crate) fn verify(addr: &Hash, bytes: &[u8]) -> Result<()> {
    let actual = Hash::of(bytes);
    if actual != *addr {
        return Err(Error::corrupted(*addr, format!("bytes hash to {actual}")));
    }
    Ok(())
}
