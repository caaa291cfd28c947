//! Push, fetch and clone: moving the chunks the other side lacks, then the refs.
//!
//! Push, in order: read the manifest; refuse a non-fast-forward (unless forced); walk the
//! pushed commit's graph, stopping at chunks the remote's pack indexes list; upload the
//! missing chunks as one pack, then its index; then write the next manifest with a
//! create-only put. An interrupted push therefore leaves the remote's refs where they were
//! (the uploaded pack is unreferenced, and a retry finds it already there by name), and a
//! concurrent push makes ours re-read and re-check rather than overwrite.
//!
//! Fetch, in order: read the manifest and every pack index; download the byte ranges of the
//! chunks the local store lacks (neighbouring ranges merged), re-hash and store them; flush;
//! only then move the remote-tracking refs `refs/remotes/<remote>/*`. An interrupted fetch
//! leaves extra chunks and unchanged refs. A fetch into a shallow clone walks instead of
//! downloading everything (see `crate::shallow`).
//!
//! Tags are pushed like branches, in one manifest update for all of them, except that a tag
//! the remote already has with another target is never moved without `force` (tags do not
//! fast-forward, as in git), and no remote-tracking ref follows them.

use crate::backend::{key, Backend, RemoteOptions};
use crate::config::{must_get_remote, remote_add, RemoteConfig};
use crate::error::{Error, Result};
use crate::manifest::{self, Manifest};
use crate::pack::{coalesce, decode_index, decode_record, PackEntry, PackWriter};
use crate::shallow::{download_tag_objects, download_walk, Catalog, ShallowLimit};
use crate::walk;
use std::collections::HashSet;
use std::sync::Arc;
use vdb_engine::prolly::NodeStore;
use vdb_engine::repo::commit::peel_to_commit;
use vdb_engine::repo::{is_ancestor, refs, Repository, Shallow};
use vdb_engine::store::ChunkStore;
use vdb_engine::Hash;

/// Ranges closer than this are read in one request.
const COALESCE_GAP: u64 = 16 * 1024;
/// Bytes requested at once while fetching.
const FETCH_BATCH: u64 = 32 * 1024 * 1024;
/// Attempts at publishing a manifest while other pushes keep winning.
const PUSH_ATTEMPTS: usize = 5;

/// How far a long transfer has come, for progress bars.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// "receiving" (a fetch's chunk downloads) or "sending" (a push's pack upload).
    pub phase: &'static str,
    /// Bytes done and to do in this phase.
    pub done: u64,
    pub total: u64,
}

/// A progress callback: called after each batch of a transfer.
pub type ProgressFn = dyn Fn(Progress) + Send + Sync;

/// A remote, opened.
pub struct Remote {
    pub config: RemoteConfig,
    backend: Backend,
    progress: Option<Box<ProgressFn>>,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("config", &self.config)
            .finish()
    }
}

/// What a fetch did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchReport {
    /// Chunks downloaded.
    pub chunks: u64,
    /// Bytes downloaded (indexes, manifests and pack ranges).
    pub bytes: u64,
    /// Remote-tracking branches changed: (branch, old, new).
    pub updated: Vec<(String, Option<Hash>, Option<Hash>)>,
    /// Tags created locally.
    pub new_tags: Vec<String>,
}

/// What a push did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushReport {
    pub remote_branch: String,
    /// The remote branch before the push.
    pub old: Option<Hash>,
    pub new: Hash,
    /// Chunks uploaded (0 when the remote already had them, or a retry found its pack).
    pub chunks: u64,
    /// Bytes uploaded.
    pub bytes: u64,
    pub forced: bool,
}

impl Remote {
    /// Opens the remote `config` describes.
    pub fn open(config: &RemoteConfig) -> Result<Remote> {
        Ok(Remote {
            backend: Backend::open(&config.url, &config.options)?,
            config: config.clone(),
            progress: None,
        })
    }

    /// Reports progress of long transfers to `f`.
    pub fn with_progress(mut self, f: Box<ProgressFn>) -> Remote {
        self.progress = Some(f);
        self
    }

    fn report(&self, phase: &'static str, done: u64, total: u64) {
        if let Some(f) = &self.progress {
            f(Progress { phase, done, total });
        }
    }

