//! Garbage collection in the disk store: the mark, the record of what writers and readers touch
//! while a collection runs, and the sweep, which drops dead chunks from the index and compacts
//! the journal files that held them. `gc::collect` drives it; the rule it keeps is in
//! `docs/format.md` ("Garbage collection").
//!
//! Read holds (`ReadHold`) name the roots a reader reads from (a transaction's snapshot); they
//! are not bounds on the mark but extra roots: `gc::collect` walks them with the named roots,
//! and step 2 returns any held root not marked, so one taken after the walk began is walked too.
//!
//! 1. `gc_begin` flushes, so every chunk put so far is durable and indexed, and records the
//!    journal's end as the mark. Every chunk whose record lies at or after the mark (written
//!    after the collection began, or copied there by a compaction) is kept, whatever the walk
//!    finds. From now on `put`, `get` and `has` record the address they are given, before they
//!    look it up.
//! 2. `gc_finish` holds the collection state and the writer mutex, so no root changes, no chunk
//!    is written and no touch is recorded while it decides. Every address touched since the
//!    last try, every root's current value and every read-held root that lies before the mark
//!    but is not live is returned for the caller to walk; only when there is none does it sweep: index entries of
//!    unmarked chunks before the mark are removed, and touch recording stops. A put that comes
//!    later misses the index and writes its chunk again; a get of a removed chunk finds nothing.
//! 3. Compaction, still under the writer mutex: the active file is closed (a new one started)
//!    so every dead record lies in a complete file; each complete file with dead bytes has its
//!    live records copied, verified, to the active file; one fsync and one sled commit move their
//!    index entries; sled is flushed, so no crash can bring back an entry naming a removed file
//!    or a `journal.indexed` inside one; then the files are removed. A reader that found a
//!    location in a removed file looks again and finds the copy. A crash before the removal
//!    leaves old files behind, named by nothing; the next collection removes them.

use super::record::{decode_record, Location, Position};
use super::{index_err, journal_path, parse_journal_name, sync_dir, DiskStore, Writer};
use crate::error::{Error, Result};
use crate::hash::Hash;
use crate::store::{ChunkStore, GcSweep, SweepStats};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fs;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often (at most) `Epochs` records where the journal ends: the grace period's resolution.
const EPOCH_EVERY: Duration = Duration::from_secs(1);
/// Entries `Epochs` keeps: a day at one a second.
const EPOCHS_KEPT: usize = 86_400;

/// What bounds a collection's mark from above, besides the journal's end: where the journal
/// ended at past moments (for the grace period) and the live write holds.
#[derive(Debug)]
pub(super) struct Epochs {
    /// `(when, end)`: at `when`, every record before `end` had been written. Oldest first; the
    /// first is the store's opening, before which no writer of this process existed.
    ends: Mutex<VecDeque<(Instant, Position)>>,
    holds: Arc<Mutex<Holds>>,
}

#[derive(Debug, Default)]
struct Holds {
    next: u64,
    live: BTreeMap<u64, Position>,
}

/// A hold on garbage collection (see `ChunkStore::hold`): while it lives, no collection removes
/// a chunk written after it was taken.
#[derive(Debug)]
pub struct WriteHold {
    holds: Arc<Mutex<Holds>>,
    id: u64,
}

impl Drop for WriteHold {
    fn drop(&mut self) {
        self.holds
            .lock()
            .expect("lock poisoned")
            .live
            .remove(&self.id);
    }
}

/// The roots read holds name, each with the number of holds on it.
type HeldRoots = Arc<Mutex<HashMap<Hash, usize>>>;

/// The live read holds of a store (see `ChunkStore::hold_root`).
#[derive(Debug, Default)]
pub(super) struct ReadHolds {
    roots: HeldRoots,
}

impl ReadHolds {
    pub(super) fn hold(&self, root: Hash) -> ReadHold {
        ReadHold::take(&self.roots, root)
    }

    /// Every root some read hold names, in no particular order.
    pub(super) fn roots(&self) -> Vec<Hash> {
        self.roots
            .lock()
            .expect("lock poisoned")
            .keys()
            .copied()
            .collect()
    }
}

/// A hold on garbage collection for a reader (see `ChunkStore::hold_root`): while it (or a
/// clone) lives, every collection keeps everything `root` reaches, as if a named root named it.
#[derive(Debug)]
pub struct ReadHold {
    roots: HeldRoots,
    root: Hash,
}

impl ReadHold {
    fn take(roots: &HeldRoots, root: Hash) -> ReadHold {
        *roots
            .lock()
            .expect("lock poisoned")
            .entry(root)
            .or_default() += 1;
        ReadHold {
            roots: roots.clone(),
            root,
        }
    }

    /// The root the hold keeps.
    pub fn root(&self) -> Hash {
        self.root
    }
}

