//! A session: runs SQL text against one branch of a repository, statement by statement, with
//! PostgreSQL's transaction behaviour.
//!
//! Outside a transaction block each statement autocommits: it reads the branch's working root,
//! applies its changes to a copy, and writes the copy back if the working root is still the one
//! it read; if not, the two are three-way merged, and a statement that wrote a row a concurrent
//! writer also wrote runs again on the new root (PostgreSQL's READ COMMITTED re-evaluates such
//! a row too). `BEGIN` takes a snapshot (the base) and the block works on its own root; `COMMIT`
//! swaps that root in if the working root is unchanged since `BEGIN`, and otherwise three-way
//! merges (base, current working root, the block's root) and fails with 40001, applying
//! nothing, if the merge has conflicts or both wrote one row (PostgreSQL's REPEATABLE READ).
//! An error inside a block puts it in the failed state: every statement then fails with 25P02
//! until `ROLLBACK` (a `COMMIT` of a failed block reports `ROLLBACK`).
//!
//! The session's temporary tables ([`crate::temp`]) ride along: laid over the root each
//! statement reads, split off before that root is compared, merged or published, and saved
//! and restored with BEGIN, savepoints and ROLLBACK.
//!
//! Garbage collection: every root a session reads from is held ([`ReadHold`]) while it reads:
//! an autocommit statement's working root for the statement, a block's base for the block, a
//! pinned session's revision for the session, an `AS OF` read's root for its statement
//! ([`VcContext::read_root`]). So another session replacing the working root,
//! and a collection that then removes what no ref reaches, never take a chunk from under a
//! reader. What a block or statement writes before publishing it is kept by a `WriteHold`.

use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sqlparser::ast::{CopySource, CopyTarget, Statement};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::{Parser, ParserError};
use vdb_engine::repo::locks::{changed_rows, rows_differ, LockOwner, LockWait};
use vdb_engine::repo::{merge_roots, row_changed_by_both, Repository};
use vdb_engine::store::{ReadHold, WriteHold};
use vdb_engine::table::RootValue;
use vdb_engine::value::{Type, Value};
use vdb_engine::Hash;

use crate::catalog::{table_name, Catalog};
use crate::copy::{quote_ident, CopyFormat, CopyIn};
use crate::cursor::{self, Cursors};
use crate::error::{Error, Result};
use crate::execution::{execute, Outcome};
use crate::interrupt::{self, CancelHandle};
use crate::notice::{self, Notice};
use crate::params::{self, Param};
use crate::plan_cache::{Lookup, PlanCache};
use crate::planner::{context, ident_name, plan_statement, Planned};
use crate::settings::Settings;
use crate::system::Snapshot;
use crate::temp::{self, TempObjects, TempState};
use crate::vc::{self, procedures, VcContext};

/// How many times an autocommit statement that lost a row to a concurrent writer runs again
/// before it fails with 40001.
const AUTOCOMMIT_RETRIES: usize = 32;

/// How long one wait for a lock lasts before a cancel, `statement_timeout` or `lock_timeout`
/// is checked again.
const LOCK_WAIT_SLICE: Duration = Duration::from_millis(20);

/// How many rows of its changes a statement locks one by one; one that changes more takes the
/// branch lock instead.
const ROW_LOCKS_MAX: usize = 10_000;

/// How many times a statement of a block runs again because a row it wrote was changed by the
/// writer it waited for, before it fails with 40001.
const STALE_RERUNS: usize = 100;

/// The result of one statement.
#[derive(Clone, Debug, PartialEq)]
pub enum StatementResult {
    /// A query's columns (name, type) and rows.
    Rows {
        columns: Vec<(String, Type)>,
        rows: Vec<Vec<Value>>,
        /// The command tag when it is not `SELECT n`: `INSERT 0 n`, `UPDATE n`, `DELETE n` for
        /// a write with RETURNING, `FETCH n` for a cursor's rows.
        tag: Option<String>,
    },
    /// A command's tag, as PostgreSQL reports it (`INSERT 0 3`, `UPDATE 2`, `BEGIN`...).
    Command { tag: String },
    /// `COPY ... FROM STDIN`: the client's data is to be passed to [`Session::copy_in`].
    CopyIn(CopyIn),
    /// `COPY ... TO STDOUT`: the rows to send, their columns and the format to send them in
    /// ([`CopyFormat::encode`] writes text and CSV; the wire layer writes binary).
    CopyOut {
        format: CopyFormat,
        columns: Vec<(String, Type)>,
        rows: Vec<Vec<Value>>,
    },
}

/// The transaction state of a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransactionStatus {
    /// No transaction block is open.
    Idle,
    /// Inside a transaction block.
    InBlock,
    /// Inside a failed transaction block (statements fail until ROLLBACK).
    Failed,
}

/// One statement's result with the NOTICEs and WARNINGs it raised.
pub type Noticed = (StatementResult, Vec<Notice>);

/// A statement's parameter types and result columns, known before it runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Description {
    pub params: Vec<Type>,
    /// The result columns of a statement that returns rows.
    pub columns: Option<Vec<(String, Type)>>,
}

/// An open transaction block.
#[derive(Debug)]
struct Transaction {
    /// The working root's address and value at BEGIN (or since the block was last rebased).
    base_addr: Hash,
    base: RootValue,
    /// Keeps garbage collection from removing the base, which the block reads (and its own
    /// root shares) though other sessions replace the working root.
    base_hold: Option<ReadHold>,
    /// The block's own state.
    root: RootValue,
    /// Whether a statement failed (25P02 until ROLLBACK or ROLLBACK TO a savepoint).
    failed: bool,
    /// The session's settings at BEGIN (restored by ROLLBACK).
    begin_settings: Settings,
    /// The settings that outlive the block if it commits (without SET LOCAL's changes).
    session_settings: Settings,
    /// Open savepoints, oldest first.
    savepoints: Vec<Savepoint>,
    /// The session's temporary objects at BEGIN (restored by ROLLBACK).
    begin_temp: TempState,
    /// Keeps garbage collection from removing the chunks the block writes before it
    /// publishes them.
    gc_hold: Option<WriteHold>,
    /// READ COMMITTED (PostgreSQL's default): each statement runs on the newest working root
    /// with the block's changes merged onto it (see [`Session::refresh_block`]). REPEATABLE
    /// READ and SERIALIZABLE keep the snapshot of BEGIN throughout.
    read_committed: bool,
    /// The locks of the rows the block wrote, taken by each write (see
    /// `vdb_engine::repo::locks`) and held until the block ends.
    locks: Option<LockOwner>,
    /// READ ONLY (BEGIN READ ONLY, SET TRANSACTION READ ONLY, or
    /// `default_transaction_read_only`): a statement that would change the working root fails
    /// with 25006. Temporary tables stay writable, as in PostgreSQL.
    read_only: bool,
    /// The deferred foreign keys: SET CONSTRAINTS' choices and what COMMIT must check.
    deferral: crate::execution::Deferral,
    /// Whether a statement other than a transaction or session command has run in the block
    /// (PostgreSQL's first snapshot): SET TRANSACTION may no longer change the isolation level
    /// or make the block read-write.
    queried: bool,
    /// When BEGIN ran: what `now()` gives throughout the block.
    started: i64,
    /// Opened by the extended protocol's first write since a Sync, not by BEGIN (see
    /// [`Session::begin_implicit`]): the Sync ends it.
    implicit: bool,
}

/// The state of a transaction block when a savepoint was set.
#[derive(Debug)]
struct Savepoint {
    name: String,
    root: RootValue,
    settings: Settings,
    session_settings: Settings,
    temp: TempState,
}

/// A SQL session on one branch.
#[derive(Debug)]
pub struct Session {
    repo: Arc<Repository>,
    branch: String,
    /// The revision a read-only session reads (`db/v1`), and that revision's root.
    pinned: Option<(String, Hash)>,
    /// Keeps garbage collection from removing the pinned root though no ref reaches it any
    /// more (its branch was reset, say).
    pinned_hold: Option<ReadHold>,
    txn: Option<Transaction>,
    /// Run-time parameters as statements in this session see them.
    settings: Settings,
    /// Open cursors (DECLARE ... CURSOR).
    cursors: Cursors,
    /// SQL-level prepared statements (PREPARE name (types) AS statement), by name: the
    /// statement with its parameters still `$n`, and the types PREPARE declared for them.
    prepared: std::collections::HashMap<String, (Statement, Vec<Option<Type>>)>,
    /// Stops the running statement when another thread asks (a client's CancelRequest).
    cancel: CancelHandle,
    /// setseed's random sequence and the transaction id, lent to each statement.
    volatile: crate::expr::VolatileState,
    /// Temporary tables: laid over the root each statement reads, never written to the
    /// branch (see [`crate::temp`]).
    temp: TempObjects,
    /// NOTICEs and WARNINGs the statements raised, until the caller takes them.
    notices: Vec<Notice>,
    /// LISTEN's channels and the notifications that reached this session ([`crate::notify`]).
    listener: crate::notify::Listener,
    /// NOTIFY and pg_notify calls of the open transaction, sent when it commits.
    notify_pending: Vec<(String, String)>,
    /// The process ID the client was given, which notifications this session sends carry.
    process_id: i32,
    /// The session's entry among the server's backends (`pg_stat_activity`), when a client
    /// connection owns it.
    backend: Option<crate::activity::Registration>,
    /// Generic plans of the statements this session runs again and again.
    plan_cache: PlanCache,
    /// What statements read of `settings`, as of the settings it was worked out from.
    derived: Mutex<Option<Arc<DerivedSettings>>>,
}

/// The values of the settings that every statement reads, parsed.
#[derive(Debug)]
struct DerivedSettings {
    /// The settings these come from.
    settings: Settings,
    zone: Arc<crate::types::tz::Zone>,
    date_style: (
        crate::types::datetime::DateStyle,
        crate::types::datetime::DateOrder,
    ),
    interval_style: crate::types::interval::IntervalStyle,
    bytea_escape: bool,
    extra_float_digits: i32,
    statement_timeout: Option<Duration>,
    lock_timeout: Option<Duration>,
    /// `default_transaction_read_only`.
    read_only: bool,
}

impl Session {
    pub fn new(repo: Arc<Repository>, branch: &str) -> Session {
        crate::expr::mark_server_start();
        crate::index_eval::install();
        // Notifications stay within one database: its repository's address names it.
        let database = Arc::as_ptr(&repo) as usize;
        Session {
            repo,
            branch: branch.to_string(),
            pinned: None,
            pinned_hold: None,
            txn: None,
            settings: Settings::default(),
            cursors: Cursors::default(),
            prepared: std::collections::HashMap::new(),
            cancel: CancelHandle::default(),
            volatile: crate::expr::VolatileState::default(),
            temp: TempObjects::default(),
            notices: Vec::new(),
            listener: crate::notify::Listener::new(database),
            notify_pending: Vec::new(),
            process_id: i32::try_from(std::process::id()).unwrap_or(0),
            backend: None,
            plan_cache: PlanCache::default(),
            derived: Mutex::new(None),
        }
    }

    /// Turns the plan cache on (the default) or off ([`crate::plan_cache`]).
    pub fn set_plan_cache(&mut self, enabled: bool) {
        self.plan_cache.set_enabled(enabled);
    }

    /// How many statements ran from a cached generic plan.
    pub fn plan_cache_hits(&self) -> u64 {
        self.plan_cache.hits()
    }