    /// Opens the configured remote `name` of the repository in `store`.
    pub fn open_named(store: &dyn ChunkStore, name: &str) -> Result<Remote> {
        Remote::open(&must_get_remote(store, name)?)
    }

    /// The object-store facade (counters, test hooks).
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// The remote's current manifest (`None`: nobody has pushed).
    pub fn manifest(&self) -> Result<Option<Manifest>> {
        manifest::load_latest(&self.backend)
    }

    pub(crate) fn index(&self, pack: &Hash) -> Result<Vec<PackEntry>> {
        let name = format!("{}.idx", pack.to_hex());
        let bytes = self.backend.get(&key(&["packs", &name])?)?.ok_or_else(|| {
            Error::Corrupted(format!(
                "the manifest lists pack {pack}, whose index is missing"
            ))
        })?;
        decode_index(pack, &bytes)
    }

    /// Every chunk address the remote's packs hold.
    fn chunk_set(&self, m: &Manifest) -> Result<HashSet<Hash>> {
        let mut set = HashSet::new();
        for pack in &m.packs {
            set.extend(self.index(pack)?.into_iter().map(|e| e.addr));
        }
        Ok(set)
    }
}

/// Downloads every chunk of the remote's packs that `store` lacks. Returns the manifest read.
fn download(
    store: &dyn ChunkStore,
    remote: &Remote,
    report: &mut FetchReport,
) -> Result<Option<Manifest>> {
    let Some(m) = remote.manifest()? else {
        return Ok(None);
    };
    let mut wanted = HashSet::new();
    let mut plan = Vec::new();
    for pack in &m.packs {
        let mut need: Vec<PackEntry> = Vec::new();
        for e in remote.index(pack)? {
            if !wanted.contains(&e.addr) && !store.has(&e.addr)? {
                wanted.insert(e.addr);
                need.push(e);
            }
        }
        need.sort_by_key(|e| e.offset);
        plan.push((pack, need));
    }
    let total: u64 = plan
        .iter()
        .flat_map(|(_, need)| need.iter().map(|e| u64::from(e.len)))
        .sum();
    let mut done = 0;
    for (pack, need) in plan {
        done = fetch_entries(store, remote, pack, &need, done, total)?;
        report.chunks += need.len() as u64;
    }
    store.flush()?;
    Ok(Some(m))
}

/// Reads `need` (sorted by offset) from pack `pack` in batches and stores the chunks.
/// `done` of `total` record bytes were fetched before; returns the new `done`.
pub(crate) fn fetch_entries(
    store: &dyn ChunkStore,
    remote: &Remote,
    pack: &Hash,
    need: &[PackEntry],
    mut done: u64,
    total: u64,
) -> Result<u64> {
    let path = key(&["packs", &format!("{}.pack", pack.to_hex())])?;
    let mut start = 0;
    while start < need.len() {
        let mut end = start;
        let mut bytes = 0;
        while end < need.len() && (end == start || bytes < FETCH_BATCH) {
            bytes += u64::from(need[end].len);
            end += 1;
        }
        let batch = &need[start..end];
        let ranges = coalesce(batch, COALESCE_GAP);
        let parts = remote.backend.get_ranges(&path, &ranges)?;
        let mut chunks = Vec::with_capacity(batch.len());
        let mut r = 0;
        for e in batch {
            while ranges[r].end < e.offset + u64::from(e.len) {
                r += 1;
            }
            let at = (e.offset - ranges[r].start) as usize;
            let record = parts[r].get(at..at + e.len as usize).ok_or_else(|| {
                Error::Corrupted(format!("pack {pack} is shorter than its index says"))
            })?;
            chunks.push(decode_record(&e.addr, record)?);
        }
        store.put_many(chunks)?;
        done += bytes;
        remote.report("receiving", done, total);
        start = end;
    }
    Ok(done)
}

/// Reads the manifest and downloads what its branches reach within `limit`, and the tag
/// objects its tags name (see `crate::shallow`).
fn download_shallow(
    store: &Arc<dyn ChunkStore>,
    remote: &Remote,
    limit: ShallowLimit,
    report: &mut FetchReport,
) -> Result<Option<Manifest>> {
    let Some(m) = remote.manifest()? else {
        return Ok(None);
    };
    let catalog = Catalog::read(remote, &m)?;
    let tips: Vec<Hash> = m.branches().map(|(_, h)| h).collect();
    download_walk(store, remote, &catalog, &tips, limit, report)?;
    let tags: Vec<Hash> = m
        .refs
        .iter()
        .filter(|(name, _)| name.starts_with(refs::TAGS_PREFIX))
        .map(|(_, h)| *h)
        .collect();
    report.chunks += download_tag_objects(&**store, remote, &catalog, &tags)?;
    Ok(Some(m))
}

