//! Garbage collection: removes the chunks that no ref, tag, working set, staged root, merge
//! state or conflict map reaches, while the store stays open to readers and writers.
//!
//! The protocol (the store's side is `ChunkStore::gc_begin` / `gc_finish`; the rule is written
//! in `docs/format.md`, "Garbage collection"):
//! 1. `gc_begin`: the store flushes and sets the mark: the earliest of the journal's end, the
//!    start of the oldest live write hold (a transaction in flight), and where the journal ended
//!    a grace period ago. Chunks written after the mark are never removed. From here on the
//!    store records every address put or read.
//! 2. Mark: the reachability walk from every named root and every root a read hold names (a
//!    reader's snapshot, which its ref may no longer reach).
//! 3. `gc_finish` tries to end the collection: if a root now names, or a writer or reader has
//!    touched, or a read hold taken since names, a chunk from before the mark that the walk has
//!    not marked, it returns those; the walk takes them as more roots and we try again.
//!    Otherwise the store removes everything from before the mark left unmarked and compacts
//!    its files.
//!
//! The walk must be complete for the sweep to be safe, so a walk that finds damage (a missing
//! or corrupted chunk, whose children it cannot know) removes nothing.

use super::reach::{Expect, Walk};
use crate::error::{Error, Result};
use crate::prolly::NodeStore;
use crate::store::{ChunkStore, GcSweep, SweepStats};
use std::sync::Arc;
use std::time::Duration;

/// Tries of `gc_finish` before giving up: each failed try walks what it returned, which new
/// reads of old, unreachable chunks alone can make necessary again.
const MAX_TRIES: usize = 64;

/// What a collection found and removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GcStats {
    /// Chunks marked live.
    pub live_chunks: u64,
    /// Their bytes (uncompressed).
    pub live_bytes: u64,
    /// `gc_finish` tries (1 when nothing changed during the walk).
    pub tries: usize,
    /// What the sweep removed and reclaimed.
    pub sweep: SweepStats,
    /// Reflog entries dropped because the commit they name was removed (`repo::reflog`).
    pub reflog_pruned: usize,
}

/// How a collection runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GcOptions {
    /// Chunks written less than this long ago are kept, reachable or not: they may belong to a
    /// transaction that has not published its root yet and holds no [`WriteHold`]. Zero is safe
    /// only when every writer in the process holds one (or there are none).
    ///
    /// [`WriteHold`]: crate::store::WriteHold
    pub grace: Duration,
}

impl Default for GcOptions {
    /// A grace period of ten minutes.
    fn default() -> Self {
        GcOptions {
            grace: Duration::from_secs(600),
        }
    }
}

/// Collects `store`'s garbage. See the module docs for the protocol.
pub fn collect(store: &Arc<dyn ChunkStore>, options: &GcOptions) -> Result<GcStats> {
    store.gc_begin(options.grace)?;
    let result = mark_and_sweep(store);
    if result.is_err() {
        store.gc_abort();
    }
    let mut stats = result?;
    stats.reflog_pruned = crate::repo::reflog::prune(&**store)?;
    Ok(stats)
}

fn mark_and_sweep(store: &Arc<dyn ChunkStore>) -> Result<GcStats> {
    let ns = NodeStore::with_cache(store.clone(), 0);
    let mut walk = Walk::new(&**store, ns);
    walk.walk_roots()?;
    let held: Arc<str> = "a root a reader holds".into();
    for root in store.held_roots() {
        // A hold on a root an earlier sweep removed is its reader's to find invalid (see
        // `ChunkStore::hold_root`); it keeps nothing and is no damage.
        if store.has(&root)? {
            walk.visit(root, Expect::Any, held.clone());
        }
    }
    walk.run()?;
    for tries in 1..=MAX_TRIES {
        if let Some(first) = walk.problems.first() {
            return Err(Error::corrupted(
                first.addr,
                format!(
                    "garbage collection found {} problems (first at {}: {}); nothing was \
                     removed; run vdb fsck",
                    walk.problems.len(),
                    first.at,
                    first.what
                ),
            ));
        }
        match store.gc_finish(&walk.live)? {
            GcSweep::Done(sweep) => {
                return Ok(GcStats {
                    live_chunks: walk.live.len() as u64,
                    live_bytes: walk.live_bytes,
                    tries,
                    sweep,
                    reflog_pruned: 0,
                })
            }
            GcSweep::Unresolved(addrs) => {
                let at: Arc<str> = "a chunk touched during garbage collection".into();
                for addr in addrs {
                    walk.visit(addr, Expect::Any, at.clone());
                }
                walk.run()?;
            }
        }
    }
    Err(Error::Conflict(format!(
        "garbage collection gave up after {MAX_TRIES} tries: writers kept reaching old, \
         unreachable chunks; nothing was removed; try again"
    )))
}