    /// The NOTICEs and WARNINGs raised since the last call, oldest first, without those below
    /// `client_min_messages` (which PostgreSQL never sends). The wire layer sends
    /// them before the statement's CommandComplete (or ErrorResponse).
    pub fn take_notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }

    /// Moves the notices the statement that just ran raised into the session's queue, without
    /// those its `client_min_messages` hides.
    fn collect_notices(&mut self) {
        let raised = notice::take_pending();
        if raised.is_empty() {
            return;
        }
        let minimum = self.settings.get("client_min_messages").unwrap_or_default();
        self.notices
            .extend(raised.into_iter().filter(|n| n.severity.reaches(&minimum)));
    }

    /// The handle that stops this session's running statement with SQLSTATE 57014; usable
    /// from another thread while the statement holds the session.
    pub fn cancel_handle(&self) -> CancelHandle {
        self.cancel.clone()
    }

    /// A read-only session on revision `rev` (a tag, a commit hash, `main~2`, a timestamp...),
    /// resolved once, as a client connecting to `db/REV` gets: queries read that commit and
    /// writes fail with 25006. `vdb_checkout` leaves it for a branch.
    pub fn at_revision(repo: Arc<Repository>, branch: &str, rev: &str) -> Result<Session> {
        let mut session = Session::new(repo, branch);
        let vc = session.vc_context();
        let (root, hold) = session.repo.hold_read(|| vc.resolve_root(rev))?;
        session.pinned = Some((rev.to_string(), root));
        session.pinned_hold = hold;
        Ok(session)
    }

    /// The branch the session is on (for a read-only session, the branch its revisions are
    /// resolved from).
    pub fn branch(&self) -> &str {
        &self.branch
    }

    /// The revision a read-only session is pinned to.
    pub fn pinned_revision(&self) -> Option<&str> {
        self.pinned.as_ref().map(|(rev, _)| rev.as_str())
    }

    /// What version-control functions and history queries of this session reach.
    fn vc_context(&self) -> VcContext {
        VcContext {
            repo: self.repo.clone(),
            branch: self.branch.clone(),
            pinned: self.pinned.as_ref().map(|(rev, _)| rev.clone()),
            holds: Arc::default(),
            listener: self.listener.id(),
            process_id: self.process_id,
        }
    }

    /// The current value of run-time parameter `name` (`server_version`, `client_encoding`,
    /// `DateStyle`, ...), as `SHOW` reports it; what the wire layer reports in ParameterStatus.
    pub fn setting(&self, name: &str) -> Option<String> {
        self.settings.get(name)
    }

    /// Sets a parameter from outside SQL (the startup packet's `application_name`,
    /// `client_encoding`...), as `SET` would.
    pub fn set_setting(&mut self, name: &str, value: &str) -> Result<()> {
        self.settings.set(name, value)
    }

    /// Sets the database name `current_database()` reports (the startup packet's `database`).
    pub fn set_database(&mut self, name: &str) {
        self.settings.set_database(name);
    }

    /// Whether a transaction block is open.
    pub fn in_transaction(&self) -> bool {
        self.txn.is_some()
    }

    /// The transaction state, as ReadyForQuery reports it.
    pub fn status(&self) -> TransactionStatus {
        match &self.txn {
            None => TransactionStatus::Idle,
            Some(txn) if txn.failed => TransactionStatus::Failed,
            Some(_) => TransactionStatus::InBlock,
        }
    }

    /// Runs every statement of `sql`, stopping at the first error as PostgreSQL does.
    pub fn execute(&mut self, sql: &str) -> Result<Vec<StatementResult>> {
        match self.execute_script(sql) {
            (results, None) => Ok(results),
            (_, Some(e)) => Err(e),
        }
    }

    /// Runs the statements of one simple-protocol query string: the results of those that ran,
    /// and the error that stopped the rest. As in PostgreSQL, several statements outside a
    /// transaction block run as one implicit transaction (all or nothing), unless the string
    /// itself controls transactions. The notices stay queued for [`Session::take_notices`].
    pub fn execute_script(&mut self, sql: &str) -> (Vec<StatementResult>, Option<Error>) {
        let (steps, error) = self.execute_script_with_notices(sql);
        let mut notices = Vec::new();
        let results = steps
            .into_iter()
            .map(|(result, mut raised)| {
                notices.append(&mut raised);
                result
            })
            .collect();
        notices.append(&mut self.notices);
        self.notices = notices;
        (results, error)
    }

    /// [`Session::execute_script`] with each result paired with the notices its statement
    /// raised (those `client_min_messages` lets through); those of the statement that failed
    /// stay queued for [`Session::take_notices`], to go before its error.
    pub fn execute_script_with_notices(&mut self, sql: &str) -> (Vec<Noticed>, Option<Error>) {
        self.cancel.reset();
        // Left over by a statement that panicked on this thread, if any.
        drop(notice::take_pending());
        let queued = std::mem::take(&mut self.notices);
        let (results, error) = self.run_script(sql);
        self.notices = queued.into_iter().chain(self.notices.drain(..)).collect();
        (results, error)
    }

    /// The statements of a script, each result with the notices raised while it ran (the
    /// session's queue is empty when it starts).
    fn run_script(&mut self, sql: &str) -> (Vec<Noticed>, Option<Error>) {
        if let Some((pieces, controls)) = crate::admin::split_mixed_script(sql) {
            return self.run_pieces(&pieces, controls);
        }
        if crate::admin::is_checkpoint(sql) {
            let flushed = self.repo.store().flush().map_err(Error::from);
            return match flushed {
                Ok(()) => (vec![(command_result("CHECKPOINT"), Vec::new())], None),
                Err(e) => (Vec::new(), Some(e)),
            };
        }
        if let Some(alter) = crate::admin::storage_alter(sql) {
            return match self.storage_alter(&alter) {
                Ok(result) => (vec![(result, std::mem::take(&mut self.notices))], None),
                Err(e) => (Vec::new(), Some(e)),
            };
        }
        if let Some((names, if_exists)) = crate::admin::drop_extension(sql) {
            let dropped = drop_extension(&names, if_exists);
            self.collect_notices();
            return match dropped {
                Ok(result) => (vec![(result, std::mem::take(&mut self.notices))], None),
                Err(e) => (Vec::new(), Some(e)),
            };
        }
        if let Some(body) = crate::plpgsql::do_body(sql) {
            let ran = body.and_then(|body| self.do_block(&body));
            self.collect_notices();
            return match ran {
                Ok(result) => (vec![(result, std::mem::take(&mut self.notices))], None),
                Err(e) => (Vec::new(), Some(e)),
            };
        }
        if let Some(lock) = crate::admin::lock_statement(sql) {
            return match lock.and_then(|lock| self.lock(&lock)) {
                Ok(result) => (vec![(result, std::mem::take(&mut self.notices))], None),
                Err(e) => (Vec::new(), Some(e)),
            };
        }
        if let Some(set) = crate::admin::set_constraints(sql) {
            let ran = set.and_then(|set| self.set_constraints(&set));
            self.collect_notices();
            return match ran {
                Ok(result) => (vec![(result, std::mem::take(&mut self.notices))], None),
                Err(e) => {
                    self.fail_transaction();
                    (Vec::new(), Some(e))
                }
            };
        }
        if let Some((command, relations)) = reindex_or_cluster(sql) {
            return match self.check_relations(command, &relations) {
                Ok(result) => (vec![(result, std::mem::take(&mut self.notices))], None),
                Err(e) => (Vec::new(), Some(e)),
            };
        }
        if let Some((command, tables)) = maintenance_command(sql) {
            return match self.maintenance(command, &tables) {
                Ok(result) => (vec![(result, std::mem::take(&mut self.notices))], None),
                Err(e) => (Vec::new(), Some(e)),
            };
        }
        if let Some(name) = reset_target(sql) {
            return match self.reset(&name) {
                Ok(result) => (vec![(result, Vec::new())], None),
                Err(e) => (Vec::new(), Some(e)),
            };
        }
        let pending = match self.plan_cache.lookup(sql) {
            Lookup::Plain => None,
            Lookup::Use(statement, binding) => {
                let ran = crate::plan_cache::with_binding(binding, || self.execute_one(&statement));
                return match ran {
                    Ok(result) => (vec![(result, std::mem::take(&mut self.notices))], None),
                    Err(e) => (Vec::new(), Some(e)),
                };
            }
            Lookup::Verify(pending) => Some(pending),
        };
        let statements = match parse(sql) {
            Ok(statements) => statements,
            Err(e) => return (Vec::new(), Some(e)),
        };
        if let Some(pending) = pending {
            let [statement] = statements.as_slice() else {
                self.plan_cache.refuse(pending);
                return self.run_statements(&statements);
            };
            return match self.execute_verifying(pending, statement) {
                Ok(result) => (vec![(result, std::mem::take(&mut self.notices))], None),
                Err(e) => (Vec::new(), Some(e)),
            };
        }
        self.run_statements(&statements)
    }

    /// Runs `statement` (parsed or bound as usual) and tries `pending`'s generic plan on it,
    /// recording in the plan cache what the try found.
    fn execute_verifying(
        &mut self,
        pending: crate::plan_cache::Pending,
        statement: &Statement,
    ) -> Result<StatementResult> {
        let binding = PlanCache::verifying(&pending, statement);
        let ran =
            crate::plan_cache::with_binding(Rc::clone(&binding), || self.execute_one(statement));
        self.plan_cache.settle(pending, &binding, ran.is_ok());
        ran
    }

    /// Runs parsed statements as one query string's (see [`Session::execute_script`]).
    fn run_statements(&mut self, statements: &[Statement]) -> (Vec<Noticed>, Option<Error>) {
        let implicit = statements.len() > 1
            && self.txn.is_none()
            && !statements.iter().any(controls_transaction);
        if implicit {
            if let Err(e) = self.begin(&[]) {
                return (Vec::new(), Some(e));
            }
        }
        let mut results = Vec::new();
        for statement in statements {
            match self.execute_one(statement) {
                // The client sends COPY data next; the statements after it are not run.
                Ok(result @ StatementResult::CopyIn(_)) => {
                    results.push((result, std::mem::take(&mut self.notices)));
                    break;
                }
                Ok(result) => results.push((result, std::mem::take(&mut self.notices))),
                Err(e) => {
                    if implicit {
                        self.abort_block();
                    }
                    return (results, Some(e));
                }
            }
        }
        if implicit {
            if let Err(e) = self.commit() {
                return (results, Some(e));
            }
        }
        (results, None)
    }

    /// A script that mixes statements the session runs from their text (VACUUM, LOCK, ...)
    /// with others: each runs on its own, in order, and, unless the script controls
    /// transactions itself, all of them in one implicit transaction block, as PostgreSQL runs
    /// a multi-statement query (so VACUUM fails in it, and LOCK works).
    fn run_pieces(&mut self, pieces: &[String], controls: bool) -> (Vec<Noticed>, Option<Error>) {
        let implicit = self.txn.is_none() && !controls;
        if implicit {
            if let Err(e) = self.begin(&[]) {
                return (Vec::new(), Some(e));
            }
        }
        let mut results = Vec::new();
        for piece in pieces {
            let (mut ran, error) = self.run_script(piece);
            results.append(&mut ran);
            if error.is_some() {
                if implicit {
                    self.abort_block();
                }
                return (results, error);
            }
        }
        if implicit {
            if let Err(e) = self.commit() {
                return (results, Some(e));
            }
        }
        (results, None)
    }

    /// A DO block: it runs in the open transaction block, or in one of its own that commits
    /// when the block ends and rolls back if it fails, as PostgreSQL runs it.
    fn do_block(&mut self, body: &str) -> Result<StatementResult> {
        if matches!(&self.txn, Some(txn) if txn.failed) {
            return Err(Error::TransactionAborted);
        }
        let own = self.txn.is_none();
        if own {
            self.begin(&[])?;
        }
        // A cancel or statement_timeout stops the block between its statements too.
        let armed = interrupt::arm(&self.cancel, self.settings.statement_timeout());
        let ran = crate::plpgsql::run(self, body);
        drop(armed);
        match (own, &ran) {
            (true, Ok(_)) => {
                self.commit()?;
            }
            (true, Err(_)) => self.abort_block(),
            (false, Err(_)) => self.fail_transaction(),
            (false, Ok(_)) => {}
        }
        ran
    }

    /// LOCK TABLE: only in a transaction block (25P01). The relations must exist; a mode that
    /// excludes writers (SHARE and stronger) takes the branch lock at once, as SELECT ... FOR
    /// UPDATE does, so that the block's later reads and writes see no other writer until it
    /// ends. Weaker modes wait for nothing: vdb's readers never block.
    fn lock(&mut self, lock: &crate::admin::LockStatement) -> Result<StatementResult> {
        if self.txn.is_none() {
            return Err(no_block("LOCK TABLE"));
        }
        let suffix = if lock.excludes_writers {
            " FOR UPDATE"
        } else {
            ""
        };
        for relation in &lock.relations {
            for statement in &parse(&format!("SELECT 1 FROM {relation} LIMIT 0{suffix}"))? {
                self.execute_one(statement)?;
            }
        }
        Ok(command_result("LOCK TABLE"))
    }

    /// An ALTER TABLE that tunes storage vdb does not have (see [`crate::admin::storage_alter`]):
    /// the table must exist (with IF EXISTS, a notice), the storage parameters be ones
    /// PostgreSQL knows (22023) and a tablespace be pg_default (42704); nothing else changes.
    fn storage_alter(&mut self, alter: &crate::admin::StorageAlter) -> Result<StatementResult> {
        crate::planner::check_storage_parameter_names(&alter.parameters)?;
        if let Some(tablespace) = &alter.tablespace {
            return Err(Error::invalid(
                "42704",
                format!(
                    "tablespace \"{}\" does not exist",
                    tablespace.trim_matches('"')
                ),
            ));
        }
        let probe = format!("SELECT 1 FROM ONLY {} LIMIT 0", alter.table);
        match parse(&probe).and_then(|s| s.iter().try_for_each(|s| self.execute_one(s).map(drop))) {
            Err(Error::UndefinedTable(_)) if alter.if_exists => {
                notice::raise(Notice::new(
                    "00000",
                    format!(
                        "relation \"{}\" does not exist, skipping",
                        alter.table.trim_matches('"')
                    ),
                ));
                self.collect_notices();
            }
            Err(e) => return Err(e),
            Ok(()) => {}
        }
        Ok(command_result("ALTER TABLE"))
    }

    /// VACUUM and ANALYZE: vdb has no dead tuples to reclaim (`vdb gc` reclaims unreachable
    /// chunks) and no planner statistics, so they only check what PostgreSQL checks: VACUUM
    /// outside a transaction block, and tables that exist.
    fn maintenance(&mut self, command: &str, tables: &[String]) -> Result<StatementResult> {
        if command == "VACUUM" && self.txn.is_some() {
            self.fail_transaction();
            return Err(Error::invalid(
                "25001",
                "VACUUM cannot run inside a transaction block",
            ));
        }
        for table in tables {
            let probe = parse(&format!("SELECT 1 FROM {table} LIMIT 0"))?;
            for statement in &probe {
                self.execute_one(statement)?;
            }
        }
        Ok(StatementResult::Command {
            tag: command.to_string(),
        })
    }

    /// REINDEX and CLUSTER: vdb's indexes are always consistent with their tables and rows are
    /// kept in key order, so both only check that the relations they name exist (42P01).
    fn check_relations(&mut self, command: &str, relations: &[String]) -> Result<StatementResult> {
        for relation in relations {
            let probe = format!("SELECT '{}'::regclass", relation.replace('\'', "''"));
            for statement in &parse(&probe)? {
                self.execute_one(statement)?;
            }
        }
        Ok(StatementResult::Command {
            tag: command.to_string(),
        })
    }

    /// Opens the extended protocol's implicit transaction block, unless a block is open: the
    /// statements a client sends up to a Sync (psycopg's `executemany`, a pipeline) commit
    /// together at the Sync, or not at all if one fails, as PostgreSQL runs them.
    pub fn begin_implicit(&mut self) -> Result<()> {
        if self.txn.is_none() {
            self.begin(&[])?;
            if let Some(txn) = &mut self.txn {
                txn.implicit = true;
            }
        }
        Ok(())
    }

    /// Ends the implicit block at a Sync, if one is open: it commits, or rolls back if a
    /// statement in it failed. An error is the commit's (a deferred constraint, say).
    pub fn end_implicit(&mut self) -> Result<()> {
        if self.txn.as_ref().is_some_and(|t| t.implicit) {
            self.commit()?;
        }
        Ok(())
    }

    /// Marks an open transaction block failed (a COPY the client abandoned, say).
    pub fn fail_transaction(&mut self) {
        if let Some(txn) = &mut self.txn {
            txn.failed = true;
        }
    }

    /// Runs one parsed statement; an error inside a transaction block fails the block.
    pub fn execute_one(&mut self, statement: &Statement) -> Result<StatementResult> {
        if self.txn.is_none() {
            // Outside a block each statement is a transaction of its own.
            self.volatile.end_transaction();
        }
        self.volatile
            .set_sequence_scope(self.repo.sequence_marks(), &self.branch);
        let mut volatile = std::mem::take(&mut self.volatile);
        drop(crate::settings::take_config_changes());
        let mut result =
            crate::expr::with_volatile_state(&mut volatile, || self.execute_statement(statement));
        let notified = volatile.take_notifications();
        self.volatile = volatile;
        if result.is_ok() {
            self.notify_pending.extend(notified);
        }
        // set_config calls take effect when their statement succeeds, as SET or SET LOCAL.
        for change in crate::settings::take_config_changes() {
            if result.is_ok() {
                if let Err(e) = self.set(&change.name, Some(&change.value), change.local) {
                    result = Err(e);
                }
            }
        }
        self.collect_notices();
        if result.is_err() {
            if let Some(txn) = &mut self.txn {
                txn.failed = true;
            }
        }
        // Outside a block the statement was its transaction: what it notified goes now (or,
        // if it failed, never).
        if self.txn.is_none() {
            let pending = std::mem::take(&mut self.notify_pending);
            if result.is_ok() {
                self.listener.send(self.process_id, pending);
            }
            // So do its transaction-level advisory locks.
            crate::advisory::release_session(self.listener.id(), true);
        }
        result
    }

    /// The session's mailbox of notifications (LISTEN / NOTIFY): the server takes what
    /// arrived after each statement and when woken.
    pub fn listener(&self) -> &crate::notify::Listener {
        &self.listener
    }

    /// Sets the process ID the client was given, which notifications sent from this session
    /// carry.
    pub fn set_process_id(&mut self, process_id: i32) {
        self.process_id = process_id;
    }

    /// Lists the session among the server's backends (`pg_stat_activity`) under its process
    /// ID, as `user` on `database` from `client`; `terminate` ends its connection
    /// (`pg_terminate_backend`). The entry goes with the session.
    pub fn register_backend(
        &mut self,
        user: &str,
        database: &str,
        client: Option<(String, i32)>,
        terminate: crate::activity::Terminate,
    ) {
        let now = crate::expr::clock_micros();
        let backend = crate::activity::Backend {
            pid: self.process_id,
            database: database.to_string(),
            user: user.to_string(),
            application_name: self.settings.get("application_name").unwrap_or_default(),
            client,
            backend_start: now,
            xact_start: None,
            query_start: None,
            state_change: now,
            state: "idle",
            query: String::new(),
        };
        self.backend = Some(crate::activity::register(
            backend,
            self.cancel.clone(),
            terminate,
        ));
    }

    /// Shows `sql` as the backend's running statement (the wire server calls it as a query
    /// or an Execute starts).
    pub fn report_active(&self, sql: &str) {
        let Some(backend) = &self.backend else {
            return;
        };
        let now = crate::expr::clock_micros();
        let in_block = self.txn.is_some();
        backend.update(|b| {
            b.state = "active";
            b.query = crate::activity::query_text(sql);
            b.query_start = Some(now);
            b.state_change = now;
            if !in_block || b.xact_start.is_none() {
                b.xact_start = Some(now);
            }
        });
    }

    /// Shows the backend waiting for its client, in or out of a transaction block (the wire
    /// server calls it before ReadyForQuery).
    pub fn report_idle(&self) {
        let Some(backend) = &self.backend else {
            return;
        };
        let now = crate::expr::clock_micros();
        let state = match self.status() {
            TransactionStatus::Idle => "idle",
            TransactionStatus::InBlock => "idle in transaction",
            TransactionStatus::Failed => "idle in transaction (aborted)",
        };
        let application_name = self.settings.get("application_name").unwrap_or_default();
        backend.update(|b| {
            if b.state != state {
                b.state_change = now;
            }
            b.state = state;
            if state == "idle" {
                b.xact_start = None;
            }
            b.application_name = application_name;
        });
    }

    /// Runs a prepared statement with its parameters bound to `params`.
    pub fn execute_bound(
        &mut self,
        statement: &Arc<Statement>,
        params: &[Param],
    ) -> Result<StatementResult> {
        self.cancel.reset();
        drop(notice::take_pending());
        let lookup = self.plan_cache.lookup_prepared(statement, params);
        if let Lookup::Use(generic, binding) = lookup {
            return crate::plan_cache::with_binding(binding, || self.execute_one(&generic));
        }
        let mut bound = (**statement).clone();
        if let Err(e) = params::substitute(&mut bound, params) {
            if let Some(txn) = &mut self.txn {
                txn.failed = true;
            }
            return Err(e);
        }
        match lookup {
            Lookup::Verify(pending) => self.execute_verifying(pending, &bound),
            _ => self.execute_one(&bound),
        }
    }

    /// The types of a statement's parameters (`declared` by the client where it gave them,
    /// otherwise inferred from their use) and, for statements that return rows, the columns,
    /// without running it.
    pub fn describe(
        &self,
        statement: &Statement,
        declared: &[Option<Type>],
    ) -> Result<Description> {
        if matches!(&self.txn, Some(txn) if txn.failed) {
            return Err(Error::TransactionAborted);
        }
        if let Statement::Execute { .. } = statement {
            return self.describe(&self.bind_execute(statement)?, &[]);
        }
        let count = params::count(statement).max(declared.len());
        if let Statement::Fetch {
            name, into: None, ..
        } = statement
        {
            return Ok(Description {
                params: Vec::new(),
                columns: self.cursor_columns(&ident_name(name)),
            });
        }
        let plannable = matches!(
            statement,
            Statement::Query(_)
                | Statement::Insert(_)
                | Statement::Update { .. }
                | Statement::Delete(_)
                | Statement::Merge { .. }
        );
        if !plannable {
            return Ok(Description {
                params: (0..count)
                    .map(|i| declared.get(i).cloned().flatten().unwrap_or(Type::Text))
                    .collect(),
                columns: None,
            });
        }
        let mut typed = statement.clone();
        params::declare(&mut typed, declared)?;
        let (mut root, _root_hold) = self.statement_root()?;
        self.temp.overlay(&mut root);
        let ns = self.repo.node_store();
        let snapshot = Snapshot::new(root.clone(), ns.clone(), self.settings.clone())
            .with_vc(self.vc_context());
        crate::types::tz::set_session_zone(self.time_zone());
        self.set_output_styles();
        let planned = context::with_snapshot(snapshot, || {
            plan_statement(&Catalog::new(&root, ns), &typed)
        });
        // Describing a statement reports nothing; its execution raises its notices.
        drop(notice::take_pending());
        let planned = planned?;
        let mut types = params::infer(&planned.plan, count);
        for i in params::count_params(statement) {
            if let (Some(slot), None) = (types.get_mut(i), declared.get(i).cloned().flatten()) {
                *slot = Type::Int8;
            }
        }
        Ok(Description {
            params: types,
            columns: planned.columns,
        })
    }

    /// Makes the session's DateStyle and IntervalStyle those of values this thread writes.
    fn set_output_styles(&self) {
        let derived = self.derived();
        crate::types::datetime::install_date_style(derived.date_style);
        crate::types::interval::install_interval_style(derived.interval_style);
        crate::types::set_bytea_escape(derived.bytea_escape);
        crate::types::set_extra_float_digits(derived.extra_float_digits);
    }

    /// The session's `TimeZone`, which casts and text output of timestamptz values use.
    pub fn time_zone(&self) -> Arc<crate::types::tz::Zone> {
        Arc::clone(&self.derived().zone)
    }

    /// What every statement reads of the settings, worked out again only when they changed.
    fn derived(&self) -> Arc<DerivedSettings> {
        let mut cached = self.derived.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(derived) = cached.as_ref().filter(|d| d.settings == self.settings) {
            return Arc::clone(derived);
        }
        let setting = |name: &str| self.settings.get(name).unwrap_or_default();
        let derived = Arc::new(DerivedSettings {
            zone: crate::types::tz::setting_zone(&setting("timezone")),
            date_style: crate::types::datetime::parse_date_style(&setting("datestyle")),
            interval_style: crate::types::interval::parse_interval_style(&setting("intervalstyle")),
            bytea_escape: setting("bytea_output") == "escape",
            extra_float_digits: setting("extra_float_digits").parse().unwrap_or(1),
            statement_timeout: self.settings.statement_timeout(),
            lock_timeout: self.settings.lock_timeout(),
            read_only: setting("default_transaction_read_only") == "on",
            settings: self.settings.clone(),
        });
        *cached = Some(Arc::clone(&derived));
        derived
    }

    fn execute_statement(&mut self, statement: &Statement) -> Result<StatementResult> {
        crate::expr::start_statement_clock(self.txn.as_ref().map(|t| t.started));
        crate::types::tz::set_session_zone(self.time_zone());
        self.set_output_styles();
        let _armed = interrupt::arm(&self.cancel, self.derived().statement_timeout);
        let command = |tag: &str| {
            Ok(StatementResult::Command {
                tag: tag.to_string(),
            })
        };
        match statement {
            Statement::StartTransaction {
                modes,
                begin,
                modifier: None,
            } => {
                if let Some(txn) = self.txn.as_mut().filter(|t| t.implicit) {
                    // BEGIN inside the extended protocol's implicit block makes it a block of
                    // its own, which the Sync no longer ends.
                    txn.implicit = false;
                } else if self.txn.is_none() {
                    self.begin(modes)?;
                } else {
                    notice::raise(Notice::warning(
                        "25001",
                        "there is already a transaction in progress",
                    ));
                }
                return command(if *begin { "BEGIN" } else { "START TRANSACTION" });
            }
            Statement::Commit { chain: false } => {
                if self.txn.is_none() {
                    notice::raise(no_transaction_warning());
                }
                return self.commit();
            }
            Statement::Rollback {
                chain: false,
                savepoint: None,
            } => {
                if self.txn.is_none() {
                    notice::raise(no_transaction_warning());
                }
                self.abort_block();
                return command("ROLLBACK");
            }
            Statement::Rollback {
                chain: false,
                savepoint: Some(name),
            } => return self.rollback_to(&ident_name(name)),
            Statement::Commit { chain: true }
            | Statement::Rollback {
                chain: true,
                savepoint: None,
            } => return self.end_and_chain(matches!(statement, Statement::Commit { .. })),
            _ => {}
        }
        if self.txn.as_ref().is_some_and(|t| t.failed) {
            return Err(Error::TransactionAborted);
        }
        if let Statement::Copy { .. } = statement {
            return self.copy(statement);
        }
        if let Some(result) = self.cursor_statement(statement)? {
            return Ok(result);
        }
        if let Some(result) = self.session_statement(statement)? {
            return Ok(result);
        }
        // DDL is refused in a READ ONLY transaction even on temporary objects, as in
        // PostgreSQL; other writes are refused when they change the working root.
        let read_only = self
            .txn
            .as_ref()
            .map_or_else(|| self.default_read_only(), |t| t.read_only);
        if read_only && is_ddl(statement) {
            return Err(read_only_transaction(statement));
        }
        if let Some(call) = procedures::call(statement) {
            return self.call_procedure(&call);
        }
        if let Some(write) = vc::resolve::recognize(statement)? {
            return self.write_conflicts(&write);
        }
        let snapshot_settings = self.settings.clone();
        let vc = self.vc_context();
        match &mut self.txn {
            Some(txn) if txn.failed => Err(Error::TransactionAborted),
            Some(txn) => {
                txn.queried = true;
                let writable = vc.pinned.is_none();
                if locks_rows(statement) && writable {
                    // SELECT ... FOR UPDATE waits as a write does (for the branch lock, as it
                    // cannot name its rows) and reads the newest rows, so that what the block
                    // then writes was decided on them; with NOWAIT it fails instead of waiting.
                    self.lock_branch(nowait_relation(statement).as_deref())?;
                }
                let read_committed = self.txn.as_ref().is_some_and(|t| t.read_committed);
                if read_committed && writable {
                    self.refresh_block()?;
                }
                let raised = notice::pending_len();
                for _ in 0..STALE_RERUNS {
                    let txn = self.txn.as_mut().expect("matched a block");
                    let mut root = txn.root.clone();
                    let (result, temp) =
                        crate::execution::with_deferral(&mut txn.deferral, || {
                            run_with_temp(&self.temp, &vc, statement, &mut root, &snapshot_settings)
                        })?;
                    if root != txn.root {
                        if let Some(rev) = &vc.pinned {
                            return Err(vc::read_only(&statement_kind(statement), rev));
                        }
                        if txn.read_only {
                            return Err(read_only_transaction(statement));
                        }
                        let (snapshot, before) = (txn.base.clone(), txn.root.clone());
                        let stale = self.with_block_locks(|session, owner| {
                            session.lock_written(owner, &snapshot, &before, &root)
                        })?;
                        if stale {
                            // A row it wrote was changed by a writer that held it meanwhile:
                            // READ COMMITTED runs the statement again on what that writer
                            // committed, as PostgreSQL re-reads a row it waited for.
                            if !read_committed {
                                return Err(Error::Serialization);
                            }
                            notice::truncate_pending(raised);
                            self.refresh_block()?;
                            continue;
                        }
                    }
                    let txn = self.txn.as_mut().expect("matched a block");
                    txn.root = root;
                    self.temp.update(temp, Some(statement), None);
                    return Ok(result);
                }
                Err(Error::Serialization)
            }
            None => {
                let mut gc_hold = self.repo.gc_hold();
                // A statement that lost a race for a row to a concurrent writer runs again on
                // the new working root, as PostgreSQL's READ COMMITTED re-evaluates a row it
                // waited for: concurrent `UPDATE .. SET n = n + 1` all land, none fails.
                let mut retries = 0;
                let raised = notice::pending_len();
                // After a lost race, the statement runs again from the repository's queue of
                // losers, so that it cannot keep losing to the other losers' retries.
                let repo = Arc::clone(&self.repo);
                let mut queued = repo.retry_queue_if_busy();
                let mut locks = None;
                loop {
                    // A retried attempt's notices are the only ones reported.
                    notice::truncate_pending(raised);
                    // The hold keeps the root the statement reads whole until it has run and
                    // published, though a concurrent writer replaces it and gc runs.
                    let (addr, original, _root_hold) = self.read_working()?;
                    let mut root = original.clone();
                    let (result, temp) =
                        run_with_temp(&self.temp, &vc, statement, &mut root, &snapshot_settings)?;
                    if root != original {
                        if let Some(rev) = &vc.pinned {
                            return Err(vc::read_only(&statement_kind(statement), rev));
                        }
                        if self.default_read_only() {
                            return Err(read_only_transaction(statement));
                        }
                        // The statement's rows stay locked until it has published, and across
                        // its runs again: once it holds them, no other writer of this process
                        // changes them under it.
                        let owner = locks.get_or_insert_with(|| repo.locks().owner());
                        if self.lock_written(owner, &original, &original, &root)?
                            && retries < AUTOCOMMIT_RETRIES
                        {
                            retries += 1;
                            continue;
                        }
                        match self.publish(addr, &original, &root) {
                            Err(Error::Serialization) if retries < AUTOCOMMIT_RETRIES => {
                                retries += 1;
                                interrupt::check()?;
                                if queued.is_none() {
                                    queued = Some(repo.retry_queue());
                                }
                                continue;
                            }
                            published => published?,
                        }
                    }
                    self.temp.update(temp, Some(statement), gc_hold.take());
                    self.temp_commit()?;
                    return Ok(result);
                }
            }
        }
    }

    /// Starts a COPY: FROM STDIN returns what the data must fill; TO STDOUT runs the query and
    /// encodes its rows.
    fn copy(&mut self, statement: &Statement) -> Result<StatementResult> {
        let Statement::Copy {
            source,
            to,
            target,
            options,
            legacy_options,
            ..
        } = statement
        else {
            return Err(Error::Unsupported("this COPY".into()));
        };
        let format = CopyFormat::from_options(options, legacy_options)?;
        match (to, target, source) {
            (
                false,
                CopyTarget::Stdin,
                CopySource::Table {
                    table_name: name,
                    columns,
                },
            ) => {
                let columns: Vec<String> = columns.iter().map(ident_name).collect();
                let (mut root, _root_hold) = self.statement_root()?;
                self.temp.overlay(&mut root);
                let ns = self.repo.node_store();
                let snapshot = Snapshot::new(root.clone(), ns.clone(), self.settings.clone());
                let (table, schema) = context::with_snapshot(snapshot, || {
                    let table = table_name(name)?;
                    let schema = Catalog::new(&root, ns)
                        .writable_table(&table)
                        .map_err(|e| match e.sqlstate() {
                            "42809" => Error::invalid(
                                "42809",
                                e.to_string().replacen("cannot change", "cannot copy to", 1),
                            ),
                            _ => e,
                        })?
                        .schema()
                        .clone();
                    Ok::<_, Error>((table, schema))
                })?;
                for c in &columns {
                    if schema.get_column(c).is_none() {
                        return Err(Error::UndefinedColumn(format!(
                            "column \"{c}\" of relation \"{table}\" does not exist"
                        )));
                    }
                }
                let types: Vec<Type> = if columns.is_empty() {
                    schema.columns.iter().map(|c| c.ty.clone()).collect()
                } else {
                    columns
                        .iter()
                        .filter_map(|c| schema.get_column(c))
                        .map(|c| c.ty.clone())
                        .collect()
                };
                Ok(StatementResult::CopyIn(CopyIn {
                    table,
                    columns,
                    format,
                    width: types.len(),
                    types,
                }))
            }
            (true, CopyTarget::Stdout, source) => {
                let query = match source {
                    CopySource::Table {
                        table_name: name,
                        columns,
                    } => {
                        let list = if columns.is_empty() {
                            "*".to_string()
                        } else {
                            let names: Vec<String> = columns
                                .iter()
                                .map(|c| quote_ident(&ident_name(c)))
                                .collect();
                            names.join(", ")
                        };
                        format!("SELECT {list} FROM {name}")
                    }
                    CopySource::Query(query) => query.to_string(),
                };
                let statement = parse(&query)?.remove(0);
                match self.execute_one(&statement)? {
                    StatementResult::Rows { columns, rows, .. } => Ok(StatementResult::CopyOut {
                        format,
                        columns,
                        rows,
                    }),
                    _ => Err(Error::Unsupported(
                        "COPY of a statement without rows".into(),
                    )),
                }
            }
            _ => Err(Error::Unsupported(
                "COPY to or from a file (use FROM STDIN / TO STDOUT, or psql's \\copy)".into(),
            )),
        }
    }

    /// Loads COPY data into the table `copy` names, as one statement (all rows or none).
    pub fn copy_in(&mut self, copy: &CopyIn, data: &[u8]) -> Result<StatementResult> {
        let rows = copy.format.parse(data);
        self.copy_in_parsed(copy, rows)
    }

    /// Loads COPY rows already split into fields (as text, `None` for NULL), or the error of
    /// splitting them, as one statement: the wire layer's way in for binary COPY data, which
    /// it decodes. A failed COPY fails the transaction block it is in.
    pub fn copy_in_parsed(
        &mut self,
        copy: &CopyIn,
        rows: Result<Vec<Vec<Option<String>>>>,
    ) -> Result<StatementResult> {
        let result = rows.and_then(|rows| self.copy_in_fields(copy, rows));
        self.collect_notices();
        if result.is_err() {
            if let Some(txn) = &mut self.txn {
                txn.failed = true;
            }
        }
        result
    }

    fn copy_in_fields(
        &mut self,
        copy: &CopyIn,
        rows: Vec<Vec<Option<String>>>,
    ) -> Result<StatementResult> {
        if rows.is_empty() {
            return Ok(StatementResult::Command {
                tag: "COPY 0".into(),
            });
        }
        for (i, row) in rows.iter().enumerate() {
            if row.len() != copy.width {
                let problem = if row.len() < copy.width {
                    "missing data for a column"
                } else {
                    "extra data after last expected column"
                };
                return Err(Error::invalid(
                    "22P04",
                    format!("{problem} (COPY {}, line {})", copy.table, i + 1),
                ));
            }
        }
        // `INSERT .. VALUES ($1, .., $n)`, whose one row the planner computes for each row of
        // the data (crate::copy::fill).
        let mut sql = format!("INSERT INTO {}", key_ident(&copy.table));
        if !copy.columns.is_empty() {
            let names: Vec<String> = copy.columns.iter().map(|c| quote_ident(c)).collect();
            sql.push_str(&format!(" ({})", names.join(", ")));
        }
        let params: Vec<String> = (1..=copy.width).map(|i| format!("${i}")).collect();
        sql.push_str(&format!(" VALUES ({})", params.join(", ")));
        let statement = parse(&sql)?.remove(0);
        let n = rows.len();
        let ran = crate::copy::with_data(&statement, rows, || self.execute_statement(&statement));
        match ran? {
            StatementResult::Command { .. } => Ok(StatementResult::Command {
                tag: format!("COPY {n}"),
            }),
            other => Ok(other),
        }
    }

    /// Opens a transaction block on a snapshot of the working root, at the isolation level
    /// BEGIN names or else `default_transaction_isolation`.
    fn begin(&mut self, modes: &[sqlparser::ast::TransactionMode]) -> Result<()> {
        let read_committed = isolation_read_committed(modes).unwrap_or_else(|| {
            self.settings
                .get("default_transaction_isolation")
                .as_deref()
                == Some("read committed")
        });
        let read_only = access_read_only(modes).unwrap_or_else(|| self.default_read_only());
        let gc_hold = self.repo.gc_hold();
        let (base_addr, base, base_hold) = self.read_working()?;
        self.txn = Some(Transaction {
            base_addr,
            root: base.clone(),
            base,
            base_hold,
            failed: false,
            begin_settings: self.settings.clone(),
            session_settings: self.settings.clone(),
            savepoints: Vec::new(),
            begin_temp: self.temp.state(),
            gc_hold,
            read_committed,
            locks: None,
            read_only,
            deferral: Default::default(),
            queried: false,
            started: crate::expr::clock_micros(),
            implicit: false,
        });
        // SHOW transaction_isolation / transaction_read_only answer for the block.
        let level = isolation_name(modes).map_or_else(
            || {
                self.settings
                    .get("default_transaction_isolation")
                    .unwrap_or_default()
            },
            str::to_string,
        );
        self.set("transaction_isolation", Some(&level), true)?;
        self.set("transaction_read_only", Some(on_off(read_only)), true)?;
        Ok(())
    }

    /// `default_transaction_read_only`: whether a new transaction is READ ONLY.
    fn default_read_only(&self) -> bool {
        self.derived().read_only
    }

    /// READ COMMITTED: moves the open block's snapshot to the newest working root, as
    /// PostgreSQL's READ COMMITTED runs each statement on what is committed when it starts. What
    /// the block wrote (and each savepoint's state) is merged onto that root; since the block
    /// holds the locks of its rows, nobody of this process changed them meanwhile.
    fn refresh_block(&mut self) -> Result<()> {
        let (addr, current, hold) = self.read_working()?;
        let txn = self.txn.as_mut().expect("a block is open");
        if addr == txn.base_addr {
            return Ok(());
        }
        let ns = self.repo.node_store();
        let rebase = |root: &RootValue| -> Result<RootValue> {
            if *root == txn.base {
                Ok(current.clone())
            } else {
                merge_changes(ns, &txn.base, &current, root)
            }
        };
        let root = rebase(&txn.root)?;
        let savepoints = txn
            .savepoints
            .iter()
            .map(|sp| rebase(&sp.root))
            .collect::<Result<Vec<_>>>()?;
        for (savepoint, root) in txn.savepoints.iter_mut().zip(savepoints) {
            savepoint.root = root;
        }
        txn.root = root;
        txn.base = current;
        txn.base_addr = addr;
        txn.base_hold = hold;
        Ok(())
    }

    /// Takes the branch lock for the open block (see `vdb_engine::repo::locks`): what `SELECT
    /// ... FOR UPDATE` takes, since it cannot name the rows it reads. With `nowait` (the
    /// relation a NOWAIT clause locks) it does not wait: another writer's lock fails it with
    /// 55P03.
    fn lock_branch(&mut self, nowait: Option<&str>) -> Result<()> {
        self.with_block_locks(|session, owner| match nowait {
            None => session.wait_for_locks(owner, |owner, wait| {
                owner.lock_branch(&session.branch, wait)
            }),
            Some(relation) => match owner.lock_branch(&session.branch, Duration::ZERO) {
                LockWait::Granted => Ok(()),
                LockWait::Waiting | LockWait::Deadlock => {
                    owner.stop_waiting();
                    Err(Error::invalid(
                        "55P03",
                        format!("could not obtain lock on row in relation \"{relation}\""),
                    ))
                }
            },
        })
    }

    /// Runs `f` with the open block's lock owner (made at its first use), which stays the
    /// block's whatever `f` returns.
    fn with_block_locks<T>(&mut self, f: impl FnOnce(&Self, &LockOwner) -> Result<T>) -> Result<T> {
        let txn = self.txn.as_mut().expect("a block is open");
        let owner = txn
            .locks
            .take()
            .unwrap_or_else(|| self.repo.locks().owner());
        let out = f(self, &owner);
        self.txn.as_mut().expect("a block is open").locks = Some(owner);
        out
    }

    /// Locks the rows a statement changed going from `before` to `after` (the branch lock when
    /// it changed a schema or more than [`ROW_LOCKS_MAX`] rows), waiting for the writers
    /// holding them; then tells whether any of them changed since `snapshot`, the root the
    /// statement read, so that the statement must run again on the newest root.
    fn lock_written(
        &self,
        owner: &LockOwner,
        snapshot: &RootValue,
        before: &RootValue,
        after: &RootValue,
    ) -> Result<bool> {
        let ns = self.repo.node_store();
        let rows = changed_rows(ns, before, after, ROW_LOCKS_MAX)
            .map_err(|e| Error::engine("finding the rows a statement changed", e))?;
        match &rows {
            Some(rows) => self.wait_for_locks(owner, |owner, wait| {
                owner.lock_rows(&self.branch, rows, wait)
            })?,
            None => {
                self.wait_for_locks(owner, |owner, wait| owner.lock_branch(&self.branch, wait))?;
            }
        }
        let (_, current, _hold) = self.read_working()?;
        if current == *snapshot {
            return Ok(false);
        }
        match rows {
            Some(rows) => rows_differ(ns, snapshot, &current, &rows)
                .map_err(|e| Error::engine("reading the rows a statement changed", e)),
            None => Ok(true),
        }
    }

    /// Waits until `request` is granted, in short waits between which a cancel or a
    /// statement timeout can stop it; fails after `lock_timeout` (55P03), or at once when the
    /// wait would close a cycle of waiters (40P01).
    fn wait_for_locks(
        &self,
        owner: &LockOwner,
        request: impl Fn(&LockOwner, Duration) -> LockWait,
    ) -> Result<()> {
        let started = Instant::now();
        let timeout = self.derived().lock_timeout;
        loop {
            match request(owner, LOCK_WAIT_SLICE) {
                LockWait::Granted => return Ok(()),
                LockWait::Deadlock => {
                    return Err(Error::invalid("40P01", "deadlock detected"));
                }
                LockWait::Waiting => {}
            }
            let stop = interrupt::check().and_then(|()| match timeout {
                Some(t) if started.elapsed() >= t => Err(Error::invalid(
                    "55P03",
                    "canceling statement due to lock timeout",
                )),
                _ => Ok(()),
            });
            if let Err(e) = stop {
                owner.stop_waiting();
                return Err(e);
            }
        }
    }

    /// Ends an open transaction block without committing it: its settings, cursors and
    /// temporary objects go back to what they were at BEGIN.
    fn abort_block(&mut self) {
        self.notify_pending.clear();
        crate::advisory::release_session(self.listener.id(), true);
        if let Some(txn) = self.txn.take() {
            self.settings = txn.begin_settings;
            self.cursors.end_block(false);
            self.temp.restore(txn.begin_temp);
        }
    }

    /// What a commit does to the temporary tables: empties the ON COMMIT DELETE ROWS ones
    /// and drops the ON COMMIT DROP ones.
    fn temp_commit(&mut self) -> Result<()> {
        let statements = self.temp.on_commit_statements();
        if statements.is_empty() {
            return Ok(());
        }
        let vc = self.vc_context();
        let mut root = self.temp.root();
        for sql in statements {
            for statement in parse(&sql)? {
                run(&vc, &statement, &mut root, &self.settings)?;
            }
        }
        let temp = temp::split(&mut root);
        self.temp.update(temp, None, None);
        Ok(())
    }

    /// `COMMIT AND CHAIN` / `ROLLBACK AND CHAIN`: ends the block and at once opens another
    /// with the same isolation level and access mode (a failed block's COMMIT rolls back and
    /// chains all the same, as in PostgreSQL).
    fn end_and_chain(&mut self, commit: bool) -> Result<StatementResult> {
        let what = if commit { "COMMIT" } else { "ROLLBACK" };
        let Some(txn) = self.txn.as_ref().filter(|t| !t.implicit) else {
            return Err(Error::invalid(
                "25P01",
                format!("{what} AND CHAIN can only be used in transaction blocks"),
            ));
        };
        let (read_committed, read_only) = (txn.read_committed, txn.read_only);
        let level = self.settings.get("transaction_isolation");
        let result = if commit {
            self.commit()?
        } else {
            self.abort_block();
            StatementResult::Command {
                tag: "ROLLBACK".into(),
            }
        };
        self.begin(&[])?;
        if let Some(txn) = self.txn.as_mut() {
            txn.read_committed = read_committed;
            txn.read_only = read_only;
        }
        self.set("transaction_isolation", level.as_deref(), true)?;
        self.set("transaction_read_only", Some(on_off(read_only)), true)?;
        Ok(result)
    }

    fn commit(&mut self) -> Result<StatementResult> {
        // Whether it commits or not, the block ends, and its advisory locks with it.
        crate::advisory::release_session(self.listener.id(), true);
        let Some(txn) = self.txn.take() else {
            return Ok(StatementResult::Command {
                tag: "COMMIT".into(),
            });
        };
        self.settings = if txn.failed {
            txn.begin_settings.clone()
        } else {
            txn.session_settings.clone()
        };
        self.cursors.end_block(!txn.failed);
        if txn.failed {
            self.notify_pending.clear();
            self.temp.restore(txn.begin_temp);
            return Ok(StatementResult::Command {
                tag: "ROLLBACK".into(),
            });
        }
        if let Err(e) = self.check_deferred(&txn.deferral.pending, &txn.root) {
            // The block ends rolled back, as PostgreSQL's COMMIT of a violated constraint.
            self.notify_pending.clear();
            self.temp.restore(txn.begin_temp);
            return Err(e);
        }
        if txn.root != txn.base {
            if let Err(e) = self.publish(txn.base_addr, &txn.base, &txn.root) {
                self.temp.restore(txn.begin_temp);
                return Err(e);
            }
        }
        self.temp.keep_hold(txn.gc_hold);
        self.temp_commit()?;
        let pending = std::mem::take(&mut self.notify_pending);
        self.listener.send(self.process_id, pending);
        Ok(StatementResult::Command {
            tag: "COMMIT".into(),
        })
    }

    /// The deferred foreign keys a block's statements left, checked over `root` with the
    /// session's temporary tables.
    fn check_deferred(
        &self,
        pending: &std::collections::BTreeSet<(String, String)>,
        root: &RootValue,
    ) -> Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        let mut root = root.clone();
        self.temp.overlay(&mut root);
        crate::execution::check_deferred(pending, &root, self.repo.node_store())
    }

    /// SET CONSTRAINTS: changes which deferrable foreign keys the block defers. Those made
    /// IMMEDIATE are checked now, as PostgreSQL checks them; outside a block it only warns.
    fn set_constraints(&mut self, set: &crate::admin::SetConstraints) -> Result<StatementResult> {
        let done = Ok(StatementResult::Command {
            tag: "SET CONSTRAINTS".into(),
        });
        let Some(txn) = self.txn.as_ref() else {
            notice::raise(Notice::warning(
                "25P01",
                "SET CONSTRAINTS can only be used in transaction blocks",
            ));
            return done;
        };
        if txn.failed {
            return Err(Error::TransactionAborted);
        }
        let mut deferral = txn.deferral.clone();
        match &set.names {
            None => {
                deferral.all = Some(set.deferred);
                deferral.named.clear();
            }
            Some(names) => {
                let mut root = txn.root.clone();
                self.temp.overlay(&mut root);
                let ns = self.repo.node_store();
                for name in names {
                    let mut found = None;
                    for table in root.table_names() {
                        let loaded = root
                            .must_get_table(ns, table)
                            .map_err(|e| Error::engine(format!("loading table \"{table}\""), e))?;
                        if let Some(fk) = loaded
                            .schema()
                            .foreign_keys
                            .iter()
                            .find(|f| &f.name == name)
                        {
                            found = Some(fk.deferrable);
                        }
                    }
                    match found {
                        None => {
                            return Err(Error::invalid(
                                "42704",
                                format!("constraint \"{name}\" does not exist"),
                            ))
                        }
                        Some(false) => {
                            return Err(Error::invalid(
                                "42809",
                                format!("constraint \"{name}\" is not deferrable"),
                            ))
                        }
                        Some(true) => {
                            deferral.named.insert(name.clone(), set.deferred);
                        }
                    }
                }
            }
        }
        if !set.deferred {
            // What is IMMEDIATE now is checked now; a violation fails the statement (and so
            // the block), and what passed no longer waits for COMMIT.
            let now: std::collections::BTreeSet<(String, String)> = deferral
                .pending
                .iter()
                .filter(|(_, c)| set.names.as_ref().is_none_or(|names| names.contains(c)))
                .cloned()
                .collect();
            self.check_deferred(&now, &txn.root)?;
            deferral.pending.retain(|p| !now.contains(p));
        }
        if let Some(txn) = self.txn.as_mut() {
            txn.deferral = deferral;
        }
        done
    }

    /// Runs DECLARE ... CURSOR, FETCH, MOVE and CLOSE (see [`cursor`]); `None` for every other
    /// statement.
    fn cursor_statement(&mut self, statement: &Statement) -> Result<Option<StatementResult>> {
        match statement {
            Statement::Declare { stmts } => {
                let [declare] = stmts.as_slice() else {
                    return Err(Error::Unsupported("DECLARE of several names".into()));
                };
                let (Some(query), [name]) = (&declare.for_query, declare.names.as_slice()) else {
                    return Err(Error::Unsupported("DECLARE of a variable".into()));
                };
                let hold = declare.hold == Some(true);
                if self.txn.is_none() && !hold {
                    return Err(no_block("DECLARE CURSOR"));
                }
                let name = ident_name(name);
                if self.cursors.columns(&name).is_some() {
                    return Err(Error::invalid(
                        "42P03",
                        format!("cursor \"{name}\" already exists"),
                    ));
                }
                let StatementResult::Rows { columns, rows, .. } =
                    self.execute_statement(&Statement::Query(query.clone()))?
                else {
                    return Err(Error::Unsupported("a cursor over this statement".into()));
                };
                let scroll = declare.scroll != Some(false);
                let in_block = self.txn.is_some();
                self.cursors
                    .declare(&name, columns, rows, scroll, hold, in_block)?;
                Ok(Some(StatementResult::Command {
                    tag: "DECLARE CURSOR".into(),
                }))
            }
            Statement::Fetch {
                name,
                direction,
                into,
            } => {
                let is_move = matches!(into, Some(target) if target.0.len() == 1 && target.0[0].value == cursor::MOVE_MARKER);
                if into.is_some() && !is_move {
                    return Err(Error::Unsupported("FETCH ... INTO".into()));
                }
                self.cursors
                    .fetch(&ident_name(name), direction, is_move)
                    .map(Some)
            }
            Statement::Close { cursor } => {
                let tag = match cursor {
                    sqlparser::ast::CloseCursor::All => {
                        self.cursors.close(None)?;
                        "CLOSE CURSOR ALL"
                    }
                    sqlparser::ast::CloseCursor::Specific { name } => {
                        self.cursors.close(Some(&ident_name(name)))?;
                        "CLOSE CURSOR"
                    }
                };
                Ok(Some(StatementResult::Command { tag: tag.into() }))
            }
            _ => Ok(None),
        }
    }

    /// `EXECUTE name (args)` as the statement it runs: the prepared statement with each `$n`
    /// replaced by the n-th argument, cast to the type PREPARE declared for it.
    fn bind_execute(&self, execute: &Statement) -> Result<Statement> {
        let Statement::Execute {
            name,
            parameters,
            using,
            ..
        } = execute
        else {
            return Err(Error::invalid("XX000", "internal error: not an EXECUTE"));
        };
        if !using.is_empty() {
            return Err(Error::Unsupported("EXECUTE ... USING".into()));
        }
        let name = name.0.last().map(ident_name).unwrap_or_default();
        let Some((statement, declared)) = self.prepared.get(&name) else {
            return Err(unknown_prepared(&name));
        };
        let expected = params::count(statement).max(declared.len());
        if parameters.len() != expected {
            return Err(Error::invalid(
                "42601",
                format!("wrong number of parameters for prepared statement \"{name}\""),
            ));
        }
        let mut bound = statement.clone();
        params::declare(&mut bound, declared)?;
        params::substitute_exprs(&mut bound, parameters);
        Ok(bound)
    }

    /// The result columns of an open cursor (a protocol-level Describe of a portal by the
    /// cursor's name answers with them, as PostgreSQL's cursors are portals).
    pub fn cursor_columns(&self, name: &str) -> Option<Vec<(String, Type)>> {
        self.cursors.columns(name).map(<[_]>::to_vec)
    }

    /// Runs SET, SHOW, RESET and the savepoint statements, which act on the session itself;
    /// `None` for every other statement.
    fn session_statement(&mut self, statement: &Statement) -> Result<Option<StatementResult>> {
        let command = |tag: &str| {
            Ok(Some(StatementResult::Command {
                tag: tag.to_string(),
            }))
        };
        match statement {
            Statement::LISTEN { channel } => {
                let unlisten =
                    channel.quote_style == Some('"') && channel.value.starts_with(UNLISTEN_MARKER);
                if unlisten {
                    match &channel.value[UNLISTEN_MARKER.len()..] {
                        "*" => self.listener.unlisten(None),
                        name => self.listener.unlisten(Some(name)),
                    }
                    return command("UNLISTEN");
                }
                self.listener.listen(&ident_name(channel));
                command("LISTEN")
            }
            Statement::NOTIFY { channel, payload } => {
                let payload = payload.clone().unwrap_or_default();
                crate::notify::check_payload(&payload)?;
                self.notify_pending.push((ident_name(channel), payload));
                command("NOTIFY")
            }
            Statement::ShowVariable { variable } => {
                // sqlparser drops the dots of `SHOW my.setting`: the words are rejoined with
                // spaces only for the parameters whose names have them.
                let words: Vec<&str> = variable.iter().map(|i| i.value.as_str()).collect();
                let spaced = words.join(" ");
                let name = match spaced.to_ascii_lowercase().as_str() {
                    "transaction isolation level" | "time zone" | "session authorization" => spaced,
                    _ => words.join("."),
                };
                Ok(Some(self.show(&name)?))
            }
            Statement::SetVariable {
                local,
                hivevar: false,
                variables,
                value,
            } => {
                let names: Vec<String> = variables
                    .iter()
                    .map(|n| {
                        n.0.iter()
                            .map(|i| i.value.clone())
                            .collect::<Vec<_>>()
                            .join(".")
                    })
                    .collect();
                let [name] = names.as_slice() else {
                    return Err(Error::Unsupported("SET of several parameters".into()));
                };
                let value = if name.eq_ignore_ascii_case("search_path") {
                    search_path_value(value)
                } else {
                    setting_value(value)?
                };
                self.set(name, value.as_deref(), *local)?;
                command("SET")
            }
            Statement::SetTimeZone { local, value } => {
                let value = time_zone_value(value)?;
                self.set("timezone", value.as_deref(), *local)?;
                command("SET")
            }
            Statement::CreateExtension { name, .. } => create_extension(&name.value).map(Some),
            Statement::SetNames { charset_name, .. } => {
                self.set("client_encoding", Some(charset_name), false)?;
                command("SET")
            }
            Statement::SetTransaction {
                session: true,
                modes,
                ..
            } => {
                // SET SESSION CHARACTERISTICS AS TRANSACTION ...: the defaults of later blocks.
                if let Some(read_only) = access_read_only(modes) {
                    let value = on_off(read_only);
                    self.set("default_transaction_read_only", Some(value), false)?;
                }
                if let Some(level) = isolation_name(modes) {
                    self.set("default_transaction_isolation", Some(level), false)?;
                }
                command("SET")
            }
            Statement::SetTransaction { session, modes, .. } => {
                let queried = self.txn.as_ref().is_some_and(|t| t.queried);
                if let (true, Some(level)) = (queried, isolation_name(modes)) {
                    if self.settings.get("transaction_isolation").as_deref() != Some(level) {
                        return Err(Error::invalid(
                            "25001",
                            "SET TRANSACTION ISOLATION LEVEL must be called before any query",
                        ));
                    }
                }
                if let (Some(txn), Some(read_only)) = (self.txn.as_mut(), access_read_only(modes)) {
                    if !read_only && txn.read_only && queried {
                        return Err(Error::invalid(
                            "25001",
                            "transaction read-write mode must be set before any query",
                        ));
                    }
                    txn.read_only = read_only;
                    self.set("transaction_read_only", Some(on_off(read_only)), true)?;
                }
                if let (true, Some(level)) = (self.txn.is_some(), isolation_name(modes)) {
                    self.set("transaction_isolation", Some(level), true)?;
                }
                if !*session && self.txn.is_none() {
                    notice::raise(Notice::warning(
                        "25P01",
                        "SET TRANSACTION can only be used in transaction blocks",
                    ));
                }
                if let (false, Some(txn), Some(read_committed)) =
                    (*session, self.txn.as_mut(), isolation_read_committed(modes))
                {
                    // Before the first write, as PostgreSQL requires it before the first query.
                    if txn.locks.is_none() && txn.root == txn.base {
                        txn.read_committed = read_committed;
                    }
                }
                command("SET")
            }
            Statement::Prepare {
                name,
                data_types,
                statement,
            } => {
                let name = ident_name(name);
                if self.prepared.contains_key(&name) {
                    return Err(Error::invalid(
                        "42P05",
                        format!("prepared statement \"{name}\" already exists"),
                    ));
                }
                let declared = data_types
                    .iter()
                    .map(|dt| crate::types::sql_type(dt).map(Some))
                    .collect::<Result<Vec<_>>>()?;
                self.prepared.insert(name, (*statement.clone(), declared));
                command("PREPARE")
            }
            Statement::Execute { .. } => {
                // The prepared statement's own result: its rows or its command tag.
                let bound = self.bind_execute(statement)?;
                self.execute_statement(&bound).map(Some)
            }
            // The wire layer also drops its protocol-level statements when it sees DEALLOCATE
            // ALL (psycopg sends it on reset).
            Statement::Deallocate { name, .. } if name.value.eq_ignore_ascii_case("all") => {
                self.prepared.clear();
                command("DEALLOCATE ALL")
            }
            Statement::Deallocate { name, .. } => {
                let name = ident_name(name);
                if self.prepared.remove(&name).is_none() {
                    return Err(unknown_prepared(&name));
                }
                command("DEALLOCATE")
            }
            Statement::Discard {
                object_type: sqlparser::ast::DiscardObject::ALL,
            } => {
                if self.txn.is_some() {
                    return Err(Error::invalid(
                        "25001",
                        "DISCARD ALL cannot run inside a transaction block",
                    ));
                }
                self.set("all", None, false)?;
                self.temp.restore(TempState::default());
                self.prepared.clear();
                crate::expr::forget_sequence_values();
                command("DISCARD ALL")
            }
            Statement::Discard {
                object_type: sqlparser::ast::DiscardObject::SEQUENCES,
            } => {
                crate::expr::forget_sequence_values();
                command("DISCARD SEQUENCES")
            }
            Statement::Discard {
                object_type: sqlparser::ast::DiscardObject::TEMP,
            } => {
                self.temp.restore(TempState::default());
                command("DISCARD TEMP")
            }
            Statement::Savepoint { name } => {
                let name = ident_name(name);
                let Some(txn) = &mut self.txn else {
                    return Err(no_block("SAVEPOINT"));
                };
                txn.savepoints.push(Savepoint {
                    name,
                    root: txn.root.clone(),
                    settings: self.settings.clone(),
                    session_settings: txn.session_settings.clone(),
                    temp: self.temp.state(),
                });
                command("SAVEPOINT")
            }
            Statement::ReleaseSavepoint { name } => {
                let name = ident_name(name);
                let Some(txn) = &mut self.txn else {
                    return Err(no_block("RELEASE SAVEPOINT"));
                };
                let i = find_savepoint(&txn.savepoints, &name)?;
                txn.savepoints.truncate(i);
                command("RELEASE")
            }
            _ => Ok(None),
        }
    }

    /// `ROLLBACK TO [SAVEPOINT] name`: back to the state at the savepoint, which stays open;
    /// a failed block is usable again.
    fn rollback_to(&mut self, name: &str) -> Result<StatementResult> {
        let Some(txn) = &mut self.txn else {
            return Err(no_block("ROLLBACK TO SAVEPOINT"));
        };
        let i = find_savepoint(&txn.savepoints, name)?;
        txn.savepoints.truncate(i + 1);
        let savepoint = &txn.savepoints[i];
        txn.root = savepoint.root.clone();
        txn.session_settings = savepoint.session_settings.clone();
        txn.failed = false;
        self.settings = savepoint.settings.clone();
        self.temp.restore(savepoint.temp.clone());
        Ok(StatementResult::Command {
            tag: "ROLLBACK".into(),
        })
    }

    /// `SHOW name` (one row, one column named as PostgreSQL names it) or `SHOW ALL`.
    fn show(&self, name: &str) -> Result<StatementResult> {
        if name.eq_ignore_ascii_case("all") {
            let rows = self
                .settings
                .all()
                .into_iter()
                .map(|(n, v, d)| vec![Value::Text(n), Value::Text(v), Value::Text(d)])
                .collect();
            return Ok(StatementResult::Rows {
                columns: vec![
                    ("name".into(), Type::Text),
                    ("setting".into(), Type::Text),
                    ("description".into(), Type::Text),
                ],
                rows,
                tag: None,
            });
        }
        let value = self.settings.must_get(name)?;
        Ok(StatementResult::Rows {
            columns: vec![(Settings::show_column(name), Type::Text)],
            rows: vec![vec![Value::Text(value)]],
            tag: None,
        })
    }

    /// `SET [LOCAL] name = value` (`None`: DEFAULT, as RESET). SET LOCAL lasts until the end
    /// of the block (outside one it does nothing, as PostgreSQL only warns).
    fn set(&mut self, name: &str, value: Option<&str>, local: bool) -> Result<()> {
        let apply = |settings: &mut Settings| match value {
            Some(v) => settings.set(name, v),
            None => settings.reset(name),
        };
        match &mut self.txn {
            None if local => {
                notice::raise(Notice::warning(
                    "25P01",
                    "SET LOCAL can only be used in transaction blocks",
                ));
                Ok(())
            }
            None => apply(&mut self.settings),
            Some(txn) => {
                apply(&mut self.settings)?;
                if !local {
                    apply(&mut txn.session_settings)?;
                } else if name.contains('.') && txn.session_settings.get(name).is_none() {
                    // A custom parameter first set locally stays defined, empty, after the
                    // block, as PostgreSQL's placeholder does.
                    txn.session_settings.set(name, "")?;
                }
                Ok(())
            }
        }
    }

    /// `RESET name` / `RESET ALL` (sqlparser 0.52 does not parse RESET; see [`reset_target`]).
    fn reset(&mut self, name: &str) -> Result<StatementResult> {
        if self.txn.as_ref().is_some_and(|t| t.failed) {
            return Err(Error::TransactionAborted);
        }
        self.set(name, None, false)?;
        Ok(StatementResult::Command {
            tag: "RESET".into(),
        })
    }

    /// The root a statement reads: the open block's, else the working root, with a hold on the
    /// latter for as long as the caller reads it.
    fn statement_root(&self) -> Result<(RootValue, Option<ReadHold>)> {
        match &self.txn {
            Some(txn) => Ok((txn.root.clone(), None)),
            None => self.read_working().map(|(_, root, hold)| (root, hold)),
        }
    }

    /// The branch's working root (or the pinned revision's root), its address, and a hold that
    /// keeps garbage collection from removing it while the caller reads it.
    fn read_working(&self) -> Result<(Hash, RootValue, Option<ReadHold>)> {
        if let Some((_, root)) = &self.pinned {
            let value = self
                .repo
                .root_value(*root)
                .map_err(|e| Error::engine("reading the pinned revision", e))?;
            return Ok((*root, value, self.pinned_hold.clone()));
        }
        let (addr, hold) = self.repo.hold_read(|| {
            self.repo
                .working_set(&self.branch)
                .map(|ws| ws.working)
                .map_err(|e| Error::engine("reading the working set", e))
        })?;
        let root = self
            .repo
            .root_value(addr)
            .map_err(|e| Error::engine("reading the working root", e))?;
        Ok((addr, root, hold))
    }

    /// Makes `root` (computed from the working root `base`, at `base_addr`) the branch's working
    /// root. If other sessions changed the working root meanwhile, their changes and ours are
    /// three-way merged: changes to different rows both land, and a row both wrote fails with
    /// 40001, writing nothing, even where a merge of branches would combine the two (different
    /// cells, or the same result), since one of two concurrent updates would be lost. The
    /// compare-and-swap is retried while other writers keep winning it.
    fn publish(&self, base_addr: Hash, base: &RootValue, root: &RootValue) -> Result<()> {
        const ATTEMPTS: usize = 64;
        for _ in 0..ATTEMPTS {
            // The merge reads `current`, which other writers may replace meanwhile.
            let (current_addr, current, _current_hold) = self.read_working()?;
            let next = if current_addr == base_addr {
                root.clone()
            } else {
                merge_changes(self.repo.node_store(), base, &current, root)?
            };
            let written = self
                .repo
                .set_working_root_if(&self.branch, current_addr, &next)
                .map_err(|e| Error::engine("writing the working root", e))?;
            if written.is_some() {
                return Ok(());
            }
        }
        Err(Error::Serialization)
    }
}