/// Fetches from `remote` into `repo`: missing chunks, then the remote-tracking branches
/// `refs/remotes/<remote>/*` (branches gone from the remote are removed) and tags that do not
/// exist locally. In a shallow clone only new history is fetched: the walk stops at the
/// commits already here, and tags naming commits that are not here are skipped.
pub fn fetch(repo: &Repository, remote: &Remote) -> Result<FetchReport> {
    let store = &**repo.store();
    let received = remote.backend.bytes_received();
    let mut report = FetchReport::default();
    let m = if Shallow::load(store)?.is_empty() {
        download(store, remote, &mut report)?
    } else {
        download_shallow(repo.store(), remote, ShallowLimit::default(), &mut report)?
    }
    .unwrap_or_default();
    let name = &remote.config.name;
    let mut old: Vec<(String, Hash)> = refs::list_refs(store, &refs::remote_ref(name, ""))?;
    for (branch, addr) in m.branches() {
        if !store.has(&addr)? {
            return Err(Error::Corrupted(format!(
                "branch {branch} names commit {addr}, which no pack holds"
            )));
        }
        let full = refs::remote_ref(name, branch);
        let before = refs::read_ref(store, &full)?;
        old.retain(|(b, _)| b != branch);
        if before != Some(addr) {
            refs::update_ref(store, &full, before, Some(addr))?;
            report
                .updated
                .push((branch.to_string(), before, Some(addr)));
        }
    }
    for (branch, addr) in old {
        refs::update_ref(store, &refs::remote_ref(name, &branch), Some(addr), None)?;
        report.updated.push((branch, Some(addr), None));
    }
    for (full, addr) in &m.refs {
        if let Some(tag) = full.strip_prefix(refs::TAGS_PREFIX) {
            if refs::read_ref(store, full)?.is_none()
                && store.has(addr)?
                && store.has(&peel_to_commit(store, *addr)?)?
            {
                refs::update_ref(store, full, None, Some(*addr))?;
                report.new_tags.push(tag.to_string());
            }
        }
    }
    report.bytes = remote.backend.bytes_received() - received;
    Ok(report)
}

/// Pushes local branch `branch` to `remote_branch` of `remote`. Refuses a non-fast-forward
/// unless `force`. On success the remote-tracking branch follows.
pub fn push(
    repo: &Repository,
    remote: &Remote,
    branch: &str,
    remote_branch: &str,
    force: bool,
) -> Result<PushReport> {
    refs::validate_name("branch", remote_branch)?;
    let store = repo.store();
    let new = repo.branch_head(branch)?;
    let full = refs::branch_ref(remote_branch);
    let sent = remote.backend.bytes_sent();
    let mut chunks = 0;
    let mut uploaded: Option<Hash> = None;
    for _ in 0..PUSH_ATTEMPTS {
        let current = remote.manifest()?.unwrap_or_default();
        let old = current.get_ref(&full);
        let report = |chunks, forced| PushReport {
            remote_branch: remote_branch.to_string(),
            old,
            new,
            chunks,
            bytes: remote.backend.bytes_sent() - sent,
            forced,
        };
        if old == Some(new) {
            track(repo, remote, remote_branch, new)?;
            return Ok(report(chunks, false));
        }
        let fast_forward = match old {
            None => true,
            Some(old) => store.has(&old)? && is_ancestor(&**store, old, new)?,
        };
        if !fast_forward && !force {
            return Err(Error::Rejected(format!(
                "push to {}/{remote_branch} rejected: it is not a fast-forward (the remote has \
                 commits this branch lacks); fetch, merge and push again, or push --force",
                remote.config.name
            )));
        }
        let mut next = current.clone();
        if uploaded.is_none() {
            let (pack, n) = upload_missing(store, remote, &current, &[new])?;
            uploaded = pack;
            chunks = n;
        }
        if let Some(pack) = uploaded {
            if !next.packs.contains(&pack) {
                next.packs.push(pack);
            }
        }
        next.seq = current.seq + 1;
        next.set_ref(&full, Some(new));
        if next.head.is_none() {
            next.head = Some(remote_branch.to_string());
        }
        if manifest::publish(&remote.backend, &next)? {
            // Best effort: a failed prune leaves old manifests, which readers ignore.
            let _ = manifest::prune(&remote.backend, next.seq);
            track(repo, remote, remote_branch, new)?;
            return Ok(report(chunks, !fast_forward));
        }
    }
    Err(Error::Conflict(format!(
        "other pushes to {} kept winning; push again",
        remote.config.name
    )))
}

