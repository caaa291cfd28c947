//! `DiskStore`: chunks and root changes appended to journal files, found through a sled index.
//! This is the only module in vdb that names sled.
//!
//! The journal is the log of record. sled is an index over it that may lag behind after a crash:
//! `open` brings it up to date by replaying the journal. Directory layout:
//! ```text
//! index/                  a sled database with three trees:
//!                           chunks  address (20 bytes) -> location of its journal record
//!                           roots   root name (utf-8)  -> root value
//!                           meta    format, journal.indexed
//! journal/00000001.jnl    append-only journal files; ids start at 1, 8 zero-padded digits; the
//!                         highest id is the active file, every lower one is complete
//! ```
//!
//! The life of a commit:
//! 1. `put` hashes the uncompressed chunk, returns at once if the address is pending or indexed,
//!    else encodes a chunk record (lz4 when that saves at least an eighth), appends it to an
//!    in-memory write buffer and remembers address -> location in `pending`. When the buffer
//!    outgrows `write_buffer` it is written to the active journal file, without fsync.
//! 2. `flush` writes the buffer and calls `sync_data` on the active file once: that is the
//!    durability point. It then commits to sled, in one transaction, every pending index entry and
//!    `journal.indexed` = the end of the file, and clears `pending`. It never flushes sled: the
//!    journal already holds everything sled would lose in a crash. A file that has reached
//!    `journal_file_limit` is then followed by a new, empty one (its directory fsynced).
//! 3. `cas_root` compares `expected` with the current value under the writer mutex, appends a
//!    root record to the buffer and flushes as in step 2, the root change joining the same sled
//!    transaction: one fsync makes the chunks and the root durable together.
//! 4. `get` finds the location (index, then pending), reads the record with a positioned read (or
//!    copies it from the write buffer), checks its header, decompresses it and verifies that the
//!    bytes hash to the address. Bad bytes are `Error::Corrupted`, never data, never a panic.
//! 5. `open` replays the journal from `journal.indexed` through every later file in id order:
//!    each valid chunk record re-enters `chunks`, each valid root record is applied to `roots`.
//!    The first invalid record of the active file starts a torn or unacknowledged tail, which is
//!    truncated; an invalid record in an earlier, complete file is damage, and `open` fails naming
//!    the file and offset. Then `journal.indexed` moves to the end and sled is flushed, once.
//!
//! Invariants:
//! - Every record before `journal.indexed` is reflected in sled, and sled never names a byte that
//!   was not fsynced first: index entries, root changes and `journal.indexed` are committed
//!   together, after `sync_data`. sled recovers a prefix of its writes, so losing its recent
//!   writes only moves `journal.indexed` back, and replay redoes them.
//! - Replay stops at the first invalid record, so a root record is applied only if every record
//!   before it is intact: a durable root never names a missing chunk.
//! - A record that reached the file whole without being flushed (a spilled buffer, or a
//!   `cas_root` whose fsync a crash interrupted) may be replayed. That is harmless for chunks, and
//!   for roots it is the usual fate of a commit in flight: it may or may not have happened.
//! - Dropping the store without `flush` models a crash: buffered chunks are lost, and putting them
//!   again later works.
//! - Once an fsync has been attempted, a failure (of the fsync, the sled commit or the rotation)
//!   may leave memory out of step with disk: the store then refuses writes (`ReadOnly`) until it
//!   is reopened, and replay decides what survived. An error from `flush` or `cas_root` means
//!   "outcome unknown", as for any commit whose acknowledgement is lost.
//!
//! Concurrency: every method takes `&self`. The writer state (buffer, pending map, active file) is
//! behind one mutex, held by `put`, `flush` and across the whole of `cas_root`, so compare-and-swap
//! is atomic within the process (sled's file lock keeps a store to one process). Reads of indexed
//! chunks and roots take no lock but a brief read lock on the map of open journal handles; reads
//! look in the index before the pending map and again after it, so a concurrent flush moving an
//! entry from one to the other is never missed. `open` waits a few seconds for sled's lock,
//! because sled releases it a moment after a store is dropped.
//!
//! Byte layouts are written above their encoders: [`frame`] (the record),
//! [`encode_chunk_record`], [`encode_root_record`], [`Location::encode`], [`Position::encode`]
//! and [`check_format`].

use super::{verify, ChunkStore, StoreStats};
use crate::error::{Error, Result};
use crate::hash::{Hash, HASH_LEN};
use bytes::Bytes;
use sled::transaction::ConflictableTransactionError;
use sled::Transactional;
use std::collections::HashMap;
use std::convert::Infallible;
use std::ffi::OsStr;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

/// The on-disk format this build reads and writes, stored under `meta/format`. Version 1 kept
/// roots only in sled and a synced length per journal file; it is refused, not migrated.
const FORMAT_VERSION: u32 = 2;
/// Bytes of a journal record before its payload: length, kind, check.
const HEADER_LEN: usize = 4 + 1 + HASH_LEN;
/// Record kind: the payload is the chunk itself.
const KIND_RAW: u8 = 0;
/// Record kind: the payload is `lz4_flex::compress_prepend_size` of the chunk.
const KIND_LZ4: u8 = 1;
/// Record kind: the payload is a root change.
const KIND_ROOT: u8 = 2;
/// An lz4 block expands at most 255-fold (each extra match-length byte adds at most 255 output
/// bytes), so a prefix claiming more than this is damage; refusing it keeps a flipped bit from
/// allocating gigabytes.
const LZ4_MAX_RATIO: usize = 255;
/// Read-ahead of the journal scan in `open`.
const REPLAY_BUFFER: usize = 1 << 20;

