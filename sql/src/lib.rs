//! vdb-sql: PostgreSQL-dialect SQL over vdb's versioned tables.
//!
//! The life of one statement, `SELECT name FROM t WHERE id = 1`, from text to rows:
//!
//! 1. [`Session::execute`] parses the text with sqlparser's PostgreSQL dialect into
//!    `sqlparser::ast::Statement`s (a parse error becomes [`Error::Syntax`], 42601, with the
//!    position PostgreSQL would report). Transaction statements (BEGIN, COMMIT, ROLLBACK) are
//!    handled by the session itself.
//! 2. The session picks the root the statement runs against: the branch's working root
//!    (`Repository::working_root`) in autocommit, or the open transaction's own root, with the
//!    session's temporary tables laid over it; they are split off again before the root is
//!    compared or written back, so no version ever holds them ([`temp`]).
//! 3. [`planner::plan_statement`] resolves names through a [`catalog::Catalog`] over that root
//!    (42P01 for a missing table) and binds expressions against a [`planner::Scope`]: `name` and
//!    `id` become column positions (42703 / 42702), `1` becomes an `integer` literal, and the
//!    comparison gets the coercions PostgreSQL would insert. The result is a
//!    [`planner::Plan`]: `Project(Filter(Scan t))`, with its output columns `(name, text)`.
//! 4. [`planner::optimize`] applies its ordered rules: constant folding, then the primary-key
//!    rule, which turns the scan under `id = 1` into a point lookup on the prolly tree. EXPLAIN
//!    prints this tree (`Plan`'s `Display`).
//! 5. [`execution::execute`] builds one operator per node (`execution/*.rs`): the scan decodes
//!    rows (`Vec<Value>`) from the table's map, the filter and projection evaluate
//!    [`expr::Expr`]s with three-valued logic, and rows stream up to the session.
//! 6. The session collects them into [`StatementResult::Rows`]. A write instead applies one
//!    batch of `RowChange`s per table to its copy of the root and reports a command tag
//!    (`INSERT 0 3`); in autocommit the new root is written back with `set_working_root_if` if the
//!    working root is still the one read in step 2 (else 40001).
//!
//! Every error is an [`Error`], whose [`Error::sqlstate`] is the one map to PostgreSQL's codes.
//!
//! What clients ask about the database itself goes through the same steps. For step 3 the
//! session installs a [`system::Snapshot`] (the root, the node store, the session's
//! [`settings::Settings`]) as the thread's planning context (`planner::context`): `pg_class`,
//! `information_schema.columns` and the other system tables become literal rows computed from
//! the root's schemas, catalog functions (`format_type`, `pg_get_indexdef`, `current_setting`)
//! and subqueries capture the snapshot, and a correlated subquery's references to the enclosing
//! row become `Expr::Outer`, bound to each row's values before the subquery runs.
//! [`types::type_oid`] maps vdb types to PostgreSQL's OIDs for everything that reports types.
//! SET, SHOW, RESET and savepoints act on the session itself (`session.rs`).
//!
//! Besides its result a statement may raise NOTICEs and WARNINGs (`table "x" does not exist,
//! skipping`): [`notice::raise`] queues them on the running thread, the session keeps them per
//! statement, and the caller drains them with [`Session::take_notices`] ([`notice`]).
#![forbid(unsafe_code)]

pub mod activity;
pub(crate) mod admin;
mod advisory;
mod ast_repair;
pub mod catalog;
pub mod copy;
pub mod cursor;
pub mod dml_cte;
pub mod error;
pub mod execution;
pub mod explain;
pub mod expr;
pub mod index_eval;
pub mod interrupt;
pub mod notice;
pub mod notify;
pub mod params;
pub mod plan_cache;
pub mod planner;
mod plpgsql;
mod query_syntax;
pub mod session;
pub mod settings;
pub mod system;
pub mod temp;
mod tokens;
pub mod types;
pub mod vc;

pub use error::{Error, ErrorObject, Result};
pub use notice::{Notice, Severity};
pub use params::Param;
pub use session::{parse, Description, Noticed, Session, StatementResult, TransactionStatus};
pub use vdb_engine as engine;
