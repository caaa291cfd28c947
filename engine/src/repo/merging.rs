//! Merging into a branch, and the two operations built on the same root merge: revert and
//! cherry-pick. They differ only in which states play base, ours and theirs:
//!
//! | operation | base | ours | theirs |
//! |---|---|---|---|
//! | merge REV | merge base of HEAD and REV | HEAD | REV |
//! | revert C | C | HEAD | C's parent |
//! | cherry-pick C | C's parent | HEAD | C |
//!
//! A clean result is committed at once (a merge with two parents). Otherwise the working and
//! staged roots both take the merged root (conflicted rows hold ours there), the working set
//! records the conflicts, violations and a `MergeState`, and the branch waits for
//! `resolve_conflicts` (which stages what it resolves) or edits plus `stage`, then `commit`
//! (refused while anything is unresolved), or for `merge_abort`. All three refuse to start on a branch with uncommitted changes, so that
//! an abort can return to HEAD without losing anything.

use super::commit::{Commit, Signature};
use super::conflict::{ConflictEntry, ConflictRow, ConstraintViolation, SchemaConflict};
use super::history::{is_ancestor, merge_base};
use super::merge::{merge_roots, RootMerge};
use super::refs::{self, branch_ref};
use super::repository::Repository;
use super::revision::short;
use super::shallow::{beyond_boundary, Shallow};
use super::verify::{tables_to_verify, verify_merged};
use super::workingset::{MergeState, WorkingSet};
use crate::error::{Error, Result};
use crate::hash::Hash;
use crate::prolly::Map;
use crate::store::ChunkStore;
use crate::table::{RootValue, RowChange, Table};
use bytes::Bytes;
use std::collections::BTreeMap;

/// How `merge` should conclude.
#[derive(Clone, Debug)]
pub struct MergeOptions {
    /// Make a merge commit even when a fast-forward is possible.
    pub no_ff: bool,
    /// Put the merged changes in the working and staged roots without committing or recording
    /// a second parent.
    pub squash: bool,
    /// The merge commit's message (default: "Merge REV into BRANCH").
    pub message: Option<String>,
    pub author: Signature,
}

impl MergeOptions {
    pub fn new(author: Signature) -> MergeOptions {
        MergeOptions {
            no_ff: false,
            squash: false,
            message: None,
            author,
        }
    }
}

/// How a merge, revert or cherry-pick ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MergeOutcome {
    /// Nothing to do: theirs is already contained in ours.
    UpToDate,
    /// The branch moved forward to this commit.
    FastForward { commit: Hash },
    /// A new commit records the result.
    Merged { commit: Hash },
    /// The result is in the working and staged roots, uncommitted (`squash`).
    Squashed { root: Hash },
    /// The result is in the working root with things to resolve; the branch is in merge state.
    Conflicts {
        /// Table → conflicted rows.
        conflicts: BTreeMap<String, u64>,
        schema_conflicts: Vec<SchemaConflict>,
        violations: Vec<ConstraintViolation>,
    },
}

/// Which version a conflict resolution keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Ours,
    Theirs,
}

/// What `conclude` needs besides the merge result.
struct Plan {
    branch: String,
    head: Hash,
    ws_addr: Option<Hash>,
    their_commit: Hash,
    base_commit: Option<Hash>,
    message: String,
    author: Signature,
    committer: Signature,
    two_parents: bool,
    squash: bool,
}

impl Repository {
    /// Merges revision `rev` into `branch` (see the module header).
    pub fn merge(&self, branch: &str, rev: &str, opts: &MergeOptions) -> Result<MergeOutcome> {
        let (head, ws_addr, _) = self.clean_start(branch, "merge")?;
        let theirs = self.resolve_on(branch, rev)?;
        if is_ancestor(&*self.store, theirs, head)? {
            return Ok(MergeOutcome::UpToDate);
        }
        if !opts.no_ff && !opts.squash && is_ancestor(&*self.store, head, theirs)? {
            refs::update_ref(&*self.store, &branch_ref(branch), Some(head), Some(theirs))?;
            let root = self.commit_info(theirs)?.root;
            self.store_ws(branch, ws_addr, &WorkingSet::clean(root))?;
            return Ok(MergeOutcome::FastForward { commit: theirs });
        }
        let base = merge_base(&*self.store, head, theirs)?;
        let message = opts
            .message
            .clone()
            .unwrap_or_else(|| format!("Merge {rev} into {branch}"));
        let plan = Plan {
            branch: branch.to_string(),
            head,
            ws_addr,
            their_commit: theirs,
            base_commit: base,
            message,
            author: opts.author.clone(),
            committer: opts.author.clone(),
            two_parents: !opts.squash,
            squash: opts.squash,
        };
        let base_root = match base {
            Some(b) => self.commit_info(b)?.root,
            None => RootValue::empty().save(&self.ns)?,
        };
        self.run(&plan, base_root, self.commit_info(theirs)?.root)
    }

