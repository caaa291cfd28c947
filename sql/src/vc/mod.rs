//! Version control from SQL: what lets a PostgreSQL client branch, commit, diff, merge and read
//! history without the CLI, following Doltgres's conventions with a `vdb` prefix.
//!
//! - [`procedures`]: `SELECT vdb_commit('-am', 'msg')`, `vdb_merge`, `vdb_checkout`... Each
//!   changes the repository (or the session's branch), so the session runs them itself, outside
//!   any plan, when a statement is exactly one such call (`SELECT f(...)`,
//!   `SELECT * FROM f(...)` or `CALL f(...)`); arguments are git-style strings, parsed with the
//!   same conventions as the CLI.
//! - [`tables`]: the `vdb` schema's system tables (`vdb.log`, `vdb.branches`, `vdb.status`...),
//!   computed from the repository when a statement is planned.
//! - [`history`]: what reads other revisions: `t AS OF 'rev'`, `vdb_history_t`, `vdb_diff_t`,
//!   `vdb_diff(from, to, t)` and friends. They plan to [`crate::planner::Plan::VersionScan`] and
//!   [`crate::planner::Plan::RowDiff`] nodes, whose per-version tags (commit hash, date) the
//!   optimizer uses to skip versions a filter rules out.
//! - [`resolve`]: `DELETE FROM vdb_conflicts_t` and `UPDATE vdb_conflicts_t SET our_...`,
//!   which the session runs against the working set.
//! - [`as_of`]: the text rewrite that lets sqlparser read `t AS OF 'rev'`.
//!
//! Everything reaches the repository through the statement's [`VcContext`] (in the planning
//! [`crate::system::Snapshot`]): the repository, the session's branch, and whether the session
//! is pinned to a revision (read-only).

pub mod as_of;
pub mod history;
pub mod patch;
pub mod procedures;
pub mod remotes;
pub mod resolve;
pub mod tables;
pub mod verify;

use std::sync::{Arc, Mutex, PoisonError};

use vdb_engine::repo::{Commit, Repository};
use vdb_engine::store::ReadHold;
use vdb_engine::value::Value;
use vdb_engine::Error as EngineError;
use vdb_engine::Hash;

use crate::error::{Error, Result};

/// The repository a statement runs in, and the session's place in it.
#[derive(Clone, Debug)]
pub struct VcContext {
    pub repo: Arc<Repository>,
    /// The session's branch (what `HEAD`, `WORKING` and `STAGED` mean).
    pub branch: String,
    /// The revision a read-only session is pinned to (`db/v1`), if any.
    pub pinned: Option<String>,
    /// Holds on the roots the statement reads besides its own (`AS OF`, a diff's `WORKING`),
    /// taken by [`Self::read_root`] and let go with the statement's last clone of the context.
    pub holds: Arc<Mutex<Vec<ReadHold>>>,
    /// The session's notification mailbox ([`crate::notify::Listener::id`]), 0 for none.
    pub listener: u64,
    /// The process ID the session's client was given (`pg_backend_pid()`).
    pub process_id: i32,
}

impl VcContext {
    /// The commit `rev` names: a branch, tag, hash, `HEAD~n`..., or else a timestamp, meaning
    /// the last commit on the session's branch at or before it.
    pub fn resolve_commit(&self, rev: &str) -> Result<Hash> {
        match self.repo.resolve_on(&self.branch, rev) {
            Ok(hash) => Ok(hash),
            Err(e) => match self.commit_at_time(rev)? {
                Some(hash) => Ok(hash),
                None => Err(vc_error(e)),
            },
        }
    }

    /// The root value address `rev` names: a commit as [`Self::resolve_commit`] resolves it, or
    /// `WORKING` / `STAGED` of the session's branch.
    pub fn resolve_root(&self, rev: &str) -> Result<Hash> {
        match self.repo.resolve_root_on(&self.branch, rev) {
            Ok(hash) => Ok(hash),
            Err(e) => match self.commit_at_time(rev)? {
                Some(hash) => Ok(self.commit(hash)?.root),
                None => Err(vc_error(e)),
            },
        }
    }

    /// [`Self::resolve_root`] for a statement that reads the root: it is held from garbage
    /// collection while this context lives, since another session may replace a working root,
    /// or move the ref that reaches a commit, while the statement reads it.
    pub fn read_root(&self, rev: &str) -> Result<Hash> {
        let (root, hold) = self.repo.hold_read(|| self.resolve_root(rev))?;
        self.holds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(hold);
        Ok(root)
    }

    /// If `text` is a timestamp, the newest commit reachable from the branch's head whose
    /// commit time is at or before it (`Err` with 22023 if none is that old).
    fn commit_at_time(&self, text: &str) -> Result<Option<Hash>> {
        let Ok(micros) = crate::types::datetime::parse_timestamp(text, true) else {
            return Ok(None);
        };
        let head = self.repo.branch_head(&self.branch).map_err(vc_error)?;
        let mut best: Option<(i64, Hash)> = None;
        for entry in
            vdb_engine::repo::Ancestors::new(&**self.repo.store(), &[head]).map_err(vc_error)?
        {
            let (hash, commit) = entry.map_err(vc_error)?;
            let at = pg_micros(commit.committer.time_ms);
            if at <= micros && best.is_none_or(|(t, _)| at > t) {
                best = Some((at, hash));
            }
        }
        match best {
            Some((_, hash)) => Ok(Some(hash)),
            None => Err(Error::invalid(
                "22023",
                format!("no commit on branch {} at or before {text}", self.branch),
            )),
        }
    }

    pub fn commit(&self, hash: Hash) -> Result<Commit> {
        self.repo.commit_info(hash).map_err(vc_error)
    }

    /// 25006 if the session is pinned to a revision.
    pub fn check_writable(&self, what: &str) -> Result<()> {
        match &self.pinned {
            Some(rev) => Err(read_only(what, rev)),
            None => Ok(()),
        }
    }
}

/// 25006: a write in a session pinned to a revision that is not a branch.
pub fn read_only(what: &str, rev: &str) -> Error {
    Error::invalid(
        "25006",
        format!("cannot execute {what} in a read-only transaction: revision {rev} is not a branch"),
    )
}

/// A commit time (Unix milliseconds) as a `timestamptz` value's microseconds since 2000-01-01.
pub fn pg_micros(unix_ms: i64) -> i64 {
    unix_ms * 1000 - 946_684_800_000_000
}

/// A commit time as a `timestamptz` value.
pub fn commit_time(unix_ms: i64) -> Value {
    Value::TimestampTz(pg_micros(unix_ms))
}

/// An engine error from a version-control operation, with the SQLSTATE a client can act on:
/// bad arguments and unknown names are 22023 / 42704, a lost race 40001, a pinned revision 25006.
pub fn vc_error(e: EngineError) -> Error {
    match e {
        EngineError::InvalidInput(m) => Error::invalid("22023", m),
        EngineError::NotFound(m) => Error::invalid("42704", m),
        EngineError::ReadOnly(m) => Error::invalid("25006", m),
        other => Error::engine("version control", other),
    }
}

/// `Value::Text`.
pub(crate) fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}
