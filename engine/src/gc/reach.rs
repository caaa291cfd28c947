//! The reachability walk shared by fsck and gc: from the named roots of a store (refs, tags,
//! `HEAD`, working sets) to every chunk they need, each chunk read (so its hash is verified) and
//! decoded once, problems recorded by address with the path that led there.
//!
//! What names what:
//! ```text
//! refs/heads/* ─▶ commit ─▶ root value ─▶ table ─▶ prolly nodes ─▶ blobs
//! refs/tags/*  ─▶ tag ─▶ commit    └─▶ parent commits
//! workingsets/heads/* ─▶ working set ─▶ working root, staged root, merge-state commits,
//!                                       conflict maps (prolly nodes)
//! ```
//! `shallow` (a shallow clone's boundary) names commits whose parents the store lacks: they
//! are walked as roots, so they are kept, and their parents are not followed.
//! Any other root holding a value of another length is configuration (a remote's, say) and
//! names no chunk. Any other root holding a 20-byte value (the demo's bare store) is walked from whatever chunk
//! it names. The walk follows each chunk by its actual kind (its first byte), whatever its
//! parent expected, so a chunk of the wrong kind is reported and still walked: gc never misses
//! what a damaged reference points to. Subtrees already visited are skipped, so shared history
//! costs nothing twice.

use crate::error::{Error, Result};
use crate::hash::Hash;
use crate::prolly::node::{Node, INTERNAL_TAG, LEAF_TAG};
use crate::prolly::NodeStore;
use crate::repo::commit::{COMMIT_TAG, TAG_TAG};
use crate::repo::refs::{HEAD, HEADS_PREFIX, TAGS_PREFIX};
use crate::repo::{working_set_root, Commit, Shallow, Tag, WorkingSet, SHALLOW_ROOT};
use crate::store::ChunkStore;
use crate::table::{RootValue, Table};
use bytes::Bytes;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

const WORKING_SET_TAG: u8 = b'W';
const ROOT_TAG: u8 = b'R';
const TABLE_TAG: u8 = b'T';
const BLOB_TAG: u8 = b'B';

/// A problem found by the walk: the chunk (or `Hash::ZERO` for a root that names no chunk), the
/// path that led to it, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub addr: Hash,
    pub at: String,
    pub what: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at {}): {}", self.addr, self.at, self.what)
    }
}

/// The kind a parent expects its child to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expect {
    Commit,
    CommitOrTag,
    WorkingSet,
    RootValue,
    Table,
    /// The root node of a prolly tree (recorded for fsck's tree checks).
    TreeRoot,
    Node,
    Blob,
    Any,
}

/// The state of one walk: what is live, what was found wrong, and which prolly trees were seen.
pub(crate) struct Walk<'a> {
    store: &'a dyn ChunkStore,
    ns: NodeStore,
    pub(crate) live: HashSet<Hash>,
    pub(crate) live_bytes: u64,
    pub(crate) problems: Vec<Finding>,
    /// Roots of the distinct prolly trees reached, with the path to each.
    pub(crate) trees: Vec<(Hash, Arc<str>)>,
    /// Named roots read.
    pub(crate) roots: usize,
    /// The shallow boundary, read with the roots.
    shallow: Shallow,
    stack: Vec<(Hash, Expect, Arc<str>)>,
}