    /// Undoes the changes of commit `rev` on `branch` with a new commit.
    pub fn revert(&self, branch: &str, rev: &str, author: &Signature) -> Result<MergeOutcome> {
        let (head, ws_addr, _) = self.clean_start(branch, "revert")?;
        let target = self.resolve_on(branch, rev)?;
        let commit = self.commit_info(target)?;
        let parent = single_parent(&*self.store, &commit, target, "revert")?
            .ok_or_else(|| Error::InvalidInput("cannot revert the initial commit".to_string()))?;
        let plan = Plan {
            branch: branch.to_string(),
            head,
            ws_addr,
            their_commit: target,
            base_commit: Some(target),
            message: format!(
                "Revert \"{}\"\n\nThis reverts commit {target}.",
                commit.summary()
            ),
            author: author.clone(),
            committer: author.clone(),
            two_parents: false,
            squash: false,
        };
        self.run(&plan, commit.root, self.commit_info(parent)?.root)
    }

    /// Applies the changes of commit `rev` to `branch` as a new commit (keeping its author and
    /// message; `committer` commits it).
    pub fn cherry_pick(
        &self,
        branch: &str,
        rev: &str,
        committer: &Signature,
    ) -> Result<MergeOutcome> {
        let (head, ws_addr, _) = self.clean_start(branch, "cherry-pick")?;
        let target = self.resolve_on(branch, rev)?;
        let commit = self.commit_info(target)?;
        let parent = single_parent(&*self.store, &commit, target, "cherry-pick")?;
        let base_root = match parent {
            Some(p) => self.commit_info(p)?.root,
            None => RootValue::empty().save(&self.ns)?,
        };
        let plan = Plan {
            branch: branch.to_string(),
            head,
            ws_addr,
            their_commit: target,
            base_commit: parent,
            message: commit.message.clone(),
            author: commit.author.clone(),
            committer: committer.clone(),
            two_parents: false,
            squash: false,
        };
        self.run(&plan, base_root, commit.root)
    }

    /// Ends the merge in progress on `branch`, returning its working and staged roots to the
    /// commit the merge started from.
    pub fn merge_abort(&self, branch: &str) -> Result<()> {
        let (expected, ws) = self.load_ws(branch)?;
        let merge = ws.merge.ok_or_else(|| {
            Error::InvalidInput(format!("no merge is in progress on branch {branch}"))
        })?;
        let root = self.commit_info(merge.our_commit)?.root;
        self.store_ws(branch, expected, &WorkingSet::clean(root))
    }

    /// The conflicted rows of `table` on `branch`, decoded, in key order. `ours` is the row as
    /// the working table now holds it (as in Dolt), so edits made while resolving show.
    pub fn conflicts(&self, branch: &str, table: &str) -> Result<Vec<ConflictRow>> {
        let ws = self.working_set(branch)?;
        let Some(root) = ws.conflicts.get(table) else {
            return Ok(Vec::new());
        };
        let current = self
            .root_value(ws.working)?
            .must_get_table(&self.ns, table)?;
        let mut rows = Vec::new();
        for entry in Map::load(&self.ns, *root)?.iter()? {
            let (key, value) = entry?;
            let mut row = ConflictEntry::decode(key, &value)?.rows(&current)?;
            row.ours = current.get(&row.key)?;
            rows.push(row);
        }
        Ok(rows)
    }

