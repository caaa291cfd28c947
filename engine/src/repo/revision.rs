//! Revisions: the text that names a commit or a working state, parsed once and resolved against
//! the refs and the commit graph.
//!
//! Grammar (`~` and `^` never occur in branch or tag names, see `refs::validate_name`):
//! ```text
//! revision := base suffix*
//! base     := "HEAD" | "WORKING" | "STAGED" | branch | tag | 40 hex digits | ≥ 4 hex digits
//!           | [branch | tag | "HEAD"] "@{" n "}"   where the ref pointed n changes ago
//! suffix   := "~" [n]     n-th first-parent ancestor (default 1)
//!           | "^" [n]     n-th parent (default 1; ^0 is the commit itself)
//! range    := [revision] ".." [revision]      reachable from the right, not from the left
//!           | [revision] "..." [revision]     reachable from either side but not both
//! ```
//! An empty side of a range is `HEAD`. A name is looked up as a branch first, then a tag (a tag
//! naming an annotated tag object is peeled to its commit), then a remote-tracking branch
//! (`origin/main`, ref `refs/remotes/origin/main`), then as a full hash, then as a unique
//! hash prefix among the commits reachable from any ref. `WORKING` and `STAGED` name the current
//! branch's working and staged roots and take no suffix. `main@{2}` reads the reflog (see
//! [`super::reflog`]): `@{0}` is the latest entry; a bare `@{n}` or `HEAD@{n}` reads the current
//! branch's.

use super::commit::{peel_to_commit, Commit};
use super::history::Ancestors;
use super::reflog;
use super::refs::{self, HEADS_PREFIX, REMOTES_PREFIX, TAGS_PREFIX};
use super::shallow::{beyond_boundary, Shallow};
use crate::error::{Error, Result};
use crate::hash::Hash;
use crate::store::ChunkStore;
use std::collections::BTreeSet;
use std::fmt;

/// Shortest hash prefix accepted.
pub const MIN_PREFIX: usize = 4;

/// Where a revision starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RevBase {
    Head,
    Working,
    Staged,
    /// A branch, tag, hash or hash prefix.
    Name(String),
    /// `name@{n}`: where ref `name` (a branch, tag or remote-tracking branch; empty for the
    /// current branch) pointed `n` changes ago.
    Reflog(String, u32),
}

/// One step from a commit to an ancestor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// `~n`: follow the first parent n times.
    Ancestor(u32),
    /// `^n`: the n-th parent (`^0`: the commit itself).
    Parent(u32),
}

/// A parsed revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision {
    pub base: RevBase,
    pub steps: Vec<Step>,
}

/// A parsed range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevRange {
    pub from: Revision,
    pub to: Revision,
    /// `a...b` (symmetric difference, and for diff: from the merge base) rather than `a..b`.
    pub symmetric: bool,
}

/// What a revision resolves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Commit(Hash),
    /// The current branch's working root.
    Working,
    /// The current branch's staged root.
    Staged,
}

impl Revision {
    /// Parses a single revision (not a range).
    pub fn parse(text: &str) -> Result<Revision> {
        if text.contains("..") {
            return Err(Error::InvalidInput(format!(
                "\"{text}\" is a range; a single revision is needed here"
            )));
        }
        let split = text.find(['~', '^']).unwrap_or(text.len());
        let (name, mut rest) = text.split_at(split);
        let base = match name {
            "" => {
                return Err(Error::InvalidInput(format!(
                    "revision \"{text}\" names nothing before its suffix"
                )))
            }
            "HEAD" | "@" => RevBase::Head,
            "WORKING" => RevBase::Working,
            "STAGED" => RevBase::Staged,
            name => match name.strip_suffix('}').and_then(|n| n.rsplit_once("@{")) {
                Some((name, n)) => {
                    let n = n.parse::<u32>().map_err(|_| {
                        Error::InvalidInput(format!(
                            "revision \"{text}\": @{{...}} takes a count of changes, such as @{{1}}"
                        ))
                    })?;
                    let name = if name == "HEAD" { "" } else { name };
                    RevBase::Reflog(name.to_string(), n)
                }
                None => RevBase::Name(name.to_string()),
            },
        };
        let mut steps = Vec::new();
        while let Some(op) = rest.chars().next() {
            let make: fn(u32) -> Step = match op {
                '~' => Step::Ancestor,
                '^' => Step::Parent,
                other => {
                    return Err(Error::InvalidInput(format!(
                        "revision \"{text}\": unexpected {other:?}; suffixes are ~n and ^n"
                    )))
                }
            };
            let after = &rest[op.len_utf8()..];
            let digits_len = after
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(after.len());
            let n = match &after[..digits_len] {
                "" => 1,
                d => d.parse::<u32>().map_err(|_| {
                    Error::InvalidInput(format!("revision \"{text}\": bad number \"{d}\""))
                })?,
            };
            steps.push(make(n));
            rest = &after[digits_len..];
        }
        if !steps.is_empty() && matches!(base, RevBase::Working | RevBase::Staged) {
            return Err(Error::InvalidInput(format!(
                "revision \"{text}\": WORKING and STAGED are not commits and take no ~ or ^"
            )));
        }
        Ok(Revision { base, steps })
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.base {
            RevBase::Head => f.write_str("HEAD")?,
            RevBase::Working => f.write_str("WORKING")?,
            RevBase::Staged => f.write_str("STAGED")?,
            RevBase::Name(name) => f.write_str(name)?,
            RevBase::Reflog(name, n) => write!(f, "{name}@{{{n}}}")?,
        }
        for step in &self.steps {
            match step {
                Step::Ancestor(n) => write!(f, "~{n}")?,
                Step::Parent(n) => write!(f, "^{n}")?,
            }
        }
        Ok(())
    }
}

