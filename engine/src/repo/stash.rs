//! Stashes (and `clean`, which drops the untracked tables a stash leaves): a branch's
//! uncommitted changes put aside, leaving its working set clean, and brought
//! back later onto whatever the branch holds then (`vdb stash`, `vdb_stash(...)`, Dolt's
//! `dolt stash`).
//!
//! A stash is a commit, as in git: its root is the stashed working root, its first parent the
//! branch's head when it was stashed, its second an "index" commit of the staged root. Each
//! stash is a named root of its own:
//!
//! | root name | value |
//! |---|---|
//! | `stash:<20-digit microseconds since the epoch>:<branch>` | 20-byte address of the stash commit |
//!
//! so stashes list in time order and garbage collection keeps what they reach (a 20-byte root
//! value is walked like a ref). `stash@{0}` is the newest. The stack is the repository's, not a
//! branch's: a stash made on one branch can be applied on another.
//!
//! Applying merges three-way: base the stash's head, ours the branch's working root, theirs
//! the stash's root, so changes made since the stash are kept. A merge that would leave
//! conflicts, schema conflicts or constraint violations (foreign keys and CHECKs included, as a
//! merge checks them: `super::verify`) changes nothing and is refused. Staged
//! changes come back as unstaged ones (git's default, without `--index`).

use super::commit::Commit;
use super::revision::short;
use super::Repository;
use crate::error::{Error, Result};
use crate::hash::Hash;
use crate::repo::commit::Signature;
use crate::repo::merge_roots;
use crate::repo::verify::{tables_to_verify, verify_merged};
use crate::table::RootValue;

/// Prefix of every stash's root name.
pub const STASH_PREFIX: &str = "stash:";

/// One stash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stash {
    /// Its place in the stack: 0 for the newest (`stash@{0}`).
    pub index: usize,
    /// The branch it was made on.
    pub branch: String,
    /// The stash commit.
    pub addr: Hash,
    /// The stash commit's contents (message, time, parents: head, then index).
    pub commit: Commit,
    root_name: String,
}

impl Stash {
    /// `stash@{n}`.
    pub fn name(&self) -> String {
        format!("stash@{{{}}}", self.index)
    }

    /// The branch's head when the stash was made.
    pub fn head(&self) -> Hash {
        self.commit.parents[0]
    }
}

/// Reads `stash@{n}`, `n` or an empty string (the newest) as a stack index.
pub fn parse_stash_ref(text: &str) -> Result<usize> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(0);
    }
    let digits = text
        .strip_prefix("stash@{")
        .and_then(|rest| rest.strip_suffix('}'))
        .unwrap_or(text);
    digits.parse::<usize>().map_err(|_| {
        Error::InvalidInput(format!(
            "\"{text}\" names no stash: use stash@{{n}} or n, 0 being the newest"
        ))
    })
}

/// What `stash_apply` does with the stash once applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StashApply {
    /// Keep it on the stack (`apply`).
    Keep,
    /// Drop it (`pop`).
    Drop,
}

/// The tables of `working` that neither `staged` nor `head` has.
fn untracked_in(working: &RootValue, staged: &RootValue, head: &RootValue) -> Vec<String> {
    working
        .table_names()
        .filter(|t| staged.table_addr(t).is_none() && head.table_addr(t).is_none())
        .map(str::to_string)
        .collect()
}

impl Repository {
    /// The stashes, newest first.
    pub fn stashes(&self) -> Result<Vec<Stash>> {
        let store = &**self.store();
        let mut out = Vec::new();
        for (name, value) in store.list_roots(STASH_PREFIX)?.into_iter().rev() {
            let bad =
                |what: &str| Error::corrupted(Hash::ZERO, format!("stash root {name}: {what}"));
            let branch = name
                .strip_prefix(STASH_PREFIX)
                .and_then(|rest| rest.split_once(':'))
                .map(|(_, branch)| branch.to_string())
                .ok_or_else(|| bad("no branch in the name"))?;
            let addr = Hash::from_slice(&value).ok_or_else(|| bad("not a 20-byte address"))?;
            let commit = Commit::load(store, addr)?;
            if commit.parents.len() != 2 {
                return Err(bad("the stash commit does not have two parents"));
            }
            out.push(Stash {
                index: out.len(),
                branch,
                addr,
                commit,
                root_name: name,
            });
        }
        Ok(out)
    }

