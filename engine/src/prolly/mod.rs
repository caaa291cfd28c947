//! Prolly trees: ordered maps from bytes to bytes, stored as trees of immutable,
//! content-addressed nodes whose boundaries are chosen by a hash of the keys.
//!
//! Invariant (history independence): the same set of keys and values gives the same root hash,
//! whatever the order and batching of the edits that produced it. Node boundaries depend only on
//! the entries themselves ([`splitter`]), bulk builds and incremental edits cut at the same
//! places, and a root with a single child is always replaced by that child.
//!
//! What follows from it: two versions of a map share every node outside the paths to their
//! differences, so a branch costs nothing, an edit writes about one node per level, and
//! [`Map::diff`] and [`merge()`] skip every subtree with the same address on both sides.
//!
//! Layout of the module: [`node`] (byte layout), [`splitter`] (boundary rule), [`nodestore`]
//! (caching node I/O and blobs), `builder` (chunkers, bulk build), `cursor` (positions, ranges),
//! `edit` (batch edits), `diff`, `merge`, `verify`, and [`Map`], the facade over them.

mod builder;
mod cursor;
mod diff;
mod edit;
mod map;
mod merge;
pub mod node;
pub mod nodestore;
pub mod splitter;
mod verify;

pub use builder::{INLINE_VALUE_MAX, MAX_KEY_LEN};
pub use cursor::{Cursor, Range};
pub use diff::{Diff, DiffEntry};
pub use map::{Map, MapBuilder};
pub use merge::{merge, Collision, MergeOutcome, Resolution};
pub use nodestore::{NodeStats, NodeStore};
pub use verify::Problem;
