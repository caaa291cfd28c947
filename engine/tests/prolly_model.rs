//! Model tests: random operation sequences (the generator shared with the fuzz target) run
//! against a prolly map and a BTreeMap, on the memory store and on the on-disk store with
//! reopens. See `vdb_engine::testkit` for what is checked after each operation.

use proptest::prelude::*;
use std::sync::Arc;
use vdb_engine::prolly::NodeStore;
use vdb_engine::store::{ChunkStore, DiskStore, DiskStoreOptions, MemoryStore};
use vdb_engine::testkit::{check_ops, ops_from_bytes, Op};

fn run_memory(ops: &[Op]) -> Result<(), String> {
    let store: Arc<dyn ChunkStore> = Arc::new(MemoryStore::new());
    // A fresh node store on reopen drops the decoded-node cache.
    let reopen_store = store.clone();
    check_ops(ops, NodeStore::new(store), move |_| {
        Ok(NodeStore::new(reopen_store.clone()))
    })
}

fn run_disk(ops: &[Op]) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let open = |dir: &std::path::Path| -> vdb_engine::Result<NodeStore> {
        let store: Arc<dyn ChunkStore> =
            Arc::new(DiskStore::open(dir, DiskStoreOptions::default())?);
        Ok(NodeStore::new(store))
    };
    let ns = open(dir.path()).map_err(|e| e.to_string())?;
    let path = dir.path().to_path_buf();
    let mut current = Some(ns.clone());
    check_ops(ops, ns, move |root| {
        let ns = current.take().expect("a store is open");
        let old = ns.store().get_root("model")?;
        assert!(ns
            .store()
            .cas_root("model", old.as_deref(), Some(root.as_bytes()))?);
        drop(ns);
        let reopened = open(&path)?;
        let saved = reopened.store().get_root("model")?;
        assert_eq!(
            saved.as_deref(),
            Some(&root.as_bytes()[..]),
            "root survives reopen"
        );
        current = Some(reopened.clone());
        Ok(reopened)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn memory_store_agrees_with_model(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        let ops = ops_from_bytes(&data);
        prop_assert_eq!(run_memory(&ops), Ok(()));
    }

    #[test]
    fn disk_store_agrees_with_model(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let ops = ops_from_bytes(&data);
        prop_assert_eq!(run_disk(&ops), Ok(()));
    }
}

/// A hand-written sequence that grows a tree to several levels, shrinks it back to a single
/// leaf, and grows it again, with diffs and reopens along the way.
#[test]
fn grow_shrink_grow() {
    let ops = vec![
        Op::BulkInsert {
            start: 0,
            n: 3999,
            step: 7,
            seed: 1,
        },
        Op::Snapshot,
        Op::BulkInsert {
            start: 3,
            n: 3999,
            step: 5,
            seed: 2,
        },
        Op::Diff,
        Op::Reopen,
        Op::BulkRemove {
            start: 0,
            n: 3999,
            step: 1,
        },
        Op::BulkRemove {
            start: 3999,
            n: 3999,
            step: 5,
        },
        Op::Diff,
        Op::BulkRemove {
            start: 0,
            n: 3999,
            step: 13,
        },
        Op::Insert {
            key: 17,
            len: 2000,
            seed: 3,
        },
        Op::Get { key: 17 },
        Op::Reopen,
        Op::BulkInsert {
            start: 100,
            n: 3999,
            step: 3,
            seed: 4,
        },
        Op::Range {
            lo: 0,
            hi: 40000,
            reverse: true,
        },
        Op::Diff,
    ];
    assert_eq!(run_memory(&ops), Ok(()));
    assert_eq!(run_disk(&ops), Ok(()));
}