/// What a push of tags did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TagPushReport {
    /// Tags created or moved on the remote: (name, old, new).
    pub updated: Vec<(String, Option<Hash>, Hash)>,
    /// Tags the remote already had with the same target.
    pub up_to_date: Vec<String>,
    /// Chunks uploaded.
    pub chunks: u64,
    /// Bytes uploaded.
    pub bytes: u64,
}

/// Pushes local tags `names` (every local tag if empty) to `remote`, with the commits and
/// annotated tag objects they name, in one manifest update. A tag the remote has with another
/// target is refused, and then nothing is pushed, unless `force`.
pub fn push_tags(
    repo: &Repository,
    remote: &Remote,
    names: &[String],
    force: bool,
) -> Result<TagPushReport> {
    let store = repo.store();
    let local = local_tags(&**store, names)?;
    let sent = remote.backend.bytes_sent();
    let mut uploaded: Option<(Option<Hash>, u64)> = None;
    for _ in 0..PUSH_ATTEMPTS {
        let current = remote.manifest()?.unwrap_or_default();
        let mut report = TagPushReport::default();
        let mut refused = Vec::new();
        for (name, new) in &local {
            let old = current.get_ref(&refs::tag_ref(name));
            match old {
                Some(old) if old == *new => report.up_to_date.push(name.clone()),
                Some(_) if !force => refused.push(name.as_str()),
                _ => report.updated.push((name.clone(), old, *new)),
            }
        }
        if !refused.is_empty() {
            return Err(Error::Rejected(format!(
                "push of tags to {} rejected: {} already exist there with another target; \
                 push --force to replace them",
                remote.config.name,
                refused.join(", ")
            )));
        }
        if report.updated.is_empty() {
            return Ok(report);
        }
        if uploaded.is_none() {
            let starts: Vec<Hash> = report.updated.iter().map(|(_, _, new)| *new).collect();
            uploaded = Some(upload_missing(store, remote, &current, &starts)?);
        }
        let (pack, chunks) = uploaded.expect("uploaded above");
        let mut next = current.clone();
        if let Some(pack) = pack {
            if !next.packs.contains(&pack) {
                next.packs.push(pack);
            }
        }
        next.seq = current.seq + 1;
        for (name, _, new) in &report.updated {
            next.set_ref(&refs::tag_ref(name), Some(*new));
        }
        if manifest::publish(&remote.backend, &next)? {
            let _ = manifest::prune(&remote.backend, next.seq);
            report.chunks = chunks;
            report.bytes = remote.backend.bytes_sent() - sent;
            return Ok(report);
        }
    }
    Err(Error::Conflict(format!(
        "other pushes to {} kept winning; push again",
        remote.config.name
    )))
}

/// The local tags `names` (every tag if empty) with their addresses.
fn local_tags(store: &dyn ChunkStore, names: &[String]) -> Result<Vec<(String, Hash)>> {
    if names.is_empty() {
        return Ok(refs::list_refs(store, refs::TAGS_PREFIX)?);
    }
    let mut out = Vec::new();
    for name in names {
        let addr = refs::read_ref(store, &refs::tag_ref(name))?
            .ok_or_else(|| Error::NotFound(format!("tag {name} does not exist")))?;
        out.push((name.clone(), addr));
    }
    Ok(out)
}

