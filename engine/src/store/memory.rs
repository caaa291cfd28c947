//! `MemoryStore`: a chunk store in a hash map, for tests and scratch work. Same contract as the
//! on-disk store, without durability.

use super::{verify, ChunkStore, StoreStats};
use crate::error::Result;
use crate::hash::Hash;
use bytes::Bytes;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

/// An in-memory [`ChunkStore`].
#[derive(Debug, Default)]
pub struct MemoryStore {
    chunks: RwLock<HashMap<Hash, Bytes>>,
    roots: Mutex<BTreeMap<String, Vec<u8>>>,
    reads: AtomicU64,
    writes: AtomicU64,
    bytes_written: AtomicU64,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of chunks held.
    pub fn len(&self) -> usize {
        self.chunks.read().expect("lock poisoned").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Replaces the bytes stored at `addr` without changing the address: for corruption tests.
    pub fn corrupt(&self, addr: &Hash, bytes: Bytes) {
        self.chunks
            .write()
            .expect("lock poisoned")
            .insert(*addr, bytes);
    }
}

impl ChunkStore for MemoryStore {
    fn get(&self, addr: &Hash) -> Result<Option<Bytes>> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        let found = self
            .chunks
            .read()
            .expect("lock poisoned")
            .get(addr)
            .cloned();
        if let Some(bytes) = &found {
            verify(addr, bytes)?;
        }
        Ok(found)
    }

    fn has(&self, addr: &Hash) -> Result<bool> {
        Ok(self
            .chunks
            .read()
            .expect("lock poisoned")
            .contains_key(addr))
    }

    fn put(&self, chunk: Bytes) -> Result<Hash> {
        let addr = Hash::of(&chunk);
        let mut chunks = self.chunks.write().expect("lock poisoned");
        if let std::collections::hash_map::Entry::Vacant(slot) = chunks.entry(addr) {
            self.writes.fetch_add(1, Ordering::Relaxed);
            self.bytes_written
                .fetch_add(chunk.len() as u64, Ordering::Relaxed);
            slot.insert(chunk);
        }
        Ok(addr)
    }

    fn flush(&self) -> Result<()> {
        Ok(())
    }

    fn get_root(&self, name: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.roots.lock().expect("lock poisoned").get(name).cloned())
    }

    fn list_roots(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        let roots = self.roots.lock().expect("lock poisoned");
        Ok(roots
            .range(prefix.to_string()..)
            .take_while(|(name, _)| name.starts_with(prefix))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect())
    }

    fn cas_root(&self, name: &str, expected: Option<&[u8]>, new: Option<&[u8]>) -> Result<bool> {
        let mut roots = self.roots.lock().expect("lock poisoned");
        if roots.get(name).map(Vec::as_slice) != expected {
            return Ok(false);
        }
        match new {
            Some(value) => roots.insert(name.to_string(), value.to_vec()),
            None => roots.remove(name),
        };
        Ok(true)
    }

    fn stats(&self) -> StoreStats {
        StoreStats {
            reads: self.reads.load(Ordering::Relaxed),
            journal_reads: 0,
            writes: self.writes.load(Ordering::Relaxed),
            bytes_written: self.bytes_written.load(Ordering::Relaxed),
            syncs: 0,
        }
    }
}
