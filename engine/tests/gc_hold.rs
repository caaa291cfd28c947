//! Read holds and garbage collection on a real disk store: a root that a reader holds survives
//! every collection though no named root reaches it any more, its whole tree stays readable,
//! and it is collected once the hold drops; a hold taken while a collection runs is found by
//! the collection's last check before it sweeps; a reader whose root moved between finding it
//! and holding it holds the new one; and a reader whose working set was replaced and collected
//! between reading its address and loading it loads the replacement.

mod repo_common;

use bytes::Bytes;
use repo_common::{create_table, people_schema, person};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use vdb_engine::gc::{collect, GcOptions, GcStats};
use vdb_engine::prolly::{Map, NodeStore};
use vdb_engine::repo::{working_set_root, Repository, Signature};
use vdb_engine::store::{
    ChunkStore, DiskStore, DiskStoreOptions, GcSweep, ReadHold, StoreStats, WriteHold,
};
use vdb_engine::{Error, Hash};

const ROWS: u64 = 5000;

fn key(i: u64) -> Bytes {
    Bytes::from(format!("key{i:08}"))
}

fn value(i: u64, version: &str) -> Bytes {
    Bytes::from(format!("{version}-{i}-").repeat(8))
}

/// A map of `ROWS` entries whose values name `version`: deep enough to have internal nodes.
fn build(ns: &NodeStore, version: &str) -> Map {
    let map = Map::build(ns, (0..ROWS).map(|i| (key(i), value(i, version)))).unwrap();
    assert!(map.depth() >= 2, "depth {}", map.depth());
    map
}

/// Reads every entry of the map at `root` through a cache-less node store, so every node comes
/// from the store itself.
fn read_all(store: &Arc<dyn ChunkStore>, root: Hash) -> Result<Vec<(Bytes, Bytes)>, Error> {
    let ns = NodeStore::with_cache(store.clone(), 0);
    Map::load(&ns, root)?.iter()?.collect()
}

fn gc(store: &Arc<dyn ChunkStore>) -> GcStats {
    collect(
        store,
        &GcOptions {
            grace: Duration::ZERO,
        },
    )
    .unwrap()
}

fn open() -> (tempfile::TempDir, Arc<DiskStore>, Arc<dyn ChunkStore>) {
    let dir = tempfile::tempdir().unwrap();
    let disk = Arc::new(DiskStore::open(dir.path(), DiskStoreOptions::default()).unwrap());
    let store: Arc<dyn ChunkStore> = disk.clone();
    (dir, disk, store)
}

#[test]
fn a_held_root_survives_gc_until_the_hold_drops() {
    let (_dir, disk, store) = open();
    let ns = NodeStore::with_cache(store.clone(), 0);
    let old = build(&ns, "old");
    assert!(store
        .cas_root("r", None, Some(old.root().as_bytes()))
        .unwrap());
    gc(&store);
    let with_old = disk.chunk_count().unwrap();

    let hold = store
        .hold_root(old.root())
        .expect("the disk store collects");
    let twin = hold.clone();
    let new = build(&ns, "new");
    let swapped = store
        .cas_root(
            "r",
            Some(old.root().as_bytes()),
            Some(new.root().as_bytes()),
        )
        .unwrap();
    assert!(swapped);
    drop(hold);

    // No named root reaches `old` now; the remaining clone of the hold keeps all of it.
    let stats = gc(&store);
    assert_eq!(stats.sweep.chunks_removed, 0, "{stats:?}");
    let rows = read_all(&store, old.root()).unwrap();
    assert_eq!(rows.len() as u64, ROWS);
    assert!(rows
        .iter()
        .enumerate()
        .all(|(i, (k, v))| *k == key(i as u64) && *v == value(i as u64, "old")));

    // Released, it goes: every chunk only `old` reached, and its root first of all.
    let with_both = disk.chunk_count().unwrap();
    drop(twin);
    assert!(store.held_roots().is_empty());
    let stats = gc(&store);
    assert!(stats.sweep.chunks_removed > 2, "{stats:?}");
    assert_eq!(
        disk.chunk_count().unwrap(),
        with_both - stats.sweep.chunks_removed
    );
    assert!(disk.chunk_count().unwrap() <= with_old);
    assert!(matches!(
        read_all(&store, old.root()),
        Err(Error::MissingChunk(addr)) if addr == old.root()
    ));
    assert_eq!(read_all(&store, new.root()).unwrap().len() as u64, ROWS);
}

#[test]
fn a_hold_taken_during_a_collection_is_walked_before_the_sweep() {
    let (_dir, disk, store) = open();
    let ns = NodeStore::with_cache(store.clone(), 0);
    // No named root: without the hold, every chunk of `map` is garbage.
    let map = build(&ns, "held");
    store.flush().unwrap();
    let chunks = disk.chunk_count().unwrap();

    store.gc_begin(Duration::ZERO).unwrap();
    // The walk (of no roots) is over; the hold comes before the collection's last check.
    let hold = store.hold_root(map.root()).unwrap();
    let none = HashSet::new();
    assert_eq!(
        store.gc_finish(&none).unwrap(),
        GcSweep::Unresolved(vec![map.root()])
    );
    store.gc_abort();
    assert_eq!(disk.chunk_count().unwrap(), chunks);

    // The whole collection keeps all of it, and removes all of it once the hold is gone.
    assert_eq!(gc(&store).sweep.chunks_removed, 0);
    assert_eq!(read_all(&store, map.root()).unwrap().len() as u64, ROWS);
    drop(hold);
    assert_eq!(gc(&store).sweep.chunks_removed, chunks);
    assert_eq!(disk.chunk_count().unwrap(), 0);
}

