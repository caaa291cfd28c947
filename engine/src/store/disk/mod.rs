//! `DiskStore`: chunks and root changes appended to journal files, found through a sled index.
//! This module (`store/disk/`) is the only one in vdb that names sled.
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
//! 1. `put` hashes the uncompressed chunk, returns at once if the address is pending or indexed
//!    (asking sled only when the address filter, `filter.rs`, says the index may hold it),
//!    else encodes a chunk record (lz4 when that saves at least an eighth), appends it to an
//!    in-memory write buffer and remembers address -> location in `pending`. When the buffer
//!    outgrows `write_buffer` it is written to the active journal file, without fsync.
//! 2. `flush` writes the buffer and makes the file durable up to its end (`sync_to`): that is
//!    the durability point. Syncs are shared (group commit): one thread at a time calls
//!    `sync_data`, without the writer mutex, so writers go on appending meanwhile; a thread
//!    that waited for it finds its records synced by that fsync, or syncs everything written
//!    so far in one more. The synced records' index entries stay in `pending` (in memory)
//!    until an index commit: every `index_every_syncs` syncs (64 by default), when the file is
//!    full, before a collection and when the store is closed, one sled transaction takes every
//!    pending entry of a synced record and `journal.indexed` = the synced end of the file. It
//!    never flushes sled: the journal already holds everything sled would lose in a crash. A
//!    file that has reached `journal_file_limit` is then synced whole and followed by a new,
//!    empty one (its directory fsynced).
//! 3. `cas_root` compares `expected` with the current value (the root changes in `roots`
//!    first, then sled) under the writer mutex, appends a root record, writes the buffer and
//!    enters the change in `roots` before releasing the mutex, so the next swap compares with
//!    it; then it syncs as in step 2 and returns once the change is durable. `get_root` and
//!    `list_roots` read `roots` before sled; sled takes the change with the next index commit
//!    after its sync. One fsync makes the chunks and the root durable together, and one fsync
//!    serves every commit written while the previous one ran; a commit costs no sled write.
//! 4. `get` finds the location (index, then pending), reads the record with a positioned read (or
//!    copies it from the write buffer), checks its header, decompresses it and verifies that the
//!    bytes hash to the address. Bad bytes are `Error::Corrupted`, never data, never a panic.
//!    A chunk read from a journal file is kept, decoded, in a small cache (`chunk_cache_bytes`)
//!    that later gets answer from; a collection that removes chunks empties it.
//! 5. `open` replays the journal from `journal.indexed` through every later file in id order:
//!    each valid chunk record re-enters `chunks`, each valid root record is applied to `roots`.
//!    The first invalid record of the active file starts a torn or unacknowledged tail, which is
//!    truncated; an invalid record in an earlier, complete file is damage, and `open` fails naming
//!    the file and offset. Then `journal.indexed` moves to the end and sled is flushed, once.
//!
//! Invariants:
//! - Every record before `journal.indexed` is reflected in sled, and sled never names a byte that
//!   was not fsynced first: index entries, root changes and `journal.indexed` are committed
//!   together, after `sync_data`. Records after `journal.indexed` that were synced are answered
//!   for by `pending` and `roots` until their index commit, and by replay after a crash. sled recovers a prefix of its writes, so losing its recent
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
//! behind one mutex, held by `put`, by `flush` and `cas_root` while they write, and by the index
//! commit, but not across their fsync, so compare-and-swap is atomic within the process (sled's
//! file lock keeps a store to one process) while commits share syncs. A root change is visible
//! to this process's readers from its write, a moment before its fsync returns: a reader may
//! see a commit that a crash in that moment then undoes, but no writer's acknowledged commit is
//! lost, since any later change that builds on it is synced after it. Reads of indexed
//! chunks and roots take no lock but a brief read lock on the map of open journal handles; reads
//! look in the index before the pending map and again after it, so a concurrent flush moving an
//! entry from one to the other is never missed. `open` waits a few seconds for sled's lock,
//! because sled releases it a moment after a store is dropped.
//!
//! Files: this one holds `DiskStore`, its options, the `ChunkStore` impl (steps 1–4), the
//! append-side `Writer` and the journal files' names; `filter.rs` the address filter;
//! `record.rs` the journal record (layout, encode, decode, validate) and the index values;
//! `index.rs` the sled trees, their commit and the format check; `replay.rs` step 5. Byte layouts
//! are written above their encoders: `record::frame` (the record),
//! [`record::encode_chunk_record`], [`record::encode_root_record`],
//! [`record::Location::encode`], [`record::Position::encode`] and [`index::check_format`].

