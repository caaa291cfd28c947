//! The server's backends, as `pg_stat_activity` lists them and `pg_cancel_backend` /
//! `pg_terminate_backend` reach them.
//!
//! A process-wide registry: the wire server registers each client connection's session
//! ([`crate::Session::register_backend`]) and reports its statements as they start and end;
//! the entry goes when the session does. Sessions of the embedded `vdb sql` are not backends
//! and are not listed, as PostgreSQL lists only its server's connections.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::interrupt::CancelHandle;

/// What `pg_stat_activity` shows of one backend. Times are microseconds since 2000-01-01
/// UTC (`timestamptz` values).
#[derive(Clone, Debug)]
pub struct Backend {
    pub pid: i32,
    pub database: String,
    pub user: String,
    pub application_name: String,
    /// The client's address and port (`None` for a client on a Unix socket).
    pub client: Option<(String, i32)>,
    pub backend_start: i64,
    /// When the open transaction began (`None` between transactions).
    pub xact_start: Option<i64>,
    /// When the last statement began (`None` before the first).
    pub query_start: Option<i64>,
    pub state_change: i64,
    /// `active`, `idle`, `idle in transaction` or `idle in transaction (aborted)`.
    pub state: &'static str,
    /// The running statement's text, or the last one's while idle.
    pub query: String,
}

/// How another session stops a backend: its running statement's cancel handle, and what
/// ends its connection (`pg_terminate_backend`), which the wire server supplies.
pub type Terminate = Arc<dyn Fn() + Send + Sync>;

struct Entry {
    backend: Backend,
    cancel: CancelHandle,
    terminate: Terminate,
}

/// The registered backends by registration number (two servers in one process may hand out
/// the same process ID, so the ID is not the key).
static BACKENDS: Mutex<BTreeMap<u64, Entry>> = Mutex::new(BTreeMap::new());
static NEXT: AtomicU64 = AtomicU64::new(1);

/// The longest statement text kept (PostgreSQL's default `track_activity_query_size`).
const QUERY_TEXT_LIMIT: usize = 1024;

fn backends() -> std::sync::MutexGuard<'static, BTreeMap<u64, Entry>> {
    BACKENDS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A backend's place in the registry; dropping it removes the backend.
#[derive(Debug)]
pub struct Registration(u64);

impl Drop for Registration {
    fn drop(&mut self) {
        backends().remove(&self.0);
    }
}

/// Adds `backend` to the registry.
pub fn register(backend: Backend, cancel: CancelHandle, terminate: Terminate) -> Registration {
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    backends().insert(
        id,
        Entry {
            backend,
            cancel,
            terminate,
        },
    );
    Registration(id)
}

impl Registration {
    /// Changes what the registry shows of this backend.
    pub fn update(&self, change: impl FnOnce(&mut Backend)) {
        if let Some(entry) = backends().get_mut(&self.0) {
            change(&mut entry.backend);
        }
    }
}

/// Cuts a statement's text to what `pg_stat_activity.query` keeps, at a character boundary.
pub fn query_text(sql: &str) -> String {
    if sql.len() < QUERY_TEXT_LIMIT {
        return sql.to_string();
    }
    let mut end = QUERY_TEXT_LIMIT - 1;
    while !sql.is_char_boundary(end) {
        end -= 1;
    }
    sql[..end].to_string()
}

/// Every registered backend, by process ID.
pub fn list() -> Vec<Backend> {
    let mut all: Vec<Backend> = backends().values().map(|e| e.backend.clone()).collect();
    all.sort_by_key(|b| b.pid);
    all
}

/// The backend with process ID `pid`, if one is registered.
pub fn find(pid: i32) -> Option<Backend> {
    backends()
        .values()
        .find(|e| e.backend.pid == pid)
        .map(|e| e.backend.clone())
}

/// Cancels the running statement of each backend with process ID `pid`; whether there was
/// one.
pub fn cancel(pid: i32) -> bool {
    let found: Vec<CancelHandle> = backends()
        .values()
        .filter(|e| e.backend.pid == pid)
        .map(|e| e.cancel.clone())
        .collect();
    for handle in &found {
        handle.cancel();
    }
    !found.is_empty()
}

/// Ends the connection of each backend with process ID `pid` (`self_pid` is the caller's
/// own: its statement finishes before its connection ends); whether there was one.
pub fn terminate(pid: i32, self_pid: i32) -> bool {
    let found: Vec<(CancelHandle, Terminate)> = backends()
        .values()
        .filter(|e| e.backend.pid == pid)
        .map(|e| (e.cancel.clone(), e.terminate.clone()))
        .collect();
    // The callbacks run outside the registry's lock: they may take other locks.
    for (handle, terminate) in &found {
        terminate();
        if pid != self_pid {
            handle.cancel();
        }
    }
    !found.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    fn backend(pid: i32) -> Backend {
        Backend {
            pid,
            database: "db".into(),
            user: "u".into(),
            application_name: String::new(),
            client: None,
            backend_start: 0,
            xact_start: None,
            query_start: None,
            state_change: 0,
            state: "idle",
            query: String::new(),
        }
    }

    #[test]
    fn registration_lists_updates_and_leaves() {
        // Process IDs far from any other test's.
        let registration = register(backend(-7001), CancelHandle::default(), Arc::new(|| {}));
        registration.update(|b| {
            b.state = "active";
            b.query = "SELECT 1".into();
        });
        let listed: Vec<Backend> = list().into_iter().filter(|b| b.pid == -7001).collect();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].state, listed[0].query.as_str()),
            ("active", "SELECT 1")
        );
        drop(registration);
        assert!(list().iter().all(|b| b.pid != -7001));
        assert!(!cancel(-7001));
    }

    #[test]
    fn terminate_calls_back_and_cancels_only_other_backends() {
        let ended = Arc::new(AtomicBool::new(false));
        let flag = ended.clone();
        let cancel_handle = CancelHandle::default();
        let _registration = register(
            backend(-7002),
            cancel_handle.clone(),
            Arc::new(move || flag.store(true, Ordering::SeqCst)),
        );
        assert!(terminate(-7002, -7002));
        assert!(ended.load(Ordering::SeqCst));
        assert!(!cancel_handle.requested());
        assert!(terminate(-7002, 1));
        assert!(cancel_handle.requested());
        assert!(!terminate(-7003, 1));
    }

    #[test]
    fn long_statements_are_cut_at_a_character_boundary() {
        let long = "é".repeat(QUERY_TEXT_LIMIT);
        let cut = query_text(&long);
        assert!(cut.len() < QUERY_TEXT_LIMIT);
        assert!(long.starts_with(&cut));
        assert_eq!(query_text("SELECT 1"), "SELECT 1");
    }
}
