//! Commits and annotated tags: the immutable history objects, each a chunk addressed by the hash
//! of its canonical bytes.
//!
//! A [`Commit`] names a database state (a root value chunk), its parents (none for the initial
//! commit, two for a merge), who wrote it and when, and why. A [`Tag`] names a commit plus a
//! tagger and a message (an annotated tag; a lightweight tag is a ref straight to a commit).
//! Both are encoded canonically — a tag byte, a version byte, then postcard — so the same
//! commit always has the same address, and a reader refuses versions it does not know.

use crate::error::{Error, Result};
use crate::hash::Hash;
use crate::store::ChunkStore;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::fmt;

/// First byte of a commit chunk.
pub const COMMIT_TAG: u8 = b'C';
/// First byte of an annotated tag chunk.
pub const TAG_TAG: u8 = b'A';
/// Version byte of both layouts.
const VERSION: u8 = 1;

/// Who did something, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub name: String,
    pub email: String,
    /// Milliseconds since the Unix epoch, UTC.
    pub time_ms: i64,
    /// The author's time-zone offset from UTC in minutes (for display only).
    pub tz_offset_min: i32,
}

impl Signature {
    /// A signature at a given time (UTC).
    pub fn new(name: &str, email: &str, time_ms: i64) -> Signature {
        Signature {
            name: name.to_string(),
            email: email.to_string(),
            time_ms,
            tz_offset_min: 0,
        }
    }

    /// A signature stamped with the current time (UTC).
    pub fn now(name: &str, email: &str) -> Signature {
        let time_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Signature::new(name, email, time_ms)
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} <{}>", self.name, self.email)
    }
}

/// One commit: a database state in history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    /// The root value chunk of the committed state.
    pub root: Hash,
    /// Parent commits: none for the initial commit, the merged-into branch first for a merge.
    pub parents: Vec<Hash>,
    pub author: Signature,
    pub committer: Signature,
    pub message: String,
}

// Commit chunk layout, version 1:
//   u8 'C' (0x43) | u8 version 1 | postcard(Commit)
// postcard(Commit), fields in declaration order: root (20 bytes), parents (uvarint count, then
// 20 bytes each), author and committer (name and email as uvarint length + UTF-8, time_ms as a
// zigzag varint, tz_offset_min as a zigzag varint), message (uvarint length + UTF-8).
impl Commit {
    /// The canonical bytes of the commit chunk.
    pub fn encode(&self) -> Result<Bytes> {
        encode(COMMIT_TAG, self)
    }

    /// Writes the commit chunk; returns its address (the commit's hash).
    pub fn save(&self, store: &dyn ChunkStore) -> Result<Hash> {
        store.put(self.encode()?)
    }

    /// Loads the commit at `addr`: `NotFound` if absent, `InvalidInput` if the chunk is not a
    /// commit, `Corrupted` if it does not decode.
    pub fn load(store: &dyn ChunkStore, addr: Hash) -> Result<Commit> {
        let bytes = store
            .get(&addr)?
            .ok_or_else(|| Error::NotFound(format!("commit {addr} does not exist")))?;
        decode(addr, &bytes, COMMIT_TAG, "commit")
    }

    /// The first line of the message.
    pub fn summary(&self) -> &str {
        self.message.lines().next().unwrap_or("")
    }
}

/// An annotated tag: a named pointer to a commit with a tagger and a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// The tagged commit.
    pub target: Hash,
    /// The tag's name when it was created.
    pub name: String,
    pub tagger: Signature,
    pub message: String,
}

// Annotated tag chunk layout, version 1:
//   u8 'A' (0x41) | u8 version 1 | postcard(Tag)
// fields in declaration order: target (20 bytes), name, tagger (as in a commit), message.
impl Tag {
    /// Writes the tag chunk; returns its address.
    pub fn save(&self, store: &dyn ChunkStore) -> Result<Hash> {
        store.put(encode(TAG_TAG, self)?)
    }

    /// Loads the annotated tag at `addr`.
    pub fn load(store: &dyn ChunkStore, addr: Hash) -> Result<Tag> {
        let bytes = store
            .get(&addr)?
            .ok_or_else(|| Error::NotFound(format!("tag object {addr} does not exist")))?;
        decode(addr, &bytes, TAG_TAG, "tag")
    }
}