mod filter;
mod gc;
mod index;
mod record;
mod replay;

use super::{ChunkStore, GcSweep, StoreStats};
use crate::error::{Error, Result};
use crate::hash::Hash;
use bytes::Bytes;
use filter::AddressFilter;
pub use gc::{ReadHold, WriteHold};
use index::{check_format, index_err, Index, KEY_INDEXED};
use quick_cache::sync::Cache;
use quick_cache::Weighter;
use record::{
    decode_record, encode_chunk_record, encode_root_record, Location, Position, RootChange,
};
use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

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
    /// Bytes of decoded chunks kept in memory after a read from the journal (0: none).
    pub chunk_cache_bytes: u64,
    /// Syncs of `flush` and `cas_root` between two commits of their index entries and root
    /// changes to sled (1: every sync commits). Between them the entries live in memory and in
    /// the journal, which replay re-indexes after a crash.
    pub index_every_syncs: u32,
}

impl Default for DiskStoreOptions {
    fn default() -> Self {
        Self {
            compress: true,
            write_buffer: 8 << 20,
            journal_file_limit: 1 << 30,
            sled_cache_bytes: 32 << 20,
            chunk_cache_bytes: 16 << 20,
            index_every_syncs: 64,
        }
    }
}

/// A durable [`ChunkStore`] in a directory: journal files plus a sled index.
pub struct DiskStore {
    dir: PathBuf,
    options: DiskStoreOptions,
    index: Index,
    writer: Mutex<Writer>,
    /// How far the journal is known to be fsynced; held by the one thread that syncs for every
    /// writer waiting (group commit: see [`DiskStore::sync_to`]). Taken before the writer
    /// mutex, never while holding it.
    synced: Mutex<Position>,
    /// Root changes written to the journal but not yet committed to sled (`None`: removed);
    /// changed only under the writer mutex.
    roots: RwLock<HashMap<String, Option<Vec<u8>>>>,
    /// Which addresses the store may hold, so that `put` skips most sled lookups (`filter.rs`).
    filter: Arc<AddressFilter>,
    /// Open handles of journal files, shared by readers; the active file's is the writer's.
    readers: RwLock<HashMap<u32, Arc<File>>>,
    reads: AtomicU64,
    journal_reads: AtomicU64,
    writes: AtomicU64,
    bytes_written: AtomicU64,
    syncs: AtomicU64,
    /// The garbage collection in progress, if any (`gc.rs`), and a flag that spares `touch` its
    /// lock when there is none.
    gc: Mutex<Option<gc::GcState>>,
    gc_active: AtomicBool,
    /// Where the journal ended when, and which holds are live: what a collection's mark may
    /// not pass (`gc.rs`).
    epochs: gc::Epochs,
    /// The roots readers hold (`gc.rs`): extra roots for every collection.
    read_holds: gc::ReadHolds,
    /// Chunks read from the journal lately, decoded and verified: every statement reads its
    /// working set, root value and table chunks again, and a chunk never changes. Emptied when
    /// a collection removes chunks, so a removed chunk is not found here either.
    cache: Option<Cache<Hash, Bytes, ChunkWeight>>,
}

/// The weight of a cached chunk: its bytes plus the entry's own.
#[derive(Clone, Debug)]
struct ChunkWeight;

impl Weighter<Hash, Bytes> for ChunkWeight {
    fn weight(&self, _: &Hash, chunk: &Bytes) -> u64 {
        chunk.len() as u64 + 64
    }
}