const KEY_FORMAT: &[u8] = b"format";
const KEY_INDEXED: &[u8] = b"journal.indexed";

/// Tuning for a [`DiskStore`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskStoreOptions {
    /// Compress chunks with lz4 when that saves at least an eighth of their size.
    pub compress: bool,
    /// Bytes of records buffered in memory before they are written to the journal file.
    pub write_buffer: usize,
    /// Size after which a flush starts a new journal file.
    pub journal_file_limit: u64,
    /// Bytes of sled's page cache.
    pub sled_cache_bytes: u64,
}

impl Default for DiskStoreOptions {
    fn default() -> Self {
        Self {
            compress: true,
            write_buffer: 8 << 20,
            journal_file_limit: 1 << 30,
            sled_cache_bytes: 32 << 20,
        }
    }
}

/// A durable [`ChunkStore`] in a directory: journal files plus a sled index.
pub struct DiskStore {
    dir: PathBuf,
    options: DiskStoreOptions,
    index: Index,
    writer: Mutex<Writer>,
    /// Open handles of journal files, shared by readers; the active file's is the writer's.
    readers: RwLock<HashMap<u32, Arc<File>>>,
    reads: AtomicU64,
    writes: AtomicU64,
    bytes_written: AtomicU64,
    syncs: AtomicU64,
}

/// The sled side: the database and its three trees.
struct Index {
    db: sled::Db,
    chunks: sled::Tree,
    roots: sled::Tree,
    meta: sled::Tree,
}

/// The append side: the active journal file, records not yet written to it, and index entries
/// not yet committed.
struct Writer {
    file_id: u32,
    file: Arc<File>,
    /// Bytes written to the active file (records past this are still in `buffer`).
    file_len: u64,
    /// Bytes of the active file that are fsynced and reflected in sled.
    indexed_len: u64,
    buffer: Vec<u8>,
    pending: HashMap<Hash, Location>,
    /// Set when a failure after an fsync attempt may have left memory out of step with disk;
    /// every later write is refused with this cause.
    failed: Option<String>,
}

/// Where a record lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Location {
    file: u32,
    offset: u64,
    len: u32,
}

/// A position in the journal: a file and an offset in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Position {
    file: u32,
    offset: u64,
}

/// A root change, as a root record carries it: `value` `None` deletes the root.
#[derive(Clone, Debug, PartialEq, Eq)]
struct RootChange {
    name: String,
    value: Option<Vec<u8>>,
}

/// A record found by address: either copied out of the write buffer or still on disk.
enum Found {
    Buffered(Bytes),
    At(Location),
}

/// What replaying one journal file found.
#[derive(Debug, Default)]
struct Scan {
    entries: HashMap<Hash, Location>,
    /// Root changes in journal order.
    roots: Vec<RootChange>,
    /// Where the valid records end.
    end: u64,
    /// The invalid record at `end`, if any: its check (zero if the header is cut short) and why.
    invalid: Option<(Hash, String)>,
}

/// One record as replay reads it.
enum Scanned {
    Chunk { addr: Hash, len: u32 },
    Root { change: RootChange, len: u32 },
    Invalid { check: Hash, reason: String },
}

impl DiskStore {
    /// Opens the store in `dir`, creating the directory and an empty store if missing. Replays
    /// the journal past `journal.indexed` into sled and drops the active file's torn tail, if a
    /// crash left one.
    pub fn open(dir: impl AsRef<Path>, options: DiskStoreOptions) -> Result<DiskStore> {
        let dir = dir.as_ref().to_path_buf();
        let journal_dir = dir.join("journal");
        fs::create_dir_all(&journal_dir)
            .map_err(|e| Error::io(format!("creating {}", journal_dir.display()), e))?;
        let index = Index::open(&dir, options.sled_cache_bytes)?;
        check_format(&dir, &index)?;
        let end = index.replay(&dir)?;

        let name = journal_name(end.file);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(journal_path(&dir, end.file))
            .map_err(|e| Error::io(format!("opening journal {name}"), e))?;
        let file = Arc::new(file);
        let writer = Writer {
            file_id: end.file,
            file: file.clone(),
            file_len: end.offset,
            indexed_len: end.offset,
            buffer: Vec::new(),
            pending: HashMap::new(),
            failed: None,
        };
        Ok(DiskStore {
            dir,
            options,
            index,
            writer: Mutex::new(writer),
            readers: RwLock::new(HashMap::from([(end.file, file)])),
            reads: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            bytes_written: AtomicU64::new(0),
            syncs: AtomicU64::new(0),
        })
    }

    /// Test support: makes the index of the closed store in `dir` lag as far behind its journal
    /// as it can, as if sled had lost every write since the store was created. Empties `chunks`
    /// and `roots` and points `journal.indexed` at the start of journal 1, so that the next
    /// `open` rebuilds both by replaying the whole journal.
    #[doc(hidden)]
    pub fn rewind_index_for_tests(dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        let index = Index::open(dir, 1 << 20)?;
        index.chunks.clear().map_err(index_err)?;
        index.roots.clear().map_err(index_err)?;
        index
            .meta
            .insert(KEY_INDEXED, &Position::START.encode()[..])
            .map_err(index_err)?;
        index.db.flush().map_err(index_err)?;
        Ok(())
    }

