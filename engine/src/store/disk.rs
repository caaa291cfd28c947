//! `DiskStore`: chunks appended to journal files and found through a sled index. This is the only
//! module in vdb that names sled.
//!
//! Directory layout under the store's root directory:
//! ```text
//! index/                  a sled database with three trees:
//!                           chunks  address (20 bytes) -> location of its journal record
//!                           roots   root name (utf-8)  -> root value
//!                           meta    format, journal.active, journal.synced.<id>
//! journal/00000001.jnl    append-only journal files; ids start at 1, 8 zero-padded digits
//! ```
//!
//! The life of a chunk:
//! 1. `put` hashes the uncompressed chunk, returns at once if the address is pending or indexed,
//!    else encodes a journal record (lz4 when that saves at least an eighth), appends it to an
//!    in-memory write buffer and remembers address -> location in `pending`. When the buffer
//!    outgrows `write_buffer` it is written to the active journal file, without fsync.
//! 2. `flush` writes the buffer, fsyncs the journal file, then commits in one sled transaction
//!    every pending index entry together with the file's new synced length, flushes sled, and only
//!    then clears `pending`. If the active file has reached `journal_file_limit`, the same
//!    transaction names the next file active. (A transaction, because a sled `Batch` covers one
//!    tree: were `chunks` committed without `meta`, `open` would truncate bytes the index names.)
//! 3. `get` finds the location (index, then pending), reads the record with a positioned read (or
//!    copies it from the write buffer), checks its header, decompresses it and verifies that the
//!    bytes hash to the address. Bad bytes are `Error::Corrupted`, never data, never a panic.
//!
//! Invariants:
//! - The index never names a byte that was not fsynced first, because index entries and
//!   `journal.synced.<id>` are committed together, after `sync_data`.
//! - Bytes of the active journal file past `journal.synced.<active>` were never acknowledged (a
//!   torn write, or a buffer written before a crash): `open` truncates them. Files older than the
//!   active one are complete.
//! - Dropping the store without `flush` models a crash: pending chunks are lost, and putting them
//!   again later works.
//! - Roots change only by compare-and-swap, after pending chunks are flushed, so a durable root
//!   never names a chunk that is not durable.
//!
//! Concurrency: every method takes `&self`. The writer state (buffer, pending map, active file) is
//! behind one mutex, held by `put` and `flush`. Reads of indexed chunks take no lock but a brief
//! read lock on the map of open journal handles; reads look in the index before the pending map
//! and again after it, so a concurrent flush moving an entry from one to the other is never missed.
//! One directory takes one open store at a time (sled locks its files); `open` waits a few
//! seconds for the lock, because sled releases it a moment after a store is dropped.
//!
//! Byte layouts (record, index entry, meta values) are written above their encoders:
//! [`encode_record`], [`Location::encode`], [`DiskStore::commit`] and [`check_format`].

use super::{verify, ChunkStore, StoreStats};
use crate::error::{Error, Result};
use crate::hash::{Hash, HASH_LEN};
use bytes::Bytes;
use sled::transaction::ConflictableTransactionError;
use sled::Transactional;
use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

/// The on-disk format this build reads and writes, stored under `meta/format`.
const FORMAT_VERSION: u32 = 1;
/// Bytes of a journal record before its payload: length, codec, address.
const HEADER_LEN: usize = 4 + 1 + HASH_LEN;
/// Record codec: the payload is the chunk itself.
const CODEC_RAW: u8 = 0;
/// Record codec: the payload is `lz4_flex::compress_prepend_size` of the chunk.
const CODEC_LZ4: u8 = 1;
/// An lz4 block expands at most 255-fold (each extra match-length byte adds at most 255 output
/// bytes), so a prefix claiming more than this is damage; refusing it keeps a flipped bit from
/// allocating gigabytes.
const LZ4_MAX_RATIO: usize = 255;

const KEY_FORMAT: &[u8] = b"format";
const KEY_ACTIVE: &[u8] = b"journal.active";

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
    db: sled::Db,
    chunks: sled::Tree,
    roots: sled::Tree,
    meta: sled::Tree,
    writer: Mutex<Writer>,
    /// Open handles of journal files, shared by readers; the active file's is the writer's.
    readers: RwLock<HashMap<u32, Arc<File>>>,
    reads: AtomicU64,
    writes: AtomicU64,
    bytes_written: AtomicU64,
}