#[test]
fn hold_read_holds_only_a_root_it_found_twice() {
    let (_dir, _disk, store) = open();
    let signature = Signature::new("gc", "gc@vdb.invalid", 0);
    let repo = Repository::init(store.clone(), "main", &signature).unwrap();
    let (moved, current) = (Hash::of(b"moved"), Hash::of(b"current"));
    // The root moves once, between the first read and the hold on what it found.
    let mut reads = [moved, current, current].into_iter();
    let mut count = 0;
    let (root, hold) = repo
        .hold_read(|| {
            count += 1;
            reads.next().ok_or(Error::NotFound("no more reads".into()))
        })
        .unwrap();
    assert_eq!((root, count), (current, 3));
    assert_eq!(hold.as_ref().map(|h| h.root()), Some(current));
    assert_eq!(store.held_roots(), vec![current]);
    drop(hold);
    assert!(store.held_roots().is_empty());
}

type Hook = Box<dyn FnOnce() + Send>;

/// A store that runs a hook just before the first read of one address: the interleaving of
/// another writer and a collection between a reader finding an address and loading it.
#[derive(Debug)]
struct RacingStore {
    inner: Arc<dyn ChunkStore>,
    hook: Mutex<Option<(Hash, HookBox)>>,
}

struct HookBox(Hook);

impl std::fmt::Debug for HookBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HookBox")
    }
}

impl RacingStore {
    fn arm(&self, addr: Hash, hook: Hook) {
        *self.hook.lock().unwrap() = Some((addr, HookBox(hook)));
    }
}

impl ChunkStore for RacingStore {
    fn get(&self, addr: &Hash) -> vdb_engine::Result<Option<Bytes>> {
        let due = {
            let mut hook = self.hook.lock().unwrap();
            match hook.take() {
                Some((at, run)) if at == *addr => Some(run),
                other => {
                    *hook = other;
                    None
                }
            }
        };
        if let Some(HookBox(run)) = due {
            run();
        }
        self.inner.get(addr)
    }
    fn has(&self, addr: &Hash) -> vdb_engine::Result<bool> {
        self.inner.has(addr)
    }
    fn put(&self, chunk: Bytes) -> vdb_engine::Result<Hash> {
        self.inner.put(chunk)
    }
    fn flush(&self) -> vdb_engine::Result<()> {
        self.inner.flush()
    }
    fn get_root(&self, name: &str) -> vdb_engine::Result<Option<Vec<u8>>> {
        self.inner.get_root(name)
    }
    fn list_roots(&self, prefix: &str) -> vdb_engine::Result<Vec<(String, Vec<u8>)>> {
        self.inner.list_roots(prefix)
    }
    fn cas_root(
        &self,
        name: &str,
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> vdb_engine::Result<bool> {
        self.inner.cas_root(name, expected, new)
    }
    fn stats(&self) -> StoreStats {
        self.inner.stats()
    }
    fn gc_begin(&self, grace: Duration) -> vdb_engine::Result<()> {
        self.inner.gc_begin(grace)
    }
    fn gc_finish(&self, live: &HashSet<Hash>) -> vdb_engine::Result<GcSweep> {
        self.inner.gc_finish(live)
    }
    fn gc_abort(&self) {
        self.inner.gc_abort();
    }
    fn hold(&self) -> Option<WriteHold> {
        self.inner.hold()
    }
    fn hold_root(&self, root: Hash) -> Option<ReadHold> {
        self.inner.hold_root(root)
    }
    fn held_roots(&self) -> Vec<Hash> {
        self.inner.held_roots()
    }
    fn drop_caches(&self) {
        self.inner.drop_caches();
    }
}

#[test]
fn a_working_set_replaced_and_collected_under_a_reader_is_followed() {
    let (_dir, _disk, store) = open();
    let racing = Arc::new(RacingStore {
        inner: store.clone(),
        hook: Mutex::new(None),
    });
    let signature = Signature::new("gc", "gc@vdb.invalid", 0);
    let reader = Repository::init(racing.clone(), "main", &signature).unwrap();
    create_table(
        &reader,
        "main",
        "a",
        people_schema(),
        vec![person(1, "Ada", 36, "London")],
    );
    let ws_addr = || {
        let bytes = store.get_root(&working_set_root("main")).unwrap().unwrap();
        Hash::from_slice(&bytes).unwrap()
    };
    let (old, old_root) = (ws_addr(), reader.working_set("main").unwrap().working);
    // Between the reader reading `old` in the ref and loading it, another writer replaces the
    // working set and a collection removes the old one.
    let writer = Repository::open(store.clone()).unwrap();
    let hook_store = store.clone();
    racing.arm(
        old,
        Box::new(move || {
            create_table(&writer, "main", "b", people_schema(), vec![]);
            gc(&hook_store);
            assert!(
                !hook_store.has(&old).unwrap(),
                "the old working set was collected"
            );
        }),
    );
    // A repository decodes a working set once per address: a fresh one loads `old` from the
    // store, where the race happens.
    let reader = Repository::open(racing.clone()).unwrap();
    let ws = reader.working_set("main").unwrap();
    assert!(racing.hook.lock().unwrap().is_none(), "the hook ran");
    assert_ne!(ws.working, old_root);
    assert_eq!(ws.working, reader.working_set("main").unwrap().working);
    assert_ne!(ws_addr(), old);
    let root = reader.working_root("main").unwrap();
    assert!(root.get_table(reader.node_store(), "b").unwrap().is_some());
}