impl Clone for ReadHold {
    fn clone(&self) -> Self {
        ReadHold::take(&self.roots, self.root)
    }
}

impl Drop for ReadHold {
    fn drop(&mut self) {
        let mut roots = self.roots.lock().expect("lock poisoned");
        if let Some(count) = roots.get_mut(&self.root) {
            *count -= 1;
            if *count == 0 {
                roots.remove(&self.root);
            }
        }
    }
}

impl Epochs {
    pub(super) fn new(end: Position) -> Epochs {
        Epochs {
            ends: Mutex::new(VecDeque::from([(Instant::now(), end)])),
            holds: Arc::default(),
        }
    }

    /// Notes that the journal's durable end is `end` now.
    pub(super) fn record(&self, end: Position) {
        let now = Instant::now();
        let mut ends = self.ends.lock().expect("lock poisoned");
        if ends
            .back()
            .is_some_and(|(when, _)| now.duration_since(*when) < EPOCH_EVERY)
        {
            return;
        }
        if ends.len() == EPOCHS_KEPT {
            ends.pop_front();
        }
        ends.push_back((now, end));
    }

    pub(super) fn hold(&self, end: Position) -> WriteHold {
        let mut holds = self.holds.lock().expect("lock poisoned");
        let id = holds.next;
        holds.next += 1;
        holds.live.insert(id, end);
        WriteHold {
            holds: self.holds.clone(),
            id,
        }
    }

    /// The mark of a collection beginning now with `end` the journal's end: the earliest of
    /// `end`, the oldest live hold, and where the journal ended `grace` ago (or when the store
    /// was opened, if that is later: nothing from before the opening can be in flight).
    fn mark(&self, end: Position, grace: Duration) -> Position {
        let key = |p: &Position| (p.file, p.offset);
        let mut mark = end;
        if let Some(hold) = self
            .holds
            .lock()
            .expect("lock poisoned")
            .live
            .values()
            .min_by_key(|p| key(p))
        {
            mark = std::cmp::min_by_key(mark, *hold, key);
        }
        if grace.is_zero() {
            return mark;
        }
        let ends = self.ends.lock().expect("lock poisoned");
        let cutoff = Instant::now().checked_sub(grace);
        let then = cutoff
            .and_then(|cutoff| ends.iter().rev().find(|(when, _)| *when <= cutoff))
            .or(ends.front())
            .map(|(_, end)| *end);
        if let Some(then) = then {
            mark = std::cmp::min_by_key(mark, then, key);
        }
        mark
    }
}

/// A collection in progress.
#[derive(Debug)]
pub(super) struct GcState {
    /// Where the journal ended when the collection began.
    mark: Position,
    /// Addresses put, read or looked up since the last `gc_finish` try.
    touched: HashSet<Hash>,
}

impl Location {
    fn before(&self, mark: Position) -> bool {
        (self.file, self.offset) < (mark.file, mark.offset)
    }
}

impl DiskStore {
    /// Records `addr` as touched if a collection is running. Called before the address is
    /// looked up, so a collection that has not seen the touch has not yet removed anything.
    pub(super) fn touch(&self, addr: &Hash) {
        if !self.gc_active.load(Ordering::SeqCst) {
            return;
        }
        if let Some(state) = self.gc.lock().expect("lock poisoned").as_mut() {
            state.touched.insert(*addr);
        }
    }

    pub(super) fn begin_gc(&self, grace: Duration) -> Result<()> {
        let mut gc = self.gc.lock().expect("lock poisoned");
        if gc.is_some() {
            return Err(Error::Conflict(
                "a garbage collection is already running in this store".into(),
            ));
        }
        let mut writer = self.lock_writer();
        writer.usable()?;
        writer.write_buffer()?;
        self.sync_and_commit(&mut writer)?;
        let end = Position {
            file: writer.file_id,
            offset: writer.file_len,
        };
        *gc = Some(GcState {
            mark: self.epochs.mark(end, grace),
            touched: HashSet::new(),
        });
        self.gc_active.store(true, Ordering::SeqCst);
        Ok(())
    }

    pub(super) fn abort_gc(&self) {
        *self.gc.lock().expect("lock poisoned") = None;
        self.gc_active.store(false, Ordering::SeqCst);
    }