/// The append side: the active journal file, records not yet written to it, and index entries
/// not yet committed.
struct Writer {
    file_id: u32,
    file: Arc<File>,
    /// Bytes written to the active file (records past this are still in `buffer`).
    file_len: u64,
    /// Bytes of the active file that are fsynced.
    synced_len: u64,
    buffer: Vec<u8>,
    /// Index entries not yet committed to sled: of records still buffered, written but not
    /// synced, or synced since the last index commit.
    pending: HashMap<Hash, Location>,
    /// Root changes written to the file but not yet synced, in order, each with the end of its
    /// record (also in `DiskStore::roots`).
    unsynced_roots: Vec<(Position, RootChange)>,
    /// Root changes synced since the last index commit, in order (also in `DiskStore::roots`).
    unindexed_roots: Vec<RootChange>,
    /// Syncs since the last index commit.
    unindexed_syncs: u32,
    /// Set when a failure after an fsync attempt may have left memory out of step with disk;
    /// every later write is refused with this cause.
    failed: Option<String>,
}

/// A record found by address: either copied out of the write buffer or still on disk.
enum Found {
    Buffered(Bytes),
    At(Location),
}

impl DiskStore {
    /// `cas_root`, and with `note`, the note's root set in the same journal write: both
    /// records go into the buffer together, before one sync.
    fn swap_root(
        &self,
        name: &str,
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
        note: Option<(&str, &[u8])>,
    ) -> Result<bool> {
        // The note first, the swap last: if the swap's record landed whole, so did the note.
        let mut changes = Vec::with_capacity(2);
        if let Some((note_name, note_value)) = note {
            changes.push(RootChange {
                name: note_name.to_string(),
                value: Some(note_value.to_vec()),
            });
        }
        changes.push(RootChange {
            name: name.to_string(),
            value: new.map(<[u8]>::to_vec),
        });
        let mut records = Vec::new();
        for change in &changes {
            records.extend_from_slice(&encode_root_record(change)?);
        }
        let end = {
            let mut writer = self.lock_writer();
            writer.usable()?;
            // Current: every swap lands in `roots` (or sled) before releasing the writer mutex.
            let current = self.get_root(name)?;
            if current.as_deref() != expected {
                return Ok(false);
            }
            writer.buffer.extend_from_slice(&records);
            if let Err(e) = writer.write_buffer() {
                // A failed write keeps the buffer and put at most a prefix of it in the file, so
                // the swap's record, last in the buffer, never landed whole: the swap did not
                // happen (a note before it may have; a reflog entry too many is harmless).
                let keep = writer.buffer.len() - records.len();
                writer.buffer.truncate(keep);
                return Err(e);
            }
            let end = Position {
                file: writer.file_id,
                offset: writer.file_len,
            };
            // The next swap compares with this one, synced or not: the journal keeps their order.
            let mut roots = self.roots.write().expect("lock poisoned");
            for change in changes {
                roots.insert(change.name.clone(), change.value.clone());
                writer.unsynced_roots.push((end, change));
            }
            end
        };
        self.sync_to(end)?;
        Ok(true)
    }

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
        let filter = spawn_filter(&journal_dir, &index);
        let cache = (options.chunk_cache_bytes > 0).then(|| {
            // quick_cache sizes its table from an estimate of the entries: a few KiB each.
            let entries = (options.chunk_cache_bytes / 4096).max(16) as usize;
            Cache::with_weighter(entries, options.chunk_cache_bytes, ChunkWeight)
        });
        let writer = Writer {
            file_id: end.file,
            file: file.clone(),
            file_len: end.offset,
            synced_len: end.offset,
            buffer: Vec::new(),
            pending: HashMap::new(),
            unsynced_roots: Vec::new(),
            unindexed_roots: Vec::new(),
            unindexed_syncs: 0,
            failed: None,
        };
        Ok(DiskStore {
            dir,
            options,
            index,
            writer: Mutex::new(writer),
            synced: Mutex::new(end),
            roots: RwLock::new(HashMap::new()),
            filter,
            readers: RwLock::new(HashMap::from([(end.file, file)])),
            reads: AtomicU64::new(0),
            journal_reads: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            bytes_written: AtomicU64::new(0),
            syncs: AtomicU64::new(0),
            gc: Mutex::new(None),
            gc_active: AtomicBool::new(false),
            epochs: gc::Epochs::new(end),
            read_holds: gc::ReadHolds::default(),
            cache,
        })
    }

    /// Forgets every cached chunk (a collection has removed some).
    fn clear_cache(&self) {
        if let Some(cache) = &self.cache {
            cache.clear();
        }
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

    /// Test support: closes the store as a crash would, without committing to sled what the
    /// index has not yet taken in (synced records stay in the journal for replay).
    #[doc(hidden)]
    pub fn crash_for_tests(self) {
        self.lock_writer().failed = Some("crashed for a test".into());
    }

    /// Waits (up to ten seconds) until the address filter has taken in the whole index;
    /// whether it has.
    #[doc(hidden)]
    pub fn wait_for_filter_for_tests(&self) -> bool {
        let started = std::time::Instant::now();
        while !self.filter.is_ready() && started.elapsed() < std::time::Duration::from_secs(10) {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        self.filter.is_ready()
    }

    /// Number of syncs whose index entries and root changes are not yet committed to sled.
    #[doc(hidden)]
    pub fn unindexed_syncs(&self) -> u32 {
        self.lock_writer().unindexed_syncs
    }

    /// The store's root directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Bytes of every file under the store's directory, sled's included.
    pub fn disk_usage(&self) -> Result<u64> {
        dir_size(&self.dir).map_err(|e| Error::io(format!("sizing {}", self.dir.display()), e))
    }

    /// Number of durable (flushed) chunks. Walks the whole index.
    pub fn chunk_count(&self) -> Result<u64> {
        self.index_synced()?;
        Ok(self.index.chunks.len() as u64)
    }

    /// Every durable (flushed) chunk address, in address order.
    pub fn addresses(&self) -> Result<impl Iterator<Item = Result<Hash>>> {
        self.index_synced()?;
        Ok(self.index.chunks.iter().keys().map(|key| {
            let key = key.map_err(index_err)?;
            Hash::from_slice(&key).ok_or_else(|| {
                Error::Index(format!(
                    "index key of {} bytes is not an address",
                    key.len()
                ))
            })
        }))
    }

    /// Commits to sled every index entry and root change that is synced but not yet indexed.
    fn index_synced(&self) -> Result<()> {
        let mut writer = self.lock_writer();
        writer.usable()?;
        let result = self.commit_index(&mut writer);
        if let Err(e) = &result {
            writer.failed = Some(e.to_string());
        }
        result
    }

    fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        self.writer.lock().expect("lock poisoned")
    }

    /// Finds the record of `addr`: pending first, then the index. An index commit puts an entry
    /// in sled before it leaves pending, so an entry missing from pending is in sled by the
    /// time it is looked for there. Pending first, because the chunks read from the store
    /// rather than a cache are mostly what other sessions have just written (table chunks,
    /// roots), and a sled lookup that misses costs more than taking the writer mutex.
    fn find(&self, addr: &Hash) -> Result<Option<Found>> {
        {
            let writer = self.lock_writer();
            if let Some(location) = writer.pending.get(addr) {
                return writer.found(addr, *location).map(Some);
            }
        }
        Ok(self.index.location(addr)?.map(Found::At))
    }

    /// The open handle of journal `file_id`; `None` if the file is gone (a garbage collection
    /// compacted it: the record has moved, and the index says where).
    fn reader(&self, file_id: u32) -> Result<Option<Arc<File>>> {
        if let Some(file) = self.readers.read().expect("lock poisoned").get(&file_id) {
            return Ok(Some(file.clone()));
        }
        let path = journal_path(&self.dir, file_id);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::io(
                    format!("opening journal {}", journal_name(file_id)),
                    e,
                ))
            }
        };
        let mut readers = self.readers.write().expect("lock poisoned");
        Ok(Some(
            readers
                .entry(file_id)
                .or_insert_with(|| Arc::new(file))
                .clone(),
        ))
    }

    fn read_record(&self, addr: &Hash, location: Location) -> Result<Bytes> {
        let Some(file) = self.reader(location.file)? else {
            return Err(Error::corrupted(
                *addr,
                format!("record at {location}: the journal file is missing"),
            ));
        };
        self.journal_reads.fetch_add(1, Ordering::Relaxed);
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

    /// The durability point, for records already written to the active file: one `sync_data`,
    /// then one sled transaction (index entries, `roots`, `journal.indexed`), then rotation of a
    /// full file. What garbage collection uses: sled is complete afterwards.
    fn sync_and_commit(&self, writer: &mut Writer) -> Result<()> {
        let result = self.sync_index_rotate(writer, true);
        if let Err(e) = &result {
            writer.failed = Some(e.to_string());
        }
        result
    }

    /// Makes the journal durable up to `target` (written already), and returns once it is.
    /// Group commit: one thread at a time syncs, without the writer mutex, so that others go on
    /// writing meanwhile; a thread that waited for it finds its records synced by that one
    /// fsync, or syncs everything written by then in one more. Each sync is followed, every
    /// `index_every_syncs` syncs or when the file is full, by an index commit. Any failure
    /// marks the writer failed, because memory may no longer agree with disk.
    fn sync_to(&self, target: Position) -> Result<()> {
        let mut synced = self.synced.lock().expect("lock poisoned");
        if !before(*synced, target) {
            return Ok(());
        }
        let (file, end) = {
            let writer = self.lock_writer();
            writer.usable()?;
            if target.file < writer.file_id {
                // A rotation synced the whole of the target's file.
                return Ok(());
            }
            let end = Position {
                file: writer.file_id,
                offset: writer.file_len,
            };
            (writer.file.clone(), end)
        };
        self.syncs.fetch_add(1, Ordering::Relaxed);
        let result = file.sync_data();
        let mut writer = self.lock_writer();
        let result = result
            .map_err(|e| Error::io(format!("syncing journal {}", journal_name(end.file)), e))
            .and_then(|()| {
                if end.file == writer.file_id {
                    self.mark_synced(&mut writer, end);
                }
                self.index_and_rotate(&mut writer, false)
            });
        if let Err(e) = &result {
            writer.failed = Some(e.to_string());
            return result;
        }
        *synced = Position {
            file: writer.file_id,
            offset: writer.synced_len,
        };
        Ok(())
    }

    /// Under the writer mutex: one `sync_data` of everything written, if anything is not yet
    /// synced; then the index commit and rotation as they are due (all of it when `force`).
    fn sync_index_rotate(&self, writer: &mut Writer, force: bool) -> Result<()> {
        if writer.file_len > writer.synced_len || !writer.unsynced_roots.is_empty() {
            self.syncs.fetch_add(1, Ordering::Relaxed);
            writer.file.sync_data().map_err(|e| {
                Error::io(
                    format!("syncing journal {}", journal_name(writer.file_id)),
                    e,
                )
            })?;
            let end = Position {
                file: writer.file_id,
                offset: writer.file_len,
            };
            self.mark_synced(writer, end);
        }
        self.index_and_rotate(writer, force)
    }

    /// Records that the active file is synced up to `end`: the root changes written before it
    /// are durable and wait for the index commit.
    fn mark_synced(&self, writer: &mut Writer, end: Position) {
        writer.synced_len = writer.synced_len.max(end.offset);
        let durable = writer
            .unsynced_roots
            .iter()
            .take_while(|(at, _)| !before(end, *at))
            .count();
        let durable: Vec<RootChange> = writer
            .unsynced_roots
            .drain(..durable)
            .map(|(_, change)| change)
            .collect();
        writer.unindexed_roots.extend(durable);
        writer.unindexed_syncs += 1;
        self.epochs.record(end);
    }

    /// The index commit, when `force`d, every `index_every_syncs` syncs or when the file is
    /// full; then a full file (synced whole first) is followed by a new one.
    fn index_and_rotate(&self, writer: &mut Writer, force: bool) -> Result<()> {
        let full = writer.file_len >= self.options.journal_file_limit;
        if full && (writer.file_len > writer.synced_len || !writer.unsynced_roots.is_empty()) {
            return self.sync_index_rotate(writer, force);
        }
        if force || full || writer.unindexed_syncs >= self.options.index_every_syncs {
            self.commit_index(writer)?;
        }
        if full {
            self.rotate(writer)?;
        }
        Ok(())
    }

    /// Commits to sled, in one transaction, the index entries of every synced record, the
    /// synced root changes and `journal.indexed` = the synced end of the active file; then
    /// drops them from memory.
    fn commit_index(&self, writer: &mut Writer) -> Result<()> {
        let (file, synced) = (writer.file_id, writer.synced_len);
        let is_synced = |l: &Location| l.file < file || l.offset + u64::from(l.len) <= synced;
        let entries: HashMap<Hash, Location> = writer
            .pending
            .iter()
            .filter(|(_, l)| is_synced(l))
            .map(|(a, l)| (*a, *l))
            .collect();
        if entries.is_empty() && writer.unindexed_roots.is_empty() && writer.unindexed_syncs == 0 {
            return Ok(());
        }
        let indexed = Position {
            file,
            offset: synced,
        };
        self.index
            .commit(&entries, &writer.unindexed_roots, indexed)?;
        writer.pending.retain(|_, l| !is_synced(l));
        writer.unindexed_syncs = 0;
        let indexed_roots = std::mem::take(&mut writer.unindexed_roots);
        let mut visible = self.roots.write().expect("lock poisoned");
        for change in indexed_roots {
            // A later change of the root, written but not yet synced, stays the visible one.
            if !writer
                .unsynced_roots
                .iter()
                .any(|(_, c)| c.name == change.name)
            {
                visible.remove(&change.name);
            }
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
        writer.synced_len = 0;
        Ok(())
    }
}

impl ChunkStore for DiskStore {
    fn get(&self, addr: &Hash) -> Result<Option<Bytes>> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        // Touched first, cached or not: a collection in progress must see every read (gc.rs).
        self.touch(addr);
        if let Some(chunk) = self.cache.as_ref().and_then(|c| c.get(addr)) {
            return Ok(Some(chunk));
        }
        let mut found = self.find(addr)?;
        // A compaction may remove the file between `find` and the read; the index then names
        // the copy, so look once more.
        if let Some(Found::At(location)) = found {
            if self.reader(location.file)?.is_none() {
                found = self.find(addr)?;
            }
        }
        let record = match found {
            None => return Ok(None),
            // Still in the write buffer: not worth caching, it is about to be written.
            Some(Found::Buffered(record)) => return decode_record(addr, &record).map(Some),
            Some(Found::At(location)) => self.read_record(addr, location)?,
        };
        let chunk = decode_record(addr, &record)?;
        if let Some(cache) = &self.cache {
            cache.insert(*addr, chunk.clone());
        }
        Ok(Some(chunk))
    }

    fn drop_caches(&self) {
        self.clear_cache();
    }

    fn has(&self, addr: &Hash) -> Result<bool> {
        self.touch(addr);
        Ok(self.find(addr)?.is_some())
    }

    fn put(&self, chunk: Bytes) -> Result<Hash> {
        let addr = Hash::of(&chunk);
        self.touch(&addr);
        let indexed = |addr: &Hash| -> Result<bool> {
            Ok(self.filter.may_contain(addr) && self.index.location(addr)?.is_some())
        };
        if indexed(&addr)? {
            return Ok(addr);
        }
        let record = encode_chunk_record(&addr, &chunk, self.options.compress)?;
        let mut writer = self.lock_writer();
        writer.usable()?;
        if writer.pending.contains_key(&addr) || indexed(&addr)? {
            return Ok(addr);
        }
        writer.append(addr, &record);
        self.filter.insert(&addr);
        self.writes.fetch_add(1, Ordering::Relaxed);
        self.bytes_written
            .fetch_add(chunk.len() as u64, Ordering::Relaxed);
        if writer.buffer.len() > self.options.write_buffer {
            writer.write_buffer()?;
        }
        Ok(addr)
    }

    fn flush(&self) -> Result<()> {
        let end = {
            let mut writer = self.lock_writer();
            writer.usable()?;
            writer.write_buffer()?;
            Position {
                file: writer.file_id,
                offset: writer.file_len,
            }
        };
        self.sync_to(end)
    }

    fn get_root(&self, name: &str) -> Result<Option<Vec<u8>>> {
        // Synced changes not yet in sled first: sled has them only once they leave this map.
        if let Some(value) = self.roots.read().expect("lock poisoned").get(name) {
            return Ok(value.clone());
        }
        Ok(self
            .index
            .roots
            .get(name)
            .map_err(index_err)?
            .map(|value| value.to_vec()))
    }

    fn list_roots(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        // Read before sled: a change that leaves this map is in sled by then.
        let unindexed: Vec<(String, Option<Vec<u8>>)> = self
            .roots
            .read()
            .expect("lock poisoned")
            .iter()
            .filter(|(name, _)| name.starts_with(prefix))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        let mut roots = self
            .index
            .roots
            .scan_prefix(prefix)
            .map(|entry| {
                let (name, value) = entry.map_err(index_err)?;
                let name = String::from_utf8(name.to_vec())
                    .map_err(|_| Error::Index("root name is not utf-8".to_string()))?;
                Ok((name, value.to_vec()))
            })
            .collect::<Result<std::collections::BTreeMap<_, _>>>()?;
        for (name, value) in unindexed {
            match value {
                Some(value) => roots.insert(name, value),
                None => roots.remove(&name),
            };
        }
        Ok(roots.into_iter().collect())
    }

    fn cas_root(&self, name: &str, expected: Option<&[u8]>, new: Option<&[u8]>) -> Result<bool> {
        self.swap_root(name, expected, new, None)
    }

    fn cas_root_noting(
        &self,
        name: &str,
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
        note: (&str, &[u8]),
    ) -> Result<bool> {
        self.swap_root(name, expected, new, Some(note))
    }

    fn gc_begin(&self, grace: std::time::Duration) -> Result<()> {
        self.begin_gc(grace)
    }

    fn gc_finish(&self, live: &HashSet<Hash>) -> Result<GcSweep> {
        self.finish_gc(live)
    }

    fn gc_abort(&self) {
        self.abort_gc();
    }

    fn hold(&self) -> Option<WriteHold> {
        let end = {
            let writer = self.lock_writer();
            Position {
                file: writer.file_id,
                offset: writer.end(),
            }
        };
        Some(self.epochs.hold(end))
    }

    fn hold_root(&self, root: Hash) -> Option<ReadHold> {
        Some(self.read_holds.hold(root))
    }

    fn held_roots(&self) -> Vec<Hash> {
        self.read_holds.roots()
    }

    fn stats(&self) -> StoreStats {
        StoreStats {
            reads: self.reads.load(Ordering::Relaxed),
            journal_reads: self.journal_reads.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
            bytes_written: self.bytes_written.load(Ordering::Relaxed),
            syncs: self.syncs.load(Ordering::Relaxed),
        }
    }
}