/// `root`'s changes since `base`, applied to `current` (what others made of `base`): changes to
/// different rows both land; a row both changed fails with 40001, even where a merge of
/// branches would combine the two (different cells, or the same result), since one of two
/// concurrent updates would be lost.
fn merge_changes(
    ns: &vdb_engine::prolly::NodeStore,
    base: &RootValue,
    current: &RootValue,
    root: &RootValue,
) -> Result<RootValue> {
    let merged = merge_roots(ns, base, current, root)
        .map_err(|e| Error::engine("merging concurrent changes", e))?;
    if !merged.is_clean() {
        return Err(Error::Serialization);
    }
    let both = row_changed_by_both(ns, base, current, root)
        .map_err(|e| Error::engine("merging concurrent changes", e))?;
    if both.is_some() {
        return Err(Error::Serialization);
    }
    Ok(merged.root)
}

impl Session {
    /// Runs a version-control procedure. An open transaction block's changes are written to
    /// the working set first, so that the procedure (a commit, say) sees them, and the block
    /// then continues from the new working root: like Dolt's, these procedures are not undone
    /// by ROLLBACK. Savepoints set before the call are released.
    fn call_procedure(&mut self, call: &procedures::Call) -> Result<StatementResult> {
        let args = {
            let (_, root, _hold) = self.read_working()?;
            let snapshot =
                Snapshot::new(root, self.repo.node_store().clone(), self.settings.clone())
                    .with_vc(self.vc_context());
            context::with_snapshot(snapshot, || procedures::arg_strings(&call.name, &call.args))?
        };
        if call.name == "vdb_checkout" && self.txn.as_ref().is_some_and(|txn| txn.root != txn.base)
        {
            return Err(Error::invalid(
                "25001",
                "vdb_checkout cannot switch branches with uncommitted changes in the \
                 transaction block; COMMIT or ROLLBACK first",
            ));
        }
        self.publish_block(&call.name)?;
        let user = self
            .settings
            .get("session_authorization")
            .unwrap_or_else(|| "postgres".into());
        let _gc_hold = (call.name != "vdb_gc").then(|| self.repo.gc_hold());
        let outcome = procedures::run(&self.vc_context(), &user, &call.name, &args)?;
        if let Some(branch) = &outcome.branch {
            self.branch = branch.clone();
            self.pinned = None;
            self.pinned_hold = None;
        }
        self.rebase_block()?;
        let (columns, row) = outcome.shaped(&call.shape);
        if let procedures::Shape::Query(statement, alias) = &call.shape {
            let query =
                procedures::over_result(statement, &call.name, alias.as_ref(), &columns, &row)?;
            return self.execute_statement(&query);
        }
        Ok(StatementResult::Rows {
            columns,
            rows: vec![row],
            tag: None,
        })
    }
}