    /// The store's root directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Bytes of every file under the store's directory, sled's included.
    pub fn disk_usage(&self) -> Result<u64> {
        dir_size(&self.dir).map_err(|e| Error::io(format!("sizing {}", self.dir.display()), e))
    }

    /// Number of durable (flushed and indexed) chunks. Walks the whole index.
    pub fn chunk_count(&self) -> Result<u64> {
        Ok(self.index.chunks.len() as u64)
    }

    /// Every durable (flushed and indexed) chunk address, in address order.
    pub fn addresses(&self) -> impl Iterator<Item = Result<Hash>> {
        self.index.chunks.iter().keys().map(|key| {
            let key = key.map_err(index_err)?;
            Hash::from_slice(&key).ok_or_else(|| {
                Error::Index(format!(
                    "index key of {} bytes is not an address",
                    key.len()
                ))
            })
        })
    }

    fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        self.writer.lock().expect("lock poisoned")
    }

    /// Finds the record of `addr`: index first, then pending, then the index again, because a
    /// flush may move the entry from pending to the index between the first two looks.
    fn find(&self, addr: &Hash) -> Result<Option<Found>> {
        if let Some(location) = self.index.location(addr)? {
            return Ok(Some(Found::At(location)));
        }
        {
            let writer = self.lock_writer();
            if let Some(location) = writer.pending.get(addr) {
                return writer.found(addr, *location).map(Some);
            }
        }
        Ok(self.index.location(addr)?.map(Found::At))
    }

    fn reader(&self, file_id: u32) -> Result<Arc<File>> {
        if let Some(file) = self.readers.read().expect("lock poisoned").get(&file_id) {
            return Ok(file.clone());
        }
        let path = journal_path(&self.dir, file_id);
        let file = File::open(&path)
            .map_err(|e| Error::io(format!("opening journal {}", journal_name(file_id)), e))?;
        let mut readers = self.readers.write().expect("lock poisoned");
        Ok(readers
            .entry(file_id)
            .or_insert_with(|| Arc::new(file))
            .clone())
    }

    fn read_record(&self, addr: &Hash, location: Location) -> Result<Bytes> {
        let file = self.reader(location.file)?;
        let mut record = vec![0; location.len as usize];
        match file.read_exact_at(&mut record, location.offset) {
            Ok(()) => Ok(Bytes::from(record)),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(Error::corrupted(
                *addr,
                format!(
                    "short read: record of {} bytes at {location} ends past the file",
                    location.len
                ),
            )),
            Err(e) => Err(Error::io(
                format!("reading journal {}", journal_name(location.file)),
                e,
            )),
        }
    }

    /// The durability point of `flush` and `cas_root`, for records already written to the active
    /// file: one `sync_data`, then one sled transaction (index entries, `roots`, `journal.indexed`),
    /// then rotation of a full file. Does nothing if there is nothing to make durable. Any failure
    /// marks the writer failed, because memory may no longer agree with disk.
    fn sync_and_commit(&self, writer: &mut Writer, roots: &[RootChange]) -> Result<()> {
        if roots.is_empty() && writer.pending.is_empty() && writer.file_len == writer.indexed_len {
            return Ok(());
        }
        let result = self.sync_commit_rotate(writer, roots);
        if let Err(e) = &result {
            writer.failed = Some(e.to_string());
        }
        result
    }

    fn sync_commit_rotate(&self, writer: &mut Writer, roots: &[RootChange]) -> Result<()> {
        self.syncs.fetch_add(1, Ordering::Relaxed);
        writer.file.sync_data().map_err(|e| {
            Error::io(
                format!("syncing journal {}", journal_name(writer.file_id)),
                e,
            )
        })?;
        let indexed = Position {
            file: writer.file_id,
            offset: writer.file_len,
        };
        self.index.commit(&writer.pending, roots, indexed)?;
        writer.pending.clear();
        writer.indexed_len = writer.file_len;
        if writer.file_len >= self.options.journal_file_limit {
            self.rotate(writer)?;
        }
        Ok(())
    }

    /// Makes a new, empty journal file active. The full one is synced and indexed already, and
    /// `journal.indexed` may keep naming its end: replay goes on into every later file.
    fn rotate(&self, writer: &mut Writer) -> Result<()> {
        let Some(next) = writer.file_id.checked_add(1) else {
            return Ok(()); // ids exhausted: keep appending to the last file
        };
        let file = Arc::new(create_journal(&self.dir, next)?);
        self.readers
            .write()
            .expect("lock poisoned")
            .insert(next, file.clone());
        writer.file_id = next;
        writer.file = file;
        writer.file_len = 0;
        writer.indexed_len = 0;
        Ok(())
    }
}