impl RevRange {
    /// Parses `a..b` or `a...b`; `None` if `text` is not a range.
    pub fn parse(text: &str) -> Result<Option<RevRange>> {
        let (left, right, symmetric) = if let Some((l, r)) = text.split_once("...") {
            (l, r, true)
        } else if let Some((l, r)) = text.split_once("..") {
            (l, r, false)
        } else {
            return Ok(None);
        };
        let side = |s: &str| match s {
            "" => Ok(Revision {
                base: RevBase::Head,
                steps: Vec::new(),
            }),
            s => Revision::parse(s),
        };
        Ok(Some(RevRange {
            from: side(left)?,
            to: side(right)?,
            symmetric,
        }))
    }
}

/// Resolves `rev`; `head` is the current branch (for `HEAD`).
pub fn resolve(store: &dyn ChunkStore, head: &str, rev: &Revision) -> Result<Target> {
    let mut addr = match &rev.base {
        RevBase::Working => return Ok(Target::Working),
        RevBase::Staged => return Ok(Target::Staged),
        RevBase::Head => refs::read_ref(store, &refs::branch_ref(head))?.ok_or_else(|| {
            Error::NotFound(format!("HEAD names branch {head}, which does not exist"))
        })?,
        RevBase::Name(name) => resolve_name(store, name)?,
        RevBase::Reflog(name, n) => {
            resolve_reflog(store, if name.is_empty() { head } else { name }, *n)?
        }
    };
    for step in &rev.steps {
        addr = take_step(store, addr, *step, rev)?;
    }
    Ok(Target::Commit(addr))
}

fn take_step(store: &dyn ChunkStore, addr: Hash, step: Step, rev: &Revision) -> Result<Hash> {
    let missing = |what: String| {
        Error::NotFound(format!(
            "revision {rev} not found: commit {} has no {what}",
            short(&addr)
        ))
    };
    match step {
        Step::Parent(0) | Step::Ancestor(0) => Ok(addr),
        Step::Parent(n) => {
            if Shallow::load(store)?.contains(&addr) {
                return Err(beyond_boundary(&addr, &format!("revision {rev} not found")));
            }
            let parents = Commit::load(store, addr)?.parents;
            parents
                .get(n as usize - 1)
                .copied()
                .ok_or_else(|| missing(format!("parent {n} (it has {})", parents.len())))
        }
        Step::Ancestor(n) => {
            let shallow = Shallow::load(store)?;
            let mut at = addr;
            for i in 0..n {
                if shallow.contains(&at) {
                    return Err(beyond_boundary(&at, &format!("revision {rev} not found")));
                }
                at = Commit::load(store, at)?
                    .parents
                    .first()
                    .copied()
                    .ok_or_else(|| {
                        missing(format!("ancestor {n} (the history ends after {i} steps)"))
                    })?;
            }
            Ok(at)
        }
    }
}

/// `name@{n}`: the ref's entry `n` back in its reflog, as a commit (see [`reflog::find`]).
fn resolve_reflog(store: &dyn ChunkStore, name: &str, n: u32) -> Result<Hash> {
    let full = reflog::find(store, name)
        .map_err(|e| Error::NotFound(format!("revision {name}@{{{n}}} not found: {e}")))?;
    let addr = reflog::nth_back(store, &full, n)
        .map_err(|e| Error::NotFound(format!("revision {name}@{{{n}}} not found: {e}")))?;
    peel_to_commit(store, addr)
}

