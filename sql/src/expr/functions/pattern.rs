//! Compiled regular expressions for PostgreSQL's advanced regular expressions: the `regex`
//! crate's automata when a pattern fits them, and a backtracking matcher (`fancy-regex`) for
//! what they lack, back-references (`([a-z])\1`) and look-around (`(?=...)`, `(?!...)`,
//! `(?<=...)`, `(?<!...)`). Either way a match comes back as byte spans ([`Groups`]), so the
//! functions over them do not care which engine found it.

use crate::error::{Error, Result};

/// A compiled pattern.
#[derive(Debug)]
pub enum Pattern {
    Automaton(regex::Regex),
    Backtracking(fancy_regex::Regex),
}

/// The flags a pattern is compiled with.
#[derive(Clone, Copy, Debug, Default)]
pub struct Flags {
    pub case_insensitive: bool,
    pub multi_line: bool,
    pub dot_matches_new_line: bool,
    pub ignore_whitespace: bool,
}

/// One match's groups as byte spans of the subject: group 0 is the whole match; a group that
/// took no part in it is `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Groups(Vec<Option<(usize, usize)>>);

impl Groups {
    /// The number of groups, the whole match included.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Group `i`'s span.
    pub fn span(&self, i: usize) -> Option<(usize, usize)> {
        self.0.get(i).copied().flatten()
    }

    /// Group `i`'s text in `subject`.
    pub fn text<'s>(&self, subject: &'s str, i: usize) -> Option<&'s str> {
        self.span(i).map(|(a, b)| &subject[a..b])
    }

    fn of_automaton(caps: &regex::Captures<'_>) -> Groups {
        Groups(
            caps.iter()
                .map(|m| m.map(|m| (m.start(), m.end())))
                .collect(),
        )
    }

    fn of_backtracking(caps: &fancy_regex::Captures<'_, str>) -> Groups {
        Groups(
            caps.iter()
                .map(|m| m.map(|m| (m.start(), m.end())))
                .collect(),
        )
    }
}

impl Pattern {
    /// Compiles `pattern`; the backtracking matcher is used only where the automata refuse the
    /// pattern for a back-reference or a look-around.
    pub fn new(pattern: &str, flags: Flags) -> Result<Pattern> {
        let mut builder = regex::RegexBuilder::new(pattern);
        builder
            .case_insensitive(flags.case_insensitive)
            .multi_line(flags.multi_line)
            .dot_matches_new_line(flags.dot_matches_new_line)
            .ignore_whitespace(flags.ignore_whitespace);
        let refused = match builder.build() {
            Ok(re) => return Ok(Pattern::Automaton(re)),
            Err(e) => e.to_string(),
        };
        if !refused.contains("look-around") && !refused.contains("backreferences") {
            return Err(invalid(refused.lines().last().unwrap_or("")));
        }
        fancy_regex::RegexBuilder::new(pattern)
            .case_insensitive(flags.case_insensitive)
            .multi_line(flags.multi_line)
            .dot_matches_new_line(flags.dot_matches_new_line)
            .ignore_whitespace(flags.ignore_whitespace)
            .build()
            .map(Pattern::Backtracking)
            .map_err(|e| invalid(&e.to_string()))
    }

    /// Whether `subject` has a match.
    pub fn is_match(&self, subject: &str) -> Result<bool> {
        match self {
            Pattern::Automaton(re) => Ok(re.is_match(subject)),
            Pattern::Backtracking(re) => re.is_match(subject).map_err(|e| too_complex(&e)),
        }
    }

    /// The first match starting at byte `at` or later (the text before `at` still counts for
    /// `^`, word boundaries and look-behind).
    pub fn captures_at(&self, subject: &str, at: usize) -> Result<Option<Groups>> {
        match self {
            Pattern::Automaton(re) => Ok(re
                .captures_at(subject, at)
                .map(|c| Groups::of_automaton(&c))),
            Pattern::Backtracking(re) => re
                .captures_from_pos(subject, at)
                .map(|c| c.map(|c| Groups::of_backtracking(&c)))
                .map_err(|e| too_complex(&e)),
        }
    }