impl ChunkStore for DiskStore {
    fn get(&self, addr: &Hash) -> Result<Option<Bytes>> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        let record = match self.find(addr)? {
            None => return Ok(None),
            Some(Found::Buffered(record)) => record,
            Some(Found::At(location)) => self.read_record(addr, location)?,
        };
        decode_record(addr, &record).map(Some)
    }

    fn has(&self, addr: &Hash) -> Result<bool> {
        Ok(self.find(addr)?.is_some())
    }

    fn put(&self, chunk: Bytes) -> Result<Hash> {
        let addr = Hash::of(&chunk);
        if self.index.location(&addr)?.is_some() {
            return Ok(addr);
        }
        let record = encode_chunk_record(&addr, &chunk, self.options.compress)?;
        let mut writer = self.lock_writer();
        writer.usable()?;
        if writer.pending.contains_key(&addr) || self.index.location(&addr)?.is_some() {
            return Ok(addr);
        }
        writer.append(addr, &record);
        self.writes.fetch_add(1, Ordering::Relaxed);
        self.bytes_written
            .fetch_add(chunk.len() as u64, Ordering::Relaxed);
        if writer.buffer.len() > self.options.write_buffer {
            writer.write_buffer()?;
        }
        Ok(addr)
    }

    fn flush(&self) -> Result<()> {
        let mut writer = self.lock_writer();
        writer.usable()?;
        writer.write_buffer()?;
        self.sync_and_commit(&mut writer, &[])
    }

    fn get_root(&self, name: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .index
            .roots
            .get(name)
            .map_err(index_err)?
            .map(|value| value.to_vec()))
    }

    fn list_roots(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        self.index
            .roots
            .scan_prefix(prefix)
            .map(|entry| {
                let (name, value) = entry.map_err(index_err)?;
                let name = String::from_utf8(name.to_vec())
                    .map_err(|_| Error::Index("root name is not utf-8".to_string()))?;
                Ok((name, value.to_vec()))
            })
            .collect()
    }

    fn cas_root(&self, name: &str, expected: Option<&[u8]>, new: Option<&[u8]>) -> Result<bool> {
        let change = RootChange {
            name: name.to_string(),
            value: new.map(<[u8]>::to_vec),
        };
        let record = encode_root_record(&change)?;
        let mut writer = self.lock_writer();
        writer.usable()?;
        // `roots` is current: every swap commits to it before releasing the writer mutex.
        let current = self.index.roots.get(name).map_err(index_err)?;
        if current.as_deref() != expected {
            return Ok(false);
        }
        writer.buffer.extend_from_slice(&record);
        if let Err(e) = writer.write_buffer() {
            // A failed write keeps the buffer and put at most a prefix of it in the file, so the
            // root record, last in the buffer, never landed whole: the swap did not happen.
            let keep = writer.buffer.len() - record.len();
            writer.buffer.truncate(keep);
            return Err(e);
        }
        self.sync_and_commit(&mut writer, &[change])?;
        Ok(true)
    }

    fn stats(&self) -> StoreStats {
        StoreStats {
            reads: self.reads.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
            bytes_written: self.bytes_written.load(Ordering::Relaxed),
            syncs: self.syncs.load(Ordering::Relaxed),
        }
    }
}

impl fmt::Debug for DiskStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiskStore")
            .field("dir", &self.dir)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Index {
    fn open(dir: &Path, cache_bytes: u64) -> Result<Index> {
        let config = sled::Config::new()
            .path(dir.join("index"))
            .cache_capacity(cache_bytes)
            .flush_every_ms(None)
            .mode(sled::Mode::HighThroughput);
        let db = open_index(&config, dir)?;
        Ok(Index {
            chunks: db.open_tree("chunks").map_err(index_err)?,
            roots: db.open_tree("roots").map_err(index_err)?,
            meta: db.open_tree("meta").map_err(index_err)?,
            db,
        })
    }

    fn location(&self, addr: &Hash) -> Result<Option<Location>> {
        match self.chunks.get(addr.as_bytes()).map_err(index_err)? {
            Some(value) => Location::decode(addr, &value).map(Some),
            None => Ok(None),
        }
    }

    /// Where replay starts: every record before it is reflected in sled.
    fn indexed(&self) -> Result<Position> {
        match self.meta.get(KEY_INDEXED).map_err(index_err)? {
            Some(value) => Position::decode(&value).ok_or_else(|| bad_meta(KEY_INDEXED)),
            None => Ok(Position::START),
        }
    }

    /// Commits index entries, root changes (in order, the last change of a name winning) and
    /// `journal.indexed` in one sled transaction, without flushing sled.
    fn commit(
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
        (&self.chunks, &self.roots, &self.meta)
            .transaction(|(chunks, roots, meta)| {
                chunks.apply_batch(&chunk_batch)?;
                roots.apply_batch(&root_batch)?;
                meta.insert(KEY_INDEXED, &indexed[..])?;
                Ok::<(), ConflictableTransactionError<Infallible>>(())
            })
            .map_err(|e| Error::Index(e.to_string()))
    }

    /// Brings sled up to date with the journal (step 5 of the module docs), flushes it, and
    /// returns the end of the active file's valid records.
    fn replay(&self, dir: &Path) -> Result<Position> {
        let start = self.indexed()?;
        let ids = journal_ids(dir, start)?;
        let last = ids.last().copied().unwrap_or(start.file);
        let mut end = start;
        for id in ids {
            let from = if id == start.file { start.offset } else { 0 };
            let scan = scan_journal(dir, id, from)?;
            end = Position {
                file: id,
                offset: scan.end,
            };
            if let Some((check, reason)) = &scan.invalid {
                if id != last {
                    return Err(Error::corrupted(
                        *check,
                        format!("record at {end} of a complete journal file: {reason}"),
                    ));
                }
                truncate_journal(dir, end)?;
            }
            self.commit(&scan.entries, &scan.roots, end)?;
        }
        self.db.flush().map_err(index_err)?;
        Ok(end)
    }
}

