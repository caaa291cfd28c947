//! Reachability and what is built on it: [`fsck`] (is every chunk a root reaches present,
//! intact and well formed?) and garbage collection ([`collect`]: remove the chunks no root
//! reaches). Both start from the same walk (`reach.rs`): every named root (refs, tags, `HEAD`,
//! working sets with their merge state and conflict maps) to every commit, root value, table,
//! prolly node and blob it needs.

mod collect;
mod fsck;
mod reach;

pub use collect::{collect, GcOptions, GcStats};
pub use fsck::{fsck, FsckReport};
pub use reach::Finding;
