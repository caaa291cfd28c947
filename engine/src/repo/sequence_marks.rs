//! The values this process's sessions have handed out from each branch's sequences, kept
//! outside any transaction, so that `nextval` is not transactional, as in PostgreSQL: two open
//! transactions that insert into a table with a serial key get different values, and a value a
//! rolled-back transaction drew is not drawn again.
//!
//! A sequence's committed state lives in the branch's root value; a mark records the furthest
//! state any session of this process has reached since. `nextval` starts from whichever of the
//! two is further along. Statements that reset a sequence (ALTER SEQUENCE, TRUNCATE ... RESTART
//! IDENTITY, DROP, setval) replace or forget its mark.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::table::Sequence;

/// Branch → sequence key → the furthest (last value, is_called) drawn. Nested so that a draw,
/// once its sequence has a mark, looks it up and updates it without allocating.
type Marks = HashMap<String, HashMap<String, (i64, bool)>>;

/// The marks of one repository, shared by its clones. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct SequenceMarks {
    marks: Arc<Mutex<Marks>>,
}

impl SequenceMarks {
    fn lock(&self) -> std::sync::MutexGuard<'_, Marks> {
        self.marks.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Draws the next value of `sequence` (key `key` on `branch`, as the drawing session sees
    /// it), starting after the furthest value any session has drawn; `None` at the sequence's
    /// end. On success `sequence` holds the state after the draw.
    pub fn next_value(&self, branch: &str, key: &str, sequence: &mut Sequence) -> Option<i64> {
        let mut marks = self.lock();
        let mark = marks.get_mut(branch).and_then(|m| m.get_mut(key));
        if let Some((last_value, is_called)) = mark.as_deref().copied() {
            let mut marked = sequence.clone();
            marked.set(last_value, is_called);
            if std::ptr::eq(marked.further(sequence), &marked) {
                *sequence = marked;
            }
        }
        let value = sequence.next_value()?;
        let state = (sequence.last_value, sequence.is_called);
        match mark {
            Some(mark) => *mark = state,
            None => {
                marks
                    .entry(branch.to_string())
                    .or_default()
                    .insert(key.to_string(), state);
            }
        }
        Some(value)
    }

    /// Records `sequence`'s state as set outright (`setval`).
    pub fn set(&self, branch: &str, key: &str, sequence: &Sequence) {
        self.lock()
            .entry(branch.to_string())
            .or_default()
            .insert(key.to_string(), (sequence.last_value, sequence.is_called));
    }

    /// Forgets the mark of a sequence that was created, altered, reset or dropped.
    pub fn forget(&self, branch: &str, key: &str) {
        if let Some(branch_marks) = self.lock().get_mut(branch) {
            branch_marks.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sequence() -> Sequence {
        Sequence::new("bigint", 1, 1, 1, i64::MAX)
    }

    #[test]
    fn two_snapshots_of_one_sequence_draw_different_values() {
        let marks = SequenceMarks::default();
        let (mut a, mut b) = (sequence(), sequence());
        assert_eq!(marks.next_value("main", "s", &mut a), Some(1));
        assert_eq!(marks.next_value("main", "s", &mut b), Some(2));
        assert_eq!(marks.next_value("main", "s", &mut a), Some(3));
        // Another branch, or another sequence, has marks of its own.
        assert_eq!(marks.next_value("dev", "s", &mut sequence()), Some(1));
        assert_eq!(marks.next_value("main", "t", &mut sequence()), Some(1));
    }

    #[test]
    fn a_forgotten_or_set_mark_gives_way() {
        let marks = SequenceMarks::default();
        let mut a = sequence();
        for _ in 0..5 {
            marks.next_value("main", "s", &mut a);
        }
        marks.forget("main", "s");
        assert_eq!(marks.next_value("main", "s", &mut sequence()), Some(1));
        let mut set = sequence();
        set.set(100, true);
        marks.set("main", "s", &set);
        assert_eq!(marks.next_value("main", "s", &mut sequence()), Some(101));
        // A snapshot further along than the mark keeps its own place.
        let mut ahead = sequence();
        ahead.set(500, true);
        assert_eq!(marks.next_value("main", "s", &mut ahead), Some(501));
    }
}
