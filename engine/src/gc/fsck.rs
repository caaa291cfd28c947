//! fsck: checks a whole store. The reachability walk (`reach.rs`) reads every chunk reachable
//! from a named root, so each one's hash is verified and each is decoded by its kind; refs,
//! `HEAD` and working sets are checked to name what they should; then every distinct prolly tree
//! reached (table rows, indexes, conflict maps) is verified for its invariants (key order,
//! counts, levels, chunk boundaries, blobs). Every problem names the chunk where it was found and
//! the path from a root that led there.

use super::reach::{Finding, Walk};
use crate::error::{Error, Result};
use crate::prolly::{Map, NodeStore};
use crate::store::ChunkStore;
use std::collections::HashSet;
use std::sync::Arc;

/// What fsck checked and found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FsckReport {
    /// Named roots read.
    pub roots: usize,
    /// Reachable chunks read and verified.
    pub chunks: u64,
    /// Their bytes (uncompressed).
    pub bytes: u64,
    /// Distinct prolly trees whose invariants were checked.
    pub trees: usize,
    /// Every problem found; empty if the store is sound.
    pub problems: Vec<Finding>,
}

impl FsckReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks every chunk and tree reachable from `store`'s named roots.
pub fn fsck(store: &Arc<dyn ChunkStore>) -> Result<FsckReport> {
    // Chunks cached before the check were verified when read; the check reads the medium now.
    store.drop_caches();
    let ns = NodeStore::with_cache(store.clone(), 0);
    let mut walk = Walk::new(&**store, ns.clone());
    walk.walk_roots()?;
    let mut problems = std::mem::take(&mut walk.problems);
    let mut seen = HashSet::new();
    let trees: Vec<_> = walk
        .trees
        .iter()
        .filter(|(root, _)| seen.insert(*root))
        .cloned()
        .collect();
    for (root, at) in &trees {
        let found = match Map::load(&ns, *root).and_then(|map| map.verify()) {
            Ok(found) => found,
            // Damage to the root itself was reported by the walk.
            Err(Error::Corrupted { .. } | Error::MissingChunk(_)) => continue,
            Err(e) => return Err(e),
        };
        problems.extend(found.into_iter().map(|p| Finding {
            addr: p.addr,
            at: at.to_string(),
            what: p.what,
        }));
    }
    // A chunk the walk already reported as damaged may also fail the tree check: once is enough.
    let mut reported = HashSet::new();
    problems.retain(|p| reported.insert((p.addr, p.what.clone())));
    Ok(FsckReport {
        roots: walk.roots,
        chunks: walk.live.len() as u64,
        bytes: walk.live_bytes,
        trees: trees.len(),
        problems,
    })
}
