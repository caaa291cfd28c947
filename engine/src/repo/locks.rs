//! Row locks: which transaction of this process is writing which row of a branch, so that two
//! writers of one row wait for each other, as PostgreSQL's writers wait for a row lock, instead
//! of racing and failing each other at commit.
//!
//! Locks order writers; they are not what keeps them correct. Every commit is still merged
//! into the working root it finds and checked against what others committed since its snapshot
//! (`merge_roots`, `row_changed_by_both`), so a writer that takes no lock (another process, or
//! a `vdb` command) can make a transaction fail with a serialization error but cannot make it
//! lose an update.
//!
//! A lock is held by a [`LockOwner`] (one transaction) until the owner is dropped. There are two
//! kinds, both per branch:
//! - a row lock on one primary key of one table, taken for each row a statement changed;
//! - the branch lock, taken by what cannot name its rows (`SELECT ... FOR UPDATE`, a statement
//!   that changes a schema or very many rows). It excludes every other owner's row locks and
//!   branch lock on that branch; an owner's own locks never block it.
//!
//! A request is granted whole or not at all. A waiting owner records whom it waits for; a
//! request whose wait would close a cycle of waiters fails at once as a deadlock, and only the
//! owner that closes the cycle fails.

use crate::table::RootValue;
use crate::{prolly::NodeStore, Result};
use bytes::Bytes;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A row: table name and encoded primary key.
pub type RowKey = (String, Bytes);

/// The locks of one repository's transactions, shared by its sessions.
#[derive(Debug, Default)]
pub struct LockTable {
    state: Mutex<State>,
    /// Signalled whenever an owner releases its locks.
    released: Condvar,
    next_owner: AtomicU64,
}

#[derive(Debug, Default)]
struct State {
    /// Row locks by branch, then row.
    rows: HashMap<String, HashMap<RowKey, u64>>,
    /// The branch lock's holder, by branch.
    branch: HashMap<String, u64>,
    /// The owners holding row locks on a branch, with how many.
    row_holders: HashMap<String, HashMap<u64, usize>>,
    /// What each owner holds, to release it.
    held: HashMap<u64, Held>,
    /// For each waiting owner, the owners it waits for.
    waits_for: HashMap<u64, Vec<u64>>,
}

#[derive(Debug, Default)]
struct Held {
    rows: Vec<(String, RowKey)>,
    branches: Vec<String>,
}

/// One transaction's locks, released when it is dropped.
#[derive(Debug)]
pub struct LockOwner {
    table: Arc<LockTable>,
    id: u64,
}

/// How a lock request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockWait {
    /// Every lock asked for is held.
    Granted,
    /// Still taken by others after the wait; nothing more is held. The owner still counts as
    /// waiting until it asks again, gives up ([`LockOwner::stop_waiting`]) or is dropped.
    Waiting,
    /// Waiting would close a cycle of waiters; nothing more is held.
    Deadlock,
}

/// What one request asks for.
#[derive(Clone, Copy)]
enum Request<'a> {
    Rows(&'a [RowKey]),
    Branch,
}