impl Session {
    /// Writes an open transaction block's changes to the working set, before something that
    /// acts on the working set itself (`what`, for the read-only error).
    fn publish_block(&self, what: &str) -> Result<()> {
        if let Some(txn) = &self.txn {
            if txn.root != txn.base {
                if let Some((rev, _)) = &self.pinned {
                    return Err(vc::read_only(what, rev));
                }
                self.publish(txn.base_addr, &txn.base, &txn.root)?;
            }
        }
        Ok(())
    }

    /// Restarts an open transaction block from the working set as it now is (after
    /// [`Session::publish_block`] and a change to the working set); savepoints are released.
    fn rebase_block(&mut self) -> Result<()> {
        if self.txn.is_some() {
            let (base_addr, base, base_hold) = self.read_working()?;
            if let Some(txn) = &mut self.txn {
                txn.base_addr = base_addr;
                txn.base_hold = base_hold;
                txn.root = base.clone();
                txn.base = base;
                txn.savepoints.clear();
            }
        }
        Ok(())
    }

    /// `DELETE FROM vdb_conflicts_t ...` (conflicts marked resolved in the working set) and
    /// `UPDATE vdb_conflicts_t SET our_... ` (the new values upserted into the table).
    fn write_conflicts(&mut self, write: &vc::resolve::ConflictWrite) -> Result<StatementResult> {
        let kind = if write.is_delete() {
            "DELETE"
        } else {
            "UPDATE"
        };
        if let Some((rev, _)) = &self.pinned {
            return Err(vc::read_only(kind, rev));
        }
        self.publish_block(kind)?;
        self.rebase_block()?;
        let schema = {
            let (_, root, _hold) = self.read_working()?;
            Catalog::new(&root, self.repo.node_store())
                .must_get_table(&write.table)?
                .schema()
                .clone()
        };
        let StatementResult::Rows { rows, .. } = self.execute_statement(&write.query(&schema)?)?
        else {
            return Err(Error::invalid(
                "XX000",
                "the conflicts query returned no rows",
            ));
        };
        let count = rows.len();
        if write.is_delete() {
            let keys: Vec<bytes::Bytes> = rows
                .into_iter()
                .filter_map(|row| match row.into_iter().next() {
                    Some(Value::Bytea(key)) => Some(bytes::Bytes::from(key)),
                    _ => None,
                })
                .collect();
            self.repo
                .clear_conflicts(&self.branch, &write.table, &keys)
                .map_err(vc::vc_error)?;
            self.rebase_block()?;
        } else {
            for row in &rows {
                self.execute_statement(&write.upsert(&schema, &row[1..])?)?;
            }
        }
        Ok(StatementResult::Command {
            tag: format!("{kind} {count}"),
        })
    }
}