    /// The first match.
    pub fn captures(&self, subject: &str) -> Result<Option<Groups>> {
        self.captures_at(subject, 0)
    }

    /// Every match, left to right, none overlapping (an empty match right after another is
    /// skipped), as `regexp_matches(..., 'g')` finds them.
    pub fn captures_all(&self, subject: &str) -> Result<Vec<Groups>> {
        match self {
            Pattern::Automaton(re) => Ok(re
                .captures_iter(subject)
                .map(|c| Groups::of_automaton(&c))
                .collect()),
            Pattern::Backtracking(re) => re
                .captures_iter(subject)
                .map(|c| {
                    c.map(|c| Groups::of_backtracking(&c))
                        .map_err(|e| too_complex(&e))
                })
                .collect(),
        }
    }

    /// The spans of every match, as [`Pattern::captures_all`] finds them.
    pub fn find_all(&self, subject: &str) -> Result<Vec<(usize, usize)>> {
        match self {
            Pattern::Automaton(re) => Ok(re
                .find_iter(subject)
                .map(|m| (m.start(), m.end()))
                .collect()),
            Pattern::Backtracking(re) => re
                .find_iter(subject)
                .map(|m| m.map(|m| (m.start(), m.end())).map_err(|e| too_complex(&e)))
                .collect(),
        }
    }
}

fn invalid(message: &str) -> Error {
    Error::invalid("2201B", format!("invalid regular expression: {message}"))
}

/// A backtracking match that gave up (its step limit): PostgreSQL's "regular expression is
/// too complex" is 2201B too.
fn too_complex(e: &fancy_regex::Error) -> Error {
    Error::invalid(
        "2201B",
        format!("invalid regular expression: regular expression is too complex ({e})"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(pattern: &str) -> Pattern {
        Pattern::new(pattern, Flags::default()).expect("pattern compiles")
    }

    #[test]
    fn back_references_and_look_around_use_the_backtracking_engine() {
        assert!(matches!(compile("a+b"), Pattern::Automaton(_)));
        let repeated = compile(r"([aeiou])\1");
        assert!(matches!(repeated, Pattern::Backtracking(_)));
        assert!(!repeated.is_match("GREEN").unwrap());
        assert!(repeated.is_match("green").unwrap());
        assert!(!repeated.is_match("grain").unwrap());
        let ahead = compile(r"\d+(?= dollars)");
        let groups = ahead.captures("pay 100 dollars").unwrap().expect("a match");
        assert_eq!(groups.text("pay 100 dollars", 0), Some("100"));
        let behind = compile(r"(?<=\$)\d+");
        assert_eq!(
            behind.find_all("$5 and $70, not 8").unwrap(),
            vec![(1, 2), (8, 10)]
        );
        assert_eq!(compile(r"(?!a)\w").find_all("ab").unwrap(), vec![(1, 2)]);
    }

    #[test]
    fn both_engines_agree_on_spans_and_empty_groups() {
        let subject = "x=1, y=, z=33";
        for pattern in [r"(\w)=(\d*)", r"(\w)=(\d*)(?=,|$)"] {
            let found: Vec<Vec<Option<&str>>> = compile(pattern)
                .captures_all(subject)
                .unwrap()
                .iter()
                .map(|g| (0..g.len()).map(|i| g.text(subject, i)).collect())
                .collect();
            assert_eq!(
                found,
                vec![
                    vec![Some("x=1"), Some("x"), Some("1")],
                    vec![Some("y="), Some("y"), Some("")],
                    vec![Some("z=33"), Some("z"), Some("33")],
                ],
                "{pattern}"
            );
        }
    }

    #[test]
    fn bad_patterns_are_2201b() {
        for pattern in ["(", r"(a)\2", "a{2,1}"] {
            let err = Pattern::new(pattern, Flags::default()).unwrap_err();
            assert_eq!(err.sqlstate(), "2201B", "{pattern}: {err}");
        }
    }
}