impl LockTable {
    /// A new owner, holding nothing.
    pub fn owner(self: &Arc<Self>) -> LockOwner {
        LockOwner {
            table: Arc::clone(self),
            id: self.next_owner.fetch_add(1, Ordering::Relaxed),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while the state was held leaves at worst a stale lock of a dead session.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn acquire(&self, owner: u64, branch: &str, request: Request<'_>, wait: Duration) -> LockWait {
        let deadline = Instant::now() + wait;
        let mut state = self.lock();
        loop {
            let blockers = state.blockers(owner, branch, &request);
            if blockers.is_empty() {
                state.grant(owner, branch, &request);
                state.waits_for.remove(&owner);
                return LockWait::Granted;
            }
            state.waits_for.insert(owner, blockers);
            if state.closes_cycle(owner) {
                state.waits_for.remove(&owner);
                return LockWait::Deadlock;
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return LockWait::Waiting;
            };
            state = self
                .released
                .wait_timeout(state, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    fn release(&self, owner: u64) {
        let mut state = self.lock();
        state.waits_for.remove(&owner);
        let Some(held) = state.held.remove(&owner) else {
            return;
        };
        for (branch, row) in held.rows {
            if let Some(rows) = state.rows.get_mut(&branch) {
                rows.remove(&row);
                if rows.is_empty() {
                    state.rows.remove(&branch);
                }
            }
        }
        for branch in held.branches {
            state.branch.remove(&branch);
        }
        state.row_holders.retain(|_, holders| {
            holders.remove(&owner);
            !holders.is_empty()
        });
        drop(state);
        self.released.notify_all();
    }

    /// How many owners are waiting for a lock (for tests and diagnostics).
    pub fn waiting(&self) -> usize {
        self.lock().waits_for.len()
    }

    /// How many row locks are held, on every branch (for tests and diagnostics).
    pub fn row_locks_held(&self) -> usize {
        self.lock().rows.values().map(HashMap::len).sum()
    }
}

impl State {
    /// The other owners whose locks stand in the way of `request`.
    fn blockers(&self, owner: u64, branch: &str, request: &Request<'_>) -> Vec<u64> {
        let mut out = HashSet::new();
        if let Some(&holder) = self.branch.get(branch) {
            if holder != owner {
                out.insert(holder);
            }
        }
        match request {
            Request::Rows(rows) => {
                if let Some(held) = self.rows.get(branch) {
                    for row in rows.iter() {
                        match held.get(row) {
                            Some(&holder) if holder != owner => {
                                out.insert(holder);
                            }
                            _ => {}
                        }
                    }
                }
            }
            Request::Branch => {
                if let Some(holders) = self.row_holders.get(branch) {
                    out.extend(holders.keys().filter(|&&h| h != owner));
                }
            }
        }
        let mut out: Vec<u64> = out.into_iter().collect();
        out.sort_unstable();
        out
    }

    fn grant(&mut self, owner: u64, branch: &str, request: &Request<'_>) {
        match request {
            Request::Rows(rows) => {
                let held = self.rows.entry(branch.to_string()).or_default();
                let mut new = Vec::new();
                for row in rows.iter() {
                    if !held.contains_key(row) {
                        held.insert(row.clone(), owner);
                        new.push((branch.to_string(), row.clone()));
                    }
                }
                if !new.is_empty() {
                    *self
                        .row_holders
                        .entry(branch.to_string())
                        .or_default()
                        .entry(owner)
                        .or_default() += new.len();
                    self.held.entry(owner).or_default().rows.extend(new);
                }
            }
            Request::Branch => {
                if self.branch.insert(branch.to_string(), owner).is_none() {
                    self.held
                        .entry(owner)
                        .or_default()
                        .branches
                        .push(branch.to_string());
                }
            }
        }
    }

    /// Whether `owner`'s wait reaches `owner` again through the others' waits.
    fn closes_cycle(&self, owner: u64) -> bool {
        let mut seen = HashSet::new();
        let mut stack: Vec<u64> = self.waits_for.get(&owner).cloned().unwrap_or_default();
        while let Some(next) = stack.pop() {
            if next == owner {
                return true;
            }
            if seen.insert(next) {
                if let Some(waits) = self.waits_for.get(&next) {
                    stack.extend(waits);
                }
            }
        }
        false
    }
}

impl LockOwner {
    /// Locks `rows` of `branch`, waiting up to `wait` for their holders.
    pub fn lock_rows(&self, branch: &str, rows: &[RowKey], wait: Duration) -> LockWait {
        self.table
            .acquire(self.id, branch, Request::Rows(rows), wait)
    }

    /// Takes the branch lock of `branch`, waiting up to `wait` for the other owners' locks there.
    pub fn lock_branch(&self, branch: &str, wait: Duration) -> LockWait {
        self.table.acquire(self.id, branch, Request::Branch, wait)
    }

    /// Gives up a wait that ended [`LockWait::Waiting`]: others no longer see this owner wait.
    pub fn stop_waiting(&self) {
        self.table.lock().waits_for.remove(&self.id);
    }

    /// Whether this owner holds any lock.
    pub fn holds_any(&self) -> bool {
        self.table.lock().held.contains_key(&self.id)
    }
}

impl Drop for LockOwner {
    fn drop(&mut self) {
        self.table.release(self.id);
    }
}

/// The rows a statement changed going from `before` to `after`: every primary key added,
/// removed or changed in a table both have with one schema. `None` when the change cannot be
/// named by rows: a table created, dropped or altered, a view, type, function or domain
/// changed, or more than `limit` rows.
pub fn changed_rows(
    ns: &NodeStore,
    before: &RootValue,
    after: &RootValue,
    limit: usize,
) -> Result<Option<Vec<RowKey>>> {
    if !before.same_definitions(after) {
        return Ok(None);
    }
    let mut out = Vec::new();
    for name in after.table_names() {
        let (Some(b), Some(a)) = (before.table_addr(name), after.table_addr(name)) else {
            return Ok(None);
        };
        if a == b {
            continue;
        }
        let (b, a) = (
            crate::table::Table::load(ns, b)?,
            crate::table::Table::load(ns, a)?,
        );
        if b.schema() != a.schema() {
            return Ok(None);
        }
        for change in b.rows().diff(a.rows()) {
            out.push((name.to_string(), change?.key().clone()));
            if out.len() > limit {
                return Ok(None);
            }
        }
    }
    Ok(Some(out))
}

/// Whether any of `rows` differs between `older` and `newer` (a table missing from either
/// counts as a difference).
pub fn rows_differ(
    ns: &NodeStore,
    older: &RootValue,
    newer: &RootValue,
    rows: &[RowKey],
) -> Result<bool> {
    let mut tables: HashMap<&str, (crate::table::Table, crate::table::Table)> = HashMap::new();
    for (name, key) in rows {
        let (Some(o), Some(n)) = (older.table_addr(name), newer.table_addr(name)) else {
            return Ok(true);
        };
        if o == n {
            continue;
        }
        if !tables.contains_key(name.as_str()) {
            let pair = (
                crate::table::Table::load(ns, o)?,
                crate::table::Table::load(ns, n)?,
            );
            tables.insert(name.as_str(), pair);
        }
        let (o, n) = &tables[name.as_str()];
        if o.rows().get(key)? != n.rows().get(key)? {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(table: &str, key: &[u8]) -> RowKey {
        (table.to_string(), Bytes::copy_from_slice(key))
    }

    const NOW: Duration = Duration::ZERO;

    #[test]
    fn one_row_has_one_writer_at_a_time() {
        let table = Arc::new(LockTable::default());
        let (a, b) = (table.owner(), table.owner());
        let r1 = [row("t", b"1")];
        assert_eq!(a.lock_rows("main", &r1, NOW), LockWait::Granted);
        assert_eq!(a.lock_rows("main", &r1, NOW), LockWait::Granted, "again");
        assert_eq!(b.lock_rows("main", &r1, NOW), LockWait::Waiting);
        assert_eq!(b.lock_rows("other", &r1, NOW), LockWait::Granted);
        assert_eq!(
            b.lock_rows("main", &[row("t", b"2")], NOW),
            LockWait::Granted
        );
        assert_eq!(table.row_locks_held(), 3);
        drop(a);
        assert_eq!(b.lock_rows("main", &r1, NOW), LockWait::Granted);
        drop(b);
        assert_eq!(table.row_locks_held(), 0);
    }

    #[test]
    fn a_request_is_granted_whole_or_not_at_all() {
        let table = Arc::new(LockTable::default());
        let (a, b) = (table.owner(), table.owner());
        assert_eq!(
            a.lock_rows("main", &[row("t", b"2")], NOW),
            LockWait::Granted
        );
        let both = [row("t", b"1"), row("t", b"2")];
        assert_eq!(b.lock_rows("main", &both, NOW), LockWait::Waiting);
        b.stop_waiting();
        assert!(!b.holds_any());
        assert_eq!(table.row_locks_held(), 1);
    }

    #[test]
    fn the_branch_lock_excludes_the_others_rows() {
        let table = Arc::new(LockTable::default());
        let (a, b) = (table.owner(), table.owner());
        assert_eq!(
            a.lock_rows("main", &[row("t", b"1")], NOW),
            LockWait::Granted
        );
        assert_eq!(b.lock_branch("main", NOW), LockWait::Waiting);
        b.stop_waiting();
        assert_eq!(a.lock_branch("main", NOW), LockWait::Granted, "own rows");
        assert_eq!(
            b.lock_rows("main", &[row("t", b"9")], NOW),
            LockWait::Waiting
        );
        b.stop_waiting();
        drop(a);
        assert_eq!(b.lock_branch("main", NOW), LockWait::Granted);
    }

    #[test]
    fn the_owner_that_closes_a_cycle_fails_and_only_it() {
        let table = Arc::new(LockTable::default());
        let (a, b, c) = (table.owner(), table.owner(), table.owner());
        let (r1, r2, r3) = ([row("t", b"1")], [row("t", b"2")], [row("t", b"3")]);
        assert_eq!(a.lock_rows("main", &r1, NOW), LockWait::Granted);
        assert_eq!(b.lock_rows("main", &r2, NOW), LockWait::Granted);
        assert_eq!(c.lock_rows("main", &r3, NOW), LockWait::Granted);
        // a waits for b, b waits for c: no cycle yet.
        assert_eq!(a.lock_rows("main", &r2, NOW), LockWait::Waiting);
        assert_eq!(b.lock_rows("main", &r3, NOW), LockWait::Waiting);
        // c waiting for a would close a -> b -> c -> a.
        assert_eq!(c.lock_rows("main", &r1, NOW), LockWait::Deadlock);
        // The others still wait; once c is gone, b gets its row.
        drop(c);
        assert_eq!(b.lock_rows("main", &r3, NOW), LockWait::Granted);
        // a's wait for b is still recorded; b waiting for a is a cycle.
        assert_eq!(b.lock_rows("main", &r1, NOW), LockWait::Deadlock);
        a.stop_waiting();
        assert_eq!(b.lock_rows("main", &r1, NOW), LockWait::Waiting);
    }

    /// One step of [`the_table_agrees_with_a_model`].
    #[derive(Clone, Debug)]
    enum Op {
        /// Owner slot, branch, rows (`None`: the branch lock).
        Lock(usize, usize, Option<Vec<u8>>),
        StopWaiting(usize),
        /// The slot's owner is dropped and a fresh one takes its place.
        Replace(usize),
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            6 => (0..4usize, 0..2usize, proptest::option::weighted(
                0.8,
                proptest::collection::vec(0..5u8, 1..3)
            ))
                .prop_map(|(o, b, rows)| Op::Lock(o, b, rows)),
            1 => (0..4usize).prop_map(Op::StopWaiting),
            2 => (0..4usize).prop_map(Op::Replace),
        ]
    }

    /// The model: what each slot holds and whom it waits for, with deadlocks found by a
    /// transitive closure of the waits rather than the table's search.
    #[derive(Default)]
    struct Model {
        rows: [HashSet<(usize, u8)>; 4],
        branches: [HashSet<usize>; 4],
        waits: HashMap<usize, HashSet<usize>>,
    }

    impl Model {
        fn request(&mut self, o: usize, branch: usize, rows: Option<&[u8]>) -> LockWait {
            let blockers: HashSet<usize> = (0..4)
                .filter(|&h| h != o)
                .filter(|&h| {
                    self.branches[h].contains(&branch)
                        || match rows {
                            Some(rows) => rows.iter().any(|r| self.rows[h].contains(&(branch, *r))),
                            None => self.rows[h].iter().any(|(b, _)| *b == branch),
                        }
                })
                .collect();
            if blockers.is_empty() {
                match rows {
                    Some(rows) => self.rows[o].extend(rows.iter().map(|r| (branch, *r))),
                    None => {
                        self.branches[o].insert(branch);
                    }
                }
                self.waits.remove(&o);
                return LockWait::Granted;
            }
            self.waits.insert(o, blockers);
            let mut reach: HashSet<usize> = self.waits[&o].clone();
            loop {
                let next: HashSet<usize> = reach
                    .iter()
                    .filter_map(|w| self.waits.get(w))
                    .flatten()
                    .copied()
                    .collect();
                if next.is_subset(&reach) {
                    break;
                }
                reach.extend(next);
            }
            if reach.contains(&o) {
                self.waits.remove(&o);
                LockWait::Deadlock
            } else {
                LockWait::Waiting
            }
        }

        /// The slot's owner goes: its locks, its wait, and others' waits for it (the slot's
        /// next owner is someone else).
        fn release(&mut self, o: usize) {
            self.rows[o].clear();
            self.branches[o].clear();
            self.waits.remove(&o);
            for blockers in self.waits.values_mut() {
                blockers.remove(&o);
            }
        }
    }

    proptest::proptest! {
        /// Random lock requests, gave-up waits and dropped owners over four owners, two
        /// branches and five rows: the table grants, refuses and finds deadlocks as a model
        /// that recomputes everything from what each owner holds.
        #[test]
        fn the_table_agrees_with_a_model(ops in proptest::collection::vec(op(), 1..60)) {
            let table = Arc::new(LockTable::default());
            let mut owners: Vec<LockOwner> = (0..4).map(|_| table.owner()).collect();
            let mut model = Model::default();
            let branch_name = |b: usize| format!("b{b}");
            for op in ops {
                match op {
                    Op::Lock(o, b, rows) => {
                        let got = match &rows {
                            Some(rows) => {
                                let keys: Vec<RowKey> =
                                    rows.iter().map(|r| row("t", &[*r])).collect();
                                owners[o].lock_rows(&branch_name(b), &keys, NOW)
                            }
                            None => owners[o].lock_branch(&branch_name(b), NOW),
                        };
                        let want = model.request(o, b, rows.as_deref());
                        proptest::prop_assert_eq!(got, want, "{:?}", (o, b, rows));
                    }
                    Op::StopWaiting(o) => {
                        owners[o].stop_waiting();
                        model.waits.remove(&o);
                    }
                    Op::Replace(o) => {
                        owners[o] = table.owner();
                        model.release(o);
                    }
                }
                let held: usize = model.rows.iter().map(HashSet::len).sum();
                proptest::prop_assert_eq!(table.row_locks_held(), held);
                proptest::prop_assert_eq!(table.waiting(), model.waits.len());
                for (o, owner) in owners.iter().enumerate() {
                    let any = !model.rows[o].is_empty() || !model.branches[o].is_empty();
                    proptest::prop_assert_eq!(owner.holds_any(), any);
                }
            }
        }
    }

    #[test]
    fn a_waiter_wakes_when_the_holder_goes() {
        let table = Arc::new(LockTable::default());
        let a = table.owner();
        let r1 = [row("t", b"1")];
        assert_eq!(a.lock_rows("main", &r1, NOW), LockWait::Granted);
        let waiter = {
            let table = Arc::clone(&table);
            std::thread::spawn(move || {
                let b = table.owner();
                b.lock_rows("main", &r1, Duration::from_secs(30))
            })
        };
        while table.lock().waits_for.is_empty() {
            std::thread::yield_now();
        }
        drop(a);
        assert_eq!(waiter.join().unwrap(), LockWait::Granted);
    }
}
