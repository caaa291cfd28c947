//! The sled side of the store: the database and its three trees (`chunks`, `roots`, `meta`),
//! lookups, the one-transaction commit of the durability point, and the format check. sled is an
//! index over the journal that may lag behind it; `replay.rs` brings it up to date.

use super::record::{decode_u32, Location, Position, RootChange};
use crate::error::{Error, Result};
use crate::hash::Hash;
use sled::transaction::ConflictableTransactionError;
use sled::Transactional;
use std::collections::HashMap;
use std::convert::Infallible;
use std::path::Path;
use std::time::{Duration, Instant};

/// The on-disk format this build reads and writes, stored under `meta/format`. Version 1 kept
/// roots only in sled and a synced length per journal file; it is refused, not migrated.
const FORMAT_VERSION: u32 = 2;

const KEY_FORMAT: &[u8] = b"format";
pub(super) const KEY_INDEXED: &[u8] = b"journal.indexed";

/// The sled side: the database and its three trees.
pub(super) struct Index {
    pub(super) db: sled::Db,
    pub(super) chunks: sled::Tree,
    pub(super) roots: sled::Tree,
    pub(super) meta: sled::Tree,
}

impl Index {
    pub(super) fn open(dir: &Path, cache_bytes: u64) -> Result<Index> {
        let config = sled::Config::new()
            .path(dir.join("index"))
            .cache_capacity(cache_bytes)
            // Durability never waits for sled (replay re-indexes from the journal), but sled
            // evicts a page from its cache only once the page is on disk: without its periodic
            // flush, its memory grew by tens of MB a second under pgbench on a large index.
            .flush_every_ms(Some(200))
            .mode(sled::Mode::HighThroughput);
        let db = open_index(&config, dir)?;
        Ok(Index {
            chunks: db.open_tree("chunks").map_err(index_err)?,
            roots: db.open_tree("roots").map_err(index_err)?,
            meta: db.open_tree("meta").map_err(index_err)?,
            db,
        })
    }

    pub(super) fn location(&self, addr: &Hash) -> Result<Option<Location>> {
        match self.chunks.get(addr.as_bytes()).map_err(index_err)? {
            Some(value) => Location::decode(addr, &value).map(Some),
            None => Ok(None),
        }
    }

    /// Where replay starts: every record before it is reflected in sled.
    pub(super) fn indexed(&self) -> Result<Position> {
        match self.meta.get(KEY_INDEXED).map_err(index_err)? {
            Some(value) => Position::decode(&value).ok_or_else(|| bad_meta(KEY_INDEXED)),
            None => Ok(Position::START),
        }
    }

    /// Commits index entries, then root changes (in order, the last change of a name winning)
    /// and `journal.indexed` in one sled transaction, without waiting for sled's flush.
    ///
    /// The entries go in first, as one batch of their own: inside a sled transaction each
    /// insert reads the key's old value, which cost two thirds of a commit. sled recovers a
    /// prefix of its log, so after a crash either both parts are there, or the entries only
    /// (with `journal.indexed` behind them: replay indexes those records again, to the same
    /// locations), or neither. Entries name synced records only, which replay never truncates.
    pub(super) fn commit(
        &self,
        entries: &HashMap<Hash, Location>,
        roots: &[RootChange],
        indexed: Position,
    ) -> Result<()> {
        let mut chunk_batch = sled::Batch::default();
        for (addr, location) in entries {
            chunk_batch.insert(&addr.as_bytes()[..], &location.encode()[..]);
        }
        let mut root_batch = sled::Batch::default();
        for change in roots {
            match &change.value {
                Some(value) => root_batch.insert(change.name.as_bytes(), value.as_slice()),
                None => root_batch.remove(change.name.as_bytes()),
            }
        }
        let indexed = indexed.encode();
        self.chunks.apply_batch(chunk_batch).map_err(index_err)?;
        (&self.roots, &self.meta)
            .transaction(|(roots, meta)| {
                roots.apply_batch(&root_batch)?;
                meta.insert(KEY_INDEXED, &indexed[..])?;
                Ok::<(), ConflictableTransactionError<Infallible>>(())
            })
            .map_err(|e| Error::Index(e.to_string()))
    }
}

