//! Crash consistency of trees on the disk store: a table edit followed by a root swap runs on a
//! store that dies after N operations, for every N the sequence takes. After reopening, the root
//! names the old tree or the new one, never a mix, and the tree it names verifies cleanly and
//! holds exactly the old or the new entries.

use bytes::Bytes;
use std::path::Path;
use std::sync::Arc;
use vdb_engine::prolly::{Map, NodeStore};
use vdb_engine::store::{ChunkStore, DiskStore, DiskStoreOptions, FaultPlan, FaultyStore};
use vdb_engine::Hash;

fn key(i: u64) -> Bytes {
    Bytes::copy_from_slice(&i.to_be_bytes())
}

fn value(i: u64, version: u64) -> Bytes {
    Bytes::from(format!(
        "value-{i:08}-{version:04}-{}",
        "x".repeat((i % 40) as usize)
    ))
}

fn options() -> DiskStoreOptions {
    // A small write buffer so that the edit spills to the journal before its flush.
    DiskStoreOptions {
        write_buffer: 16 << 10,
        ..DiskStoreOptions::default()
    }
}

fn open(dir: &Path) -> Arc<DiskStore> {
    Arc::new(DiskStore::open(dir, options()).unwrap())
}

fn entries(map: &Map) -> Vec<(Bytes, Bytes)> {
    map.iter().unwrap().map(|e| e.unwrap()).collect()
}

/// Builds the old version, then runs `edit + cas_root` on a store that crashes after `n`
/// operations. Returns the total operations the sequence took when nothing failed.
fn run(dir: &Path, n: Option<u64>) -> (Hash, Hash, u64) {
    let disk = open(dir);
    let ns = NodeStore::new(disk.clone());
    let old = Map::build(&ns, (0..20_000).map(|i| (key(i), value(i, 0)))).unwrap();
    assert!(disk
        .cas_root("main", None, Some(old.root().as_bytes()))
        .unwrap());
    let plan = n.map_or(FaultPlan::never(), FaultPlan::crash_after);
    let faulty = Arc::new(FaultyStore::new(disk, plan));
    let fns = NodeStore::new(faulty.clone());
    let old_on_faulty = Map::load(&fns, old.root()).unwrap();
    let edits = (0..20_000).step_by(37).map(|i| (key(i), Some(value(i, 1))));
    let edits = edits.chain((30_000..30_300).map(|i| (key(i), Some(value(i, 1)))));
    let mut new_root = Hash::ZERO;
    let result = old_on_faulty.edit(edits).and_then(|new| {
        new_root = new.root();
        faulty.cas_root(
            "main",
            Some(old.root().as_bytes()),
            Some(new.root().as_bytes()),
        )
    });
    if n.is_none() {
        assert!(result.unwrap(), "the swap succeeds without faults");
    }
    (old.root(), new_root, faulty.ops())
}

#[test]
fn crash_at_every_operation_leaves_old_or_new_tree() {
    let dir = tempfile::tempdir().unwrap();
    let (old_root, new_root, total) = run(dir.path(), None);
    assert!(total > 10, "the edit takes several operations ({total})");
    let expected_new = {
        let disk = open(dir.path());
        let map = Map::load(&NodeStore::new(disk), new_root).unwrap();
        entries(&map)
    };
    // Every crash point up to the swap, plus some beyond it (the swap already happened).
    let points: Vec<u64> = (0..total)
        .step_by((total as usize / 40).max(1))
        .chain([total - 1])
        .collect();
    for n in points {
        let dir = tempfile::tempdir().unwrap();
        run(dir.path(), Some(n));
        // Reopen: the process died, whatever it had not flushed is gone.
        let disk = open(dir.path());
        let root = disk.get_root("main").unwrap().expect("root survives");
        let root = Hash::from_slice(&root).unwrap();
        assert!(
            root == old_root || root == new_root,
            "crash at op {n}: root is neither version"
        );
        let ns = NodeStore::with_cache(disk, 0);
        let map = Map::load(&ns, root).unwrap();
        assert_eq!(map.verify().unwrap(), vec![], "crash at op {n}");
        if root == new_root {
            assert_eq!(entries(&map), expected_new, "crash at op {n}");
        } else {
            assert_eq!(map.count(), 20_000, "crash at op {n}");
        }
    }
}
