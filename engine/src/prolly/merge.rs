//! Three-way merge over bytes.
//!
//! The merge diffs base→ours and base→theirs (each costing in proportion to its changes) and
//! walks the two diffs together by key. Every key changed on one side only takes that side's
//! change; a key changed on both sides to the same result (a convergent change, deletes
//! included) needs nothing; a key changed on both sides differently is a collision, handed to the
//! caller's callback, which returns the value to keep or declares a conflict. This layer knows
//! nothing of rows or cells: the SQL-aware, cell-wise merge is a callback.
//!
//! The result is ours with theirs' changes applied as one batch edit, so the merge writes only
//! the nodes on the paths to those changes.

use super::diff::DiffEntry;
use super::map::Map;
use crate::error::Result;
use bytes::Bytes;
use std::cmp::Ordering;
use std::iter::Peekable;

/// A key changed differently on both sides of a merge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Collision {
    pub key: Bytes,
    /// The value in the merge base (`None` if the key did not exist there).
    pub base: Option<Bytes>,
    /// Our value (`None` if we deleted the key).
    pub ours: Option<Bytes>,
    /// Their value (`None` if they deleted the key).
    pub theirs: Option<Bytes>,
}

/// What the callback decides for a collision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// Keep this value (`None` deletes the key).
    Value(Option<Bytes>),
    /// The collision is a conflict: keep ours and count it; the caller records it.
    Conflict,
}

/// The outcome of a merge.
#[derive(Clone, Debug)]
pub struct MergeOutcome {
    /// Ours with every non-conflicting change of theirs applied.
    pub map: Map,
    /// Keys whose value changed in ours because of the merge.
    pub applied: u64,
    /// Collisions the callback declared conflicts.
    pub conflicts: u64,
}

/// Merges `theirs` into `ours` relative to their common ancestor `base`.
pub fn merge(
    base: &Map,
    ours: &Map,
    theirs: &Map,
    mut collide: impl FnMut(&Collision) -> Result<Resolution>,
) -> Result<MergeOutcome> {
    let mut left = base.diff(ours).peekable();
    let mut right = base.diff(theirs).peekable();
    let mut edits: Vec<(Bytes, Option<Bytes>)> = Vec::new();
    let mut conflicts = 0;
    loop {
        let order = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(Err(_)), _) => return Err(next_err(&mut left)),
            (_, Some(Err(_))) => return Err(next_err(&mut right)),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(Ok(l)), Some(Ok(r))) => l.key().cmp(r.key()),
        };
        match order {
            // Changed only by us: already in ours.
            Ordering::Less => {
                left.next();
            }
            // Changed only by them: take their change.
            Ordering::Greater => {
                let change = right.next().expect("peeked")?;
                edits.push((change.key().clone(), change.new_value().cloned()));
            }
            Ordering::Equal => {
                let ours_change = left.next().expect("peeked")?;
                let theirs_change = right.next().expect("peeked")?;
                if ours_change.new_value() == theirs_change.new_value() {
                    continue;
                }
                let collision = Collision {
                    key: ours_change.key().clone(),
                    base: ours_change.old().cloned(),
                    ours: ours_change.new_value().cloned(),
                    theirs: theirs_change.new_value().cloned(),
                };
                match collide(&collision)? {
                    Resolution::Conflict => conflicts += 1,
                    Resolution::Value(v) if v == collision.ours => {}
                    Resolution::Value(v) => edits.push((collision.key, v)),
                }
            }
        }
    }
    let applied = edits.len() as u64;
    let map = ours.edit(edits)?;
    Ok(MergeOutcome {
        map,
        applied,
        conflicts,
    })
}

fn next_err<I: Iterator<Item = Result<DiffEntry>>>(iter: &mut Peekable<I>) -> crate::Error {
    match iter.next() {
        Some(Err(e)) => e,
        _ => unreachable!("peeked an error"),
    }
}
