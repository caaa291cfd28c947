//! vdb-wire: vdb's PostgreSQL wire-protocol server (`vdb serve`), on `pgwire` and `tokio`.
//!
//! A [`Server`] serves [`Database`]s (repositories, each under a name). A client connecting to
//! `name` gets a SQL session on the repository's current branch, `name/branch` one on that
//! branch. Each connection ([`connection`]) speaks the simple and extended query protocols
//! over its own `vdb_sql::Session`, after [`auth`] admits it (over [`tls`] if asked);
//! [`framing`] checks each message's layout before pgwire decodes it; [`values`] encodes
//! results and decodes parameters in
//! PostgreSQL's text and binary formats. This is the only async crate: each connection has a
//! thread of its own, where its statements run, so a long statement never stalls other
//! connections and a short one costs no hand-off between threads.
#![forbid(unsafe_code)]

pub mod auth;
pub mod connection;
pub mod copy;
pub mod framing;
pub mod server;
pub mod tls;
pub mod values;

pub use auth::{Method, ScramVerifier, Users};
pub use server::{serve_until_signal, Database, Server, ServerConfig};

/// The `server_version` reported to clients: PostgreSQL 15's, which psql and drivers use to
/// choose their catalog queries, with vdb named after it.
pub const SERVER_VERSION: &str = "15.0 (vdb)";
