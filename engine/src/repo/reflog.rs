//! The reflog: where each ref pointed, and when, so that a commit a `reset --hard`, a forced
//! branch move or a branch delete left behind can still be named (`main@{1}`) and recovered.
//!
//! Every successful [`super::refs::update_ref`] of a ref under `refs/` (branches, tags,
//! remote-tracking branches) adds one entry, written in the same durable store write as the
//! swap (`ChunkStore::cas_root_noting`, one sync). An entry is a named root of its own:
//!
//! | root name | value |
//! |---|---|
//! | `reflog:<full ref>:<20-digit microseconds since the epoch>` | version byte `1`, then the 20-byte address the ref was set to (all zeros: the ref was deleted) |
//!
//! so a ref's entries list in time order by prefix, and appending never rewrites old entries.
//! `:` cannot occur in a ref name (`refs::validate_name`), so one ref's prefix never matches
//! another's. The values are 21 bytes, not 20, so garbage collection does not take them for
//! references: the reflog keeps nothing alive. After a collection, entries whose commit was
//! removed are dropped ([`prune`]), as Dolt's garbage collection clears its reflog. The reflog
//! is local: clone, fetch and push do not carry it.

use crate::error::{Error, Result};
use crate::hash::Hash;
use crate::store::ChunkStore;

/// Prefix of every reflog entry's root name.
pub const REFLOG_PREFIX: &str = "reflog:";

/// The entry format's version byte.
const VERSION: u8 = 1;

/// One change of a ref.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReflogEntry {
    /// The full ref name, e.g. `refs/heads/main`.
    pub ref_name: String,
    /// When the change was made, in microseconds since the Unix epoch.
    pub time_us: i64,
    /// What the ref was set to; `None` when it was deleted.
    pub target: Option<Hash>,
}

impl ReflogEntry {
    /// The short ref name (`main`, `v1`, `origin/main`) and its kind (`branch`, `tag`,
    /// `remote`), as Dolt's `dolt_reflog` shows them.
    pub fn short_name(&self) -> (&str, &'static str) {
        use super::refs::{HEADS_PREFIX, REMOTES_PREFIX, TAGS_PREFIX};
        for (prefix, kind) in [
            (HEADS_PREFIX, "branch"),
            (TAGS_PREFIX, "tag"),
            (REMOTES_PREFIX, "remote"),
        ] {
            if let Some(short) = self.ref_name.strip_prefix(prefix) {
                return (short, kind);
            }
        }
        (&self.ref_name, "other")
    }
}

/// Whether changes of ref `full_name` are logged.
pub fn logged(full_name: &str) -> bool {
    full_name.starts_with("refs/")
}

/// The root name and value of the entry recording that `full_name` was set to `target` now.
pub fn entry_root(full_name: &str, target: Option<Hash>) -> (String, Vec<u8>) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    let mut value = Vec::with_capacity(21);
    value.push(VERSION);
    value.extend_from_slice(target.unwrap_or(Hash::ZERO).as_bytes());
    (format!("{REFLOG_PREFIX}{full_name}:{now:020}"), value)
}

fn decode(name: &str, value: &[u8]) -> Result<ReflogEntry> {
    let bad = |what: &str| Error::corrupted(Hash::ZERO, format!("reflog entry {name}: {what}"));
    let body = name
        .strip_prefix(REFLOG_PREFIX)
        .ok_or_else(|| bad("not a reflog name"))?;
    let (ref_name, time) = body
        .rsplit_once(':')
        .ok_or_else(|| bad("no time in the name"))?;
    let time_us = time.parse::<i64>().map_err(|_| bad("bad time"))?;
    let (&version, addr) = value.split_first().ok_or_else(|| bad("empty"))?;
    if version != VERSION {
        return Err(bad(&format!("unknown version {version}")));
    }
    let addr = Hash::from_slice(addr).ok_or_else(|| bad("not a 20-byte address"))?;
    Ok(ReflogEntry {
        ref_name: ref_name.to_string(),
        time_us,
        target: (addr != Hash::ZERO).then_some(addr),
    })
}

/// The entries of ref `full_name`, oldest first.
pub fn read(store: &dyn ChunkStore, full_name: &str) -> Result<Vec<ReflogEntry>> {
    store
        .list_roots(&format!("{REFLOG_PREFIX}{full_name}:"))?
        .iter()
        .map(|(name, value)| decode(name, value))
        .collect()
}

/// Every entry of every ref, oldest first (ties by ref name).
pub fn read_all(store: &dyn ChunkStore) -> Result<Vec<ReflogEntry>> {
    let mut all = store
        .list_roots(REFLOG_PREFIX)?
        .iter()
        .map(|(name, value)| decode(name, value))
        .collect::<Result<Vec<_>>>()?;
    all.sort_by(|a, b| (a.time_us, &a.ref_name).cmp(&(b.time_us, &b.ref_name)));
    Ok(all)
}