impl Writer {
    /// Offset in the active file at which the next record will land.
    fn end(&self) -> u64 {
        self.file_len + self.buffer.len() as u64
    }

    /// Refuses writes once a failure may have left memory out of step with disk.
    fn usable(&self) -> Result<()> {
        match &self.failed {
            None => Ok(()),
            Some(cause) => Err(Error::ReadOnly(format!(
                "store refuses writes after a failed journal sync, index commit or rotation \
                 ({cause}); reopen it to recover"
            ))),
        }
    }

    fn append(&mut self, addr: Hash, record: &[u8]) {
        let location = Location {
            file: self.file_id,
            offset: self.end(),
            len: record.len() as u32,
        };
        self.buffer.extend_from_slice(record);
        self.pending.insert(addr, location);
    }

    /// Writes the buffer to the active file, without fsync. On failure nothing is lost: the
    /// buffer is kept and the next write starts again at the same offset.
    fn write_buffer(&mut self) -> Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        self.file
            .write_all_at(&self.buffer, self.file_len)
            .map_err(|e| Error::io(format!("writing journal {}", journal_name(self.file_id)), e))?;
        self.file_len += self.buffer.len() as u64;
        self.buffer.clear();
        Ok(())
    }

    /// The pending record at `location`: a copy from the buffer if not yet written, else where
    /// it is on disk.
    fn found(&self, addr: &Hash, location: Location) -> Result<Found> {
        if location.file != self.file_id || location.offset < self.file_len {
            return Ok(Found::At(location));
        }
        let start = (location.offset - self.file_len) as usize;
        let record = self
            .buffer
            .get(start..start + location.len as usize)
            .ok_or_else(|| {
                Error::corrupted(
                    *addr,
                    format!("pending record at {location} is past the buffer"),
                )
            })?;
        Ok(Found::Buffered(Bytes::copy_from_slice(record)))
    }
}

impl Location {
    // Index value in the `chunks` tree, 16 bytes:
    //   u32 BE file id | u64 BE offset of the record in the file | u32 BE record length
    fn encode(&self) -> [u8; 16] {
        let mut out = [0; 16];
        out[0..4].copy_from_slice(&self.file.to_be_bytes());
        out[4..12].copy_from_slice(&self.offset.to_be_bytes());
        out[12..16].copy_from_slice(&self.len.to_be_bytes());
        out
    }

    fn decode(addr: &Hash, bytes: &[u8]) -> Result<Location> {
        let bad = || Error::corrupted(*addr, format!("index entry of {} bytes", bytes.len()));
        let bytes: &[u8; 16] = bytes.try_into().map_err(|_| bad())?;
        let (file, rest) = bytes.split_first_chunk::<4>().ok_or_else(bad)?;
        let (offset, len) = rest.split_first_chunk::<8>().ok_or_else(bad)?;
        Ok(Location {
            file: u32::from_be_bytes(*file),
            offset: u64::from_be_bytes(*offset),
            len: decode_u32(len).ok_or_else(bad)?,
        })
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} offset {}", journal_name(self.file), self.offset)
    }
}

impl Position {
    /// The start of the first journal file: where a new store's replay begins.
    const START: Position = Position { file: 1, offset: 0 };