impl<'a> Walk<'a> {
    pub(crate) fn new(store: &'a dyn ChunkStore, ns: NodeStore) -> Walk<'a> {
        Walk {
            store,
            ns,
            live: HashSet::new(),
            live_bytes: 0,
            problems: Vec::new(),
            trees: Vec::new(),
            roots: 0,
            shallow: Shallow::default(),
            stack: Vec::new(),
        }
    }

    fn report(&mut self, addr: Hash, at: &str, what: impl Into<String>) {
        self.problems.push(Finding {
            addr,
            at: at.to_string(),
            what: what.into(),
        });
    }

    /// Reads every named root, checks what it holds, and walks everything it reaches.
    /// Returns the roots read, as `(name, value)`, for a caller that later looks for changes.
    pub(crate) fn walk_roots(&mut self) -> Result<Vec<(String, Vec<u8>)>> {
        let roots = self.store.list_roots("")?;
        let branches: HashSet<&str> = roots
            .iter()
            .filter_map(|(name, _)| name.strip_prefix(HEADS_PREFIX))
            .collect();
        let working_sets = working_set_root("");
        let mut starts = Vec::new();
        for (name, value) in &roots {
            if name == HEAD {
                let target = std::str::from_utf8(value).ok();
                match target.and_then(|t| t.strip_prefix(HEADS_PREFIX)) {
                    Some(branch) if branches.contains(branch) => {}
                    Some(branch) => self.report(
                        Hash::ZERO,
                        HEAD,
                        format!("names branch {branch}, which does not exist"),
                    ),
                    None => self.report(Hash::ZERO, HEAD, "does not name a branch"),
                }
                continue;
            }
            if name == SHALLOW_ROOT {
                match Shallow::decode(value) {
                    Ok(shallow) => self.shallow = shallow,
                    Err(e) => self.report(Hash::ZERO, name, e.to_string()),
                }
                let here = Arc::<str>::from("shallow boundary");
                for addr in self.shallow.commits() {
                    starts.push((*addr, Expect::Commit, here.clone()));
                }
                continue;
            }
            let names_chunk = name.starts_with("refs/") || name.starts_with(working_sets.as_str());
            let Some(addr) = Hash::from_slice(value) else {
                // Other roots that are not 20 bytes hold configuration (`remotes/<name>`), not
                // references.
                if !names_chunk {
                    continue;
                }
                self.report(
                    Hash::ZERO,
                    name,
                    format!("holds {} bytes, not a 20-byte address", value.len()),
                );
                continue;
            };
            let expect = if name.starts_with(HEADS_PREFIX) {
                Expect::Commit
            } else if name.starts_with(TAGS_PREFIX) {
                Expect::CommitOrTag
            } else if name.starts_with(working_sets.as_str()) {
                // A working set whose branch is gone (a crash inside a branch delete leaves one)
                // is harmless: it is checked, and kept, like any other.
                Expect::WorkingSet
            } else {
                Expect::Any
            };
            starts.push((addr, expect, Arc::<str>::from(name.as_str())));
        }
        self.roots = roots.len();
        for (addr, expect, at) in starts {
            self.visit(addr, expect, at);
        }
        self.run()?;
        Ok(roots)
    }

    /// Queues `addr` unless it was visited already.
    pub(crate) fn visit(&mut self, addr: Hash, expect: Expect, at: Arc<str>) {
        if self.live.insert(addr) {
            self.stack.push((addr, expect, at));
        }
    }

    /// Walks everything queued. Only I/O errors abort; damage is recorded and skipped.
    pub(crate) fn run(&mut self) -> Result<()> {
        while let Some((addr, expect, at)) = self.stack.pop() {
            let bytes = match self.store.get(&addr) {
                Ok(Some(bytes)) => bytes,
                Ok(None) => {
                    self.report(addr, &at, "missing chunk");
                    continue;
                }
                Err(Error::Corrupted { addr, reason }) => {
                    self.report(addr, &at, reason);
                    continue;
                }
                Err(e) => return Err(e),
            };
            self.live_bytes += bytes.len() as u64;
            if let Err(e) = self.chunk(addr, bytes, expect, &at) {
                match e {
                    Error::Corrupted { addr, reason } => self.report(addr, &at, reason),
                    Error::MissingChunk(missing) => self.report(missing, &at, "missing chunk"),
                    Error::NotFound(what) | Error::InvalidInput(what) => {
                        self.report(addr, &at, what);
                    }
                    e => return Err(e),
                }
            }
        }
        Ok(())
    }

    /// Decodes one chunk by its kind and queues what it names.
    fn chunk(&mut self, addr: Hash, bytes: Bytes, expect: Expect, at: &Arc<str>) -> Result<()> {
        let kind = bytes.first().copied().unwrap_or(0);
        if let Some(wanted) = mismatch(expect, kind) {
            self.report(
                addr,
                at,
                format!("expected {wanted}, found {}", kind_name(kind)),
            );
        }
        match kind {
            COMMIT_TAG => {
                let commit = Commit::load(self.store, addr)?;
                let here: Arc<str> = format!("commit {addr}").into();
                self.visit(commit.root, Expect::RootValue, here.clone());
                let commit = self.shallow.graft(&addr, commit);
                for parent in commit.parents {
                    self.visit(parent, Expect::Commit, here.clone());
                }
            }
            TAG_TAG => {
                let tag = Tag::load(self.store, addr)?;
                self.visit(tag.target, Expect::Commit, format!("tag {addr}").into());
            }
            WORKING_SET_TAG => self.working_set(addr, at)?,
            ROOT_TAG => {
                let root = RootValue::load(&self.ns, addr)?;
                for name in root.table_names() {
                    if let Some(table) = root.table_addr(name) {
                        let here = format!("{at} → table {name}").into();
                        self.visit(table, Expect::Table, here);
                    }
                }
            }
            TABLE_TAG => {
                let table = Table::load(&self.ns, addr)?;
                self.visit(table.rows().root(), Expect::TreeRoot, at.clone());
                for i in 0..table.schema().indexes.len() {
                    let here = format!("{at} → index {i}").into();
                    self.visit(table.index_map(i).root(), Expect::TreeRoot, here);
                }
            }
            LEAF_TAG | INTERNAL_TAG => {
                if expect == Expect::TreeRoot {
                    self.trees.push((addr, at.clone()));
                }
                self.node(&Node::decode(addr, bytes)?, at);
            }
            BLOB_TAG => {}
            other => {
                return Err(Error::corrupted(
                    addr,
                    format!("unknown chunk kind {other:#04x}"),
                ))
            }
        }
        Ok(())
    }

    fn working_set(&mut self, addr: Hash, at: &Arc<str>) -> Result<()> {
        let ws = WorkingSet::load(self.store, addr)?;
        self.visit(
            ws.working,
            Expect::RootValue,
            format!("{at} (working)").into(),
        );
        self.visit(
            ws.staged,
            Expect::RootValue,
            format!("{at} (staged)").into(),
        );
        if let Some(merge) = &ws.merge {
            let here: Arc<str> = format!("{at} (merge in progress)").into();
            let commits = [Some(merge.their_commit), merge.base_commit];
            for commit in commits.into_iter().flatten().chain([merge.our_commit]) {
                self.visit(commit, Expect::Commit, here.clone());
            }
        }
        for (table, root) in &ws.conflicts {
            let here = format!("{at} → conflicts of {table}").into();
            self.visit(*root, Expect::TreeRoot, here);
        }
        Ok(())
    }

    fn node(&mut self, node: &Node, at: &Arc<str>) {
        for i in 0..node.len() {
            if !node.is_leaf() {
                self.visit(node.child(i), Expect::Node, at.clone());
            } else if node.is_blob(i) {
                match Hash::from_slice(node.value(i)) {
                    Some(blob) => self.visit(blob, Expect::Blob, at.clone()),
                    None => self.report(
                        node.addr(),
                        at,
                        format!("entry {i}: blob reference is not an address"),
                    ),
                }
            }
        }
    }
}

/// What `expect` wanted, if a chunk of kind `kind` is not it.
fn mismatch(expect: Expect, kind: u8) -> Option<&'static str> {
    let ok = match expect {
        Expect::Any => true,
        Expect::Commit => kind == COMMIT_TAG,
        Expect::CommitOrTag => kind == COMMIT_TAG || kind == TAG_TAG,
        Expect::WorkingSet => kind == WORKING_SET_TAG,
        Expect::RootValue => kind == ROOT_TAG,
        Expect::Table => kind == TABLE_TAG,
        Expect::TreeRoot | Expect::Node => kind == LEAF_TAG || kind == INTERNAL_TAG,
        Expect::Blob => kind == BLOB_TAG,
    };
    (!ok).then_some(match expect {
        Expect::Commit => "a commit",
        Expect::CommitOrTag => "a commit or tag",
        Expect::WorkingSet => "a working set",
        Expect::RootValue => "a root value",
        Expect::Table => "a table",
        Expect::TreeRoot | Expect::Node => "a prolly node",
        Expect::Blob => "a blob",
        Expect::Any => "anything",
    })
}

fn kind_name(kind: u8) -> String {
    match kind {
        COMMIT_TAG => "a commit".into(),
        TAG_TAG => "a tag".into(),
        WORKING_SET_TAG => "a working set".into(),
        ROOT_TAG => "a root value".into(),
        TABLE_TAG => "a table".into(),
        LEAF_TAG | INTERNAL_TAG => "a prolly node".into(),
        BLOB_TAG => "a blob".into(),
        other => format!("a chunk of unknown kind {other:#04x}"),
    }
}