/// Whether journal position `a` comes before `b`.
fn before(a: Position, b: Position) -> bool {
    (a.file, a.offset) < (b.file, b.offset)
}

/// A store closed in order commits its synced index entries, so the next `open` has nothing to
/// replay. (A crash skips this; replay then re-indexes them from the journal.)
impl Drop for DiskStore {
    fn drop(&mut self) {
        self.filter.cancel();
        if let Ok(mut writer) = self.writer.lock() {
            if writer.failed.is_none() {
                let _ = self.commit_index(&mut writer);
            }
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

/// A filter sized from the journal (about one chunk per KiB of records) and a thread that
/// fills it from the index and then marks it ready; a failed walk leaves it answering "maybe".
fn spawn_filter(journal_dir: &Path, index: &Index) -> Arc<AddressFilter> {
    let bytes = dir_size(journal_dir).unwrap_or(0);
    let filter = Arc::new(AddressFilter::new(bytes / 1024));
    let (walker, chunks) = (filter.clone(), index.chunks.clone());
    let spawned = std::thread::Builder::new()
        .name("vdb-address-filter".into())
        .spawn(move || {
            for key in chunks.iter().keys() {
                if walker.is_cancelled() {
                    return;
                }
                match key.ok().and_then(|key| Hash::from_slice(&key)) {
                    Some(addr) => walker.insert(&addr),
                    None => return,
                }
            }
            walker.set_ready();
        });
    // Without the thread the filter stays unready: every put asks sled, as it would anyway.
    drop(spawned);
    filter
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_names() {
        assert_eq!(parse_journal_name(OsStr::new("00000012.jnl")), Some(12));
        for other in ["12.jnl", "0000001x.jnl", "00000012.jnl.tmp", "+0000012.jnl"] {
            assert_eq!(parse_journal_name(OsStr::new(other)), None, "{other}");
        }
    }
}
