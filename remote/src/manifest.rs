//! The manifest: the remote's refs and the list of packs that hold everything they reach.
//!
//! Manifests are immutable, numbered objects `manifests/<seq>` (20 decimal digits). The
//! current one is the highest number. A push writes number `seq + 1` with a create-only put
//! (`PutMode::Create`: `If-None-Match: *` on S3, a no-clobber link on a file system), so of
//! two pushers that read the same manifest exactly one wins and the other re-reads; nobody
//! loses an update. Invariant: every chunk reachable from a manifest's refs is in one of its
//! packs, because packs are uploaded before the manifest that lists them.

use crate::backend::{key, Backend};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use vdb_engine::repo::refs;
use vdb_engine::Hash;

const MAGIC: &[u8; 8] = b"VDBMAN01";
const DIR: &str = "manifests";
/// Older manifests kept after a push, for readers that listed just before it.
const KEEP: u64 = 8;

/// One version of the remote's state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Its number; the first push writes 1.
    pub seq: u64,
    /// The branch a clone checks out.
    pub head: Option<String>,
    /// Full ref names (`refs/heads/…`, `refs/tags/…`) to commit (or tag object) addresses,
    /// ascending by name.
    pub refs: Vec<(String, Hash)>,
    /// Names of the packs holding every chunk the refs reach, oldest first.
    pub packs: Vec<Hash>,
}

// Manifest object layout: [8] "VDBMAN01" | postcard(Manifest): seq as uvarint, head as
// Option<string>, refs as (uvarint count, then name string + 20-byte address each), packs as
// (uvarint count, then 20-byte names).
impl Manifest {
    /// The address of ref `full_name`.
    pub fn get_ref(&self, full_name: &str) -> Option<Hash> {
        self.refs
            .iter()
            .find(|(n, _)| n == full_name)
            .map(|(_, h)| *h)
    }

    /// Sets (or with `None` removes) ref `full_name`, keeping names ascending.
    pub fn set_ref(&mut self, full_name: &str, addr: Option<Hash>) {
        self.refs.retain(|(n, _)| n != full_name);
        if let Some(addr) = addr {
            self.refs.push((full_name.to_string(), addr));
            self.refs.sort();
        }
    }

    /// The branches, as (short name, commit).
    pub fn branches(&self) -> impl Iterator<Item = (&str, Hash)> {
        self.refs
            .iter()
            .filter_map(|(n, h)| n.strip_prefix(refs::HEADS_PREFIX).map(|b| (b, *h)))
    }

    /// The manifest object's bytes.
    pub fn encode(&self) -> Result<bytes::Bytes> {
        let mut out = MAGIC.to_vec();
        let body = postcard::to_allocvec(self)
            .map_err(|e| Error::InvalidInput(format!("cannot encode the manifest: {e}")))?;
        out.extend_from_slice(&body);
        Ok(out.into())
    }

    fn decode(seq: u64, bytes: &[u8]) -> Result<Manifest> {
        let bad = |why: String| Error::Corrupted(format!("manifest {seq}: {why}"));
        let Some(body) = bytes.strip_prefix(MAGIC) else {
            return Err(bad("not a vdb manifest (bad magic)".into()));
        };
        let m: Manifest = postcard::from_bytes(body).map_err(|e| bad(e.to_string()))?;
        if m.seq != seq {
            return Err(bad(format!("it says it is number {}", m.seq)));
        }
        for (name, _) in &m.refs {
            let short = name
                .strip_prefix(refs::HEADS_PREFIX)
                .or_else(|| name.strip_prefix(refs::TAGS_PREFIX))
                .ok_or_else(|| bad(format!("ref {name:?} is not a branch or tag")))?;
            refs::validate_name("ref", short).map_err(|e| bad(e.to_string()))?;
        }
        if let Some(head) = &m.head {
            refs::validate_name("branch", head).map_err(|e| bad(e.to_string()))?;
        }
        Ok(m)
    }
}

fn manifest_key(seq: u64) -> Result<object_store::path::Path> {
    key(&[DIR, &format!("{seq:020}")])
}

/// The numbers of the manifests present.
fn list_seqs(backend: &Backend) -> Result<Vec<u64>> {
    let mut seqs = Vec::new();
    for path in backend.list(DIR)? {
        let Some(name) = path.filename() else {
            continue;
        };
        if name.len() == 20 && name.bytes().all(|b| b.is_ascii_digit()) {
            seqs.push(name.parse::<u64>().expect("20 digits fit"));
        }
    }
    seqs.sort_unstable();
    Ok(seqs)
}

/// The current manifest, or `None` for a remote nobody has pushed to.
pub fn load_latest(backend: &Backend) -> Result<Option<Manifest>> {
    // A concurrent push may prune the manifest we listed before we read it: list again.
    for _ in 0..5 {
        let Some(&seq) = list_seqs(backend)?.last() else {
            return Ok(None);
        };
        if let Some(bytes) = backend.get(&manifest_key(seq)?)? {
            return Manifest::decode(seq, &bytes).map(Some);
        }
    }
    Err(Error::Conflict(format!(
        "the manifest of {} kept changing while being read; retry",
        backend.url()
    )))
}

/// Writes `m` as the next manifest. `Ok(false)` if another push wrote that number first.
pub fn publish(backend: &Backend, m: &Manifest) -> Result<bool> {
    backend.put_new(&manifest_key(m.seq)?, m.encode()?)
}

/// Deletes manifests older than the last [`KEEP`] before `current` (best effort).
pub fn prune(backend: &Backend, current: u64) -> Result<()> {
    for seq in list_seqs(backend)? {
        if seq + KEEP < current {
            backend.delete(&manifest_key(seq)?)?;
        }
    }
    Ok(())
}