/// The append side: the active journal file, records not yet written to it, and index entries
/// not yet committed.
struct Writer {
    file_id: u32,
    file: Arc<File>,
    /// Bytes written to the active file (records past this are still in `buffer`).
    file_len: u64,
    /// Bytes of the active file that are fsynced and indexed.
    synced_len: u64,
    buffer: Vec<u8>,
    pending: HashMap<Hash, Location>,
}

/// Where a record lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Location {
    file: u32,
    offset: u64,
    len: u32,
}

/// A record found by address: either copied out of the write buffer or still on disk.
enum Found {
    Buffered(Bytes),
    At(Location),
}

impl DiskStore {
    /// Opens the store in `dir`, creating the directory and an empty store if missing. Drops the
    /// unacknowledged tail of the active journal file, if a crash left one.
    pub fn open(dir: impl AsRef<Path>, options: DiskStoreOptions) -> Result<DiskStore> {
        let dir = dir.as_ref().to_path_buf();
        let journal_dir = dir.join("journal");
        fs::create_dir_all(&journal_dir)
            .map_err(|e| Error::io(format!("creating {}", journal_dir.display()), e))?;
        let config = sled::Config::new()
            .path(dir.join("index"))
            .cache_capacity(options.sled_cache_bytes)
            .flush_every_ms(None)
            .mode(sled::Mode::HighThroughput);
        let db = open_index(&config, &dir)?;
        let chunks = db.open_tree("chunks").map_err(index_err)?;
        let roots = db.open_tree("roots").map_err(index_err)?;
        let meta = db.open_tree("meta").map_err(index_err)?;
        check_format(&dir, &meta, &chunks)?;

        let file_id = match meta.get(KEY_ACTIVE).map_err(index_err)? {
            Some(value) => decode_u32(&value).ok_or_else(|| bad_meta(KEY_ACTIVE))?,
            None => 1,
        };
        let synced_key = synced_key(file_id);
        let synced_len = match meta.get(&synced_key).map_err(index_err)? {
            Some(value) => decode_u64(&value).ok_or_else(|| bad_meta(&synced_key))?,
            None => 0,
        };
        meta.insert(KEY_ACTIVE, &file_id.to_be_bytes()[..])
            .map_err(index_err)?;
        db.flush().map_err(index_err)?;

        let file = open_active(&dir, file_id, synced_len)?;
        let file = Arc::new(file);
        let writer = Writer {
            file_id,
            file: file.clone(),
            file_len: synced_len,
            synced_len,
            buffer: Vec::new(),
            pending: HashMap::new(),
        };
        Ok(DiskStore {
            dir,
            options,
            db,
            chunks,
            roots,
            meta,
            writer: Mutex::new(writer),
            readers: RwLock::new(HashMap::from([(file_id, file)])),
            reads: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            bytes_written: AtomicU64::new(0),
        })
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
        Ok(self.chunks.len() as u64)
    }

