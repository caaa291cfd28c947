//! Walking the commit graph: ancestors in a deterministic order, reachability, and merge bases.
//!
//! Order: commits come newest first by committer time, ties broken by the smaller hash, and a
//! commit is yielded once however many paths lead to it. So `log` is the same on every machine.
//!
//! Merge base: the best common ancestors of `a` and `b` are the common ancestors that are not
//! ancestors of another common ancestor. Since the ancestors of a common ancestor are common
//! ancestors too, they are exactly the common ancestors that are nobody's parent within the
//! common set. On a criss-cross history there are several; [`merge_base`] picks the one with the
//! latest committer time, ties broken by the smallest hash (as Dolt does, it does not build a
//! virtual merge of them). The walk reads every ancestor of both commits once: its cost is the
//! size of the two histories, not of the tables.
//!
//! In a shallow clone every walk here reads the boundary once (see [`super::shallow`]) and sees
//! a boundary commit without parents: `Ancestors` yields it grafted, and reachability and merge
//! bases stop there.

use super::commit::Commit;
use super::shallow::Shallow;
use crate::error::Result;
use crate::hash::Hash;
use crate::store::ChunkStore;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, HashSet};

/// A walk over ancestors, newest first (see the module header for the order).
#[derive(Debug)]
pub struct Ancestors<'a> {
    store: &'a dyn ChunkStore,
    /// Max-heap by (time, Reverse(hash)): newest first, then the smallest hash.
    queue: BinaryHeap<(i64, Reverse<Hash>)>,
    queued: HashSet<Hash>,
    commits: HashMap<Hash, Commit>,
    shallow: Shallow,
    failed: bool,
}

impl<'a> Ancestors<'a> {
    /// Ancestors of every commit in `starts`, the starts included.
    pub fn new(store: &'a dyn ChunkStore, starts: &[Hash]) -> Result<Ancestors<'a>> {
        let mut walk = Ancestors {
            store,
            queue: BinaryHeap::new(),
            queued: HashSet::new(),
            commits: HashMap::new(),
            shallow: Shallow::load(store)?,
            failed: false,
        };
        for start in starts {
            walk.push(*start)?;
        }
        Ok(walk)
    }

    fn push(&mut self, addr: Hash) -> Result<()> {
        if !self.queued.insert(addr) {
            return Ok(());
        }
        let commit = self.shallow.graft(&addr, Commit::load(self.store, addr)?);
        self.queue.push((commit.committer.time_ms, Reverse(addr)));
        self.commits.insert(addr, commit);
        Ok(())
    }

    fn step(&mut self) -> Result<Option<(Hash, Commit)>> {
        let Some((_, Reverse(addr))) = self.queue.pop() else {
            return Ok(None);
        };
        let Some(commit) = self.commits.remove(&addr) else {
            return Ok(None);
        };
        for parent in &commit.parents {
            self.push(*parent)?;
        }
        Ok(Some((addr, commit)))
    }
}

impl Iterator for Ancestors<'_> {
    type Item = Result<(Hash, Commit)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.step() {
            Ok(item) => item.map(Ok),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// Every ancestor of `start` (itself included) with its parents.
fn ancestor_graph(store: &dyn ChunkStore, start: Hash) -> Result<HashMap<Hash, Vec<Hash>>> {
    let shallow = Shallow::load(store)?;
    let mut graph = HashMap::new();
    let mut stack = vec![start];
    while let Some(addr) = stack.pop() {
        if graph.contains_key(&addr) {
            continue;
        }
        let commit = shallow.graft(&addr, Commit::load(store, addr)?);
        stack.extend(commit.parents.iter().copied());
        graph.insert(addr, commit.parents);
    }
    Ok(graph)
}

/// Whether `ancestor` is reachable from `descendant` (a commit is its own ancestor).
pub fn is_ancestor(store: &dyn ChunkStore, ancestor: Hash, descendant: Hash) -> Result<bool> {
    if ancestor == descendant {
        return Ok(true);
    }
    // No pruning by commit time: clocks lie, and a wrong answer here would turn a merge into a
    // fast-forward. The walk stops at the first path that reaches `ancestor`.
    let shallow = Shallow::load(store)?;
    let mut seen = HashSet::new();
    let mut stack = vec![descendant];
    while let Some(addr) = stack.pop() {
        if addr == ancestor {
            return Ok(true);
        }
        if !seen.insert(addr) {
            continue;
        }
        let commit = Commit::load(store, addr)?;
        stack.extend_from_slice(shallow.parents(&addr, &commit));
    }
    Ok(false)
}

/// The best common ancestors of `a` and `b` (see the module header), ascending by hash.
pub fn merge_bases(store: &dyn ChunkStore, a: Hash, b: Hash) -> Result<Vec<Hash>> {
    let of_a = ancestor_graph(store, a)?;
    let of_b = ancestor_graph(store, b)?;
    let common: HashMap<&Hash, &Vec<Hash>> =
        of_a.iter().filter(|(h, _)| of_b.contains_key(*h)).collect();
    let not_best: HashSet<&Hash> = common.values().flat_map(|parents| parents.iter()).collect();
    let best: BTreeSet<Hash> = common
        .keys()
        .filter(|h| !not_best.contains(*h))
        .map(|h| **h)
        .collect();
    Ok(best.into_iter().collect())
}

/// The merge base of `a` and `b`: among the best common ancestors, the one with the latest
/// committer time, ties broken by the smallest hash. `None` if the histories are unrelated.
pub fn merge_base(store: &dyn ChunkStore, a: Hash, b: Hash) -> Result<Option<Hash>> {
    let mut best: Option<(i64, Reverse<Hash>)> = None;
    for candidate in merge_bases(store, a, b)? {
        let time = Commit::load(store, candidate)?.committer.time_ms;
        let key = (time, Reverse(candidate));
        if best.is_none_or(|b| key > b) {
            best = Some(key);
        }
    }
    Ok(best.map(|(_, Reverse(h))| h))
}

/// Commits reachable from `include` but not from `exclude`, newest first (`exclude..include`).
pub fn commits_between(
    store: &dyn ChunkStore,
    exclude: &[Hash],
    include: &[Hash],
) -> Result<Vec<(Hash, Commit)>> {
    let mut hidden = HashSet::new();
    for start in exclude {
        hidden.extend(ancestor_graph(store, *start)?.into_keys());
    }
    let mut out = Vec::new();
    for entry in Ancestors::new(store, include)? {
        let (addr, commit) = entry?;
        if !hidden.contains(&addr) {
            out.push((addr, commit));
        }
    }
    Ok(out)
}