    // meta `journal.indexed`, 12 bytes: u32 BE file id | u64 BE offset in that file.
    // Every journal record before this position is reflected in sled.
    fn encode(&self) -> [u8; 12] {
        let mut out = [0; 12];
        out[0..4].copy_from_slice(&self.file.to_be_bytes());
        out[4..12].copy_from_slice(&self.offset.to_be_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Option<Position> {
        let bytes: &[u8; 12] = bytes.try_into().ok()?;
        let (file, offset) = bytes.split_first_chunk::<4>()?;
        Some(Position {
            file: u32::from_be_bytes(*file),
            offset: decode_u64(offset)?,
        })
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} offset {}", journal_name(self.file), self.offset)
    }
}

// Journal record, appended to a journal file:
//   u32 LE payload_len | u8 kind | [20] check | payload (payload_len bytes)
// kind 0 (raw chunk):  payload is the chunk; check is its address (the hash of the chunk).
// kind 1 (lz4 chunk):  payload is u32 LE uncompressed length | lz4 block
//                      (lz4_flex::compress_prepend_size); check is the uncompressed chunk's address.
// kind 2 (root):       payload as in `encode_root_record`; check is Hash::of(payload).
// A record is valid iff its header is complete, its payload fits in the file and the payload
// (decompressed, for lz4) hashes to the check. The whole record's length fits in a u32, because
// the index keeps it in one.
fn frame(kind: u8, check: &Hash, payload: &[u8]) -> Result<Vec<u8>> {
    let payload_len = u32::try_from(HEADER_LEN + payload.len())
        .map(|record_len| record_len - HEADER_LEN as u32)
        .map_err(|_| {
            Error::InvalidInput(format!(
                "journal record payload of {} bytes is too big",
                payload.len()
            ))
        })?;
    let mut record = Vec::with_capacity(HEADER_LEN + payload.len());
    record.extend_from_slice(&payload_len.to_le_bytes());
    record.push(kind);
    record.extend_from_slice(check.as_bytes());
    record.extend_from_slice(payload);
    Ok(record)
}

// Chunk record: kind 1 (lz4) when the compressed payload is at most 7/8 of the chunk's size,
// else kind 0 (raw). See `frame`.
fn encode_chunk_record(addr: &Hash, chunk: &[u8], compress: bool) -> Result<Vec<u8>> {
    let compressed = compress
        .then(|| lz4_flex::compress_prepend_size(chunk))
        .filter(|compressed| compressed.len() as u64 * 8 <= chunk.len() as u64 * 7);
    match &compressed {
        Some(compressed) => frame(KIND_LZ4, addr, compressed),
        None => frame(KIND_RAW, addr, chunk),
    }
}

// Root record (kind 2) payload:
//   u16 LE name_len | name (name_len bytes, utf-8) | u8 present (0 = deleted, 1 = set)
//   | value bytes (the rest; none when deleted)
// Its check is Hash::of(payload). See `frame`.
fn encode_root_record(change: &RootChange) -> Result<Vec<u8>> {
    let name = change.name.as_bytes();
    let name_len = u16::try_from(name.len()).map_err(|_| {
        Error::InvalidInput(format!(
            "root name of {} bytes is too long (at most {})",
            name.len(),
            u16::MAX
        ))
    })?;
    let value = change.value.as_deref().unwrap_or_default();
    let mut payload = Vec::with_capacity(2 + name.len() + 1 + value.len());
    payload.extend_from_slice(&name_len.to_le_bytes());
    payload.extend_from_slice(name);
    payload.push(u8::from(change.value.is_some()));
    payload.extend_from_slice(value);
    frame(KIND_ROOT, &Hash::of(&payload), &payload)
}

/// Decodes the payload of a root record whose header says `check`.
fn decode_root(check: &Hash, payload: &[u8]) -> Result<RootChange> {
    verify(check, payload)?;
    let bad = |reason: &str| Error::corrupted(*check, format!("root record: {reason}"));
    let (name_len, rest) = payload
        .split_first_chunk::<2>()
        .ok_or_else(|| bad("no name length"))?;
    let name_len = u16::from_le_bytes(*name_len) as usize;
    if rest.len() <= name_len {
        return Err(bad("name and presence byte run past the payload"));
    }
    let (name, rest) = rest.split_at(name_len);
    let name = std::str::from_utf8(name).map_err(|_| bad("name is not utf-8"))?;
    let value = match rest {
        [0] => None,
        [1, value @ ..] => Some(value.to_vec()),
        [0, ..] => return Err(bad("a deleted root carries a value")),
        [present, ..] => return Err(bad(&format!("presence byte {present}"))),
        [] => return Err(bad("no presence byte")),
    };
    Ok(RootChange {
        name: name.to_string(),
        value,
    })
}

/// Decodes a journal record read for `addr`, checking everything: length, address, kind, and
/// the hash of the decoded chunk.
fn decode_record(addr: &Hash, record: &Bytes) -> Result<Bytes> {
    let corrupted = |reason: String| Error::corrupted(*addr, reason);
    if record.len() < HEADER_LEN {
        return Err(corrupted(format!(
            "record of {} bytes is shorter than its header",
            record.len()
        )));
    }
    let payload_len = decode_u32_le(&record[0..4]).unwrap_or(u32::MAX) as usize;
    if HEADER_LEN.checked_add(payload_len) != Some(record.len()) {
        return Err(corrupted(format!(
            "record of {} bytes says its payload has {payload_len}",
            record.len()
        )));
    }
    let stored = Hash::from_slice(&record[5..HEADER_LEN]).unwrap_or(Hash::ZERO);
    if stored != *addr {
        return Err(corrupted(format!("record holds chunk {stored}")));
    }
    decode_chunk(addr, record[4], record.slice(HEADER_LEN..))
}

/// Decodes the payload of a chunk record of `kind` and verifies that it hashes to `addr`.
fn decode_chunk(addr: &Hash, kind: u8, payload: Bytes) -> Result<Bytes> {
    let chunk = match kind {
        KIND_RAW => payload,
        KIND_LZ4 => decompress(addr, &payload)?,
        KIND_ROOT => {
            return Err(Error::corrupted(
                *addr,
                "record is a root record, not a chunk",
            ))
        }
        other => {
            return Err(Error::corrupted(
                *addr,
                format!("unknown record kind {other}"),
            ))
        }
    };
    verify(addr, &chunk)?;
    Ok(chunk)
}

fn decompress(addr: &Hash, payload: &[u8]) -> Result<Bytes> {
    let corrupted = |reason: String| Error::corrupted(*addr, reason);
    let (size, block) = payload
        .split_first_chunk::<4>()
        .ok_or_else(|| corrupted("lz4 payload has no length prefix".to_string()))?;
    let size = u32::from_le_bytes(*size) as usize;
    if size > block.len().saturating_mul(LZ4_MAX_RATIO).saturating_add(64) {
        return Err(corrupted(format!(
            "lz4 block of {} bytes claims {size}",
            block.len()
        )));
    }
    let mut chunk = vec![0; size];
    let written = lz4_flex::block::decompress_into(block, &mut chunk)
        .map_err(|e| corrupted(format!("lz4: {e}")))?;
    if written != size {
        return Err(corrupted(format!(
            "lz4 block gave {written} bytes, expected {size}"
        )));
    }
    Ok(Bytes::from(chunk))
}

/// Replays journal file `file_id` from offset `from`: collects the index entry of every valid
/// chunk record and the change of every valid root record, up to the end of the file or the
/// first invalid record.
fn scan_journal(dir: &Path, file_id: u32, from: u64) -> Result<Scan> {
    let name = journal_name(file_id);
    let read_err = |e| Error::io(format!("replaying journal {name}"), e);
    let file = File::open(journal_path(dir, file_id)).map_err(read_err)?;
    let len = file.metadata().map_err(read_err)?.len();
    if len < from {
        return Err(damaged(
            format!("replaying journal {name}"),
            format!("file has {len} bytes but the index covers {from}: it was cut short"),
        ));
    }
    let mut reader = BufReader::with_capacity(REPLAY_BUFFER, file);
    reader.seek(SeekFrom::Start(from)).map_err(read_err)?;
    let mut scan = Scan {
        end: from,
        ..Scan::default()
    };
    while scan.end < len {
        match read_entry(&mut reader, len - scan.end).map_err(read_err)? {
            Scanned::Chunk { addr, len } => {
                let location = Location {
                    file: file_id,
                    offset: scan.end,
                    len,
                };
                scan.entries.insert(addr, location);
                scan.end += u64::from(len);
            }
            Scanned::Root { change, len } => {
                scan.roots.push(change);
                scan.end += u64::from(len);
            }
            Scanned::Invalid { check, reason } => {
                scan.invalid = Some((check, reason));
                break;
            }
        }
    }
    Ok(scan)
}

/// Reads and checks the next record, `remaining` bytes before the end of the file. Only I/O
/// fails; bad bytes give `Scanned::Invalid`.
fn read_entry(reader: &mut impl Read, remaining: u64) -> io::Result<Scanned> {
    let invalid = |check, reason| Ok(Scanned::Invalid { check, reason });
    if remaining < HEADER_LEN as u64 {
        return invalid(
            Hash::ZERO,
            format!("header cut short: {remaining} bytes left in the file"),
        );
    }
    let mut header = [0; HEADER_LEN];
    reader.read_exact(&mut header)?;
    let (payload_len, rest) = header.split_first_chunk::<4>().unwrap_or((&[0; 4], &[]));
    let payload_len = u32::from_le_bytes(*payload_len);
    let (kind, check) = rest.split_first().unwrap_or((&u8::MAX, &[]));
    let check = Hash::from_slice(check).unwrap_or(Hash::ZERO);
    let record_len = u64::from(payload_len) + HEADER_LEN as u64;
    let Some(len) = u32::try_from(record_len)
        .ok()
        .filter(|_| record_len <= remaining)
    else {
        return invalid(
            check,
            format!("payload of {payload_len} bytes runs past the end of the file"),
        );
    };
    let mut payload = vec![0; payload_len as usize];
    reader.read_exact(&mut payload)?;
    let scanned = match *kind {
        KIND_ROOT => decode_root(&check, &payload).map(|change| Scanned::Root { change, len }),
        kind => {
            decode_chunk(&check, kind, payload.into()).map(|_| Scanned::Chunk { addr: check, len })
        }
    };
    Ok(scanned.unwrap_or_else(|e| Scanned::Invalid {
        check,
        reason: e.to_string(),
    }))
}

/// Ids of the journal files replay reads: `start.file` and every later one, in order and without
/// gaps. Creates `start.file` for a new store.
fn journal_ids(dir: &Path, start: Position) -> Result<Vec<u32>> {
    let journal_dir = dir.join("journal");
    let list_err = |e| Error::io(format!("listing {}", journal_dir.display()), e);
    let mut ids = Vec::new();
    for entry in fs::read_dir(&journal_dir).map_err(list_err)? {
        let entry = entry.map_err(list_err)?;
        match parse_journal_name(&entry.file_name()) {
            Some(id) if id >= start.file => ids.push(id),
            _ => {}
        }
    }
    ids.sort_unstable();
    if ids.first() != Some(&start.file) {
        if start.offset > 0 || !ids.is_empty() {
            return Err(damaged(
                format!("replaying journal {}", journal_name(start.file)),
                "the file is missing".to_string(),
            ));
        }
        create_journal(dir, start.file)?;
        ids.push(start.file);
    }
    if let Some((expected, _)) = (start.file..).zip(&ids).find(|(id, found)| id != *found) {
        return Err(damaged(
            format!("replaying journal {}", journal_name(expected)),
            "the file is missing, yet later ones exist".to_string(),
        ));
    }
    Ok(ids)
}

/// Cuts the active journal back to `end`, dropping a torn or unacknowledged tail.
fn truncate_journal(dir: &Path, end: Position) -> Result<()> {
    let context = || format!("truncating the torn tail of journal at {end}");
    let file = OpenOptions::new()
        .write(true)
        .open(journal_path(dir, end.file))
        .map_err(|e| Error::io(context(), e))?;
    file.set_len(end.offset)
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(context(), e))
}