/// What a statement is called in a read-only error (`INSERT`, `CREATE TABLE`...).
/// 26000 for a prepared statement that does not exist.
fn unknown_prepared(name: &str) -> Error {
    Error::invalid(
        "26000",
        format!("prepared statement \"{name}\" does not exist"),
    )
}

fn statement_kind(statement: &Statement) -> String {
    let text = statement.to_string();
    let mut words = text.split_whitespace().take(2).map(str::to_uppercase);
    match (words.next(), words.next()) {
        (Some(first), Some(second))
            if matches!(first.as_str(), "CREATE" | "DROP" | "ALTER" | "TRUNCATE") =>
        {
            format!("{first} {second}")
        }
        (Some(first), _) => first,
        _ => "this statement".into(),
    }
}

/// Whether a statement begins or ends a transaction block (or a savepoint).
fn controls_transaction(statement: &Statement) -> bool {
    matches!(
        statement,
        Statement::StartTransaction { .. }
            | Statement::Commit { .. }
            | Statement::Rollback { .. }
            | Statement::Savepoint { .. }
            | Statement::ReleaseSavepoint { .. }
    )
}

/// A session's advisory locks go with it, as a PostgreSQL backend's do when it exits.
impl Drop for Session {
    fn drop(&mut self) {
        crate::advisory::release_session(self.listener.id(), false);
    }
}

