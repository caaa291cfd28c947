//! Shallow repositories: the commits whose parents were not fetched (`vdb clone --depth N`).
//!
//! A shallow clone holds the complete chunk graph of its most recent commits, down to a
//! boundary: commits that are present with their root values and tables, but whose parents
//! are not. The boundary is kept in the named root [`SHALLOW_ROOT`]; a repository without that
//! root is complete. Every walk over parents ([`super::history`], revisions, fsck and gc)
//! reads the boundary once and treats a boundary commit as having no parents (git calls such a
//! commit "grafted"), so the invariant that a store holds everything its refs reach becomes:
//! everything its refs reach without crossing the boundary.
//!
//! The boundary only shrinks when a fetch brings in the parents of a boundary commit (see
//! `vdb_remote`), and only grows when a depth-limited fetch cuts new history.

use super::commit::Commit;
use crate::error::{Error, Result};
use crate::hash::Hash;
use crate::store::ChunkStore;
use std::collections::BTreeSet;

/// The root holding the shallow boundary.
pub const SHALLOW_ROOT: &str = "shallow";
/// First bytes of the root's value; 15 bytes, so the value (15 + 20·n bytes) is never
/// mistaken for a 20-byte address by tools that scan every root.
const MAGIC: &[u8; 15] = b"vdb-shallow-v1\0";
/// Attempts at a compare-and-swap of the root while other writers change it.
const CAS_ATTEMPTS: usize = 16;

/// The shallow boundary: commits present whose parents are not. Empty for a complete
/// repository.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shallow {
    boundary: BTreeSet<Hash>,
}

// Root `shallow` value layout:
//   [15] "vdb-shallow-v1\0" | n × [20] commit address, ascending, no duplicates
// An absent root means no boundary; the root is deleted rather than left with n = 0.
impl Shallow {
    /// The boundary recorded in `store` (empty if the repository is complete).
    pub fn load(store: &dyn ChunkStore) -> Result<Shallow> {
        match store.get_root(SHALLOW_ROOT)? {
            None => Ok(Shallow::default()),
            Some(bytes) => Shallow::decode(&bytes),
        }
    }

    /// Decodes the root's value.
    pub fn decode(bytes: &[u8]) -> Result<Shallow> {
        let bad = |why: &str| Error::corrupted(Hash::ZERO, format!("root {SHALLOW_ROOT}: {why}"));
        let body = bytes.strip_prefix(MAGIC).ok_or_else(|| bad("bad magic"))?;
        if body.len() % 20 != 0 {
            return Err(bad("its length is not a whole number of addresses"));
        }
        let boundary = body
            .chunks_exact(20)
            .map(|a| Hash::from_slice(a).expect("20 bytes"))
            .collect();
        Ok(Shallow { boundary })
    }

    /// The root's value (`None`: no boundary, so no root).
    pub fn encode(&self) -> Option<Vec<u8>> {
        if self.boundary.is_empty() {
            return None;
        }
        let mut out = MAGIC.to_vec();
        for addr in &self.boundary {
            out.extend_from_slice(addr.as_bytes());
        }
        Some(out)
    }

    /// Whether the repository is complete (has no boundary).
    pub fn is_empty(&self) -> bool {
        self.boundary.is_empty()
    }

    /// Whether `addr` is a boundary commit.
    pub fn contains(&self, addr: &Hash) -> bool {
        self.boundary.contains(addr)
    }

    /// The boundary commits, ascending.
    pub fn commits(&self) -> impl Iterator<Item = &Hash> {
        self.boundary.iter()
    }

    /// The parents of commit `addr` that this repository holds: none for a boundary commit.
    pub fn parents<'c>(&self, addr: &Hash, commit: &'c Commit) -> &'c [Hash] {
        if self.contains(addr) {
            &[]
        } else {
            &commit.parents
        }
    }

    /// Commit `addr` as the walks see it: without parents if it is on the boundary.
    pub fn graft(&self, addr: &Hash, mut commit: Commit) -> Commit {
        if self.contains(addr) {
            commit.parents.clear();
        }
        commit
    }

    /// Adds the commits `add` to the boundary of `store` and removes `remove`, by
    /// compare-and-swap (re-read and retried if another writer changed it). Returns the new
    /// boundary.
    pub fn update(store: &dyn ChunkStore, add: &[Hash], remove: &[Hash]) -> Result<Shallow> {
        for _ in 0..CAS_ATTEMPTS {
            let old = store.get_root(SHALLOW_ROOT)?;
            let mut next = match &old {
                None => Shallow::default(),
                Some(bytes) => Shallow::decode(bytes)?,
            };
            next.boundary.extend(add.iter().copied());
            for addr in remove {
                next.boundary.remove(addr);
            }
            let new = next.encode();
            if old == new || store.cas_root(SHALLOW_ROOT, old.as_deref(), new.as_deref())? {
                return Ok(next);
            }
        }
        Err(Error::Conflict(format!(
            "root {SHALLOW_ROOT} kept changing while being updated; retry"
        )))
    }
}

/// The error for a walk that needs the parents of boundary commit `addr`.
pub fn beyond_boundary(addr: &Hash, what: &str) -> Error {
    Error::NotFound(format!(
        "{what}: commit {} is the boundary of this shallow clone and its parents were not \
         fetched (`vdb fetch --deepen N` or `--unshallow` fetches them)",
        &addr.to_hex()[..12]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[test]
    fn boundary_round_trips_and_updates() {
        let store = MemoryStore::new();
        assert!(Shallow::load(&store).unwrap().is_empty());
        let (a, b) = (Hash::of(b"a"), Hash::of(b"b"));
        let s = Shallow::update(&store, &[b, a], &[]).unwrap();
        assert_eq!(s.commits().copied().collect::<Vec<_>>().len(), 2);
        let bytes = store.get_root(SHALLOW_ROOT).unwrap().unwrap();
        assert_eq!(bytes.len(), 15 + 40);
        assert_eq!(&bytes[..15], MAGIC);
        assert_eq!(Shallow::load(&store).unwrap(), s);
        let s = Shallow::update(&store, &[], &[a]).unwrap();
        assert!(s.contains(&b) && !s.contains(&a));
        Shallow::update(&store, &[], &[b]).unwrap();
        assert_eq!(store.get_root(SHALLOW_ROOT).unwrap(), None);
        assert!(Shallow::decode(b"vdb-shallow-v1\0xyz").is_err());
        assert!(Shallow::decode(b"nope").is_err());
    }
}
