//! Blame: the commit that last changed each row of a table, as `dolt blame` answers it.
//!
//! The walk is git blame's. Every row of the table at the start commit begins as that
//! commit's to explain. A commit hands a row on to its first parent whose table holds the
//! row unchanged, and is blamed for the rows no parent holds unchanged (added or modified
//! there); so a row a merge brought in is blamed on the commit of the side that changed it,
//! and a merge is blamed only for what it changed itself (a resolved conflict). Which rows
//! a parent holds unchanged comes from the prolly diff of the parent's table against the
//! commit's, so each step costs what changed between the two, not the table's size, and a
//! parent whose table is the same chunk takes every row at once.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};

use bytes::Bytes;

use crate::error::Result;
use crate::prolly::{DiffEntry, Map};
use crate::repo::{Commit, Repository, Shallow};
use crate::Hash;

/// The commit that last changed each row of `table` as of commit `start`, by the row's
/// encoded primary key, in key order; `None` when `start` has no such table.
pub fn blame(repo: &Repository, start: Hash, table: &str) -> Result<Option<BTreeMap<Bytes, Hash>>> {
    let store = repo.store().as_ref();
    let shallow = Shallow::load(store)?;
    let load =
        |addr: Hash| -> Result<Commit> { Ok(shallow.graft(&addr, Commit::load(store, addr)?)) };
    let rows_at = |commit: &Commit| -> Result<Option<Map>> {
        let root = repo.root_value(commit.root)?;
        Ok(root
            .get_table(repo.node_store(), table)?
            .map(|t| t.rows().clone()))
    };
    let first = load(start)?;
    let Some(rows) = rows_at(&first)? else {
        return Ok(None);
    };
    let mut keys = BTreeSet::new();
    for entry in rows.iter()? {
        keys.insert(entry?.0);
    }

    let mut blamed = BTreeMap::new();
    // The rows each commit still has to explain, and the commits holding any, newest first
    // (by committer time; a commit that gets rows after its turn, under clock skew, is
    // queued again, so the order only saves work and never changes the answer).
    let mut owed: HashMap<Hash, BTreeSet<Bytes>> = HashMap::from([(start, keys)]);
    let mut known: HashMap<Hash, (Commit, Map)> = HashMap::from([(start, (first, rows))]);
    let mut queue = BinaryHeap::from([(known[&start].0.committer.time_ms, Reverse(start))]);
    while let Some((_, Reverse(addr))) = queue.pop() {
        let Some(mut rows_owed) = owed.remove(&addr) else {
            continue;
        };
        let (commit, rows) = known[&addr].clone();
        for parent in &commit.parents {
            if rows_owed.is_empty() {
                break;
            }
            if !known.contains_key(parent) {
                let parent_commit = load(*parent)?;
                let parent_rows = match rows_at(&parent_commit)? {
                    Some(rows) => rows,
                    // The table did not exist there: the parent explains nothing.
                    None => Map::empty(repo.node_store())?,
                };
                known.insert(*parent, (parent_commit, parent_rows));
            }
            let (parent_commit, parent_rows) = &known[parent];
            let unchanged = if parent_rows.root() == rows.root() {
                std::mem::take(&mut rows_owed)
            } else {
                let mut changed = BTreeSet::new();
                for entry in parent_rows.diff(&rows) {
                    match entry? {
                        DiffEntry::Added { key, .. } | DiffEntry::Modified { key, .. } => {
                            changed.insert(key);
                        }
                        DiffEntry::Removed { .. } => {}
                    }
                }
                let (kept, unchanged) = rows_owed.into_iter().partition(|k| changed.contains(k));
                rows_owed = kept;
                unchanged
            };
            if !unchanged.is_empty() {
                owed.entry(*parent).or_default().extend(unchanged);
                queue.push((parent_commit.committer.time_ms, Reverse(*parent)));
            }
        }
        for key in rows_owed {
            blamed.insert(key, addr);
        }
    }
    Ok(Some(blamed))
}
