//! `FaultyStore`: wraps another chunk store and injects I/O failures, for crash tests.
//!
//! Mutating calls (`put`, each chunk of `put_many`, `flush`, `cas_root`) are numbered from 0 as
//! they arrive; reads are not numbered. A [`FaultPlan`] says which numbers fail:
//! - `crash_after(n)`: operations `0..n` reach the inner store; operation `n` fails and so does
//!   every call after it, reads included, as if the process had died. Drop the stores and reopen
//!   the inner one to see what survived.
//! - `fail_once(n)`: operation `n` fails; every other call goes through.
//!
//! A failing operation never reaches the inner store. Run a workload once with
//! [`FaultPlan::never`] and read [`FaultyStore::ops`] to know how many crash points to try.

use super::{ChunkStore, StoreStats};
use crate::error::{Error, Result};
use crate::hash::Hash;
use bytes::Bytes;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// Which mutating operations of a [`FaultyStore`] fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultPlan {
    /// Nothing fails: for counting operations.
    Never,
    /// Operation `n` and every call after it fail.
    CrashAfter(u64),
    /// Operation `n` fails; the store keeps working afterwards.
    FailOnce(u64),
}

impl FaultPlan {
    pub fn never() -> Self {
        FaultPlan::Never
    }

    /// Operations `0..n` succeed, then the store is dead.
    pub fn crash_after(n: u64) -> Self {
        FaultPlan::CrashAfter(n)
    }

    /// Operation `n` (counted from 0) fails, the others succeed.
    pub fn fail_once(n: u64) -> Self {
        FaultPlan::FailOnce(n)
    }
}

/// A [`ChunkStore`] that forwards to another and fails where its [`FaultPlan`] says.
#[derive(Debug)]
pub struct FaultyStore {
    inner: Arc<dyn ChunkStore>,
    plan: FaultPlan,
    ops: AtomicU64,
    crashed: AtomicBool,
}

impl FaultyStore {
    pub fn new(inner: Arc<dyn ChunkStore>, plan: FaultPlan) -> Self {
        Self {
            inner,
            plan,
            ops: AtomicU64::new(0),
            crashed: AtomicBool::new(false),
        }
    }

    /// Mutating operations attempted so far, failed ones included.
    pub fn ops(&self) -> u64 {
        self.ops.load(Ordering::SeqCst)
    }

    /// Whether a `crash_after` plan has fired.
    pub fn has_crashed(&self) -> bool {
        self.crashed.load(Ordering::SeqCst)
    }

    /// The wrapped store.
    pub fn inner(&self) -> &Arc<dyn ChunkStore> {
        &self.inner
    }

    /// Fails every call once the store has crashed.
    fn alive(&self) -> Result<()> {
        if self.has_crashed() {
            return Err(fault("store crashed earlier".to_string()));
        }
        Ok(())
    }

    /// Numbers a mutating operation and fails it if the plan says so.
    fn operation(&self) -> Result<()> {
        self.alive()?;
        let op = self.ops.fetch_add(1, Ordering::SeqCst);
        match self.plan {
            FaultPlan::CrashAfter(n) if op >= n => {
                self.crashed.store(true, Ordering::SeqCst);
                Err(fault(format!("crash at operation {op}")))
            }
            FaultPlan::FailOnce(n) if op == n => Err(fault(format!("failure of operation {op}"))),
            _ => Ok(()),
        }
    }
}

impl ChunkStore for FaultyStore {
    fn get(&self, addr: &Hash) -> Result<Option<Bytes>> {
        self.alive()?;
        self.inner.get(addr)
    }

    fn has(&self, addr: &Hash) -> Result<bool> {
        self.alive()?;
        self.inner.has(addr)
    }

    fn put(&self, chunk: Bytes) -> Result<Hash> {
        self.operation()?;
        self.inner.put(chunk)
    }

    fn flush(&self) -> Result<()> {
        self.operation()?;
        self.inner.flush()
    }

    fn get_root(&self, name: &str) -> Result<Option<Vec<u8>>> {
        self.alive()?;
        self.inner.get_root(name)
    }

    fn list_roots(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        self.alive()?;
        self.inner.list_roots(prefix)
    }

    fn cas_root(&self, name: &str, expected: Option<&[u8]>, new: Option<&[u8]>) -> Result<bool> {
        self.operation()?;
        self.inner.cas_root(name, expected, new)
    }

    fn stats(&self) -> StoreStats {
        self.inner.stats()
    }
}

fn fault(message: String) -> Error {
    Error::io("injected fault", std::io::Error::other(message))
}
