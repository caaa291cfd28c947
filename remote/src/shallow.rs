//! Shallow transfer: downloading by walking the remote's chunk graph from its ref tips, for
//! `vdb clone --depth N` and for every fetch into a shallow clone.
//!
//! A full fetch downloads whatever the remote's packs hold that the local store lacks. A
//! shallow repository must not (that would be all the history it chose to leave behind), so
//! here the walk goes breadth first, one round per level: fetch the round's chunks from the
//! packs (by the pack indexes, ranges merged as in a full fetch), decode them, and queue what
//! they name. A chunk the local store holds ends its branch of the walk, since the store holds
//! its closure (down to the shallow boundary). Commits carry their depth (a tip is depth 1, as
//! in git's `--depth`); a commit at the depth limit is fetched with its root value and tables,
//! but not its parents, and becomes a boundary commit unless its parents are here anyway.
//!
//! Rounds are processed in order, and a commit enters the walk only as a tip or as the parent
//! of a commit of the previous round, so each commit is first seen at its smallest depth over
//! all tips: the result is the union of "the last N commits along every parent path" of each
//! tip, as git fetches.
//!
//! With a time limit (`vdb clone --shallow-since DATE`), a commit whose committer time is
//! before the limit is left out, unless it is a tip: its chunk was read to learn its time, but
//! it is not stored, and the commits that named it as a parent become boundary commits. So the
//! clone holds every commit after the date reachable from the tips without crossing an older
//! one, as git's `--shallow-since` does.
//!
//! Deepening ([`deepen`], `vdb fetch --deepen N` / `--unshallow`) is the same walk started
//! from the parents of the boundary commits: N more commits along every path below the
//! boundary, or all of them.
//!
//! Durability: the walk keeps what it downloads in memory until it is complete (a local chunk
//! must mean a complete closure, or a later walk would stop at it too early), then stores and
//! flushes it, then updates the boundary root; only then does the caller move refs. So no ref
//! ever names a commit whose closure is incomplete and unrecorded, and an interrupted walk
//! leaves nothing behind.

use crate::error::{Error, Result};
use crate::manifest::Manifest;
use crate::pack::PackEntry;
use crate::transfer::{fetch, fetch_entries, FetchReport, Remote};
use crate::walk::{expand, Kind};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use vdb_engine::prolly::NodeStore;
use vdb_engine::repo::commit::{object_kind, ObjectKind};
use vdb_engine::repo::{Commit, Repository, Shallow, Tag};
use vdb_engine::store::{ChunkStore, MemoryStore};
use vdb_engine::Hash;

/// Where each chunk of the remote sits: address → (pack, entry).
pub(crate) struct Catalog {
    at: HashMap<Hash, (Hash, PackEntry)>,
}

impl Catalog {
    /// Reads every pack index `m` lists.
    pub(crate) fn read(remote: &Remote, m: &Manifest) -> Result<Catalog> {
        let mut at = HashMap::new();
        for pack in &m.packs {
            for e in remote.index(pack)? {
                at.entry(e.addr).or_insert((*pack, e));
            }
        }
        Ok(Catalog { at })
    }

    /// Downloads the chunks `addrs` into `store` (the caller checked that it lacks them).
    /// `done` bytes were fetched before; returns the new count.
    fn download(
        &self,
        store: &dyn ChunkStore,
        remote: &Remote,
        addrs: &[Hash],
        done: u64,
    ) -> Result<u64> {
        let mut by_pack: BTreeMap<Hash, Vec<PackEntry>> = BTreeMap::new();
        for addr in addrs {
            let (pack, entry) = self.at.get(addr).ok_or_else(|| {
                Error::Corrupted(format!(
                    "chunk {addr} is reachable from the remote's refs, but no pack holds it"
                ))
            })?;
            by_pack.entry(*pack).or_default().push(*entry);
        }
        let total = done
            + by_pack
                .values()
                .flatten()
                .map(|e| u64::from(e.len))
                .sum::<u64>();
        let mut done = done;
        for (pack, mut need) in by_pack {
            need.sort_by_key(|e| e.offset);
            done = fetch_entries(store, remote, &pack, &need, done, total)?;
        }
        Ok(done)
    }
}