/// Creates (or empties, if a crashed rotation left it) journal file `file_id`, and fsyncs the
/// directory so that the file survives a crash.
fn create_journal(dir: &Path, file_id: u32) -> Result<File> {
    let name = journal_name(file_id);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(journal_path(dir, file_id))
        .map_err(|e| Error::io(format!("creating journal {name}"), e))?;
    sync_dir(&dir.join("journal"))?;
    Ok(file)
}

// meta `format`: u32 BE store format version.
/// Refuses an index written in another format; stamps a new, empty one with ours.
fn check_format(dir: &Path, index: &Index) -> Result<()> {
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
            Err(e) => return Err(index_err(e)),
        }
    }
}

fn journal_name(file_id: u32) -> String {
    format!("{file_id:08}.jnl")
}

/// The id of a journal file named like `00000001.jnl`; `None` for any other name.
fn parse_journal_name(name: &OsStr) -> Option<u32> {
    let digits = name.to_str()?.strip_suffix(".jnl")?;
    let id = digits.parse().ok()?;
    (digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(id)
}

fn journal_path(dir: &Path, file_id: u32) -> PathBuf {
    dir.join("journal").join(journal_name(file_id))
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(format!("syncing directory {}", dir.display()), e))
}

fn dir_size(path: &Path) -> io::Result<u64> {
    let mut total = 0;
    for entry in fs::read_dir(path)? {
        let entry = entry?;
        let metadata = entry.metadata()?;
        total += if metadata.is_dir() {
            dir_size(&entry.path())?
        } else {
            metadata.len()
        };
    }
    Ok(total)
}