/// DROP EXTENSION: the built-in extensions cannot be dropped (0A000: their functions are part
/// of vdb); any other name does not exist (42704, or a notice with IF EXISTS).
fn drop_extension(names: &[String], if_exists: bool) -> Result<StatementResult> {
    for name in names {
        if crate::admin::BUILT_IN_EXTENSIONS
            .iter()
            .any(|(n, _)| n == name)
        {
            return Err(Error::Unsupported(format!(
                "DROP EXTENSION \"{name}\" (it is built into vdb)"
            )));
        }
        if !if_exists {
            return Err(Error::invalid(
                "42704",
                format!("extension \"{name}\" does not exist"),
            ));
        }
        notice::skipping_missing(format!("extension \"{name}\""));
    }
    Ok(command_result("DROP EXTENSION"))
}

/// CREATE EXTENSION: a built-in extension is there already, so it succeeds and changes
/// nothing (IF NOT EXISTS, SCHEMA, VERSION and CASCADE included); any other is 0A000, as in
/// a PostgreSQL without it installed.
fn create_extension(name: &str) -> Result<StatementResult> {
    if crate::admin::BUILT_IN_EXTENSIONS
        .iter()
        .any(|(n, _)| *n == name)
    {
        return Ok(command_result("CREATE EXTENSION"));
    }
    Err(Error::invalid(
        "0A000",
        format!("extension \"{name}\" is not available"),
    ))
}

/// A result that is only a command tag.
fn command_result(tag: &str) -> StatementResult {
    StatementResult::Command {
        tag: tag.to_string(),
    }
}

/// 25P01: a savepoint statement outside a transaction block.
fn no_block(what: &str) -> Error {
    Error::invalid(
        "25P01",
        format!("{what} can only be used in transaction blocks"),
    )
}

/// The text of a `SET search_path` list as PostgreSQL shows it: unquoted names folded to lower
/// case, names that need quotes (`"$user"`, `"Mixed"`) quoted; `None` for DEFAULT.
fn search_path_value(values: &[sqlparser::ast::Expr]) -> Option<String> {
    use sqlparser::ast::{Expr, Value as V};
    let mut parts = Vec::new();
    for value in values {
        parts.push(match value {
            Expr::Identifier(i)
                if i.quote_style.is_none() && i.value.eq_ignore_ascii_case("default") =>
            {
                return None
            }
            Expr::Identifier(i) => crate::system::quote_ident(&ident_name(i)),
            Expr::Value(V::SingleQuotedString(s)) => crate::system::quote_ident(s),
            other => other.to_string(),
        });
    }
    Some(parts.join(", "))
}

/// The position of the newest savepoint called `name`, or 3B001.
fn find_savepoint(savepoints: &[Savepoint], name: &str) -> Result<usize> {
    savepoints
        .iter()
        .rposition(|s| s.name == name)
        .ok_or_else(|| Error::invalid("3B001", format!("savepoint \"{name}\" does not exist")))
}

/// The text of a SET value list: identifiers and literals as written, joined by `, ` (the
/// form `search_path` takes); `None` for DEFAULT.
/// The value of `SET TIME ZONE x`: `LOCAL` and `DEFAULT` reset it; an interval
/// (`INTERVAL '+05:30' HOUR TO MINUTE`) is hours east of UTC, as a number is.
fn time_zone_value(value: &sqlparser::ast::Expr) -> Result<Option<String>> {
    use sqlparser::ast::{Expr, Value as V};
    match value {
        Expr::Identifier(i)
            if i.quote_style.is_none()
                && (i.value.eq_ignore_ascii_case("local")
                    || i.value.eq_ignore_ascii_case("default")) =>
        {
            Ok(None)
        }
        Expr::Interval(iv) => {
            let Expr::Value(V::SingleQuotedString(text)) = iv.value.as_ref() else {
                return Err(Error::invalid(
                    "22023",
                    format!("invalid value for parameter \"TimeZone\": \"{iv}\""),
                ));
            };
            let interval = crate::types::interval::parse_interval(text)?;
            if interval.months != 0 || interval.days != 0 {
                return Err(Error::invalid(
                    "22023",
                    "invalid interval value for time zone: day not allowed",
                ));
            }
            #[allow(clippy::cast_precision_loss)]
            let hours = interval.micros as f64 / 3_600_000_000.0;
            Ok(Some(hours.to_string()))
        }
        other => setting_value(std::slice::from_ref(other)),
    }
}

fn setting_value(values: &[sqlparser::ast::Expr]) -> Result<Option<String>> {
    use sqlparser::ast::{Expr, Value as V};
    let mut parts = Vec::new();
    for value in values {
        parts.push(match value {
            Expr::Identifier(i)
                if i.quote_style.is_none() && i.value.eq_ignore_ascii_case("default") =>
            {
                return Ok(None)
            }
            Expr::Identifier(i) => i.value.clone(),
            Expr::Value(V::SingleQuotedString(s) | V::EscapedStringLiteral(s)) => s.clone(),
            Expr::Value(V::Number(n, _)) => n.clone(),
            Expr::Value(V::Boolean(b)) => if *b { "on" } else { "off" }.to_string(),
            Expr::UnaryOp {
                op: sqlparser::ast::UnaryOperator::Minus,
                expr,
            } => format!("-{expr}"),
            other => other.to_string(),
        });
    }
    Ok(Some(parts.join(", ")))
}

/// The parameter a `RESET name` / `RESET ALL` statement names, read from its tokens (sqlparser
/// 0.52 has no RESET statement); `None` for any other text.
fn reset_target(sql: &str) -> Option<String> {
    use sqlparser::tokenizer::{Token, Tokenizer};
    // Only a statement that starts with RESET is worth tokenizing (comments aside).
    let start = sql.trim_start();
    let first = start.get(..5)?;
    if !first.eq_ignore_ascii_case("reset") && !start.starts_with("--") && !start.starts_with("/*")
    {
        return None;
    }
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let words: Vec<&Token> = tokens
        .iter()
        .filter(|t| !matches!(t, Token::Whitespace(_) | Token::SemiColon))
        .collect();
    let (first, rest) = words.split_first()?;
    match first {
        Token::Word(w) if w.value.eq_ignore_ascii_case("reset") && !rest.is_empty() => {
            let mut name = Vec::new();
            for t in rest {
                match t {
                    Token::Word(w) => name.push(w.value.clone()),
                    Token::Period => {}
                    _ => return None,
                }
            }
            Some(
                name.join(if rest.iter().any(|t| matches!(t, Token::Period)) {
                    "."
                } else {
                    " "
                }),
            )
        }
        _ => None,
    }
}

/// A `REINDEX` or `CLUSTER` statement (sqlparser parses neither): its command and the
/// relations it names that must exist (REINDEX INDEX / TABLE's; CLUSTER's table and index).
/// `None` for anything else, including a script with more statements.
fn reindex_or_cluster(sql: &str) -> Option<(&'static str, Vec<String>)> {
    use crate::tokens::{is_word, significant};
    use sqlparser::tokenizer::Token;
    // Only a statement that starts with one of the words is worth tokenizing (comments aside).
    let start = sql.trim_start();
    let starts = |word: &str| {
        start
            .get(..word.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(word))
    };
    if !starts("reindex") && !starts("cluster") && !starts("--") && !starts("/*") {
        return None;
    }
    let (tokens, at) = significant(sql)?;
    let mut words = at.iter().map(|&i| &tokens[i]).peekable();
    let command = match words.next()? {
        t if is_word(t, "reindex") => "REINDEX",
        t if is_word(t, "cluster") => "CLUSTER",
        _ => return None,
    };
    // `(option, ...)` right after the command.
    if matches!(words.peek(), Some(Token::LParen)) {
        for t in words.by_ref() {
            if *t == Token::RParen {
                break;
            }
        }
    }
    let mut relations = Vec::new();
    let mut name = String::new();
    let mut probe = command == "CLUSTER";
    let mut kind_read = command == "CLUSTER";
    for t in words {
        match t {
            Token::SemiColon => break,
            t if !kind_read => {
                kind_read = true;
                probe = is_word(t, "index") || is_word(t, "table");
                if !probe
                    && !["schema", "database", "system"]
                        .iter()
                        .any(|k| is_word(t, k))
                {
                    return None;
                }
            }
            t if is_word(t, "concurrently") || is_word(t, "verbose") => {}
            t if is_word(t, "using") => relations.push(std::mem::take(&mut name)),
            Token::Word(w) => name.push_str(&w.to_string()),
            Token::Period => name.push('.'),
            _ => return None,
        }
    }
    if !name.is_empty() {
        relations.push(name);
    }
    relations.retain(|r| probe && !r.is_empty());
    Some((command, relations))
}

/// A `VACUUM` or `ANALYZE` statement (sqlparser parses neither): its command and the tables it
/// names (each as written, quoted where it was), options and column lists skipped. `None` for
/// anything else, including a script with more statements.
fn maintenance_command(sql: &str) -> Option<(&'static str, Vec<String>)> {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let start = sql.trim_start();
    let first = start.get(..7).unwrap_or(start).to_ascii_lowercase();
    if !first.starts_with("vacuum") && !first.starts_with("analy") {
        return None;
    }
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let mut words = tokens
        .iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .peekable();
    let command = match words.next()? {
        Token::Word(w) if w.value.eq_ignore_ascii_case("vacuum") => "VACUUM",
        Token::Word(w)
            if w.value.eq_ignore_ascii_case("analyze")
                || w.value.eq_ignore_ascii_case("analyse") =>
        {
            "ANALYZE"
        }
        _ => return None,
    };
    let option = |w: &sqlparser::tokenizer::Word| {
        [
            "full",
            "freeze",
            "verbose",
            "analyze",
            "analyse",
            "skip_locked",
        ]
        .iter()
        .any(|o| w.value.eq_ignore_ascii_case(o))
            && w.quote_style.is_none()
    };
    // `(option [value], ...)` right after the command.
    if matches!(words.peek(), Some(Token::LParen)) {
        let mut depth = 0;
        for t in words.by_ref() {
            match t {
                Token::LParen => depth += 1,
                Token::RParen if depth == 1 => break,
                Token::RParen => depth -= 1,
                _ => {}
            }
        }
    }
    let mut tables = Vec::new();
    let mut name = String::new();
    let mut in_columns = false;
    for t in words {
        match t {
            Token::Word(w) if name.is_empty() && tables.is_empty() && option(w) => {}
            Token::Word(w) if !in_columns => name.push_str(&w.to_string()),
            Token::Period if !in_columns => name.push('.'),
            Token::LParen => in_columns = true,
            Token::RParen => in_columns = false,
            Token::Comma if !in_columns => tables.push(std::mem::take(&mut name)),
            Token::SemiColon => break,
            _ if in_columns => {}
            _ => return None,
        }
    }
    if !name.is_empty() {
        tables.push(name);
    }
    Some((command, tables))
}

/// [`run`] with the session's temporary objects laid over `root`; returns the result and the
/// temporary objects as the statement left them, split off `root` again (see [`crate::temp`]).
fn run_with_temp(
    temp: &TempObjects,
    vc: &VcContext,
    statement: &Statement,
    root: &mut RootValue,
    settings: &Settings,
) -> Result<(StatementResult, RootValue)> {
    temp.overlay(root);
    let result = run(vc, statement, root, settings);
    let temp = temp::split(root);
    result.map(|result| (result, temp))
}

/// Whether BEGIN's transaction mode leaves vdb's snapshot behaviour as it is: an isolation
/// level (every block reads its snapshot and fails with 40001 on a conflicting commit) or
/// READ WRITE. READ ONLY, which would refuse writes, is not supported.
/// The isolation level transaction `modes` name, as `transaction_isolation` spells it.
fn isolation_name(modes: &[sqlparser::ast::TransactionMode]) -> Option<&'static str> {
    use sqlparser::ast::{TransactionIsolationLevel as L, TransactionMode};
    modes.iter().rev().find_map(|mode| match mode {
        TransactionMode::IsolationLevel(level) => Some(match level {
            L::ReadUncommitted => "read uncommitted",
            L::ReadCommitted => "read committed",
            L::RepeatableRead => "repeatable read",
            L::Serializable => "serializable",
        }),
        _ => None,
    })
}

/// Whether transaction `modes` say READ ONLY (`Some(false)` for READ WRITE, `None` for
/// neither).
fn access_read_only(modes: &[sqlparser::ast::TransactionMode]) -> Option<bool> {
    use sqlparser::ast::{TransactionAccessMode, TransactionMode};
    modes.iter().rev().find_map(|mode| match mode {
        TransactionMode::AccessMode(TransactionAccessMode::ReadOnly) => Some(true),
        TransactionMode::AccessMode(TransactionAccessMode::ReadWrite) => Some(false),
        _ => None,
    })
}

/// Whether `statement` creates, alters or drops an object (refused in a READ ONLY transaction).
fn is_ddl(statement: &Statement) -> bool {
    matches!(
        statement,
        Statement::CreateTable(_)
            | Statement::CreateView { .. }
            | Statement::CreateIndex(_)
            | Statement::CreateSequence { .. }
            | Statement::CreateSchema { .. }
            | Statement::CreateType { .. }
            | Statement::CreateFunction { .. }
            | Statement::CreateTrigger { .. }
            | Statement::Drop { .. }
            | Statement::DropFunction { .. }
            | Statement::DropTrigger { .. }
            | Statement::AlterTable { .. }
            | Statement::AlterIndex { .. }
            | Statement::AlterView { .. }
            | Statement::Comment { .. }
    )
}

/// A boolean setting's value.
fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

/// 25006: a write in a READ ONLY transaction.
fn read_only_transaction(statement: &Statement) -> Error {
    Error::invalid(
        "25006",
        format!(
            "cannot execute {} in a read-only transaction",
            statement_kind(statement)
        ),
    )
}

/// Whether `statement` is a query that locks the rows it reads (`FOR UPDATE`, `FOR SHARE`, ...).
fn locks_rows(statement: &Statement) -> bool {
    matches!(statement, Statement::Query(query) if !query.locks.is_empty())
}

/// For a `SELECT ... FOR UPDATE ... NOWAIT`, the relation the NOWAIT clause locks (its OF
/// table, or the query's first FROM table), named in the error when it cannot lock at once.
fn nowait_relation(statement: &Statement) -> Option<String> {
    use sqlparser::ast::{NonBlock, SetExpr, TableFactor};
    let Statement::Query(query) = statement else {
        return None;
    };
    let clause = query
        .locks
        .iter()
        .find(|lock| matches!(lock.nonblock, Some(NonBlock::Nowait)))?;
    let first_from = match query.body.as_ref() {
        SetExpr::Select(select) => select.from.first().and_then(|from| match &from.relation {
            TableFactor::Table { name, .. } => name.0.last().map(|part| part.value.clone()),
            _ => None,
        }),
        _ => None,
    };
    let of = clause
        .of
        .as_ref()
        .and_then(|name| name.0.last().map(|part| part.value.clone()));
    Some(of.or(first_from).unwrap_or_default())
}

/// The isolation level transaction `modes` name, as "is it READ COMMITTED" (READ
/// UNCOMMITTED, as in PostgreSQL, behaves as READ COMMITTED); `None` if they name none.
fn isolation_read_committed(modes: &[sqlparser::ast::TransactionMode]) -> Option<bool> {
    use sqlparser::ast::{TransactionIsolationLevel as Level, TransactionMode};
    modes.iter().rev().find_map(|mode| match mode {
        TransactionMode::IsolationLevel(level) => Some(matches!(
            level,
            Level::ReadCommitted | Level::ReadUncommitted
        )),
        TransactionMode::AccessMode(_) => None,
    })
}

/// WARNING 25P01: COMMIT, ROLLBACK, END or ABORT outside a transaction block.
fn no_transaction_warning() -> Notice {
    Notice::warning("25P01", "there is no transaction in progress")
}

/// An object key (`t`, `s.t`) as a SQL name, each part quoted where needed.
fn key_ident(key: &str) -> String {
    match key.split_once('.') {
        Some((schema, name)) => format!("{}.{}", quote_ident(schema), quote_ident(name)),
        None => quote_ident(key),
    }
}