/// A branch, tag, full hash or unique hash prefix, to a commit.
fn resolve_name(store: &dyn ChunkStore, name: &str) -> Result<Hash> {
    if let Some(addr) = refs::read_ref(store, &refs::branch_ref(name))? {
        return Ok(addr);
    }
    if let Some(addr) = refs::read_ref(store, &refs::tag_ref(name))? {
        return peel_to_commit(store, addr);
    }
    if let Some(addr) = refs::read_ref(store, &format!("{REMOTES_PREFIX}{name}"))? {
        return Ok(addr);
    }
    let is_hex = name.len() >= MIN_PREFIX && name.chars().all(|c| c.is_ascii_hexdigit());
    if !is_hex {
        return Err(Error::NotFound(format!(
            "revision {name} not found: no branch or tag by that name"
        )));
    }
    let lower = name.to_ascii_lowercase();
    if let Some(addr) = Hash::from_hex(&lower) {
        return peel_to_commit(store, addr).map_err(|_| {
            Error::NotFound(format!(
                "revision {name} not found: no commit with that hash"
            ))
        });
    }
    resolve_prefix(store, &lower)
}

/// The one commit reachable from a ref whose hash starts with `prefix`.
fn resolve_prefix(store: &dyn ChunkStore, prefix: &str) -> Result<Hash> {
    let mut starts = Vec::new();
    for (_, addr) in refs::list_refs(store, HEADS_PREFIX)? {
        starts.push(addr);
    }
    for (_, addr) in refs::list_refs(store, TAGS_PREFIX)? {
        starts.push(peel_to_commit(store, addr)?);
    }
    for (_, addr) in refs::list_refs(store, REMOTES_PREFIX)? {
        starts.push(addr);
    }
    let mut found = BTreeSet::new();
    let mut summaries = Vec::new();
    for entry in Ancestors::new(store, &starts)? {
        let (addr, commit) = entry?;
        if addr.to_hex().starts_with(prefix) && found.insert(addr) {
            summaries.push(format!("{} {}", short(&addr), commit.summary()));
        }
    }
    let mut candidates = found.into_iter();
    match (candidates.next(), candidates.next()) {
        (Some(one), None) => Ok(one),
        (None, _) => Err(Error::NotFound(format!(
            "revision {prefix} not found: no branch, tag or commit hash starts with it"
        ))),
        (Some(_), Some(_)) => Err(Error::InvalidInput(format!(
            "revision {prefix} is ambiguous; give more digits. Candidates:\n  {}",
            summaries.join("\n  ")
        ))),
    }
}

/// A hash shortened for messages (12 hex digits).
pub fn short(addr: &Hash) -> String {
    addr.to_hex()[..12].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_revisions_and_ranges() {
        let rev = Revision::parse("main~2^2^").unwrap();
        assert_eq!(rev.base, RevBase::Name("main".into()));
        assert_eq!(
            rev.steps,
            vec![Step::Ancestor(2), Step::Parent(2), Step::Parent(1)]
        );
        assert_eq!(rev.to_string(), "main~2^2^1");
        assert_eq!(Revision::parse("HEAD").unwrap().base, RevBase::Head);
        assert!(Revision::parse("WORKING~1").is_err());
        assert!(Revision::parse("~1").is_err());
        assert!(Revision::parse("a..b").is_err());
        assert!(Revision::parse("main~2é").is_err());
        assert!(Revision::parse("main~99999999999").is_err());
        let range = RevRange::parse("main...feature").unwrap().unwrap();
        assert!(range.symmetric);
        assert_eq!(range.to.base, RevBase::Name("feature".into()));
        let range = RevRange::parse("..x").unwrap().unwrap();
        assert_eq!((range.from.base, range.symmetric), (RevBase::Head, false));
        assert_eq!(RevRange::parse("main").unwrap(), None);
        let rev = Revision::parse("feature/x@{3}~1").unwrap();
        assert_eq!(rev.base, RevBase::Reflog("feature/x".into(), 3));
        assert_eq!(rev.to_string(), "feature/x@{3}~1");
        assert_eq!(
            Revision::parse("HEAD@{2}").unwrap().base,
            RevBase::Reflog(String::new(), 2)
        );
        assert_eq!(Revision::parse("@{0}").unwrap().to_string(), "@{0}");
        assert!(Revision::parse("main@{-1}").is_err());
    }
}