/// What kind of history object a chunk is, from its first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectKind {
    Commit,
    Tag,
    /// Anything else (a node, a table, a root value, a blob).
    Other,
}

/// The kind of the chunk at `addr`, or `None` if the store does not hold it.
pub fn object_kind(store: &dyn ChunkStore, addr: &Hash) -> Result<Option<ObjectKind>> {
    Ok(store.get(addr)?.map(|bytes| match bytes.first() {
        Some(&COMMIT_TAG) => ObjectKind::Commit,
        Some(&TAG_TAG) => ObjectKind::Tag,
        _ => ObjectKind::Other,
    }))
}

/// The commit that `addr` names: a commit itself, or the target of an annotated tag.
pub fn peel_to_commit(store: &dyn ChunkStore, addr: Hash) -> Result<Hash> {
    match object_kind(store, &addr)? {
        Some(ObjectKind::Commit) => Ok(addr),
        Some(ObjectKind::Tag) => Ok(Tag::load(store, addr)?.target),
        Some(ObjectKind::Other) => Err(Error::InvalidInput(format!(
            "object {addr} is not a commit; name a commit, branch or tag"
        ))),
        None => Err(Error::NotFound(format!("object {addr} does not exist"))),
    }
}

fn encode<T: Serialize>(tag: u8, value: &T) -> Result<Bytes> {
    let mut bytes = vec![tag, VERSION];
    let body = postcard::to_stdvec(value)
        .map_err(|e| Error::InvalidInput(format!("cannot encode history object: {e}")))?;
    bytes.extend(body);
    Ok(Bytes::from(bytes))
}

fn decode<T: for<'de> Deserialize<'de>>(
    addr: Hash,
    bytes: &[u8],
    tag: u8,
    what: &str,
) -> Result<T> {
    match bytes {
        [t, VERSION, body @ ..] if *t == tag => postcard::from_bytes(body)
            .map_err(|e| Error::corrupted(addr, format!("malformed {what}: {e}"))),
        [t, version, ..] if *t == tag => Err(Error::corrupted(
            addr,
            format!("{what} of unknown version {version}; upgrade vdb to read it"),
        )),
        _ => Err(Error::InvalidInput(format!(
            "object {addr} is not a {what}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    fn commit() -> Commit {
        Commit {
            root: Hash::of(b"root"),
            parents: vec![Hash::of(b"p")],
            author: Signature::new("Ada", "ada@example.com", 1_700_000_000_000),
            committer: Signature::new("Ada", "ada@example.com", 1_700_000_000_001),
            message: "add rows\n\nbody".into(),
        }
    }

    #[test]
    fn commit_round_trip_and_kind() {
        let store = MemoryStore::new();
        let addr = commit().save(&store).unwrap();
        assert_eq!(Commit::load(&store, addr).unwrap(), commit());
        assert_eq!(commit().summary(), "add rows");
        assert_eq!(
            object_kind(&store, &addr).unwrap(),
            Some(ObjectKind::Commit)
        );
        let tag = Tag {
            target: addr,
            name: "v1".into(),
            tagger: commit().author,
            message: "release".into(),
        };
        let tag_addr = tag.save(&store).unwrap();
        assert_eq!(peel_to_commit(&store, tag_addr).unwrap(), addr);
        assert!(matches!(
            Commit::load(&store, tag_addr),
            Err(Error::InvalidInput(_))
        ));
    }

    /// Pins the commit encoding: a change to it changes every commit hash.
    #[test]
    fn golden_commit_bytes() {
        let bytes = commit().encode().unwrap();
        assert_eq!(&bytes[..2], b"C\x01");
        assert_eq!(&bytes[2..22], Hash::of(b"root").as_bytes());
        assert_eq!(bytes[22], 1, "one parent");
        assert_eq!(
            bytes.len(),
            2 + 20 + 1 + 20 + 2 * (1 + 3 + 1 + 15 + 6 + 1) + 1 + 14
        );
    }
}
