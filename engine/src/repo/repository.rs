//! `Repository`: history over a chunk store — init and open, revisions, the working set of each
//! branch, staging, commits, branches, tags, reset, log, diff and status. Merging, reverting and
//! cherry-picking are in `merging.rs`.
//!
//! Every method that changes state reads what it changes (a ref, a working set), computes the
//! new value, writes new chunks, then swaps the named root by compare-and-swap against what it
//! read; if another writer got there first the method fails with `Error::Conflict` and nothing
//! is lost. A commit swaps the branch ref first and the working set second: a crash between the
//! two leaves a stale merge state on an otherwise committed branch, which `merge_abort` clears.
//!
//! Methods take the branch they act on (each SQL session may have its own); in revisions given
//! to them, `HEAD`, `WORKING` and `STAGED` mean that branch.

use super::commit::{Commit, Signature, Tag};
use super::conflict::{ConstraintViolation, SchemaConflict};
use super::diff::{diff_roots, TableChange, TableDiff};
use super::history::{commits_between, is_ancestor, merge_bases, Ancestors};
use super::locks::LockTable;
use super::refs::{self, branch_ref, tag_ref, HEADS_PREFIX, TAGS_PREFIX};
use super::revision::{self, short, RevRange, Revision, Target};
use super::sequence_marks::SequenceMarks;
use super::workingset::{
    delete_working_set, read_working_set_addr, write_working_set, MergeState, WorkingSet,
};
use crate::error::{Error, Result};
use crate::hash::Hash;
use crate::prolly::NodeStore;
use crate::store::ChunkStore;
use crate::table::RootValue;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// The message of a repository's first commit.
pub const INIT_MESSAGE: &str = "Initialize data repository";

/// A versioned database in a chunk store. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Repository {
    pub(super) store: Arc<dyn ChunkStore>,
    pub(super) ns: NodeStore,
    /// Writers of this process that lost a race for a working root and run again, one at a
    /// time (see [`Repository::retry_queue`]).
    retry_queue: Arc<RetryQueue>,
    /// The row locks of this process's transactions (see [`LockTable`]).
    locks: Arc<LockTable>,
    /// The sequence values this process has handed out (see [`SequenceMarks`]).
    sequence_marks: SequenceMarks,
    /// Working sets and roots decoded lately.
    decoded: Arc<Decoded>,
}

/// How many decoded working sets, and how many decoded roots, a repository keeps.
const DECODED_KEEP: usize = 32;

/// Working sets and roots decoded lately, by chunk address: every statement reads its branch's
/// working set and root, which change far less often than statements run. A chunk never
/// changes, so an entry is never stale.
#[derive(Debug, Default)]
struct Decoded {
    working_sets: Mutex<HashMap<Hash, WorkingSet>>,
    roots: Mutex<HashMap<Hash, RootValue>>,
}

impl Decoded {
    fn get_or_load<T: Clone>(
        map: &Mutex<HashMap<Hash, T>>,
        addr: Hash,
        load: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        let lock = || {
            map.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some(found) = lock().get(&addr) {
            return Ok(found.clone());
        }
        let loaded = load()?;
        let mut map = lock();
        if map.len() >= DECODED_KEEP {
            map.clear();
        }
        map.insert(addr, loaded.clone());
        Ok(loaded)
    }
}

/// The writers waiting for their turn to run a statement again; see
/// [`Repository::retry_queue`].
#[derive(Debug, Default)]
struct RetryQueue {
    lock: Mutex<()>,
    /// How many hold or wait for `lock`.
    waiting: AtomicUsize,
}

/// A turn in the retry queue, given up when dropped.
#[derive(Debug)]
pub struct RetryTurn<'a> {
    queue: &'a RetryQueue,
    _guard: MutexGuard<'a, ()>,
}

impl Drop for RetryTurn<'_> {
    fn drop(&mut self) {
        self.queue.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What a commit records, besides the staged root.
#[derive(Clone, Debug)]
pub struct CommitOptions {
    /// The message; empty takes the message a merge in progress prepared.
    pub message: String,
    pub author: Signature,
    /// Defaults to the author.
    pub committer: Option<Signature>,
    /// Commit even if nothing is staged.
    pub allow_empty: bool,
    /// Replace the branch head (same parents) instead of adding a commit on top of it.
    pub amend: bool,
}

impl CommitOptions {
    pub fn new(message: &str, author: Signature) -> CommitOptions {
        CommitOptions {
            message: message.to_string(),
            author,
            committer: None,
            allow_empty: false,
            amend: false,
        }
    }
}

/// How far `reset` goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetMode {
    /// Move the branch only.
    Soft,
    /// Move the branch and set the staged root (the default).
    Mixed,
    /// Move the branch and set the staged and working roots: uncommitted changes are lost.
    Hard,
}