    /// Every durable (flushed and indexed) chunk address, in address order.
    pub fn addresses(&self) -> impl Iterator<Item = Result<Hash>> {
        self.chunks.iter().keys().map(|key| {
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

    fn indexed(&self, addr: &Hash) -> Result<Option<Location>> {
        match self.chunks.get(addr.as_bytes()).map_err(index_err)? {
            Some(value) => Location::decode(addr, &value).map(Some),
            None => Ok(None),
        }
    }

    /// Finds the record of `addr`: index first, then pending, then the index again, because a
    /// flush may move the entry from pending to the index between the first two looks.
    fn find(&self, addr: &Hash) -> Result<Option<Found>> {
        if let Some(location) = self.indexed(addr)? {
            return Ok(Some(Found::At(location)));
        }
        {
            let writer = self.lock_writer();
            if let Some(location) = writer.pending.get(addr) {
                return writer.found(addr, *location).map(Some);
            }
        }
        Ok(self.indexed(addr)?.map(Found::At))
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

    /// Creates (or empties, if a crashed rotation left it) journal file `file_id`.
    fn create_journal(&self, file_id: u32) -> Result<Arc<File>> {
        let name = journal_name(file_id);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(journal_path(&self.dir, file_id))
            .map_err(|e| Error::io(format!("creating journal {name}"), e))?;
        sync_dir(&self.dir.join("journal"))?;
        let file = Arc::new(file);
        self.readers
            .write()
            .expect("lock poisoned")
            .insert(file_id, file.clone());
        Ok(file)
    }

    /// Commits the pending index entries and the synced length of the active file (and, when
    /// rotating, the next active file) in one sled transaction, then flushes sled.
    fn commit(&self, writer: &Writer, rotate_to: Option<u32>) -> Result<()> {
        let mut index = sled::Batch::default();
        for (addr, location) in &writer.pending {
            index.insert(&addr.as_bytes()[..], &location.encode()[..]);
        }
        // meta values: `journal.synced.<id>` is a u64 BE length, `journal.active` a u32 BE id.
        let mut meta = sled::Batch::default();
        meta.insert(
            synced_key(writer.file_id),
            &writer.file_len.to_be_bytes()[..],
        );
        if let Some(next) = rotate_to {
            meta.insert(KEY_ACTIVE, &next.to_be_bytes()[..]);
            meta.insert(synced_key(next), &0u64.to_be_bytes()[..]);
        }
        (&self.chunks, &self.meta)
            .transaction(|(chunks, meta_tx)| {
                chunks.apply_batch(&index)?;
                meta_tx.apply_batch(&meta)?;
                Ok::<(), ConflictableTransactionError<Infallible>>(())
            })
            .map_err(|e| Error::Index(e.to_string()))?;
        self.db.flush().map_err(index_err)?;
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
        if self.indexed(&addr)?.is_some() {
            return Ok(addr);
        }
        let record = encode_record(&addr, &chunk, self.options.compress)?;
        let mut writer = self.lock_writer();
        if writer.pending.contains_key(&addr) || self.indexed(&addr)?.is_some() {
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
        writer.write_buffer()?;
        if writer.pending.is_empty() && writer.file_len == writer.synced_len {
            return Ok(());
        }
        writer.file.sync_data().map_err(|e| {
            Error::io(
                format!("syncing journal {}", journal_name(writer.file_id)),
                e,
            )
        })?;
        let rotate_to = (writer.file_len >= self.options.journal_file_limit)
            .then(|| writer.file_id.checked_add(1))
            .flatten();
        let next_file = match rotate_to {
            Some(next) => Some(self.create_journal(next)?),
            None => None,
        };
        self.commit(&writer, rotate_to)?;
        writer.pending.clear();
        writer.synced_len = writer.file_len;
        if let (Some(next), Some(file)) = (rotate_to, next_file) {
            writer.file_id = next;
            writer.file = file;
            writer.file_len = 0;
            writer.synced_len = 0;
        }
        Ok(())
    }

    fn get_root(&self, name: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .roots
            .get(name)
            .map_err(index_err)?
            .map(|value| value.to_vec()))
    }

    fn list_roots(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        self.roots
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
        self.flush()?;
        match self
            .roots
            .compare_and_swap(name, expected, new)
            .map_err(index_err)?
        {
            Ok(()) => {
                self.db.flush().map_err(index_err)?;
                Ok(true)
            }
            Err(_) => Ok(false),
        }
    }

    fn stats(&self) -> StoreStats {
        StoreStats {
            reads: self.reads.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
            bytes_written: self.bytes_written.load(Ordering::Relaxed),
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

// Journal record, appended to a journal file:
//   u32 LE payload_len | u8 codec | [20] address | payload (payload_len bytes)
// codec 0 (raw): payload is the chunk.
// codec 1 (lz4): payload is u32 LE uncompressed length | lz4 block (lz4_flex::compress_prepend_size),
//   used only when it is at most 7/8 of the chunk's size.
// The address is the hash of the uncompressed chunk.
fn encode_record(addr: &Hash, chunk: &[u8], compress: bool) -> Result<Vec<u8>> {
    let compressed = compress
        .then(|| lz4_flex::compress_prepend_size(chunk))
        .filter(|compressed| compressed.len() as u64 * 8 <= chunk.len() as u64 * 7);
    let (codec, payload) = match &compressed {
        Some(compressed) => (CODEC_LZ4, compressed.as_slice()),
        None => (CODEC_RAW, chunk),
    };
    // The index keeps a record's length in a u32.
    let payload_len = u32::try_from(HEADER_LEN + payload.len())
        .map(|record_len| record_len - HEADER_LEN as u32)
        .map_err(|_| Error::InvalidInput(format!("chunk of {} bytes is too big", chunk.len())))?;
    let mut record = Vec::with_capacity(HEADER_LEN + payload.len());
    record.extend_from_slice(&payload_len.to_le_bytes());
    record.push(codec);
    record.extend_from_slice(addr.as_bytes());
    record.extend_from_slice(payload);
    Ok(record)
}

/// Decodes a journal record read for `addr`, checking everything: length, address, codec, and
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
    let codec = record[4];
    let stored = Hash::from_slice(&record[5..HEADER_LEN]).unwrap_or(Hash::ZERO);
    if stored != *addr {
        return Err(corrupted(format!("record holds chunk {stored}")));
    }
    let chunk = match codec {
        CODEC_RAW => record.slice(HEADER_LEN..),
        CODEC_LZ4 => decompress(addr, &record[HEADER_LEN..])?,
        other => return Err(corrupted(format!("unknown record codec {other}"))),
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

/// Refuses an index written in another format; stamps a new, empty one with ours.
fn check_format(dir: &Path, meta: &sled::Tree, chunks: &sled::Tree) -> Result<()> {
    match meta.get(KEY_FORMAT).map_err(index_err)? {
        Some(value) => match decode_u32(&value) {
            Some(FORMAT_VERSION) => Ok(()),
            found => Err(Error::InvalidInput(format!(
                "store at {} has format version {}; this build reads version {FORMAT_VERSION}",
                dir.display(),
                found.map_or_else(|| format!("{value:?}"), |v| v.to_string()),
            ))),
        },
        None if !chunks.is_empty() || !meta.is_empty() => Err(Error::InvalidInput(format!(
            "store at {} has no format version; not a vdb store",
            dir.display()
        ))),
        None => {
            // meta `format`: u32 BE version.
            meta.insert(KEY_FORMAT, &FORMAT_VERSION.to_be_bytes()[..])
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

/// Opens (creating if missing) the active journal file and cuts it back to `synced_len`: bytes
/// past it were never acknowledged.
fn open_active(dir: &Path, file_id: u32, synced_len: u64) -> Result<File> {
    let name = journal_name(file_id);
    let path = journal_path(dir, file_id);
    let existed = path.exists();
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| Error::io(format!("opening journal {name}"), e))?;
    if !existed {
        sync_dir(&dir.join("journal"))?;
    }
    let len = file
        .metadata()
        .map_err(|e| Error::io(format!("reading journal {name}"), e))?
        .len();
    if len < synced_len {
        return Err(Error::io(
            format!("opening journal {name}"),
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("file has {len} bytes but {synced_len} were synced: it was cut short"),
            ),
        ));
    }
    if len > synced_len {
        file.set_len(synced_len)
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io(format!("truncating torn tail of journal {name}"), e))?;
    }
    Ok(file)
}

fn journal_name(file_id: u32) -> String {
    format!("{file_id:08}.jnl")
}

fn journal_path(dir: &Path, file_id: u32) -> PathBuf {
    dir.join("journal").join(journal_name(file_id))
}

/// The meta key holding the synced length of journal file `file_id`.
fn synced_key(file_id: u32) -> Vec<u8> {
    format!("journal.synced.{file_id:08}").into_bytes()
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
    fn location_round_trip() {
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
    }

    #[test]
    fn record_round_trip_both_codecs() {
        for chunk in [vec![7u8; 5000], (0..=255u8).collect::<Vec<_>>(), Vec::new()] {
            let addr = Hash::of(&chunk);
            let record = encode_record(&addr, &chunk, true).unwrap();
            assert_eq!(
                record[4],
                if chunk.len() == 5000 {
                    CODEC_LZ4
                } else {
                    CODEC_RAW
                }
            );
            assert_eq!(decode_record(&addr, &Bytes::from(record)).unwrap(), chunk);
        }
    }

    /// A store written in another format version is refused, with a message that says so.
    #[test]
    fn refuses_other_format_version() {
        let dir = tempfile::tempdir().unwrap();
        let store = DiskStore::open(dir.path(), DiskStoreOptions::default()).unwrap();
        store
            .meta
            .insert(KEY_FORMAT, &2u32.to_be_bytes()[..])
            .unwrap();
        store.db.flush().unwrap();
        drop(store);
        let err = DiskStore::open(dir.path(), DiskStoreOptions::default()).unwrap_err();
        assert!(err.to_string().contains("format version 2"), "{err}");
    }
}