/// Uploads the chunks the commits or tags `starts` reach that the remote lacks, as one pack
/// plus its index. Returns the pack's name (`None` if nothing was missing) and its chunk count.
fn upload_missing(
    store: &Arc<dyn ChunkStore>,
    remote: &Remote,
    current: &Manifest,
    starts: &[Hash],
) -> Result<(Option<Hash>, u64)> {
    let have = remote.chunk_set(current)?;
    let ns = NodeStore::with_cache(store.clone(), 0);
    let missing = walk::missing(&ns, starts, &|h| have.contains(h))?;
    if missing.is_empty() {
        return Ok((None, 0));
    }
    let mut writer = PackWriter::default();
    for addr in &missing {
        writer.add(*addr, &store.must_get(addr)?);
    }
    let (name, pack, index) = writer.finish();
    let hex = name.to_hex();
    let size = pack.len() as u64;
    remote.report("sending", 0, size);
    remote
        .backend
        .put_immutable(&key(&["packs", &format!("{hex}.pack")])?, pack)?;
    remote
        .backend
        .put_immutable(&key(&["packs", &format!("{hex}.idx")])?, index)?;
    remote.report("sending", size, size);
    Ok((Some(name), missing.len() as u64))
}

/// Points the remote-tracking branch `remote/branch` at `addr`.
fn track(repo: &Repository, remote: &Remote, branch: &str, addr: Hash) -> Result<()> {
    let full = refs::remote_ref(&remote.config.name, branch);
    let store = &**repo.store();
    let before = refs::read_ref(store, &full)?;
    if before != Some(addr) {
        refs::update_ref(store, &full, before, Some(addr))?;
    }
    Ok(())
}

/// Clones the repository at `url` into `store`, which must hold no repository: adds the
/// remote as `remote_name`, fetches everything, and checks out the remote's default branch
/// (the first one pushed), or `branch` if given.
pub fn clone_into(
    store: Arc<dyn ChunkStore>,
    url: &str,
    options: &RemoteOptions,
    remote_name: &str,
    branch: Option<&str>,
) -> Result<(Repository, FetchReport)> {
    clone_with(
        store,
        url,
        options,
        remote_name,
        branch,
        ShallowLimit::default(),
        None,
    )
}

/// [`clone_into`], reporting the download's progress to `progress`. With a `limit`, a shallow
/// clone: only the last `depth` commits along every parent path from each remote branch,
/// and/or those committed since `since_ms`, with everything they need, and the cut recorded
/// as the shallow boundary.
pub fn clone_with(
    store: Arc<dyn ChunkStore>,
    url: &str,
    options: &RemoteOptions,
    remote_name: &str,
    branch: Option<&str>,
    limit: ShallowLimit,
    progress: Option<Box<ProgressFn>>,
) -> Result<(Repository, FetchReport)> {
    if limit.depth == Some(0) {
        return Err(Error::InvalidInput(
            "the depth of a shallow clone must be at least 1".into(),
        ));
    }
    if refs::read_head(&*store)?.is_some() {
        return Err(Error::InvalidInput(
            "the destination already holds a repository".into(),
        ));
    }
    let config = remote_add(&*store, remote_name, url, options)?;
    let mut remote = Remote::open(&config)?;
    remote.progress = progress;
    let mut report = FetchReport::default();
    let manifest = if limit.is_limited() {
        download_shallow(&store, &remote, limit, &mut report)?
    } else {
        download(&*store, &remote, &mut report)?
    };
    let Some(m) = manifest else {
        return Err(Error::NotFound(format!(
            "{url} holds no vdb repository (nothing was ever pushed there)"
        )));
    };
    let chosen = match branch {
        Some(b) => b.to_string(),
        None => m
            .head
            .clone()
            .filter(|h| m.get_ref(&refs::branch_ref(h)).is_some())
            .or_else(|| m.branches().next().map(|(b, _)| b.to_string()))
            .ok_or_else(|| Error::NotFound(format!("{url} has no branches")))?,
    };
    let head = m
        .get_ref(&refs::branch_ref(&chosen))
        .ok_or_else(|| Error::NotFound(format!("{url} has no branch {chosen}")))?;
    // The tracking refs and tags come from a fetch into the new repository.
    refs::update_ref(&*store, &refs::branch_ref(&chosen), None, Some(head))?;
    refs::write_head(&*store, None, &chosen)?;
    let repo = Repository::open(store)?;
    let mut rest = fetch(&repo, &remote)?;
    rest.chunks += report.chunks;
    rest.bytes = remote.backend.bytes_received();
    Ok((repo, rest))
}