/// Plans, optimizes and executes one statement against `root`, with `settings` as the session's
/// parameters that the statement may read.
fn run(
    vc: &VcContext,
    statement: &Statement,
    root: &mut RootValue,
    settings: &Settings,
) -> Result<StatementResult> {
    let ns = vc.repo.node_store();
    let snapshot = Snapshot::new(root.clone(), ns.clone(), settings.clone()).with_vc(vc.clone());
    context::with_snapshot(snapshot, || run_planned(ns, statement, root))
}

/// Runs one statement of a PL/pgSQL function against `root`, the function's working copy of
/// the database, with the calling statement's settings and version-control context (`outer`).
pub(crate) fn run_in_function(
    outer: &Snapshot,
    statement: &Statement,
    root: &mut RootValue,
) -> Result<StatementResult> {
    let mut snapshot = Snapshot::new(root.clone(), outer.ns.clone(), outer.settings.clone());
    if let Some(vc) = &outer.vc {
        snapshot = snapshot.with_vc(vc.clone());
    }
    context::with_snapshot(snapshot, || run_planned(&outer.ns, statement, root))
}

fn run_planned(
    ns: &vdb_engine::prolly::NodeStore,
    statement: &Statement,
    root: &mut RootValue,
) -> Result<StatementResult> {
    match crate::dml_cte::modifying_with(statement) {
        Some(with) => run_modifying_with(ns, statement, with, root),
        None => run_plain(ns, statement, root),
    }
}

/// Runs the data-modifying WITH queries of `statement` in order, then the statement reading
/// their RETURNING rows; a main SELECT reads the tables as they were before them.
fn run_modifying_with(
    ns: &vdb_engine::prolly::NodeStore,
    statement: &Statement,
    with: &sqlparser::ast::With,
    root: &mut RootValue,
) -> Result<StatementResult> {
    use crate::dml_cte::{self, Materialized};
    let before = root.clone();
    let mut results = std::collections::HashMap::new();
    for (i, cte) in with.cte_tables.iter().enumerate() {
        if !dml_cte::is_data_modifying(&cte.query) {
            continue;
        }
        let wrapped = Statement::Query(Box::new(sqlparser::ast::Query {
            with: Some(sqlparser::ast::With {
                cte_tables: with.cte_tables[..i].to_vec(),
                ..with.clone()
            }),
            ..(*cte.query).clone()
        }));
        let result = dml_cte::with_results(results.clone(), || run_plain(ns, &wrapped, root))?;
        let materialized = match result {
            StatementResult::Rows { columns, rows, .. } => Materialized { columns, rows },
            _ => Materialized {
                columns: Vec::new(),
                rows: Vec::new(),
            },
        };
        results.insert(ident_name(&cte.alias.name), Arc::new(materialized));
    }
    let main_modifies = matches!(statement, Statement::Query(q) if dml_cte::is_data_modifying(q));
    dml_cte::with_results(results, || {
        if main_modifies {
            run_plain(ns, statement, root)
        } else {
            run_plain(ns, statement, &mut before.clone())
        }
    })
}

fn run_plain(
    ns: &vdb_engine::prolly::NodeStore,
    statement: &Statement,
    root: &mut RootValue,
) -> Result<StatementResult> {
    if let Statement::Explain {
        statement: inner,
        analyze,
        format,
        options,
        query_plan: false,
        ..
    } = statement
    {
        let options = crate::explain::options(*analyze, format.as_ref(), options.as_deref())?;
        let rows = crate::explain::explain(inner, options, root, ns)?
            .into_iter()
            .map(|l| vec![Value::Text(l)])
            .collect();
        return Ok(StatementResult::Rows {
            columns: vec![("QUERY PLAN".into(), Type::Text)],
            rows,
            tag: None,
        });
    }
    let Planned { plan, columns, tag } =
        crate::plan_cache::plan(&Catalog::new(root, ns), root, ns, statement)?;
    let plan = crate::copy::fill(statement, plan)?;
    match (execute(plan, root, ns)?, columns) {
        (Outcome::Rows(rows), Some(columns)) => {
            let rows = crate::execution::collect_result(rows)?;
            let n = rows.len();
            // A write with RETURNING reports what it did, not `SELECT n`: clients read the
            // row count from the tag (psycopg's rowcount, SQLAlchemy).
            let tag = match tag {
                "INSERT" => Some(format!("INSERT 0 {n}")),
                "UPDATE" | "DELETE" | "MERGE" => Some(format!("{tag} {n}")),
                _ => None,
            };
            Ok(StatementResult::Rows { columns, rows, tag })
        }
        (Outcome::Affected(n), _) => Ok(StatementResult::Command {
            tag: match tag {
                "INSERT" => format!("INSERT 0 {n}"),
                "UPDATE" | "DELETE" | "MERGE" | "SELECT" => format!("{tag} {n}"),
                other => other.to_string(),
            },
        }),
        // CREATE TABLE IF NOT EXISTS .. AS of an existing table inserts nothing and says so
        // with PostgreSQL's tag rather than `SELECT n`.
        (Outcome::Done, _) if tag == "SELECT" => Ok(StatementResult::Command {
            tag: "CREATE TABLE AS".into(),
        }),
        _ => Ok(StatementResult::Command {
            tag: tag.to_string(),
        }),
    }
}

/// How deeply a statement's expressions may nest (`1 + 1 + ...` nests once per operator):
/// deeper ones fail with 54001, as PostgreSQL's fail past `max_stack_depth`, before planning
/// and evaluation recurse through them (a connection's stack holds this depth; see
/// `vdb_wire`'s connection threads).
pub const MAX_EXPRESSION_DEPTH: usize = 10_000;

/// Parses `sql` with the PostgreSQL dialect, mapping errors to PostgreSQL's syntax errors;
/// statements nested deeper than [`MAX_EXPRESSION_DEPTH`] fail with 54001.
pub fn parse(sql: &str) -> Result<Vec<Statement>> {
    let statements = parse_text(sql)?;
    if expression_depth_exceeds(&statements, MAX_EXPRESSION_DEPTH) {
        return Err(Error::invalid("54001", "stack depth limit exceeded"));
    }
    Ok(statements)
}