/// How much history a shallow transfer takes: commits at most `depth` deep from a tip, and
/// committed at or after `since_ms` (milliseconds since 1970 UTC). Neither: everything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShallowLimit {
    pub depth: Option<u32>,
    pub since_ms: Option<i64>,
}

impl ShallowLimit {
    /// Commits at most `depth` deep.
    pub fn depth(depth: u32) -> ShallowLimit {
        ShallowLimit {
            depth: Some(depth),
            since_ms: None,
        }
    }

    /// Whether the transfer is limited at all.
    pub fn is_limited(&self) -> bool {
        self.depth.is_some() || self.since_ms.is_some()
    }
}

/// Downloads what the refs `tips` (commits or annotated tags) reach that `store` lacks, within
/// `limit` (the walk always stops at chunks the store holds), then records the new boundary
/// and drops old boundary commits whose parents are now here. Adds to `report.chunks`.
pub(crate) fn download_walk(
    store: &Arc<dyn ChunkStore>,
    remote: &Remote,
    catalog: &Catalog,
    tips: &[Hash],
    limit: ShallowLimit,
    report: &mut FetchReport,
) -> Result<Shallow> {
    let depth = limit.depth;
    let mut too_old = HashSet::new();
    let staging = Arc::new(MemoryStore::new());
    let ns = NodeStore::with_cache(staging.clone(), 0);
    let mut fetched = Vec::new();
    let mut seen = HashSet::new();
    let mut cut = Vec::new();
    let mut frontier: Vec<(Kind, Hash, u32)> = tips.iter().map(|t| (Kind::Object, *t, 1)).collect();
    let mut done = 0;
    while !frontier.is_empty() {
        let mut round = Vec::new();
        for (kind, addr, d) in frontier.drain(..) {
            if seen.insert(addr) && !store.has(&addr)? {
                round.push((kind, addr, d));
            }
        }
        // Map root nodes a table's decoding needed are staged already (`expand_fetching`).
        let mut addrs = Vec::new();
        for (_, addr, _) in &round {
            if !staging.has(addr)? {
                addrs.push(*addr);
            }
        }
        done = catalog.download(&*staging, remote, &addrs, done)?;
        fetched.extend_from_slice(&addrs);
        let mut next = Vec::new();
        for (kind, addr, d) in round {
            if !matches!(kind, Kind::Object | Kind::Commit) {
                let children = expand_fetching(&ns, remote, catalog, kind, addr, &mut fetched)?;
                next.extend(children.into_iter().map(|(k, a)| (k, a, d)));
                continue;
            }
            if object_kind(&*staging, &addr)? == Some(ObjectKind::Tag) {
                next.push((Kind::Commit, Tag::load(&*staging, addr)?.target, d));
                continue;
            }
            let commit = Commit::load(&*staging, addr)?;
            if d > 1 && limit.since_ms.is_some_and(|t| commit.committer.time_ms < t) {
                // Before the date: read to learn that, but not kept; its children that are
                // kept become boundary commits below.
                too_old.insert(addr);
                continue;
            }
            next.push((Kind::Root, commit.root, d));
            if depth.is_some_and(|n| d >= n) {
                cut.push((addr, commit.parents));
            } else {
                if limit.since_ms.is_some() {
                    cut.push((addr, commit.parents.clone()));
                }
                next.extend(commit.parents.into_iter().map(|p| (Kind::Commit, p, d + 1)));
            }
        }
        frontier = next;
    }
    fetched.retain(|a| !too_old.contains(a));
    report.chunks += fetched.len() as u64;
    let chunks = fetched
        .iter()
        .map(|a| staging.must_get(a))
        .collect::<vdb_engine::Result<Vec<_>>>()?;
    store.put_many(chunks)?;
    store.flush()?;
    // A commit cut at the limit whose parents another path brought in is no boundary.
    let mut add = Vec::new();
    for (addr, parents) in cut {
        if !all_present(&**store, &parents)? {
            add.push(addr);
        }
    }
    let mut remove = Vec::new();
    for addr in Shallow::load(&**store)?.commits() {
        if all_present(&**store, &Commit::load(&**store, *addr)?.parents)? {
            remove.push(*addr);
        }
    }
    Ok(Shallow::update(&**store, &add, &remove)?)
}

