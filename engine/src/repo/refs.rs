//! Refs: the mutable names of history, kept as named roots of the chunk store.
//!
//! | root name | value |
//! |---|---|
//! | `refs/heads/<branch>` | 20-byte address of the branch's head commit |
//! | `refs/tags/<tag>` | 20-byte address of a commit (lightweight) or an annotated tag chunk |
//! | `refs/remotes/<remote>/<branch>` | 20-byte address: where `<branch>` of remote `<remote>` was at the last fetch or push (a remote-tracking branch, read-only to commands) |
//! | `HEAD` | UTF-8 full ref name of the current branch, e.g. `refs/heads/main` |
//!
//! Every change is a compare-and-swap against the value the caller read, so two processes
//! can never lose each other's update: the loser gets [`Error::Conflict`] naming the ref, and
//! re-reads and retries. Names are checked like git's `check-ref-format`.

use super::reflog;
use crate::error::{Error, Result};
use crate::hash::Hash;
use crate::store::ChunkStore;

/// Prefix of branch refs.
pub const HEADS_PREFIX: &str = "refs/heads/";
/// Prefix of tag refs.
pub const TAGS_PREFIX: &str = "refs/tags/";
/// Prefix of remote-tracking branch refs (`refs/remotes/<remote>/<branch>`).
pub const REMOTES_PREFIX: &str = "refs/remotes/";
/// The root naming the current branch.
pub const HEAD: &str = "HEAD";

/// Names that mean something else in a revision and so cannot name a branch or tag.
const RESERVED: &[&str] = &["HEAD", "WORKING", "STAGED", "@"];

/// The full ref name of branch `name`.
pub fn branch_ref(name: &str) -> String {
    format!("{HEADS_PREFIX}{name}")
}

/// The full ref name of tag `name`.
pub fn tag_ref(name: &str) -> String {
    format!("{TAGS_PREFIX}{name}")
}

/// The full ref name of remote-tracking branch `remote/branch`.
pub fn remote_ref(remote: &str, branch: &str) -> String {
    format!("{REMOTES_PREFIX}{remote}/{branch}")
}

/// Checks a branch or tag name (`what` is "branch" or "tag") like git's check-ref-format:
/// components separated by `/`, none empty, starting with `.` or ending with `.lock`; no `..`,
/// `@{`, control characters, spaces or any of `~^:?*[\`; not starting with `-`, not ending
/// with `.`; not a reserved revision word (`HEAD`, `WORKING`, `STAGED`, `@`).
pub fn validate_name(what: &str, name: &str) -> Result<()> {
    let bad = |reason: &str| {
        Err(Error::InvalidInput(format!(
            "\"{name}\" is not a valid {what} name: {reason}"
        )))
    };
    if name.is_empty() {
        return bad("it is empty");
    }
    if RESERVED.contains(&name) {
        return bad("the word is reserved for revisions");
    }
    if name.starts_with('-') {
        return bad("it starts with '-'");
    }
    if name.ends_with('.') {
        return bad("it ends with '.'");
    }
    if name.contains("..") {
        return bad("it contains '..'");
    }
    if name.contains("@{") {
        return bad("it contains '@{'");
    }
    if let Some(c) = name
        .chars()
        .find(|c| c.is_control() || c.is_whitespace() || "~^:?*[\\".contains(*c))
    {
        return bad(&format!("it contains {c:?}"));
    }
    for component in name.split('/') {
        if component.is_empty() {
            return bad("it has an empty path component (leading, trailing or double '/')");
        }
        if component.starts_with('.') {
            return bad("a path component starts with '.'");
        }
        if component.ends_with(".lock") {
            return bad("a path component ends with '.lock'");
        }
    }
    Ok(())
}

/// Reads the address a ref holds.
pub fn read_ref(store: &dyn ChunkStore, full_name: &str) -> Result<Option<Hash>> {
    match store.get_root(full_name)? {
        None => Ok(None),
        Some(bytes) => Hash::from_slice(&bytes).map(Some).ok_or_else(|| {
            Error::corrupted(
                Hash::ZERO,
                format!(
                    "ref {full_name} holds {} bytes, not a 20-byte address",
                    bytes.len()
                ),
            )
        }),
    }
}

