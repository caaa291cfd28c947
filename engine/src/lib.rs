//! vdb-engine: the storage engine under vdb's versioned SQL.
//!
//! The layers, bottom up:
//! 1. [`store`]: immutable chunks addressed by [`Hash`](struct@Hash) (blake3), and compare-and-swap roots.
//!    `DiskStore` appends chunks to journal files and indexes them in sled.
//! 2. [`prolly`]: ordered byte maps persisted as prolly trees, whose node boundaries are chosen by
//!    a hash of the keys, so that the same entries always give the same root hash
//!    (history independence), edits rewrite only the touched path, and diff and merge skip
//!    subtrees whose addresses are equal.
//! 3. [`codec`] and [`value`]: the values SQL stores, an order-preserving key encoding for
//!    primary-key and index tuples, and a compact row encoding.
//! 4. [`table`]: a table is a schema plus a primary prolly map plus one map per secondary index;
//!    a root value maps table names to tables and is itself a chunk.
//!
//! The life of a write: SQL hands the table layer a row; the row's key columns are encoded with
//! the order-preserving key codec, the other columns with the row codec; the pair is applied as
//! a batch edit to the table's primary map, which re-chunks only the path from the touched leaf
//! to the root and puts the new nodes into the store; the new map root goes into a new table
//! chunk, the table into a new root value, and the root value's address is what a working set or
//! commit records. Nothing is overwritten: old versions stay readable until garbage collection.
#![deny(unsafe_code)]

pub mod array;
pub mod codec;
pub mod error;
pub mod gc;
pub mod hash;
pub mod prolly;
pub mod repo;
pub mod store;
pub mod table;
pub mod testkit;
pub mod value;

pub use error::{Error, Result};
pub use hash::Hash;