/// An I/O-level error for journal files that are missing or shorter than the index says.
fn damaged(context: String, reason: String) -> Error {
    Error::io(context, io::Error::new(io::ErrorKind::InvalidData, reason))
}

fn decode_u32(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.try_into().ok()?))
}

fn decode_u32_le(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

fn decode_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

fn bad_meta(key: &[u8]) -> Error {
    Error::Index(format!(
        "meta key {} has a malformed value",
        String::from_utf8_lossy(key)
    ))
}

#[allow(clippy::needless_pass_by_value)] // by value to serve as a `map_err` callback
fn index_err(e: sled::Error) -> Error {
    Error::Index(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_and_position_round_trip() {
        let location = Location {
            file: 7,
            offset: 1 << 40,
            len: 4096,
        };
        let addr = Hash::of(b"x");
        assert_eq!(
            Location::decode(&addr, &location.encode()).unwrap(),
            location
        );
        assert!(matches!(
            Location::decode(&addr, &[0; 15]),
            Err(Error::Corrupted { .. })
        ));
        let position = Position {
            file: 3,
            offset: (1 << 33) + 5,
        };
        assert_eq!(Position::decode(&position.encode()), Some(position));
        assert_eq!(Position::decode(&[0; 11]), None);
    }

    #[test]
    fn record_round_trip_both_codecs() {
        for chunk in [vec![7u8; 5000], (0..=255u8).collect::<Vec<_>>(), Vec::new()] {
            let addr = Hash::of(&chunk);
            let record = encode_chunk_record(&addr, &chunk, true).unwrap();
            assert_eq!(
                record[4],
                if chunk.len() == 5000 {
                    KIND_LZ4
                } else {
                    KIND_RAW
                }
            );
            assert_eq!(decode_record(&addr, &Bytes::from(record)).unwrap(), chunk);
        }
    }

    /// A root record replays to the change it was written from; every single-byte flip of it is
    /// invalid; `get` never takes one for a chunk.
    #[test]
    fn root_record_round_trip_and_flips() {
        let changes = [
            RootChange {
                name: "refs/heads/main".to_string(),
                value: Some(b"v1".to_vec()),
            },
            RootChange {
                name: "refs/heads/main".to_string(),
                value: Some(Vec::new()),
            },
            RootChange {
                name: "gone".to_string(),
                value: None,
            },
        ];
        for change in changes {
            let record = encode_root_record(&change).unwrap();
            let scan = |bytes: &[u8]| read_entry(&mut &bytes[..], bytes.len() as u64).unwrap();
            match scan(&record) {
                Scanned::Root { change: got, len } => {
                    assert_eq!((got, len as usize), (change.clone(), record.len()));
                }
                _ => panic!("{change:?} does not replay"),
            }
            for offset in 0..record.len() {
                let mut flipped = record.clone();
                flipped[offset] ^= 0x10;
                assert!(
                    matches!(scan(&flipped), Scanned::Invalid { .. }),
                    "flip at {offset}"
                );
            }
            let check = Hash::from_slice(&record[5..HEADER_LEN]).unwrap();
            assert!(decode_record(&check, &Bytes::from(record)).is_err());
        }
        let long = RootChange {
            name: "x".repeat(70_000),
            value: None,
        };
        assert!(matches!(
            encode_root_record(&long),
            Err(Error::InvalidInput(_))
        ));
    }

    #[test]
    fn journal_names() {
        assert_eq!(parse_journal_name(OsStr::new("00000012.jnl")), Some(12));
        for other in ["12.jnl", "0000001x.jnl", "00000012.jnl.tmp", "+0000012.jnl"] {
            assert_eq!(parse_journal_name(OsStr::new(other)), None, "{other}");
        }
    }

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
