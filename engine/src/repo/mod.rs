//! The version-control layer: commits, refs, working sets, revisions, history, diff and
//! three-way merge over the table layer. Synchronous and SQL-free.
//!
//! How the pieces fit:
//! - a database state is a `RootValue` chunk; a [`Commit`] chunk names one, with its parents;
//! - refs (`refs/heads/*`, `refs/tags/*`) and `HEAD` are named roots of the chunk store,
//!   changed only by compare-and-swap ([`refs`]);
//! - each branch has a [`WorkingSet`] (working root, staged root, a merge in progress with its
//!   conflicts), also behind a named root, so uncommitted work survives restarts;
//! - [`merge_roots`] merges two states against a base, table by table: schemas by stable column
//!   id first, then rows cell by cell over the prolly diffs, recording conflicts in conflict
//!   maps and the constraint violations it can detect;
//! - a shallow clone records the commits whose parents it lacks ([`shallow`]); every walk
//!   over parents stops there;
//! - [`Repository`] ties them together: init, commit, branch, tag, reset, merge, revert,
//!   cherry-pick, log, diff, status.
//!
//! The life of a commit: SQL writes land in the working root (`set_working_root`); `stage`
//! copies tables to the staged root; `commit` writes a commit chunk naming the staged root and
//! swaps the branch ref from the head it read to the new commit.

mod blame;
pub mod commit;
mod conflict;
mod diff;
mod gc;
pub mod history;
pub mod locks;
mod merge;
mod merging;
pub mod reflog;
pub mod refs;
mod repository;
pub mod revision;
mod row_merge;
mod schema_merge;
mod sequence_marks;
pub mod shallow;
pub mod stash;
pub mod verify;
mod workingset;

pub use blame::blame;
pub use commit::{Commit, Signature, Tag};
pub use conflict::{
    ConflictEntry, ConflictRow, ConstraintViolation, SchemaConflict, ViolationKind,
};
pub use diff::{
    diff_roots, schema_changes, CellChange, RowDiff, RowDiffs, SchemaChange, TableChange, TableDiff,
};
pub use history::{is_ancestor, merge_base, merge_bases, Ancestors};
pub use merge::{merge_roots, row_changed_by_both, MergeStats, RootMerge};
pub use merging::{MergeOptions, MergeOutcome, Side};
pub use repository::{
    CommitOptions, Repository, ResetMode, RetryTurn, Status, TableStatus, INIT_MESSAGE,
};
pub use revision::{RevRange, Revision};
pub use sequence_marks::SequenceMarks;
pub use shallow::{Shallow, SHALLOW_ROOT};
pub use workingset::{working_set_root, MergeState, WorkingSet};