/// Where ref `full_name` pointed `n` changes ago (`n = 0`: its latest entry), as git's
/// `main@{n}`. `NotFound` when the log is shorter, or when the ref was deleted at that point.
pub fn nth_back(store: &dyn ChunkStore, full_name: &str, n: u32) -> Result<Hash> {
    let entries = read(store, full_name)?;
    let index = entries.len().checked_sub(1 + n as usize).ok_or_else(|| {
        Error::NotFound(format!(
            "entry {n} back: the reflog of {full_name} has only {} entries",
            entries.len()
        ))
    })?;
    entries[index].target.ok_or_else(|| {
        Error::NotFound(format!(
            "entry {n} back: {full_name} had been deleted at that point"
        ))
    })
}

/// The full ref whose reflog `name` means: the first of branch, tag and remote-tracking branch
/// `name` that has one (a full `refs/...` name is taken as it is). `NotFound` if none has.
pub fn find(store: &dyn ChunkStore, name: &str) -> Result<String> {
    use super::refs::{branch_ref, tag_ref, REMOTES_PREFIX};
    let candidates = if name.starts_with("refs/") {
        vec![name.to_string()]
    } else {
        vec![
            branch_ref(name),
            tag_ref(name),
            format!("{REMOTES_PREFIX}{name}"),
        ]
    };
    for full in candidates {
        if !store
            .list_roots(&format!("{REFLOG_PREFIX}{full}:"))?
            .is_empty()
        {
            return Ok(full);
        }
    }
    Err(Error::NotFound(format!(
        "{name} has no reflog: no branch, tag or remote-tracking branch of that name was \
         ever set in this repository"
    )))
}

/// Drops the entries whose target the store no longer holds (after a garbage collection), and
/// returns how many it dropped.
pub fn prune(store: &dyn ChunkStore) -> Result<usize> {
    let mut dropped = 0;
    for (name, value) in store.list_roots(REFLOG_PREFIX)? {
        let gone = match decode(&name, &value) {
            Ok(entry) => match entry.target {
                Some(addr) => !store.has(&addr)?,
                None => false,
            },
            // An entry this version cannot read names nothing it can keep alive.
            Err(_) => true,
        };
        if gone && store.cas_root(&name, Some(&value), None)? {
            dropped += 1;
        }
    }
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[test]
    fn entries_round_trip_and_list_in_time_order_per_ref() {
        let store = MemoryStore::new();
        let a = Hash::of(b"a");
        for (name, value) in [
            (
                "reflog:refs/heads/main:00000000000000000002",
                [&[1u8][..], a.as_bytes()].concat(),
            ),
            (
                "reflog:refs/heads/main:00000000000000000001",
                [&[1u8][..], Hash::ZERO.as_bytes()].concat(),
            ),
            // Another ref whose name extends main's: never in main's log.
            (
                "reflog:refs/heads/main/x:00000000000000000003",
                [&[1u8][..], a.as_bytes()].concat(),
            ),
        ] {
            assert!(store.cas_root(name, None, Some(&value)).unwrap());
        }
        let main = read(&store, "refs/heads/main").unwrap();
        assert_eq!(
            main.iter()
                .map(|e| (e.time_us, e.target))
                .collect::<Vec<_>>(),
            [(1, None), (2, Some(a))]
        );
        assert_eq!(nth_back(&store, "refs/heads/main", 0).unwrap(), a);
        let deleted = nth_back(&store, "refs/heads/main", 1).unwrap_err();
        assert!(deleted.to_string().contains("deleted"), "{deleted}");
        let short = nth_back(&store, "refs/heads/main", 2).unwrap_err();
        assert!(short.to_string().contains("only 2 entries"), "{short}");
        assert_eq!(read_all(&store).unwrap().len(), 3);
        assert_eq!(main[1].short_name(), ("main", "branch"));
    }

    #[test]
    fn prune_drops_entries_whose_commit_is_gone() {
        let store = MemoryStore::new();
        let kept = store.put(bytes::Bytes::from_static(b"kept")).unwrap();
        let gone = Hash::of(b"never stored");
        for (i, target) in [Some(kept), Some(gone), None].into_iter().enumerate() {
            let value = [&[1u8][..], target.unwrap_or(Hash::ZERO).as_bytes()].concat();
            let name = format!("reflog:refs/heads/main:{i:020}");
            assert!(store.cas_root(&name, None, Some(&value)).unwrap());
        }
        assert_eq!(prune(&store).unwrap(), 1);
        let left = read(&store, "refs/heads/main").unwrap();
        assert_eq!(
            left.iter().map(|e| e.target).collect::<Vec<_>>(),
            [Some(kept), None]
        );
    }
}