    /// Stash `index` (0: the newest); `NotFound` naming how many there are.
    pub fn stash(&self, index: usize) -> Result<Stash> {
        let mut all = self.stashes()?;
        if index >= all.len() {
            return Err(Error::NotFound(match all.len() {
                0 => "there are no stashes".to_string(),
                n => format!("stash@{{{index}}} does not exist: there are {n} stashes"),
            }));
        }
        Ok(all.swap_remove(index))
    }

    /// Puts branch `branch`'s uncommitted changes (staged and unstaged) on the stash stack and
    /// resets its working and staged roots to its head. Tables (and sequences) never staged nor
    /// committed stay in the working root unless `include_untracked`. Refuses when there is nothing to stash
    /// or a merge is in progress. Returns the new stash (`stash@{0}`).
    pub fn stash_push(
        &self,
        branch: &str,
        message: Option<&str>,
        include_untracked: bool,
        who: &Signature,
    ) -> Result<Stash> {
        let (ws_addr, mut ws) = self.load_ws(branch)?;
        if ws.merge.is_some() || ws.has_unresolved() {
            return Err(Error::InvalidInput(format!(
                "cannot stash on branch {branch} while a merge is in progress or conflicts \
                 remain; commit or abort the merge first"
            )));
        }
        let head = self.branch_head(branch)?;
        let head_commit = self.commit_info(head)?;
        let head_root = self.root_value(head_commit.root)?;
        let staged = self.root_value(ws.staged)?;
        let working = self.root_value(ws.working)?;
        let mut stashed = working.clone();
        let mut kept = head_root.clone();
        if !include_untracked {
            let untracked = untracked_in(&working, &staged, &head_root);
            for table in &untracked {
                stashed.remove_table(table);
                kept.put_table(table, &working.must_get_table(self.node_store(), table)?)?;
            }
            // A new table's SERIAL sequence goes where the table goes.
            let new_sequences: Vec<String> = working
                .sequence_names()
                .filter(|s| staged.get_sequence(s).is_none() && head_root.get_sequence(s).is_none())
                .map(str::to_string)
                .collect();
            for name in &new_sequences {
                if let Some(sequence) = stashed.remove_sequence(name) {
                    kept.put_sequence(name, sequence);
                }
            }
        }
        let stashed_addr = stashed.save(self.node_store())?;
        if stashed_addr == head_commit.root && ws.staged == head_commit.root {
            return Err(Error::InvalidInput(format!(
                "no local changes to stash on branch {branch}{}",
                if include_untracked {
                    ""
                } else {
                    " (new tables never staged are kept unless untracked ones are included)"
                }
            )));
        }
        let subject = format!("{branch}: {} {}", short(&head), head_commit.summary());
        let index = Commit {
            root: ws.staged,
            parents: vec![head],
            author: who.clone(),
            committer: who.clone(),
            message: format!("index on {subject}"),
        }
        .save(&**self.store())?;
        let stash = Commit {
            root: stashed_addr,
            parents: vec![head, index],
            author: who.clone(),
            committer: who.clone(),
            message: match message {
                Some(m) if !m.trim().is_empty() => format!("On {branch}: {m}"),
                _ => format!("WIP on {subject}"),
            },
        };
        let addr = stash.save(&**self.store())?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros())
            .unwrap_or(0);
        let root_name = format!("{STASH_PREFIX}{now:020}:{branch}");
        // The stash first, then the reset: a crash between them loses nothing.
        if !self
            .store()
            .cas_root(&root_name, None, Some(addr.as_bytes()))?
        {
            return Err(Error::Conflict(
                "another stash was made at the same instant; try again".into(),
            ));
        }
        ws.working = kept.save(self.node_store())?;
        ws.staged = head_commit.root;
        if let Err(e) = self.store_ws(branch, ws_addr, &ws) {
            let _ = self
                .store()
                .cas_root(&root_name, Some(addr.as_bytes()), None);
            return Err(e);
        }
        Ok(Stash {
            index: 0,
            branch: branch.to_string(),
            addr,
            commit: stash,
            root_name,
        })
    }

    /// Applies stash `index` to branch `branch`'s working root by a three-way merge (see the
    /// module docs), then drops it if `then` says so. Refuses, changing nothing, when the
    /// merge would leave anything to resolve, or while a merge is in progress.
    pub fn stash_apply(&self, branch: &str, index: usize, then: StashApply) -> Result<Stash> {
        let stash = self.stash(index)?;
        let (ws_addr, mut ws) = self.load_ws(branch)?;
        if ws.merge.is_some() || ws.has_unresolved() {
            return Err(Error::InvalidInput(format!(
                "cannot apply {} on branch {branch} while a merge is in progress or conflicts \
                 remain",
                stash.name()
            )));
        }
        let base = self.root_value(self.commit_info(stash.head())?.root)?;
        let ours = self.root_value(ws.working)?;
        let theirs = self.root_value(stash.commit.root)?;
        let mut merged = merge_roots(self.node_store(), &base, &ours, &theirs)?;
        let tables = tables_to_verify(self.node_store(), &ours, &theirs, &merged.root)?;
        merged
            .violations
            .extend(verify_merged(self.node_store(), &merged.root, &tables)?);
        if !merged.is_clean() {
            let mut tables: Vec<&str> = merged.conflicts.keys().map(String::as_str).collect();
            tables.extend(merged.schema_conflicts.iter().map(|c| c.table.as_str()));
            tables.extend(merged.violations.iter().map(|v| v.table.as_str()));
            tables.sort_unstable();
            tables.dedup();
            return Err(Error::InvalidInput(format!(
                "{} conflicts with the changes on branch {branch} in {}; nothing was applied: \
                 commit or reset those changes, then apply it again",
                stash.name(),
                tables.join(", ")
            )));
        }
        ws.working = merged.root.save(self.node_store())?;
        self.store_ws(branch, ws_addr, &ws)?;
        if then == StashApply::Drop {
            self.stash_drop(stash.index)?;
        }
        Ok(stash)
    }

    /// Removes stash `index` from the stack (what it reached goes at the next collection).
    pub fn stash_drop(&self, index: usize) -> Result<Stash> {
        let stash = self.stash(index)?;
        if !self
            .store()
            .cas_root(&stash.root_name, Some(stash.addr.as_bytes()), None)?
        {
            return Err(Error::Conflict(format!(
                "{} was dropped by another writer; list the stashes again",
                stash.name()
            )));
        }
        Ok(stash)
    }

    /// The tables of branch `branch`'s working root that were never staged nor committed
    /// (`vdb clean`'s and `stash`'s "untracked"), by name.
    pub fn untracked_tables(&self, branch: &str) -> Result<Vec<String>> {
        let ws = self.working_set(branch)?;
        let head_root = self.root_value(self.commit_info(self.branch_head(branch)?)?.root)?;
        let staged = self.root_value(ws.staged)?;
        let working = self.root_value(ws.working)?;
        Ok(untracked_in(&working, &staged, &head_root))
    }

    /// Drops untracked tables from branch `branch`'s working root (`vdb clean`, Dolt's
    /// `dolt clean`): `tables`, which must all be untracked, or all of them (`None`). With
    /// `dry_run`, only says which. Returns the tables dropped (or that would be).
    pub fn clean(
        &self,
        branch: &str,
        tables: Option<&[&str]>,
        dry_run: bool,
    ) -> Result<Vec<String>> {
        let untracked = self.untracked_tables(branch)?;
        let chosen: Vec<String> = match tables {
            None => untracked,
            Some(names) => {
                for name in names {
                    if !untracked.iter().any(|t| t == name) {
                        return Err(Error::InvalidInput(format!(
                            "table {name} is not untracked (it is staged or committed, or does \
                             not exist); clean drops only tables never staged nor committed"
                        )));
                    }
                }
                names.iter().map(|n| n.to_string()).collect()
            }
        };
        if dry_run || chosen.is_empty() {
            return Ok(chosen);
        }
        let (ws_addr, mut ws) = self.load_ws(branch)?;
        let mut working = self.root_value(ws.working)?;
        for table in &chosen {
            working.remove_table(table);
        }
        ws.working = working.save(self.node_store())?;
        self.store_ws(branch, ws_addr, &ws)?;
        Ok(chosen)
    }

    /// Removes every stash; returns how many there were.
    pub fn stash_clear(&self) -> Result<usize> {
        let all = self.stashes()?;
        for stash in &all {
            self.store()
                .cas_root(&stash.root_name, Some(stash.addr.as_bytes()), None)?;
        }
        Ok(all.len())
    }
}