    /// Resolves conflicts of `table` on `branch` by taking one side: the rows at `keys`
    /// (primary-map keys; `None`: every conflicted row), or, for a schema conflict, the whole
    /// table. The table is written to the working root and staged. Returns how many conflicts
    /// were resolved. Violations stay until the table is fixed and staged.
    pub fn resolve_conflicts(
        &self,
        branch: &str,
        table: &str,
        side: Side,
        keys: Option<&[Bytes]>,
    ) -> Result<u64> {
        let (expected, mut ws) = self.load_ws(branch)?;
        let mut working = self.root_value(ws.working)?;
        let resolved = if let Some(i) = ws.schema_conflicts.iter().position(|c| c.table == table) {
            let conflict = ws.schema_conflicts.remove(i);
            match (side, conflict.theirs) {
                (Side::Ours, _) => {}
                (Side::Theirs, Some(addr)) => {
                    working.put_table(table, &Table::load(&self.ns, addr)?)?;
                }
                (Side::Theirs, None) => {
                    working.remove_table(table);
                }
            }
            1
        } else {
            self.resolve_rows(&mut ws, &mut working, branch, table, side, keys)?
        };
        // Stage the table as resolved.
        let mut staged = self.root_value(ws.staged)?;
        match working.get_table(&self.ns, table)? {
            Some(resolved_table) => staged.put_table(table, &resolved_table)?,
            None => {
                staged.remove_table(table);
            }
        }
        ws.working = working.save(&self.ns)?;
        ws.staged = staged.save(&self.ns)?;
        self.store_ws(branch, expected, &ws)?;
        Ok(resolved)
    }

    /// Marks the conflicts of `table` on `branch` at `keys` (primary-map keys) resolved as the
    /// working table now stands, without touching the table: what `DELETE FROM
    /// vdb_conflicts_t` means. Keys without a conflict are skipped. Returns how many were
    /// cleared.
    pub fn clear_conflicts(&self, branch: &str, table: &str, keys: &[Bytes]) -> Result<u64> {
        let (expected, mut ws) = self.load_ws(branch)?;
        let Some(root) = ws.conflicts.get(table).copied() else {
            return Ok(0);
        };
        let map = Map::load(&self.ns, root)?;
        let mut present = Vec::with_capacity(keys.len());
        for key in keys {
            if map.get(key)?.is_some() {
                present.push((key.clone(), None));
            }
        }
        if present.is_empty() {
            return Ok(0);
        }
        let cleared = present.len() as u64;
        let remaining = map.edit(present)?;
        if remaining.is_empty() {
            ws.conflicts.remove(table);
        } else {
            ws.conflicts.insert(table.to_string(), remaining.root());
        }
        self.store_ws(branch, expected, &ws)?;
        Ok(cleared)
    }

    /// Takes `side` for the conflicted rows of `table` at `keys` in `working`, and removes them
    /// from the conflict map.
    fn resolve_rows(
        &self,
        ws: &mut WorkingSet,
        working: &mut RootValue,
        branch: &str,
        table: &str,
        side: Side,
        keys: Option<&[Bytes]>,
    ) -> Result<u64> {
        let root = *ws.conflicts.get(table).ok_or_else(|| {
            Error::NotFound(format!("table {table} has no conflicts on branch {branch}"))
        })?;
        let map = Map::load(&self.ns, root)?;
        let entries = select_conflicts(&map, table, keys)?;
        let current = working.must_get_table(&self.ns, table)?;
        let mut changes = Vec::with_capacity(entries.len());
        for entry in &entries {
            let chosen = match side {
                Side::Ours => &entry.ours,
                Side::Theirs => &entry.theirs,
            };
            changes.push(match chosen {
                Some(value) => RowChange::Update {
                    key: entry.key.clone(),
                    row: current.decode(&entry.key, value)?,
                },
                None => RowChange::Delete(entry.key.clone()),
            });
        }
        working.put_table(table, &current.apply(changes)?)?;
        let remaining = map.edit(entries.iter().map(|e| (e.key.clone(), None)))?;
        if remaining.is_empty() {
            ws.conflicts.remove(table);
        } else {
            ws.conflicts.insert(table.to_string(), remaining.root());
        }
        Ok(entries.len() as u64)
    }

    /// Checks that `branch` can start a merge-like operation; returns its head and working set.
    fn clean_start(&self, branch: &str, what: &str) -> Result<(Hash, Option<Hash>, WorkingSet)> {
        let head = self.branch_head(branch)?;
        let (ws_addr, ws) = self.load_ws(branch)?;
        if ws.merge.is_some() {
            return Err(Error::Conflict(format!(
                "a merge is in progress on branch {branch}; commit it or abort it before \
                 starting a {what}"
            )));
        }
        let root = self.commit_info(head)?.root;
        if ws.working != root || ws.staged != root {
            return Err(Error::Conflict(format!(
                "branch {branch} has uncommitted changes; commit or reset them before a {what}"
            )));
        }
        Ok((head, ws_addr, ws))
    }