/// Deepens a shallow clone by `by` commits below its boundary along every parent path (`None`:
/// all the history, which makes the clone complete), then fetches as usual. Fails with
/// `InvalidInput` if the repository is not shallow.
pub fn deepen(repo: &Repository, remote: &Remote, by: Option<u32>) -> Result<FetchReport> {
    let store = repo.store();
    let shallow = Shallow::load(&**store)?;
    if shallow.is_empty() {
        return Err(Error::InvalidInput(
            "this repository is not shallow: it already has all of its history".into(),
        ));
    }
    if by == Some(0) {
        return Err(Error::InvalidInput("deepen by at least 1 commit".into()));
    }
    let received = remote.backend().bytes_received();
    let Some(m) = remote.manifest()? else {
        return Err(Error::NotFound(format!(
            "remote {} holds no repository",
            remote.config.name
        )));
    };
    let catalog = Catalog::read(remote, &m)?;
    let mut starts = Vec::new();
    for addr in shallow.commits() {
        starts.extend(Commit::load(&**store, *addr)?.parents);
    }
    let mut report = FetchReport::default();
    let limit = ShallowLimit {
        depth: by,
        since_ms: None,
    };
    download_walk(store, remote, &catalog, &starts, limit, &mut report)?;
    let rest = fetch(repo, remote)?;
    Ok(FetchReport {
        chunks: report.chunks + rest.chunks,
        bytes: remote.backend().bytes_received() - received,
        ..rest
    })
}

/// Downloads the annotated tag objects among `tags` (the addresses the remote's tag refs
/// name) that `store` lacks and whose target commit it has, without walking further: a tag
/// into history a shallow clone does not have is not followed. Returns how many it stored.
pub(crate) fn download_tag_objects(
    store: &dyn ChunkStore,
    remote: &Remote,
    catalog: &Catalog,
    tags: &[Hash],
) -> Result<u64> {
    let mut want = Vec::new();
    for addr in tags {
        if !store.has(addr)? && catalog.at.contains_key(addr) && !want.contains(addr) {
            want.push(*addr);
        }
    }
    // Staged: a lightweight tag's commit downloaded here is not stored without its closure.
    let staging = MemoryStore::new();
    catalog.download(&staging, remote, &want, 0)?;
    let mut keep = Vec::new();
    for addr in &want {
        if object_kind(&staging, addr)? == Some(ObjectKind::Tag)
            && store.has(&Tag::load(&staging, *addr)?.target)?
        {
            keep.push(staging.must_get(addr)?);
        }
    }
    let stored = keep.len() as u64;
    store.put_many(keep)?;
    store.flush()?;
    Ok(stored)
}

/// The children of chunk `addr`, read from the staging store `ns` reads. Decoding a table
/// reads the root nodes of its maps too: those missing are downloaded one at a time (recorded
/// in `fetched`) and the decoding retried.
fn expand_fetching(
    ns: &NodeStore,
    remote: &Remote,
    catalog: &Catalog,
    kind: Kind,
    addr: Hash,
    fetched: &mut Vec<Hash>,
) -> Result<Vec<(Kind, Hash)>> {
    loop {
        let mut children = Vec::new();
        match expand(ns, kind, addr, &mut children) {
            Err(Error::Engine(vdb_engine::Error::MissingChunk(missing)))
                if !fetched.contains(&missing) =>
            {
                catalog.download(&**ns.store(), remote, &[missing], 0)?;
                fetched.push(missing);
            }
            other => return other.map(|()| children),
        }
    }
}

fn all_present(store: &dyn ChunkStore, addrs: &[Hash]) -> Result<bool> {
    for addr in addrs {
        if !store.has(addr)? {
            return Ok(false);
        }
    }
    Ok(true)
}