/// Sets ref `full_name` from `expected` to `new` (`None`: absent / delete) by compare-and-swap,
/// adding an entry to the ref's reflog in the same write (see [`super::reflog`]).
/// Fails with `Conflict` if the ref no longer holds `expected`.
pub fn update_ref(
    store: &dyn ChunkStore,
    full_name: &str,
    expected: Option<Hash>,
    new: Option<Hash>,
) -> Result<()> {
    let (expected_bytes, new_bytes) = (
        expected.as_ref().map(|h| &h.as_bytes()[..]),
        new.as_ref().map(|h| &h.as_bytes()[..]),
    );
    let swapped = if reflog::logged(full_name) {
        let (note, entry) = reflog::entry_root(full_name, new);
        store.cas_root_noting(full_name, expected_bytes, new_bytes, (&note, &entry))?
    } else {
        store.cas_root(full_name, expected_bytes, new_bytes)?
    };
    if swapped {
        return Ok(());
    }
    let now = match read_ref(store, full_name)? {
        Some(h) => h.to_string(),
        None => "nothing".into(),
    };
    let was = match expected {
        Some(h) => h.to_string(),
        None => "nothing".into(),
    };
    Err(Error::Conflict(format!(
        "ref {full_name} was changed by another writer (expected {was}, found {now}); \
         re-read it and retry"
    )))
}

/// Every ref under `prefix` as (short name, address), ordered by name.
pub fn list_refs(store: &dyn ChunkStore, prefix: &str) -> Result<Vec<(String, Hash)>> {
    let mut out = Vec::new();
    for (name, bytes) in store.list_roots(prefix)? {
        let addr = Hash::from_slice(&bytes).ok_or_else(|| {
            Error::corrupted(Hash::ZERO, format!("ref {name} is not a 20-byte address"))
        })?;
        out.push((name[prefix.len()..].to_string(), addr));
    }
    Ok(out)
}

/// The branch `HEAD` names, or `None` if the store holds no repository.
pub fn read_head(store: &dyn ChunkStore) -> Result<Option<String>> {
    let Some(bytes) = store.get_root(HEAD)? else {
        return Ok(None);
    };
    let full =
        String::from_utf8(bytes).map_err(|_| Error::corrupted(Hash::ZERO, "HEAD is not UTF-8"))?;
    match full.strip_prefix(HEADS_PREFIX) {
        Some(branch) => Ok(Some(branch.to_string())),
        None => Err(Error::corrupted(
            Hash::ZERO,
            format!("HEAD names {full}, which is not a branch"),
        )),
    }
}

/// Points `HEAD` at `branch`, by compare-and-swap from `expected` (`None`: no HEAD yet).
pub fn write_head(store: &dyn ChunkStore, expected: Option<&str>, branch: &str) -> Result<()> {
    let old = expected.map(branch_ref);
    let new = branch_ref(branch);
    if store.cas_root(
        HEAD,
        old.as_deref().map(str::as_bytes),
        Some(new.as_bytes()),
    )? {
        return Ok(());
    }
    Err(Error::Conflict(
        "HEAD was changed by another writer; re-read it and retry".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_check_ref_format() {
        for good in ["main", "feature/x", "v1.0", "a-b_c", "ünï"] {
            assert!(validate_name("branch", good).is_ok(), "{good}");
        }
        for bad in [
            "", "-x", "a..b", "a b", "a~1", "a^", "a:b", "a?", "a*", "a[", "a\\b", "x.", "/a",
            "a/", "a//b", ".a", "a/.b", "a.lock", "a@{1}", "HEAD", "WORKING", "STAGED", "a\tb",
        ] {
            assert!(
                matches!(validate_name("branch", bad), Err(Error::InvalidInput(_))),
                "{bad:?}"
            );
        }
    }
}