/// One table's entry in a status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableStatus {
    pub table: String,
    pub change: TableChange,
    pub schema_changed: bool,
    pub data_changed: bool,
}

/// A branch's state: what is staged, what is not, and what a merge left to resolve.
#[derive(Clone, Debug)]
pub struct Status {
    pub branch: String,
    pub head: Hash,
    pub merge: Option<MergeState>,
    /// Head → staged.
    pub staged: Vec<TableStatus>,
    /// Staged → working.
    pub unstaged: Vec<TableStatus>,
    /// Table → conflicted rows.
    pub conflicts: BTreeMap<String, u64>,
    pub schema_conflicts: Vec<SchemaConflict>,
    pub violations: Vec<ConstraintViolation>,
}

impl Repository {
    /// Creates a repository in an empty store: an empty database, the initial commit on
    /// `default_branch`, and `HEAD` naming it.
    pub fn init(
        store: Arc<dyn ChunkStore>,
        default_branch: &str,
        signature: &Signature,
    ) -> Result<Repository> {
        refs::validate_name("branch", default_branch)?;
        if refs::read_head(&*store)?.is_some() {
            return Err(Error::InvalidInput(
                "a repository already exists in this store; open it instead".into(),
            ));
        }
        let repo = Repository {
            ns: NodeStore::new(store.clone()),
            store,
            retry_queue: Arc::default(),
            locks: Arc::default(),
            sequence_marks: SequenceMarks::default(),
            decoded: Arc::default(),
        };
        let root = RootValue::empty().save(&repo.ns)?;
        let commit = Commit {
            root,
            parents: Vec::new(),
            author: signature.clone(),
            committer: signature.clone(),
            message: INIT_MESSAGE.to_string(),
        }
        .save(&*repo.store)?;
        refs::update_ref(
            &*repo.store,
            &branch_ref(default_branch),
            None,
            Some(commit),
        )?;
        write_working_set(&*repo.store, default_branch, None, &WorkingSet::clean(root))?;
        refs::write_head(&*repo.store, None, default_branch)?;
        Ok(repo)
    }

    /// Opens the repository in `store`.
    pub fn open(store: Arc<dyn ChunkStore>) -> Result<Repository> {
        if refs::read_head(&*store)?.is_none() {
            return Err(Error::NotFound(
                "no vdb repository in this store; create one with init".into(),
            ));
        }
        Ok(Repository {
            ns: NodeStore::new(store.clone()),
            store,
            retry_queue: Arc::default(),
            locks: Arc::default(),
            sequence_marks: SequenceMarks::default(),
            decoded: Arc::default(),
        })
    }

