//! vdb-wire: the PostgreSQL wire-protocol server (pgwire on tokio).
//!
//! A placeholder until the wire-server issue lands; it depends on `vdb-sql` only, so that the
//! layering (cli → wire → sql → engine) holds from the first commit.
#![forbid(unsafe_code)]

pub use vdb_sql as sql;
