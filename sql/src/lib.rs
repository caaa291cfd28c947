//! vdb-sql: PostgreSQL-dialect SQL over vdb's versioned tables.
//!
//! This crate will turn SQL text into results over `vdb-engine` (parse with `sqlparser`, plan,
//! optimize, execute). It is a placeholder until the SQL engine issue lands; it re-exports the
//! engine so that the dependency direction (cli → wire → sql → engine) is fixed from the start.
#![forbid(unsafe_code)]

pub use vdb_engine as engine;