// meta `format`: u32 BE store format version.
/// Refuses an index written in another format; stamps a new, empty one with ours.
pub(super) fn check_format(dir: &Path, index: &Index) -> Result<()> {
    match index.meta.get(KEY_FORMAT).map_err(index_err)? {
        Some(value) => match decode_u32(&value) {
            Some(FORMAT_VERSION) => Ok(()),
            found => Err(Error::InvalidInput(format!(
                "store at {} has format version {}; this build reads version {FORMAT_VERSION}",
                dir.display(),
                found.map_or_else(|| format!("{value:?}"), |v| v.to_string()),
            ))),
        },
        None if !index.chunks.is_empty() || !index.meta.is_empty() => {
            Err(Error::InvalidInput(format!(
                "store at {} has no format version; not a vdb store",
                dir.display()
            )))
        }
        None => {
            index
                .meta
                .insert(KEY_FORMAT, &FORMAT_VERSION.to_be_bytes()[..])
                .map_err(index_err)?;
            Ok(())
        }
    }
}

/// How long `open` waits for sled's lock on the index to be released.
const INDEX_LOCK_WAIT: Duration = Duration::from_secs(5);

/// Opens the sled index. sled 0.34 releases its file lock only once its background threads let
/// go of the database, a moment after the last `Db` handle is dropped (spacejam/sled#1234), so a
/// store reopened right after being closed may find the lock still held: retry for a while
/// before reporting the index as in use. sled reports the lock as an `Other` I/O error whose
/// message is the only thing that tells it apart.
fn open_index(config: &sled::Config, dir: &Path) -> Result<sled::Db> {
    let deadline = Instant::now() + INDEX_LOCK_WAIT;
    loop {
        match config.open() {
            Ok(db) => return Ok(db),
            Err(sled::Error::Io(e)) if e.to_string().contains("could not acquire lock") => {
                if Instant::now() >= deadline {
                    let context = format!(
                        "opening index of {}: in use by another store",
                        dir.display()
                    );
                    return Err(Error::io(context, e));
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(sled::Error::Corruption { .. }) if rebuildable(dir) => {
                // The journal is the log of record and every file of it is still here: set the
                // damaged index aside and let replay rebuild a fresh one from journal 1.
                set_aside(dir)?;
            }
            Err(e) => return Err(index_err(e)),
        }
    }
}

/// Whether a damaged index can be rebuilt from the journal alone: its first file is still
/// there (no collection has removed journal files, so a full replay sees every record).
fn rebuildable(dir: &Path) -> bool {
    super::journal_path(dir, 1).exists()
}

/// Moves `index/` to `index.damaged-N` (kept for inspection, never read again).
fn set_aside(dir: &Path) -> Result<()> {
    let from = dir.join("index");
    let to = (1..)
        .map(|n| dir.join(format!("index.damaged-{n}")))
        .find(|p| !p.exists())
        .unwrap_or_else(|| dir.join("index.damaged"));
    std::fs::rename(&from, &to).map_err(|e| {
        Error::io(
            format!("setting aside the damaged index {}", from.display()),
            e,
        )
    })?;
    eprintln!(
        "vdb: the index of {} was damaged (a crash inside sled); it was moved to {} and is \
         being rebuilt from the journal",
        dir.display(),
        to.display()
    );
    super::sync_dir(dir)
}

fn bad_meta(key: &[u8]) -> Error {
    Error::Index(format!(
        "meta key {} has a malformed value",
        String::from_utf8_lossy(key)
    ))
}

#[allow(clippy::needless_pass_by_value)] // by value to serve as a `map_err` callback
pub(super) fn index_err(e: sled::Error) -> Error {
    Error::Index(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{DiskStore, DiskStoreOptions};

    /// A store written in another format version (such as version 1, which kept roots only in
    /// sled) is refused, with a message that says so.
    #[test]
    fn refuses_other_format_version() {
        let dir = tempfile::tempdir().unwrap();
        let store = DiskStore::open(dir.path(), DiskStoreOptions::default()).unwrap();
        store
            .index
            .meta
            .insert(KEY_FORMAT, &1u32.to_be_bytes()[..])
            .unwrap();
        store.index.db.flush().unwrap();
        drop(store);
        let err = DiskStore::open(dir.path(), DiskStoreOptions::default()).unwrap_err();
        assert!(err.to_string().contains("format version 1"), "{err}");
    }
}
