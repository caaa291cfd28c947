//! Word diffs of long text cells, for `vdb diff`'s tables: instead of two long strings that
//! differ in one word, the new version of the cell shows what changed, as `git diff
//! --word-diff` does: `[-removed-]{+added+}` in plain text, red and green on a terminal.

use crate::render::{paint, GREEN, RED};
use similar::{ChangeTag, TextDiff};

/// Text cells at least this long (in characters, on either side) get a word diff.
pub const LONG: usize = 40;

/// Whether a changed text cell is long enough for a word diff.
pub fn is_long(old: &str, new: &str) -> bool {
    old.chars().count() >= LONG || new.chars().count() >= LONG
}

/// `new` with the words changed from `old` marked: `[-old-]{+new+}`, or coloured when `on`.
pub fn word_diff(old: &str, new: &str, on: bool) -> String {
    let diff = TextDiff::from_words(old, new);
    let mut out = String::new();
    for change in diff.iter_all_changes() {
        let text = change.value();
        match (change.tag(), on) {
            (ChangeTag::Equal, _) => out.push_str(text),
            (ChangeTag::Delete, true) => out.push_str(&paint(true, RED, text)),
            (ChangeTag::Insert, true) => out.push_str(&paint(true, GREEN, text)),
            (ChangeTag::Delete, false) => out.push_str(&format!("[-{text}-]")),
            (ChangeTag::Insert, false) => out.push_str(&format!("{{+{text}+}}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_words_are_marked() {
        assert_eq!(
            word_diff("the quick brown fox", "the slow brown fox", false),
            "the [-quick-]{+slow+} brown fox"
        );
        assert!(!is_long("short", "text"));
        assert!(is_long(&"x".repeat(LONG), ""));
    }
}
