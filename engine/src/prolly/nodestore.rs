//! `NodeStore`: reads and writes prolly nodes and blobs through a chunk store, with a cache of
//! decoded nodes, a cache of other decoded records (table records, which every statement and
//! merge reads), and counters of the structural work done (nodes loaded and written), which
//! tests assert on instead of timing.

use super::node::{Entry, Node, NodeBuffer};
use crate::error::{Error, Result};
use crate::hash::Hash;
use crate::store::ChunkStore;
use bytes::Bytes;
use quick_cache::sync::Cache;
use quick_cache::Weighter;
use std::any::Any;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Default decoded-node cache: 256 MiB holds every node of a 1M-row table several times over.
pub const DEFAULT_CACHE_BYTES: u64 = 256 << 20;

/// How many decoded records (other than nodes) the record cache keeps.
const RECORD_CACHE_ENTRIES: usize = 4096;

/// A decoded record, shared by everyone who loads its address.
type Record = Arc<dyn Any + Send + Sync>;

/// First byte of a blob chunk (an out-of-line value).
const BLOB_TAG: u8 = b'B';
/// Blob format version.
const BLOB_VERSION: u8 = 1;

/// Counters of structural work since the node store was created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeStats {
    /// Nodes loaded (cache hits included: this counts what an algorithm touches).
    pub loads: u64,
    /// Nodes written (including rewrites of nodes already stored).
    pub writes: u64,
}

#[derive(Clone, Debug)]
struct NodeWeight;

impl Weighter<Hash, Arc<Node>> for NodeWeight {
    fn weight(&self, _: &Hash, node: &Arc<Node>) -> u64 {
        node.bytes().len() as u64 + 64 + 12 * node.len() as u64
    }
}

struct Inner {
    store: Arc<dyn ChunkStore>,
    cache: Option<Cache<Hash, Arc<Node>, NodeWeight>>,
    /// Decoded records by address. What is cached must not hold this store (no `Map`, no
    /// `NodeStore`), or the store would keep itself alive.
    records: Option<Cache<Hash, Record>>,
    loads: AtomicU64,
    writes: AtomicU64,
}

/// Shared handle to a chunk store that speaks in prolly nodes. Cheap to clone.
#[derive(Clone)]
pub struct NodeStore {
    inner: Arc<Inner>,
}

impl fmt::Debug for NodeStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeStore")
            .field("store", &self.inner.store)
            .finish_non_exhaustive()
    }
}

impl NodeStore {
    /// A node store over `store` with the default cache.
    pub fn new(store: Arc<dyn ChunkStore>) -> Self {
        Self::with_cache(store, DEFAULT_CACHE_BYTES)
    }

    /// A node store with a cache of `cache_bytes` (0 disables caching).
    pub fn with_cache(store: Arc<dyn ChunkStore>, cache_bytes: u64) -> Self {
        let cache = (cache_bytes > 0)
            .then(|| Cache::with_weighter((cache_bytes / 4096) as usize, cache_bytes, NodeWeight));
        let records = (cache_bytes > 0).then(|| Cache::new(RECORD_CACHE_ENTRIES));
        NodeStore {
            inner: Arc::new(Inner {
                store,
                cache,
                records,
                loads: AtomicU64::new(0),
                writes: AtomicU64::new(0),
            }),
        }
    }

    /// The underlying chunk store.
    pub fn store(&self) -> &Arc<dyn ChunkStore> {
        &self.inner.store
    }

    /// Loads and decodes the node at `addr`.
    pub fn load(&self, addr: &Hash) -> Result<Arc<Node>> {
        self.inner.loads.fetch_add(1, Ordering::Relaxed);
        if let Some(cache) = &self.inner.cache {
            if let Some(node) = cache.get(addr) {
                return Ok(node);
            }
        }
        let bytes = self.inner.store.must_get(addr)?;
        let node = Arc::new(Node::decode(*addr, bytes)?);
        if let Some(cache) = &self.inner.cache {
            cache.insert(*addr, node.clone());
        }
        Ok(node)
    }

