//! Working sets: per branch, the uncommitted state — the working root (what SQL reads and
//! writes), the staged root (what the next commit records), and a merge in progress with its
//! conflicts and constraint violations.
//!
//! A working set is a chunk; the named root `workingsets/heads/<branch>` holds its 20-byte
//! address and changes only by compare-and-swap, like a ref. A branch without a stored working
//! set has a clean one: working = staged = the head commit's root. Because the chunk is written
//! before the root is swapped (and `cas_root` makes it durable first), uncommitted edits and
//! unresolved conflicts survive restarts.

use super::conflict::{ConstraintViolation, SchemaConflict};
use crate::error::{Error, Result};
use crate::hash::Hash;
use crate::store::ChunkStore;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// First byte of a working-set chunk.
const WORKING_SET_TAG: u8 = b'W';
const WORKING_SET_VERSION: u8 = 1;
/// Prefix of the named roots that hold working sets.
pub const WORKING_SETS_PREFIX: &str = "workingsets/heads/";

/// The root name of branch `branch`'s working set.
pub fn working_set_root(branch: &str) -> String {
    format!("{WORKING_SETS_PREFIX}{branch}")
}

/// A merge (or revert, or cherry-pick) that stopped with conflicts, waiting for a commit or an
/// abort.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeState {
    /// The commit merged in (for a revert, the reverted commit).
    pub their_commit: Hash,
    /// The merge base used (`None`: unrelated histories, merged from the empty database).
    pub base_commit: Option<Hash>,
    /// The branch head when the merge started; `merge_abort` returns to its root.
    pub our_commit: Hash,
    /// The message the commit that concludes the merge gets by default.
    pub message: String,
    /// Whether that commit records `their_commit` as a second parent (a true merge); false for
    /// a squash, a revert or a cherry-pick.
    pub two_parents: bool,
}

/// A branch's uncommitted state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkingSet {
    /// Root value chunk of the working state.
    pub working: Hash,
    /// Root value chunk of the staged state.
    pub staged: Hash,
    pub merge: Option<MergeState>,
    /// Table name → root of its conflict map (see `conflict.rs`); only tables with conflicts.
    pub conflicts: BTreeMap<String, Hash>,
    pub schema_conflicts: Vec<SchemaConflict>,
    pub violations: Vec<ConstraintViolation>,
}

// Working-set chunk layout, version 1:
//   u8 'W' (0x57) | u8 version 1 | postcard(WorkingSet)
// fields in declaration order: working and staged (20 bytes each); merge (postcard option:
// 0x00, or 0x01 then their_commit, base_commit (option of 20 bytes), our_commit, message,
// two_parents as one byte); conflicts (uvarint count, then name and 20-byte root per table,
// names ascending); schema_conflicts and violations (uvarint count, then each in declaration
// order; a violation's kind is a uvarint variant index then its name, its key uvarint length +
// bytes).
impl WorkingSet {
    /// A clean working set at `root`.
    pub fn clean(root: Hash) -> WorkingSet {
        WorkingSet {
            working: root,
            staged: root,
            merge: None,
            conflicts: BTreeMap::new(),
            schema_conflicts: Vec::new(),
            violations: Vec::new(),
        }
    }

    /// Whether anything stops a commit: unresolved conflicts or violations.
    pub fn has_unresolved(&self) -> bool {
        !self.conflicts.is_empty()
            || !self.schema_conflicts.is_empty()
            || !self.violations.is_empty()
    }

    /// Forgets the merge in progress and everything it left to resolve.
    pub fn clear_merge(&mut self) {
        self.merge = None;
        self.conflicts.clear();
        self.schema_conflicts.clear();
        self.violations.clear();
    }

    /// Writes the working-set chunk; returns its address.
    pub fn save(&self, store: &dyn ChunkStore) -> Result<Hash> {
        let mut bytes = vec![WORKING_SET_TAG, WORKING_SET_VERSION];
        let body = postcard::to_stdvec(self)
            .map_err(|e| Error::InvalidInput(format!("cannot encode working set: {e}")))?;
        bytes.extend(body);
        store.put(Bytes::from(bytes))
    }

    /// Loads the working-set chunk at `addr`.
    pub fn load(store: &dyn ChunkStore, addr: Hash) -> Result<WorkingSet> {
        let bytes = store.must_get(&addr)?;
        match &bytes[..] {
            [WORKING_SET_TAG, WORKING_SET_VERSION, body @ ..] => postcard::from_bytes(body)
                .map_err(|e| Error::corrupted(addr, format!("malformed working set: {e}"))),
            _ => Err(Error::corrupted(
                addr,
                "not a working-set chunk of a known version",
            )),
        }
    }
}

/// The address of branch `branch`'s stored working set, if any.
pub fn read_working_set_addr(store: &dyn ChunkStore, branch: &str) -> Result<Option<Hash>> {
    super::refs::read_ref(store, &working_set_root(branch))
}

/// Stores `ws` as branch `branch`'s working set if the stored one is still `expected` (its
/// chunk address; `None`: none stored). A lost race is `Conflict`.
pub fn write_working_set(
    store: &dyn ChunkStore,
    branch: &str,
    expected: Option<Hash>,
    ws: &WorkingSet,
) -> Result<Hash> {
    let addr = ws.save(store)?;
    match super::refs::update_ref(store, &working_set_root(branch), expected, Some(addr)) {
        Ok(()) => Ok(addr),
        Err(Error::Conflict(_)) => Err(Error::Conflict(format!(
            "the working set of branch {branch} was changed by another writer; re-read it and \
             retry"
        ))),
        Err(e) => Err(e),
    }
}

/// Deletes branch `branch`'s working set if it is still `expected`.
pub fn delete_working_set(store: &dyn ChunkStore, branch: &str, expected: Hash) -> Result<()> {
    super::refs::update_ref(store, &working_set_root(branch), Some(expected), None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::conflict::ViolationKind;
    use crate::store::MemoryStore;

    #[test]
    fn working_set_round_trip_and_cas() {
        let store = MemoryStore::new();
        let mut ws = WorkingSet::clean(Hash::of(b"r"));
        ws.merge = Some(MergeState {
            their_commit: Hash::of(b"t"),
            base_commit: None,
            our_commit: Hash::of(b"o"),
            message: "Merge".into(),
            two_parents: true,
        });
        ws.conflicts.insert("t".into(), Hash::of(b"c"));
        ws.violations.push(ConstraintViolation {
            table: "t".into(),
            kind: ViolationKind::Unique { index: "u".into() },
            key: Bytes::from_static(b"k"),
        });
        let addr = write_working_set(&store, "main", None, &ws).unwrap();
        assert_eq!(WorkingSet::load(&store, addr).unwrap(), ws);
        assert_eq!(read_working_set_addr(&store, "main").unwrap(), Some(addr));
        assert!(matches!(
            write_working_set(&store, "main", None, &ws),
            Err(Error::Conflict(_))
        ));
    }
}