    /// Merges the roots and concludes: a commit, a squash, or a merge state with conflicts.
    fn run(&self, plan: &Plan, base_root: Hash, their_root: Hash) -> Result<MergeOutcome> {
        let ours_root = self.commit_info(plan.head)?.root;
        let (ours, theirs) = (self.root_value(ours_root)?, self.root_value(their_root)?);
        let mut merged = merge_roots(&self.ns, &self.root_value(base_root)?, &ours, &theirs)?;
        // Foreign keys and CHECKs the combination may break, through the SQL layer's verifier.
        let tables = tables_to_verify(&self.ns, &ours, &theirs, &merged.root)?;
        merged
            .violations
            .extend(verify_merged(&self.ns, &merged.root, &tables)?);
        let root = merged.root.save(&self.ns)?;
        if !merged.is_clean() {
            return self.stop_with_conflicts(plan, root, merged);
        }
        if plan.squash {
            self.store_ws(&plan.branch, plan.ws_addr, &WorkingSet::clean(root))?;
            return Ok(MergeOutcome::Squashed { root });
        }
        if root == ours_root && !plan.two_parents {
            return Ok(MergeOutcome::UpToDate);
        }
        let mut parents = vec![plan.head];
        if plan.two_parents {
            parents.push(plan.their_commit);
        }
        let commit = Commit {
            root,
            parents,
            author: plan.author.clone(),
            committer: plan.committer.clone(),
            message: plan.message.clone(),
        }
        .save(&*self.store)?;
        refs::update_ref(
            &*self.store,
            &branch_ref(&plan.branch),
            Some(plan.head),
            Some(commit),
        )?;
        self.store_ws(&plan.branch, plan.ws_addr, &WorkingSet::clean(root))?;
        Ok(MergeOutcome::Merged { commit })
    }

    fn stop_with_conflicts(
        &self,
        plan: &Plan,
        root: Hash,
        merged: RootMerge,
    ) -> Result<MergeOutcome> {
        let ws = WorkingSet {
            working: root,
            staged: root,
            merge: Some(MergeState {
                their_commit: plan.their_commit,
                base_commit: plan.base_commit,
                our_commit: plan.head,
                message: plan.message.clone(),
                two_parents: plan.two_parents,
            }),
            conflicts: merged.conflict_maps,
            schema_conflicts: merged.schema_conflicts.clone(),
            violations: merged.violations.clone(),
        };
        self.store_ws(&plan.branch, plan.ws_addr, &ws)?;
        Ok(MergeOutcome::Conflicts {
            conflicts: merged.conflicts,
            schema_conflicts: merged.schema_conflicts,
            violations: merged.violations,
        })
    }
}

/// The one parent of a commit (`None` for the initial commit); merges, and the boundary
/// commits of a shallow clone (whose parent is not here), are refused.
fn single_parent(
    store: &dyn ChunkStore,
    commit: &Commit,
    addr: Hash,
    what: &str,
) -> Result<Option<Hash>> {
    if Shallow::load(store)?.contains(&addr) {
        return Err(beyond_boundary(&addr, &format!("cannot {what} it")));
    }
    match commit.parents[..] {
        [] => Ok(None),
        [p] => Ok(Some(p)),
        _ => Err(Error::InvalidInput(format!(
            "commit {} is a merge; a {what} of a merge commit is not supported",
            short(&addr)
        ))),
    }
}

/// The conflict entries at `keys` (every one if `None`).
fn select_conflicts(map: &Map, table: &str, keys: Option<&[Bytes]>) -> Result<Vec<ConflictEntry>> {
    let mut out = Vec::new();
    match keys {
        None => {
            for entry in map.iter()? {
                let (key, value) = entry?;
                out.push(ConflictEntry::decode(key, &value)?);
            }
        }
        Some(keys) => {
            for key in keys {
                let value = map.get(key)?.ok_or_else(|| {
                    Error::NotFound(format!(
                        "table {table} has no conflict at key {key:?}; list them with conflicts()"
                    ))
                })?;
                out.push(ConflictEntry::decode(key.clone(), &value)?);
            }
        }
    }
    Ok(out)
}