    /// Loads child `i` of the internal node `parent`, checking that it sits one level below and
    /// is not empty. A tree whose chunks all hash right but whose shape is wrong (which only a bug
    /// or a forged store could produce) is reported as `Corrupted`, never followed blindly.
    pub fn load_child(&self, parent: &Node, i: usize) -> Result<Arc<Node>> {
        let child = self.load(&parent.child(i))?;
        if child.level() + 1 != parent.level() || child.is_empty() {
            return Err(Error::corrupted(
                child.addr(),
                format!(
                    "child {i} of node {} at level {} is at level {} with {} entries",
                    parent.addr(),
                    parent.level(),
                    child.level(),
                    child.len()
                ),
            ));
        }
        Ok(child)
    }

    /// Encodes, stores and caches a node.
    pub fn write(&self, level: u8, entries: &[Entry]) -> Result<Arc<Node>> {
        self.write_bytes(super::node::encode(level, entries))
    }

    /// Stores and caches a node from a filled buffer.
    pub fn write_buffer(&self, level: u8, buffer: &NodeBuffer) -> Result<Arc<Node>> {
        self.write_bytes(buffer.encode(level))
    }

    fn write_bytes(&self, bytes: Vec<u8>) -> Result<Arc<Node>> {
        self.inner.writes.fetch_add(1, Ordering::Relaxed);
        let bytes = Bytes::from(bytes);
        let addr = self.inner.store.put(bytes.clone())?;
        let node = Arc::new(Node::decode(addr, bytes)?);
        if let Some(cache) = &self.inner.cache {
            cache.insert(addr, node.clone());
        }
        Ok(node)
    }

    /// The record at `addr` as `decode` makes it from the chunk's bytes, decoded once and
    /// then shared: a chunk's address fixes its bytes, so every caller would decode the same.
    pub fn load_record<T: Any + Send + Sync>(
        &self,
        addr: &Hash,
        decode: impl FnOnce(Bytes) -> Result<T>,
    ) -> Result<Arc<T>> {
        if let Some(found) = self.inner.records.as_ref().and_then(|c| c.get(addr)) {
            if let Ok(record) = found.downcast::<T>() {
                return Ok(record);
            }
        }
        let record = Arc::new(decode(self.inner.store.must_get(addr)?)?);
        self.remember_record(*addr, record.clone());
        Ok(record)
    }

    /// Enters a record just written at `addr` (so that its next load decodes nothing).
    pub fn remember_record<T: Any + Send + Sync>(&self, addr: Hash, record: Arc<T>) {
        if let Some(cache) = &self.inner.records {
            cache.insert(addr, record);
        }
    }

    // Blob layout, version 1: u8 'B' (0x42) | u8 version 1 | the value's bytes.
    /// Stores a value out of line; returns its address.
    pub fn put_blob(&self, value: &[u8]) -> Result<Hash> {
        let mut chunk = Vec::with_capacity(value.len() + 2);
        chunk.extend_from_slice(&[BLOB_TAG, BLOB_VERSION]);
        chunk.extend_from_slice(value);
        self.inner.store.put(Bytes::from(chunk))
    }

    /// Reads an out-of-line value.
    pub fn get_blob(&self, addr: &Hash) -> Result<Bytes> {
        let chunk = self.inner.store.must_get(addr)?;
        if chunk.len() < 2 || chunk[0] != BLOB_TAG || chunk[1] != BLOB_VERSION {
            return Err(Error::corrupted(*addr, "malformed blob header"));
        }
        Ok(chunk.slice(2..))
    }

    /// Resolves a stored leaf value: the bytes themselves, or the blob they point to.
    pub fn resolve(&self, stored: Bytes, blob: bool) -> Result<Bytes> {
        if !blob {
            return Ok(stored);
        }
        let addr = Hash::from_slice(&stored).ok_or_else(|| {
            Error::InvalidInput(format!("blob reference of {} bytes", stored.len()))
        })?;
        self.get_blob(&addr)
    }

    /// Work counters so far.
    pub fn stats(&self) -> NodeStats {
        NodeStats {
            loads: self.inner.loads.load(Ordering::Relaxed),
            writes: self.inner.writes.load(Ordering::Relaxed),
        }
    }
}