/// Whether an expression in `statements` nests more than `limit` deep.
fn expression_depth_exceeds(statements: &[Statement], limit: usize) -> bool {
    use sqlparser::ast::{Visit, Visitor};
    use std::ops::ControlFlow;
    struct Depth {
        now: usize,
        limit: usize,
    }
    impl Visitor for Depth {
        type Break = ();
        fn pre_visit_expr(&mut self, _: &sqlparser::ast::Expr) -> ControlFlow<()> {
            self.now += 1;
            if self.now > self.limit {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
        fn post_visit_expr(&mut self, _: &sqlparser::ast::Expr) -> ControlFlow<()> {
            self.now -= 1;
            ControlFlow::Continue(())
        }
    }
    let mut depth = Depth { now: 0, limit };
    statements.iter().any(|s| s.visit(&mut depth).is_break())
}

fn parse_text(sql: &str) -> Result<Vec<Statement>> {
    let original = sql;
    if let Some(fetch) = cursor::parse_fetch(sql) {
        return fetch.map(|statement| vec![statement]);
    }
    // sqlparser's SHOW reads every word to the end of the text, past a `;`: a string with a
    // SHOW and more statements is parsed one statement at a time.
    if let Some(pieces) = split_around_show(sql) {
        let mut statements = Vec::new();
        for piece in pieces {
            statements.extend(parse(&piece)?);
        }
        return Ok(statements);
    }
    let rewritten = vc::as_of::rewrite(sql);
    let sql = rewritten.as_deref().unwrap_or(sql);
    trailing_junk(sql)?;
    let postfix = postfix_null_tests(sql);
    let sql = postfix.as_deref().unwrap_or(sql);
    let inherited = without_only(sql);
    let sql = inherited.as_deref().unwrap_or(sql);
    // sqlparser reads no PostgreSQL CREATE PROCEDURE: it is read as a marked function.
    let procedure = crate::planner::rewrite_procedure(sql);
    let sql = procedure.as_deref().unwrap_or(sql);
    // sqlparser reads no `RETURNS SETOF t`, and `RETURNS TABLE (...)` as a type named table.
    let returns = crate::planner::rewrite_function_returns(sql);
    let sql = returns.as_deref().unwrap_or(sql);
    let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).or_else(|e| {
        // sqlparser reads neither `CREATE TYPE t AS ENUM (...)` nor ALTER TYPE.
        if let Some(statement) = crate::planner::enum_type::parse(sql) {
            return statement.map(|s| vec![s]);
        }
        // sqlparser has no `ALTER VIEW v RENAME TO w`; ALTER TABLE renames views as well.
        if let Some(statements) = alter_view_as_table(sql) {
            return Ok(statements);
        }
        if let Some(statements) = alter_schema_as_table(sql) {
            return Ok(statements);
        }
        if let Some(statements) = crate::planner::sequence::parse_alter_identity(sql) {
            return Ok(statements);
        }
        if let Some(statements) = crate::planner::sequence::parse_alter(sql) {
            return Ok(statements);
        }
        // Respellings of query syntax sqlparser does not read, each parsed again (with these
        // fallbacks, so that one statement may need several).
        let respellings: [fn(&str) -> Option<String>; 10] = [
            crate::query_syntax::parenthesized_insert_source,
            crate::query_syntax::quantified_values,
            crate::query_syntax::respell,
            crate::query_syntax::without_operator_classes,
            crate::query_syntax::fetch_quantity,
            crate::query_syntax::keyword_names,
            crate::query_syntax::frame_string_offsets,
            crate::query_syntax::tablesample,
            crate::query_syntax::unique_nulls_distinct,
            crate::query_syntax::view_check_option,
        ];
        for respelled in respellings.iter().filter_map(|respell| respell(sql)) {
            if let Ok(statements) = parse(&respelled) {
                return Ok(statements);
            }
        }
        if let Some(text) = crate::admin::without_storage_clauses(sql) {
            return parse(&text?);
        }
        if let Some(text) = crate::planner::constraint::rewrite_foreign_keys(sql) {
            if let Ok(statements) = parse(&text) {
                return Ok(statements);
            }
        }
        if let Some(text) = crate::admin::without_deferrable(sql) {
            if let Ok(statements) = parse(&text) {
                return Ok(statements);
            }
        }
        if let Some(text) = crate::admin::set_transaction_spelled(sql) {
            if let Ok(statements) = Parser::parse_sql(&PostgreSqlDialect {}, &text) {
                return Ok(statements);
            }
        }
        if let Some(statements) = abort_as_rollback(sql) {
            return Ok(statements);
        }
        if let Some(statements) = unlisten_as_listen(sql) {
            return Ok(statements);
        }
        if let Some(statements) = crate::planner::parse_materialized_view(sql) {
            return statements;
        }
        if let Some(statements) = crate::planner::parse_domain(sql) {
            return statements;
        }
        if let Some(statements) = drop_index_concurrently(sql) {
            return Ok(statements);
        }
        if let Some(statements) = returning_unaliased(sql)
            .and_then(|text| Parser::parse_sql(&PostgreSqlDialect {}, &text).ok())
        {
            return Ok(statements);
        }
        if let Some(statements) = crate::dml_cte::parse_delete_in_with(sql) {
            return Ok(statements);
        }
        if let Some(text) = trim_without_characters(sql) {
            if let Ok(statements) = Parser::parse_sql(&PostgreSqlDialect {}, &text) {
                return Ok(statements);
            }
        }
        if let Some(statements) = overriding_insert(sql) {
            return Ok(statements);
        }
        // sqlparser reads only column names as an ON CONFLICT target.
        if let Some(text) = crate::planner::rewrite_conflict_inference(sql) {
            if let Ok(statements) = Parser::parse_sql(&PostgreSqlDialect {}, &text) {
                return Ok(statements);
            }
        }
        // sqlparser reads no `THEN DO NOTHING` or `INSERT DEFAULT VALUES` in a MERGE.
        if let Some(text) = crate::planner::rewrite_merge_actions(sql) {
            if let Ok(statements) = Parser::parse_sql(&PostgreSqlDialect {}, &text) {
                return Ok(statements);
            }
        }
        if let Some(text) = variadic_as_call(sql) {
            if let Ok(statements) = Parser::parse_sql(&PostgreSqlDialect {}, &text) {
                return Ok(statements);
            }
        }
        if let Some(text) = convert_as_function(sql) {
            if let Ok(statements) = Parser::parse_sql(&PostgreSqlDialect {}, &text) {
                return Ok(statements);
            }
        }
        // sqlparser takes only TRUE / FALSE for COPY's boolean options; PostgreSQL also takes
        // ON / OFF / 1 / 0 (`WITH (FREEZE ON)`, as pgbench -i sends it); nor `FORCE_QUOTE *`.
        if let Some(spelled) = copy_booleans_spelled_out(sql) {
            if let Ok(statements) = parse(&spelled) {
                return Ok(statements);
            }
        }
        // sqlparser reads only parenthesized GROUPING SETS elements, and no frame EXCLUDE.
        if let Some(text) = crate::planner::rewrite_unparsed_syntax(sql) {
            if let Ok(statements) = Parser::parse_sql(&PostgreSqlDialect {}, &text) {
                return Ok(statements);
            }
        }
        // COMMENT ON a view, an index, a schema...: sqlparser knows only TABLE and COLUMN.
        let words: Vec<&str> = sql.split_whitespace().take(3).collect();
        if let ["comment" | "COMMENT" | "Comment", on, object] = words.as_slice() {
            if on.eq_ignore_ascii_case("on") {
                return Err(Error::Unsupported(format!(
                    "COMMENT ON {}",
                    object.to_ascii_uppercase()
                )));
            }
        }
        // sqlparser reads `COPY ... FROM STDIN` as followed by inline data, after a `;`:
        // a lone COPY FROM STDIN, as clients send it, parses once that `;` is supplied.
        let copy = Parser::parse_sql(&PostgreSqlDialect {}, &format!("{sql};"))
            .ok()
            .filter(|s| {
                matches!(s.as_slice(), [Statement::Copy { target: CopyTarget::Stdin, values, .. }]
                    if values.is_empty())
            });
        if let Some(copy) = copy {
            return Ok(copy);
        }
        // The fallbacks above read one statement: several are parsed one at a time (a syntax
        // error in any of them still fails the whole string, as in PostgreSQL).
        if let Some((pieces, _)) = split_statements(original) {
            if let Ok(parsed) = pieces.iter().map(|p| parse(p)).collect::<Result<Vec<_>>>() {
                return Ok(parsed.concat());
            }
        }
        Err(syntax_error(sql, &e))
    })?;
    crate::ast_repair::repair(&mut statements);
    Ok(statements)
}

/// `sql` cut at its top-level semicolons, when it holds more than one statement and one of
/// them is a SHOW; `None` otherwise.
fn split_around_show(sql: &str) -> Option<Vec<String>> {
    let lower = sql.to_ascii_lowercase();
    if !lower.contains("show") {
        return None;
    }
    let (pieces, starts_with_show) = split_statements(sql)?;
    starts_with_show.contains(&true).then_some(pieces)
}

/// `sql` cut at its top-level semicolons when it holds more than one statement, with whether
/// each piece starts with SHOW; `None` for a single statement.
fn split_statements(sql: &str) -> Option<(Vec<String>, Vec<bool>)> {
    use sqlparser::tokenizer::Token;
    if !sql.contains(';') {
        return None;
    }
    let (tokens, _) = crate::tokens::significant(sql)?;
    let mut pieces = vec![String::new()];
    let mut starts_with_show = Vec::new();
    let mut at_start = true;
    for token in &tokens {
        if matches!(token, Token::SemiColon) {
            pieces.push(String::new());
            at_start = true;
            continue;
        }
        if at_start && !matches!(token, Token::Whitespace(_)) {
            starts_with_show.push(crate::tokens::is_word(token, "show"));
            at_start = false;
        }
        if let Some(piece) = pieces.last_mut() {
            piece.push_str(&token.to_string());
        }
    }
    pieces.retain(|p| !p.trim().is_empty());
    (pieces.len() > 1).then_some((pieces, starts_with_show))
}

/// `trim(leading from s)` (no characters given, which sqlparser does not read) spelled
/// `trim(leading ' ' from s)`; `None` if there is none.
fn trim_without_characters(sql: &str) -> Option<String> {
    use sqlparser::keywords::Keyword;
    use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let mut out = Vec::with_capacity(tokens.len());
    let mut changed = false;
    let mut pending = false; // a LEADING / TRAILING / BOTH waits for its next word
    for token in tokens {
        match &token {
            Token::Word(w)
                if matches!(
                    w.keyword,
                    Keyword::LEADING | Keyword::TRAILING | Keyword::BOTH
                ) =>
            {
                pending = true;
            }
            Token::Word(w) if pending && w.keyword == Keyword::FROM => {
                out.push(Token::SingleQuotedString(" ".into()));
                out.push(Token::Whitespace(Whitespace::Space));
                changed = true;
                pending = false;
            }
            Token::Whitespace(_) => {}
            _ => pending = false,
        }
        out.push(token);
    }
    changed.then(|| out.iter().map(ToString::to_string).collect())
}

/// `f(a, VARIADIC arr)` (which sqlparser does not read) spelled `f(a, "variadic"(arr))`, a
/// marker the binder recognizes (`planner/function.rs`); `None` if the text has no VARIADIC.
fn variadic_as_call(sql: &str) -> Option<String> {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let mut out = Vec::with_capacity(tokens.len() + 2);
    let mut closes: Vec<usize> = Vec::new(); // paren depths at which a marker call closes
    let mut depth = 0usize;
    let mut changed = false;
    for token in &tokens {
        match token {
            Token::Word(w)
                if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("variadic") =>
            {
                out.push(crate::tokens::word("variadic", Some('"')));
                out.push(Token::LParen);
                closes.push(depth);
                changed = true;
                continue;
            }
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen | Token::RBracket => {
                if closes.last() == Some(&depth) && *token == Token::RParen {
                    closes.pop();
                    out.push(Token::RParen);
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        out.push(token.clone());
    }
    changed.then(|| out.iter().map(ToString::to_string).collect())
}

/// `convert(bytes, src, dest)` (which sqlparser reads as MySQL's or SQL Server's CONVERT)
/// spelled as a call of the quoted name `"convert"`; `None` if the text has no such call.
fn convert_as_function(sql: &str) -> Option<String> {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let mut out = tokens.clone();
    let mut changed = false;
    for (i, token) in tokens.iter().enumerate() {
        let Token::Word(w) = token else { continue };
        let next = tokens[i + 1..]
            .iter()
            .find(|t| !matches!(t, Token::Whitespace(_)));
        if w.quote_style.is_none()
            && w.value.eq_ignore_ascii_case("convert")
            && next == Some(&Token::LParen)
        {
            out[i] = crate::tokens::word("convert", Some('"'));
            changed = true;
        }
    }
    changed.then(|| out.iter().map(ToString::to_string).collect())
}

/// `x ISNULL` / `x NOTNULL` (PostgreSQL's postfix forms, which sqlparser reads as aliases)
/// spelled `x IS NULL` / `x IS NOT NULL`; `None` if the text has neither.
fn postfix_null_tests(sql: &str) -> Option<String> {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let lower = sql.to_ascii_lowercase();
    if !lower.contains("isnull") && !lower.contains("notnull") {
        return None;
    }
    let mut tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let mut changed = false;
    for token in &mut tokens {
        let Token::Word(w) = &*token else { continue };
        if w.quote_style.is_some() {
            continue;
        }
        let spelled = match w.value.to_ascii_lowercase().as_str() {
            "isnull" => "IS NULL",
            "notnull" => "IS NOT NULL",
            _ => continue,
        };
        *token = crate::tokens::word(spelled, None);
        changed = true;
    }
    changed.then(|| tokens.iter().map(ToString::to_string).collect())
}

/// `sql` without the ONLY of `FROM ONLY t`, `JOIN ONLY t`, `UPDATE ONLY t`, `DELETE FROM ONLY
/// t`, `ALTER TABLE ONLY t` and `TRUNCATE [TABLE] ONLY t` (pg_dump writes ALTER TABLE ONLY):
/// ONLY leaves out a table's inheritance children, and vdb tables have none. sqlparser would
/// read it as a table named `only`.
fn without_only(sql: &str) -> Option<String> {
    use sqlparser::tokenizer::Token;
    if !sql.to_ascii_lowercase().contains("only") {
        return None;
    }
    let (tokens, significant) = crate::tokens::significant(sql)?;
    let mut drop = Vec::new();
    for pair in significant.windows(3) {
        let [before, only, after] = [pair[0], pair[1], pair[2]];
        let follows_target = ["from", "join", "update", "table", "truncate"]
            .iter()
            .any(|w| crate::tokens::is_word(&tokens[before], w));
        if follows_target
            && crate::tokens::is_word(&tokens[only], "only")
            && matches!(tokens[after], Token::Word(_))
        {
            drop.push(only);
        }
    }
    if drop.is_empty() {
        return None;
    }
    Some(
        tokens
            .iter()
            .enumerate()
            .filter(|(i, _)| !drop.contains(i))
            .map(|(_, t)| t.to_string())
            .collect(),
    )
}

/// PostgreSQL 15 rejects a numeric literal run into letters (`1_000`, `0x1F`, `123abc`),
/// which sqlparser would read as a number and an alias or as a hex literal.
fn trailing_junk(sql: &str) -> Result<()> {
    use sqlparser::tokenizer::{Token, Tokenizer};
    // Junk needs a digit run straight into a letter (`123abc`, `0x1F`, `1.e`): without one,
    // as in nearly every statement, skip the tokenizing.
    let bytes = sql.as_bytes();
    let letter = |b: u8| b.is_ascii_alphabetic() || b == b'_' || b >= 0x80;
    let suspect = (1..bytes.len()).any(|i| {
        letter(bytes[i])
            && (bytes[i - 1].is_ascii_digit()
                || (bytes[i - 1] == b'.' && i >= 2 && bytes[i - 2].is_ascii_digit()))
    });
    if !suspect {
        return Ok(());
    }
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize() else {
        return Ok(());
    };
    let junk = |at: &str| {
        Err(Error::invalid(
            "42601",
            format!("trailing junk after numeric literal at or near \"{at}\""),
        ))
    };
    for pair in tokens.windows(2) {
        match (&pair[0], &pair[1]) {
            (Token::Number(n, _), Token::Word(w)) if w.quote_style.is_none() => {
                return junk(&format!("{n}{}", w.value));
            }
            (Token::HexStringLiteral(h), _) | (_, Token::HexStringLiteral(h))
                if !sql.contains(&format!("x'{h}'")) && !sql.contains(&format!("X'{h}'")) =>
            {
                return junk(&format!("0x{h}"));
            }
            _ => {}
        }
    }
    Ok(())
}

/// A COPY statement with ON / OFF / 1 / 0 after its boolean options (FREEZE, HEADER) written
/// TRUE / FALSE; `None` if it is not a COPY or has none.
fn copy_booleans_spelled_out(sql: &str) -> Option<String> {
    use sqlparser::tokenizer::{Token, Tokenizer};
    if !sql.trim_start().get(..4)?.eq_ignore_ascii_case("copy") {
        return None;
    }
    let mut tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let mut changed = false;
    let mut option = false;
    // The last two words before this token, for `FORCE_QUOTE *` and `FORCE QUOTE *`: the star
    // becomes a column named `*`, which CopyFormat reads as every column.
    let mut last_words: [String; 2] = Default::default();
    for token in &mut tokens {
        if matches!(&*token, Token::Mul) {
            let star = match (last_words[0].as_str(), last_words[1].as_str()) {
                (_, "force_quote") => Some("(\"*\")"),
                ("force", "quote") => Some("\"*\""),
                _ => None,
            };
            if let Some(star) = star {
                *token = crate::tokens::word(star, None);
                changed = true;
                continue;
            }
        }
        if let Token::Word(w) = &*token {
            last_words = [
                std::mem::take(&mut last_words[1]),
                w.value.to_ascii_lowercase(),
            ];
        } else if !matches!(token, Token::Whitespace(_)) {
            last_words = Default::default();
        }
        let value = match &*token {
            Token::Word(w) if option && w.quote_style.is_none() => {
                match w.value.to_ascii_lowercase().as_str() {
                    "on" => Some("TRUE"),
                    "off" => Some("FALSE"),
                    _ => None,
                }
            }
            Token::Number(n, _) if option && (n == "1" || n == "0") => {
                Some(if n == "1" { "TRUE" } else { "FALSE" })
            }
            _ => None,
        };
        if let Some(value) = value {
            *token = crate::tokens::word(value, None);
            changed = true;
        }
        if !matches!(token, Token::Whitespace(_)) {
            option = matches!(&*token, Token::Word(w)
                if w.value.eq_ignore_ascii_case("freeze") || w.value.eq_ignore_ascii_case("header"));
        }
    }
    changed.then(|| tokens.iter().map(ToString::to_string).collect())
}

/// `ALTER VIEW ...` parsed as `ALTER TABLE ...` (what ALTER VIEW .. RENAME TO needs).
fn alter_view_as_table(sql: &str) -> Option<Vec<Statement>> {
    let trimmed = sql.trim_start();
    let mut words = trimmed.split_whitespace();
    let is_alter_view =
        words.next()?.eq_ignore_ascii_case("alter") && words.next()?.eq_ignore_ascii_case("view");
    if !is_alter_view {
        return None;
    }
    let view_at = trimmed.to_ascii_lowercase().find("view")?;
    let rewritten = format!("ALTER TABLE{}", &trimmed[view_at + 4..]);
    Parser::parse_sql(&PostgreSqlDialect {}, &rewritten).ok()
}

/// `DROP INDEX CONCURRENTLY ...`, which sqlparser does not read, as `DROP INDEX ...`: dropping
/// an index never blocks readers in vdb.
fn drop_index_concurrently(sql: &str) -> Option<Vec<Statement>> {
    use crate::tokens::{is_word, significant};
    let (mut tokens, at) = significant(sql)?;
    let is = |k: usize, word: &str| at.get(k).is_some_and(|&i| is_word(&tokens[i], word));
    if !(is(0, "drop") && is(1, "index") && is(2, "concurrently")) {
        return None;
    }
    tokens[at[2]] =
        sqlparser::tokenizer::Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
    let text: String = tokens.iter().map(ToString::to_string).collect();
    Parser::parse_sql(&PostgreSqlDialect {}, &text).ok()
}

/// The channel name `UNLISTEN name` is read as: `LISTEN "#unlisten:name"` (`*` for all).
const UNLISTEN_MARKER: &str = "#unlisten:";

/// sqlparser has no UNLISTEN: `UNLISTEN channel` and `UNLISTEN *` are read as a LISTEN of a
/// marked channel name, which the session undoes.
fn unlisten_as_listen(sql: &str) -> Option<Vec<Statement>> {
    use sqlparser::tokenizer::Token;
    let (tokens, at) = crate::tokens::significant(sql)?;
    let (first, second) = (at.first()?, at.get(1)?);
    if !crate::tokens::is_word(&tokens[*first], "unlisten") {
        return None;
    }
    let name = match &tokens[*second] {
        Token::Mul => "*".to_string(),
        Token::Word(w) if w.quote_style.is_some() => w.value.clone(),
        Token::Word(w) => w.value.to_lowercase(),
        _ => return None,
    };
    if at[2..]
        .iter()
        .any(|&i| !matches!(tokens[i], Token::SemiColon))
    {
        return None;
    }
    let channel = sqlparser::ast::Ident::with_quote('"', format!("{UNLISTEN_MARKER}{name}"));
    Some(vec![Statement::LISTEN { channel }])
}

/// sqlparser has no `ABORT [WORK | TRANSACTION]`, PostgreSQL's other spelling of ROLLBACK:
/// each statement that starts with the word is read with ROLLBACK in its place.
fn abort_as_rollback(sql: &str) -> Option<Vec<Statement>> {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let mut tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let mut at_start = true;
    let mut found = false;
    for token in &mut tokens {
        match token {
            Token::Whitespace(_) => {}
            Token::SemiColon => at_start = true,
            Token::Word(w) if at_start && w.quote_style.is_none() => {
                if w.value.eq_ignore_ascii_case("abort") {
                    *token = Token::make_keyword("ROLLBACK");
                    found = true;
                }
                at_start = false;
            }
            _ => at_start = false,
        }
    }
    if !found {
        return None;
    }
    let text: String = tokens.iter().map(ToString::to_string).collect();
    Parser::parse_sql(&PostgreSqlDialect {}, &text).ok()
}

/// `INSERT ... OVERRIDING {SYSTEM | USER} VALUE ...`, which sqlparser does not read: parsed
/// without the three words, which are recorded in the Insert's priority field (see
/// `planner::statement::Overriding`). `None` unless `sql` is one such INSERT.
fn overriding_insert(sql: &str) -> Option<Vec<Statement>> {
    use sqlparser::ast::MysqlInsertPriority;
    use sqlparser::tokenizer::{Token, Whitespace};
    let (mut tokens, at) = crate::tokens::significant(sql)?;
    let is = |k: usize, word: &str| {
        at.get(k)
            .is_some_and(|&i| crate::tokens::is_word(&tokens[i], word))
    };
    let k = (0..at.len()).find(|&k| is(k, "overriding") && is(k + 2, "value"))?;
    let priority = if is(k + 1, "system") {
        MysqlInsertPriority::HighPriority
    } else if is(k + 1, "user") {
        MysqlInsertPriority::LowPriority
    } else {
        return None;
    };
    for &i in &at[k..k + 3] {
        tokens[i] = Token::Whitespace(Whitespace::Space);
    }
    let text: String = tokens.iter().map(ToString::to_string).collect();
    let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, &text).ok()?;
    let [Statement::Insert(insert)] = statements.as_mut_slice() else {
        return None;
    };
    insert.priority = Some(priority);
    Some(statements)
}

/// sqlparser has no `ALTER SCHEMA s RENAME TO t` / `OWNER TO r`: it is parsed as an ALTER TABLE
/// of a name whose first part is `ALTER_SCHEMA_MARKER`, which the planner turns back into
/// the schema change.
fn alter_schema_as_table(sql: &str) -> Option<Vec<Statement>> {
    let trimmed = sql.trim_start();
    let mut words = trimmed.split_whitespace();
    let is_alter_schema =
        words.next()?.eq_ignore_ascii_case("alter") && words.next()?.eq_ignore_ascii_case("schema");
    if !is_alter_schema {
        return None;
    }
    let schema_at = trimmed.to_ascii_lowercase().find("schema")?;
    let rest = trimmed[schema_at + 6..].trim_start();
    let marker = crate::planner::ALTER_SCHEMA_MARKER;
    let rewritten = format!("ALTER TABLE \"{marker}\".{rest}");
    Parser::parse_sql(&PostgreSqlDialect {}, &rewritten).ok()
}

/// `sql` with each `FROM t RETURNING ...` (`DELETE FROM t RETURNING`, `INSERT ... SELECT ...
/// FROM t RETURNING`, and `DELETE ... USING t RETURNING`) aliasing the table to its own name: sqlparser reads the unreserved
/// `RETURNING` there as an alias, where PostgreSQL's grammar does not.
pub(crate) fn returning_unaliased(sql: &str) -> Option<String> {
    use sqlparser::keywords::Keyword;
    use sqlparser::tokenizer::Token;
    let (tokens, significant) = crate::tokens::significant(sql)?;
    let keyword = |i: usize, k: Keyword| matches!(&tokens[i], Token::Word(w) if w.keyword == k && w.quote_style.is_none());
    let mut inserts = Vec::new();
    for (n, &i) in significant.iter().enumerate() {
        if !keyword(i, Keyword::FROM) && !keyword(i, Keyword::USING) {
            continue;
        }
        // The table name: words joined by periods.
        let mut k = n + 1;
        let mut last = None;
        while let Some(&j) = significant.get(k) {
            let Token::Word(_) = &tokens[j] else { break };
            last = Some(j);
            if significant
                .get(k + 1)
                .is_some_and(|&p| tokens[p] == Token::Period)
            {
                k += 2;
            } else {
                k += 1;
                break;
            }
        }
        if let (Some(name), Some(&next)) = (last, significant.get(k)) {
            if keyword(next, Keyword::RETURNING) {
                inserts.push((next, tokens[name].to_string()));
            }
        }
    }
    if inserts.is_empty() {
        return None;
    }
    let mut text = String::with_capacity(sql.len() + 16);
    for (i, token) in tokens.iter().enumerate() {
        if let Some((_, alias)) = inserts.iter().find(|(at, _)| *at == i) {
            text.push_str(&format!("AS {alias} "));
        }
        text.push_str(&token.to_string());
    }
    Some(text)
}

/// `syntax error at or near "x"` with the 1-based character position of `x`, from sqlparser's
/// "Expected: ..., found: x at Line: l, Column: c".
fn syntax_error(sql: &str, error: &ParserError) -> Error {
    let message = match error {
        ParserError::ParserError(m) | ParserError::TokenizerError(m) => m.clone(),
        ParserError::RecursionLimitExceeded => "statement is too deeply nested".into(),
    };
    let found = message
        .split("found: ")
        .nth(1)
        .map(|rest| rest.split(" at Line: ").next().unwrap_or(rest).to_string());
    let position = message.rsplit_once("at Line: ").and_then(|(_, rest)| {
        let (line, column) = rest.split_once(", Column: ")?;
        let line: usize = line.trim().parse().ok()?;
        let column: usize = column.trim().parse().ok()?;
        let before: usize = sql
            .split('\n')
            .take(line.saturating_sub(1))
            .map(|l| l.chars().count() + 1)
            .sum();
        Some(before + column)
    });
    match found.as_deref() {
        Some("EOF") | None if message.contains("EOF") => Error::Syntax {
            message: "syntax error at end of input".into(),
            position: Some(sql.trim_end().chars().count() + 1),
        },
        Some(token) => Error::Syntax {
            message: format!("syntax error at or near \"{token}\""),
            position,
        },
        None => Error::Syntax {
            message: format!("syntax error: {message}"),
            position,
        },
    }
}