    /// A place in the queue of writers that lost a compare-and-swap of a working root to
    /// another writer and run again, held across the retries of one statement. While anyone
    /// waits in it, [`Repository::retry_queue_if_busy`] sends new statements through it too, so
    /// that a loser competes only with the statements that started before it lost, and no
    /// writer of this process keeps losing to one that keeps winning.
    pub fn retry_queue(&self) -> RetryTurn<'_> {
        self.retry_queue.waiting.fetch_add(1, Ordering::SeqCst);
        let guard = self
            .retry_queue
            .lock
            .lock()
            // A writer that panicked while holding its place leaves nothing to repair.
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        RetryTurn {
            queue: &self.retry_queue,
            _guard: guard,
        }
    }

    /// A place in the retry queue if someone is waiting in it, else `None`: a new statement's
    /// first attempt waits behind the losers (see [`Repository::retry_queue`]).
    pub fn retry_queue_if_busy(&self) -> Option<RetryTurn<'_>> {
        (self.retry_queue.waiting.load(Ordering::SeqCst) > 0).then(|| self.retry_queue())
    }

    /// The values this process's sessions have drawn from sequences, outside transactions.
    pub fn sequence_marks(&self) -> &SequenceMarks {
        &self.sequence_marks
    }

    /// The row locks of this process's transactions.
    pub fn locks(&self) -> &Arc<LockTable> {
        &self.locks
    }

    pub fn store(&self) -> &Arc<dyn ChunkStore> {
        &self.store
    }

    pub fn node_store(&self) -> &NodeStore {
        &self.ns
    }

    /// The branch `HEAD` names.
    pub fn head_branch(&self) -> Result<String> {
        refs::read_head(&*self.store)?
            .ok_or_else(|| Error::NotFound("the repository has no HEAD".into()))
    }

    /// Makes `branch` the current branch. Working sets are kept per branch, so nothing
    /// uncommitted is lost by switching.
    pub fn checkout(&self, branch: &str) -> Result<()> {
        self.branch_head(branch)?;
        refs::write_head(&*self.store, Some(&self.head_branch()?), branch)
    }

    /// The head commit of `branch`.
    pub fn branch_head(&self, branch: &str) -> Result<Hash> {
        refs::read_ref(&*self.store, &branch_ref(branch))?
            .ok_or_else(|| Error::NotFound(format!("branch {branch} does not exist")))
    }

    /// Branches and their head commits, by name.
    pub fn branches(&self) -> Result<Vec<(String, Hash)>> {
        refs::list_refs(&*self.store, HEADS_PREFIX)
    }

    /// Tags and what they point at (a commit, or an annotated tag chunk), by name.
    pub fn tags(&self) -> Result<Vec<(String, Hash)>> {
        refs::list_refs(&*self.store, TAGS_PREFIX)
    }

    /// The commit at `addr`.
    pub fn commit_info(&self, addr: Hash) -> Result<Commit> {
        Commit::load(&*self.store, addr)
    }

    /// The root value at `addr`.
    pub fn root_value(&self, addr: Hash) -> Result<RootValue> {
        Decoded::get_or_load(&self.decoded.roots, addr, || {
            RootValue::load(&self.ns, addr)
        })
    }

    /// The commit `rev` names, with `HEAD` meaning the current branch.
    pub fn resolve(&self, rev: &str) -> Result<Hash> {
        self.resolve_on(&self.head_branch()?, rev)
    }

    /// The commit `rev` names, with `HEAD` meaning `branch`.
    pub fn resolve_on(&self, branch: &str, rev: &str) -> Result<Hash> {
        match revision::resolve(&*self.store, branch, &Revision::parse(rev)?)? {
            Target::Commit(addr) => Ok(addr),
            Target::Working | Target::Staged => Err(Error::InvalidInput(format!(
                "{rev} is not a commit; name a branch, tag or commit"
            ))),
        }
    }

    /// The root value address `rev` names (`WORKING` and `STAGED` included), on `branch`.
    pub fn resolve_root_on(&self, branch: &str, rev: &str) -> Result<Hash> {
        Ok(
            match revision::resolve(&*self.store, branch, &Revision::parse(rev)?)? {
                Target::Commit(addr) => self.commit_info(addr)?.root,
                Target::Working => self.working_set(branch)?.working,
                Target::Staged => self.working_set(branch)?.staged,
            },
        )
    }

    /// Branch `branch`'s working set (a clean one at its head if none is stored).
    pub fn working_set(&self, branch: &str) -> Result<WorkingSet> {
        Ok(self.load_ws(branch)?.1)
    }

    /// The stored working set's address (for compare-and-swap) and its value.
    ///
    /// Another writer may replace the working set between reading its address and loading it,
    /// and a collection may then remove the replaced chunk. A chunk missing under an address
    /// the branch no longer names is that race, so the load follows the new address; missing
    /// under the address still named, it is real damage and an error.
    pub(super) fn load_ws(&self, branch: &str) -> Result<(Option<Hash>, WorkingSet)> {
        let mut named = read_working_set_addr(&*self.store, branch)?;
        loop {
            let Some(addr) = named else {
                let head = self.commit_info(self.branch_head(branch)?)?;
                return Ok((None, WorkingSet::clean(head.root)));
            };
            let loaded = Decoded::get_or_load(&self.decoded.working_sets, addr, || {
                WorkingSet::load(&*self.store, addr)
            });
            match loaded {
                Err(Error::MissingChunk(missing)) if missing == addr => {
                    let now = read_working_set_addr(&*self.store, branch)?;
                    if now == named {
                        return Err(Error::MissingChunk(missing));
                    }
                    named = now;
                }
                loaded => return Ok((Some(addr), loaded?)),
            }
        }
    }

    pub(super) fn store_ws(
        &self,
        branch: &str,
        expected: Option<Hash>,
        ws: &WorkingSet,
    ) -> Result<()> {
        write_working_set(&*self.store, branch, expected, ws).map(|_| ())
    }

    /// Branch `branch`'s working root (what SQL reads and writes).
    pub fn working_root(&self, branch: &str) -> Result<RootValue> {
        self.root_value(self.working_set(branch)?.working)
    }

    /// Replaces branch `branch`'s working root: how SQL writes land. Returns the root's address.
    pub fn set_working_root(&self, branch: &str, root: &RootValue) -> Result<Hash> {
        let (expected, mut ws) = self.load_ws(branch)?;
        ws.working = root.save(&self.ns)?;
        self.store_ws(branch, expected, &ws)?;
        Ok(ws.working)
    }

    /// Replaces branch `branch`'s working root only if it is still `expected`: a compare-and-swap
    /// on the whole working set, so a concurrent writer can never be overwritten. Returns the new
    /// root's address, or `None` if another writer changed the working set first (the caller
    /// re-reads and merges, or reports a serialization failure).
    pub fn set_working_root_if(
        &self,
        branch: &str,
        expected: Hash,
        root: &RootValue,
    ) -> Result<Option<Hash>> {
        let (ws_addr, mut ws) = self.load_ws(branch)?;
        if ws.working != expected {
            return Ok(None);
        }
        ws.working = root.save(&self.ns)?;
        match self.store_ws(branch, ws_addr, &ws) {
            Ok(()) => Ok(Some(ws.working)),
            Err(Error::Conflict(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replaces branch `branch`'s staged root (unstaging tables), keeping its working root.
    pub fn set_staged_root(&self, branch: &str, root: &RootValue) -> Result<()> {
        let (expected, mut ws) = self.load_ws(branch)?;
        ws.staged = root.save(&self.ns)?;
        self.store_ws(branch, expected, &ws)
    }

    /// Replaces the foreign-key and CHECK violations recorded on branch `branch` for `tables`
    /// with `found` (what the SQL layer's `vdb_verify_constraints` found in them), keeping the
    /// other violations. Like a merge's, they block a commit until the table is staged.
    pub fn record_verified_violations(
        &self,
        branch: &str,
        tables: &[String],
        found: Vec<ConstraintViolation>,
    ) -> Result<()> {
        use super::ViolationKind;
        let (expected, mut ws) = self.load_ws(branch)?;
        ws.violations.retain(|v| {
            !(tables.contains(&v.table)
                && matches!(
                    v.kind,
                    ViolationKind::ForeignKey { .. } | ViolationKind::Check { .. }
                ))
        });
        for violation in found {
            if !ws.violations.contains(&violation) {
                ws.violations.push(violation);
            }
        }
        ws.violations.sort();
        self.store_ws(branch, expected, &ws)
    }

    /// Stages tables (or views) from the working root (`None`: everything, drops included). Staging a
    /// table accepts its working rows as the resolution of its conflicts and violations.
    pub fn stage(&self, branch: &str, tables: Option<&[&str]>) -> Result<()> {
        let (expected, mut ws) = self.load_ws(branch)?;
        let Some(tables) = tables else {
            ws.staged = ws.working;
            ws.conflicts.clear();
            ws.schema_conflicts.clear();
            ws.violations.clear();
            return self.store_ws(branch, expected, &ws);
        };
        let working = self.root_value(ws.working)?;
        let mut staged = self.root_value(ws.staged)?;
        for &name in tables {
            // Staging an object of a schema stages the schema with it.
            let (schema, _) = crate::table::split_qualified(name);
            if name.contains('.') && working.has_schema(schema) {
                staged.put_schema(schema);
            }
            match working.get_table(&self.ns, name)? {
                Some(table) => staged.put_table(name, &table)?,
                None if working.has_schema(name) && name != crate::table::PUBLIC_SCHEMA => {
                    staged.put_schema(name);
                }
                None if staged.remove_schema(name) => {}
                None if working.get_view(name).is_some() => {
                    if let Some(view) = working.get_view(name) {
                        staged.put_view(name, view.clone());
                    }
                }
                None if working.get_type(name).is_some() => {
                    if let Some(ty) = working.get_type(name) {
                        staged.put_type(name, ty.clone());
                    }
                }
                None if working.get_domain(name).is_some() => {
                    if let Some(domain) = working.get_domain(name) {
                        staged.put_domain(name, domain.clone());
                    }
                }
                None if working.get_functions(name).is_some() => {
                    if let Some(functions) = working.get_functions(name) {
                        staged.put_functions(name, functions.clone());
                    }
                }
                None if staged.remove_table(name) => {}
                None if staged.remove_view(name).is_some() => {}
                None if staged.remove_type(name).is_some() => {}
                None if staged.remove_functions(name).is_some() => {}
                None if staged.remove_domain(name).is_some() => {}
                None => {
                    return Err(Error::NotFound(format!(
                        "table {name} does not exist in the working set of branch {branch}"
                    )))
                }
            }
            ws.conflicts.remove(name);
            ws.schema_conflicts.retain(|c| c.table != name);
            ws.violations.retain(|v| v.table != name);
        }
        ws.staged = staged.save(&self.ns)?;
        self.store_ws(branch, expected, &ws)
    }

    /// Commits what is staged on `branch`; returns the new commit. Refuses while conflicts or
    /// violations remain. Concludes a merge in progress (with two parents unless squashed).
    pub fn commit(&self, branch: &str, opts: &CommitOptions) -> Result<Hash> {
        let (expected, mut ws) = self.load_ws(branch)?;
        if ws.has_unresolved() {
            return Err(Error::Conflict(format!(
                "cannot commit on branch {branch}: {} table(s) with conflicts, {} schema \
                 conflict(s) and {} constraint violation(s) remain; resolve them or stage the \
                 fixed tables first",
                ws.conflicts.len(),
                ws.schema_conflicts.len(),
                ws.violations.len()
            )));
        }
        let head = self.branch_head(branch)?;
        let head_commit = self.commit_info(head)?;
        let mut parents = vec![head];
        if opts.amend {
            if ws.merge.is_some() {
                return Err(Error::InvalidInput(
                    "cannot amend while a merge is in progress; commit or abort it first".into(),
                ));
            }
            parents.clone_from(&head_commit.parents);
        } else if ws.merge.is_none() && !opts.allow_empty && ws.staged == head_commit.root {
            return Err(Error::InvalidInput(format!(
                "nothing to commit on branch {branch}: stage changes first, or allow an empty \
                 commit"
            )));
        }
        if let Some(merge) = ws.merge.as_ref().filter(|m| m.two_parents) {
            parents.push(merge.their_commit);
        }
        let message = match (&opts.message, &ws.merge) {
            (m, Some(merge)) if m.is_empty() => merge.message.clone(),
            (m, _) => m.clone(),
        };
        if message.trim().is_empty() {
            return Err(Error::InvalidInput(
                "the commit message is empty; give one".into(),
            ));
        }
        let commit = Commit {
            root: ws.staged,
            parents,
            author: opts.author.clone(),
            committer: opts
                .committer
                .clone()
                .unwrap_or_else(|| opts.author.clone()),
            message,
        }
        .save(&*self.store)?;
        refs::update_ref(&*self.store, &branch_ref(branch), Some(head), Some(commit))?;
        if ws.merge.is_some() {
            ws.merge = None;
            self.store_ws(branch, expected, &ws)?;
        }
        Ok(commit)
    }

    /// Creates branch `name` at `rev` (on the current branch); `force` moves an existing one.
    pub fn branch_create(&self, name: &str, rev: &str, force: bool) -> Result<Hash> {
        refs::validate_name("branch", name)?;
        let target = self.resolve(rev)?;
        let existing = refs::read_ref(&*self.store, &branch_ref(name))?;
        if existing.is_some() && !force {
            return Err(Error::InvalidInput(format!(
                "branch {name} already exists; delete it first or force the move"
            )));
        }
        refs::update_ref(&*self.store, &branch_ref(name), existing, Some(target))?;
        Ok(target)
    }

    /// Deletes branch `name`. Refuses the current branch; without `force`, also a branch whose
    /// head is not merged into the current branch or which has uncommitted changes.
    pub fn branch_delete(&self, name: &str, force: bool) -> Result<()> {
        let current = self.head_branch()?;
        if name == current {
            return Err(Error::InvalidInput(format!(
                "cannot delete branch {name}: it is the current branch; check out another first"
            )));
        }
        let head = self.branch_head(name)?;
        let (ws_addr, ws) = self.load_ws(name)?;
        if !force {
            if !is_ancestor(&*self.store, head, self.branch_head(&current)?)? {
                return Err(Error::InvalidInput(format!(
                    "branch {name} is not fully merged into {current}; force the delete to lose \
                     its commits"
                )));
            }
            let root = self.commit_info(head)?.root;
            if ws.working != root || ws.staged != root || ws.merge.is_some() {
                return Err(Error::InvalidInput(format!(
                    "branch {name} has uncommitted changes; force the delete to lose them"
                )));
            }
        }
        refs::update_ref(&*self.store, &branch_ref(name), Some(head), None)?;
        if let Some(addr) = ws_addr {
            delete_working_set(&*self.store, name, addr)?;
        }
        Ok(())
    }

    /// Renames branch `old` to `new`, with its working set; `HEAD` follows.
    pub fn branch_rename(&self, old: &str, new: &str, force: bool) -> Result<()> {
        refs::validate_name("branch", new)?;
        let head = self.branch_head(old)?;
        let existing = refs::read_ref(&*self.store, &branch_ref(new))?;
        if existing.is_some() && !force {
            return Err(Error::InvalidInput(format!(
                "branch {new} already exists; delete it first or force the rename"
            )));
        }
        let (ws_addr, ws) = self.load_ws(old)?;
        let new_ws_addr = read_working_set_addr(&*self.store, new)?;
        refs::update_ref(&*self.store, &branch_ref(new), existing, Some(head))?;
        self.store_ws(new, new_ws_addr, &ws)?;
        if self.head_branch()? == old {
            refs::write_head(&*self.store, Some(old), new)?;
        }
        refs::update_ref(&*self.store, &branch_ref(old), Some(head), None)?;
        if let Some(addr) = ws_addr {
            delete_working_set(&*self.store, old, addr)?;
        }
        Ok(())
    }

    /// Creates tag `name` at `rev`: lightweight, or annotated with `(tagger, message)`.
    /// Returns what the tag ref holds.
    pub fn tag_create(
        &self,
        name: &str,
        rev: &str,
        annotation: Option<(&Signature, &str)>,
    ) -> Result<Hash> {
        refs::validate_name("tag", name)?;
        if refs::read_ref(&*self.store, &tag_ref(name))?.is_some() {
            return Err(Error::InvalidInput(format!(
                "tag {name} already exists; delete it first"
            )));
        }
        let target = self.resolve(rev)?;
        let value = match annotation {
            None => target,
            Some((tagger, message)) => Tag {
                target,
                name: name.to_string(),
                tagger: tagger.clone(),
                message: message.to_string(),
            }
            .save(&*self.store)?,
        };
        refs::update_ref(&*self.store, &tag_ref(name), None, Some(value))?;
        Ok(value)
    }

    /// Deletes tag `name`.
    pub fn tag_delete(&self, name: &str) -> Result<()> {
        let value = refs::read_ref(&*self.store, &tag_ref(name))?
            .ok_or_else(|| Error::NotFound(format!("tag {name} does not exist")))?;
        refs::update_ref(&*self.store, &tag_ref(name), Some(value), None)
    }

    /// Moves `branch` to `rev`; `Mixed` also resets the staged root, `Hard` the working root
    /// too (both end a merge in progress). Returns the new head.
    pub fn reset(&self, branch: &str, mode: ResetMode, rev: &str) -> Result<Hash> {
        let target = self.resolve_on(branch, rev)?;
        let root = self.commit_info(target)?.root;
        let head = self.branch_head(branch)?;
        let (expected, mut ws) = self.load_ws(branch)?;
        if mode == ResetMode::Soft && ws.merge.is_some() {
            return Err(Error::InvalidInput(
                "cannot soft-reset while a merge is in progress; abort the merge or reset \
                 --hard"
                    .into(),
            ));
        }
        refs::update_ref(&*self.store, &branch_ref(branch), Some(head), Some(target))?;
        match mode {
            ResetMode::Soft => return Ok(target),
            ResetMode::Mixed => ws.staged = root,
            ResetMode::Hard => {
                ws.staged = root;
                ws.working = root;
            }
        }
        ws.clear_merge();
        self.store_ws(branch, expected, &ws)?;
        Ok(target)
    }

    /// Commits reachable from `rev` (on the current branch), newest first, at most `limit`.
    pub fn log(&self, rev: &str, limit: Option<usize>) -> Result<Vec<(Hash, Commit)>> {
        let start = self.resolve(rev)?;
        Ancestors::new(&*self.store, &[start])?
            .take(limit.unwrap_or(usize::MAX))
            .collect()
    }

    /// Commits in range `a..b` (reachable from b, not from a) or `a...b` (from either, not
    /// both), newest first.
    pub fn log_range(&self, range: &str, limit: Option<usize>) -> Result<Vec<(Hash, Commit)>> {
        let (from, to, symmetric) = self.resolve_range(range)?;
        let (exclude, include) = if symmetric {
            (merge_bases(&*self.store, from, to)?, vec![from, to])
        } else {
            (vec![from], vec![to])
        };
        let mut commits = commits_between(&*self.store, &exclude, &include)?;
        commits.truncate(limit.unwrap_or(usize::MAX));
        Ok(commits)
    }

    fn resolve_range(&self, range: &str) -> Result<(Hash, Hash, bool)> {
        let parsed = RevRange::parse(range)?.ok_or_else(|| {
            Error::InvalidInput(format!("\"{range}\" is not a range (a..b or a...b)"))
        })?;
        let branch = self.head_branch()?;
        let commit = |rev: &Revision| match revision::resolve(&*self.store, &branch, rev)? {
            Target::Commit(addr) => Ok(addr),
            _ => Err(Error::InvalidInput(format!(
                "{rev} is not a commit; ranges take commits"
            ))),
        };
        Ok((commit(&parsed.from)?, commit(&parsed.to)?, parsed.symmetric))
    }

    /// The differences from revision `from` to revision `to` (on the current branch; `WORKING`
    /// and `STAGED` allowed).
    pub fn diff(&self, from: &str, to: &str) -> Result<Vec<TableDiff>> {
        let branch = self.head_branch()?;
        let a = self.root_value(self.resolve_root_on(&branch, from)?)?;
        let b = self.root_value(self.resolve_root_on(&branch, to)?)?;
        diff_roots(&self.ns, &a, &b)
    }

    /// The differences over a range: `a..b` diffs a to b; `a...b` diffs the merge base to b.
    pub fn diff_range(&self, range: &str) -> Result<Vec<TableDiff>> {
        let (from, to, symmetric) = self.resolve_range(range)?;
        let from = if symmetric {
            super::history::merge_base(&*self.store, from, to)?.ok_or_else(|| {
                Error::NotFound(format!(
                    "{} and {} have no common ancestor",
                    short(&from),
                    short(&to)
                ))
            })?
        } else {
            from
        };
        let a = self.root_value(self.commit_info(from)?.root)?;
        let b = self.root_value(self.commit_info(to)?.root)?;
        diff_roots(&self.ns, &a, &b)
    }

    /// Branch `branch`'s status.
    pub fn status(&self, branch: &str) -> Result<Status> {
        let head = self.branch_head(branch)?;
        let ws = self.working_set(branch)?;
        let head_root = self.root_value(self.commit_info(head)?.root)?;
        let staged = self.root_value(ws.staged)?;
        let working = self.root_value(ws.working)?;
        let summarize = |diffs: Vec<TableDiff>| -> Vec<TableStatus> {
            diffs
                .into_iter()
                .map(|d| TableStatus {
                    schema_changed: !d.schema_changes.is_empty(),
                    data_changed: d.data_changed(),
                    change: d.change,
                    table: d.name,
                })
                .collect()
        };
        let mut conflicts = BTreeMap::new();
        for (table, root) in &ws.conflicts {
            let map = crate::prolly::Map::load(&self.ns, *root)?;
            conflicts.insert(table.clone(), map.count());
        }
        Ok(Status {
            branch: branch.to_string(),
            head,
            staged: summarize(diff_roots(&self.ns, &head_root, &staged)?),
            unstaged: summarize(diff_roots(&self.ns, &staged, &working)?),
            merge: ws.merge,
            conflicts,
            schema_conflicts: ws.schema_conflicts,
            violations: ws.violations,
        })
    }
}