    pub(super) fn finish_gc(&self, live: &HashSet<Hash>) -> Result<GcSweep> {
        let mut gc = self.gc.lock().expect("lock poisoned");
        let Some(state) = gc.as_mut() else {
            return Err(Error::InvalidInput(
                "no garbage collection is running in this store".into(),
            ));
        };
        let mark = state.mark;
        let mut writer = self.lock_writer();
        writer.usable()?;
        let mut candidates = std::mem::take(&mut state.touched);
        for (_, value) in ChunkStore::list_roots(self, "")? {
            candidates.extend(Hash::from_slice(&value));
        }
        // A hold taken after this check is the reader's to validate (see
        // `ChunkStore::hold_root`): the sweep below may remove what it names.
        candidates.extend(self.read_holds.roots());
        let mut unresolved = Vec::new();
        for addr in candidates {
            if live.contains(&addr) {
                continue;
            }
            if self.index.location(&addr)?.is_some_and(|l| l.before(mark)) {
                unresolved.push(addr);
            }
        }
        if !unresolved.is_empty() {
            return Ok(GcSweep::Unresolved(unresolved));
        }
        let mut stats = self.remove_dead(live, mark)?;
        self.clear_cache();
        *gc = None;
        self.gc_active.store(false, Ordering::SeqCst);
        drop(gc);
        let result = self.compact(&mut writer, &mut stats);
        if let Err(e) = &result {
            writer.failed = Some(e.to_string());
        }
        result.map(|()| GcSweep::Done(stats))
    }

    /// Removes the index entry of every chunk written before `mark` that `live` lacks.
    fn remove_dead(&self, live: &HashSet<Hash>, mark: Position) -> Result<SweepStats> {
        let mut stats = SweepStats::default();
        let mut batch = sled::Batch::default();
        for entry in self.index.chunks.iter() {
            let (key, value) = entry.map_err(index_err)?;
            let Some(addr) = Hash::from_slice(&key) else {
                continue;
            };
            let location = Location::decode(&addr, &value)?;
            if location.before(mark) && !live.contains(&addr) {
                batch.remove(key);
                stats.chunks_removed += 1;
                stats.record_bytes_removed += u64::from(location.len);
            }
        }
        self.index.chunks.apply_batch(batch).map_err(index_err)?;
        Ok(stats)
    }

    /// Step 3 of the module docs: copies the live records out of every complete journal file
    /// that holds dead bytes, then removes those files.
    fn compact(&self, writer: &mut Writer, stats: &mut SweepStats) -> Result<()> {
        writer.write_buffer()?;
        self.sync_and_commit(writer)?;
        if writer.file_len > 0 {
            self.rotate(writer)?;
            let start = Position {
                file: writer.file_id,
                offset: 0,
            };
            self.index.commit(&HashMap::new(), &[], start)?;
        }
        let active = writer.file_id;
        let mut by_file: BTreeMap<u32, Vec<(Hash, Location)>> = BTreeMap::new();
        for entry in self.index.chunks.iter() {
            let (key, value) = entry.map_err(index_err)?;
            let Some(addr) = Hash::from_slice(&key) else {
                continue;
            };
            let location = Location::decode(&addr, &value)?;
            if location.file < active {
                by_file
                    .entry(location.file)
                    .or_default()
                    .push((addr, location));
            }
        }
        let mut removable = Vec::new();
        for id in self.journal_files_before(active)? {
            let size = fs::metadata(journal_path(&self.dir, id))
                .map_err(|e| Error::io(format!("sizing journal {}", super::journal_name(id)), e))?
                .len();
            let mut records = by_file.remove(&id).unwrap_or_default();
            let live_bytes: u64 = records.iter().map(|(_, l)| u64::from(l.len)).sum();
            if live_bytes >= size {
                continue;
            }
            records.sort_by_key(|(_, l)| l.offset);
            for (addr, location) in records {
                let record = self.read_record(&addr, location)?;
                decode_record(&addr, &record)?;
                writer.append(addr, &record);
                stats.chunks_moved += 1;
                if writer.buffer.len() > self.options.write_buffer {
                    writer.write_buffer()?;
                }
            }
            stats.bytes_reclaimed += size - live_bytes;
            removable.push(id);
        }
        writer.write_buffer()?;
        self.sync_and_commit(writer)?;
        self.index.db.flush().map_err(index_err)?;
        for id in &removable {
            self.readers.write().expect("lock poisoned").remove(id);
            let path = journal_path(&self.dir, *id);
            fs::remove_file(&path)
                .map_err(|e| Error::io(format!("removing {}", path.display()), e))?;
        }
        stats.files_removed = removable.len() as u64;
        if !removable.is_empty() {
            sync_dir(&self.dir.join("journal"))?;
        }
        Ok(())
    }

    /// Ids of the journal files on disk below `active`, in order.
    fn journal_files_before(&self, active: u32) -> Result<Vec<u32>> {
        let dir = self.dir.join("journal");
        let list_err = |e| Error::io(format!("listing {}", dir.display()), e);
        let mut ids = Vec::new();
        for entry in fs::read_dir(&dir).map_err(list_err)? {
            let entry = entry.map_err(list_err)?;
            if let Some(id) = parse_journal_name(&entry.file_name()).filter(|id| *id < active) {
                ids.push(id);
            }
        }
        ids.sort_unstable();
        Ok(ids)
    }
}
