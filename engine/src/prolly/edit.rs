//! Batch edits: apply a sorted batch of inserts, updates and deletes, re-chunking only the nodes
//! the batch touches.
//!
//! The tree is edited one level at a time, bottom up. At each level the edits fall into regions:
//! a region starts at the beginning of the node holding its first edit (node starts are
//! boundaries, so the splitter starts fresh there) and feeds that node's entries, merged with the
//! edits, through a chunker. It ends as soon as the chunker cuts exactly where an old node ended:
//! from there on the old boundaries hold again, because a boundary depends only on the entries
//! since the previous one. Each region replaces the old nodes it read with the nodes it emitted,
//! and that replacement is the edit batch for the level above: delete the old nodes' keys, insert
//! the new nodes' keys. At the root's level the region is the whole level; if it emitted several
//! nodes, new levels are built over them, and a root left with a single child is replaced by
//! that child, so the result is exactly the tree a bulk build of the same entries would give.

use super::builder::{parent_entry, Builder, Chunker};
use super::node::{Entry, Node};
use super::nodestore::NodeStore;
use crate::error::Result;
use bytes::Bytes;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One edit: a key and its new entry (`None` deletes the key). Keys strictly increasing.
pub(crate) type Edit = (Bytes, Option<Entry>);

/// A level's outcome: its new nodes if the root-level region changed, and the parent's edits.
type LevelOutcome = (Option<Vec<Arc<Node>>>, Vec<Edit>);

/// Applies `edits` (sorted by key, no duplicates) to the tree at `root`; returns the new root.
pub(crate) fn apply(ns: &NodeStore, root: &Arc<Node>, mut edits: Vec<Edit>) -> Result<Arc<Node>> {
    let height = root.level();
    for level in 0..=height {
        if edits.is_empty() {
            return Ok(root.clone());
        }
        let (top, parent_edits) = edit_level(ns, root, level, &edits)?;
        if level == height {
            return match top {
                Some(nodes) => finish_top(ns, height, nodes),
                None => Ok(root.clone()),
            };
        }
        edits = parent_edits;
    }
    unreachable!("the loop returns at the root's level")
}

/// Edits one level. Returns the level's new nodes if the region covering the root's level changed
/// (only meaningful at the root's level, where one region covers everything), and the edits for
/// the level above.
fn edit_level(ns: &NodeStore, root: &Arc<Node>, level: u8, edits: &[Edit]) -> Result<LevelOutcome> {
    let mut parent: BTreeMap<Bytes, Option<Entry>> = BTreeMap::new();
    let mut top = None;
    let mut i = 0;
    // One chunker serves every region: each region starts and ends on a boundary, where the
    // chunker is empty, so reusing it only keeps its buffers' capacity.
    let mut chunker = Chunker::new(level);
    while i < edits.len() {
        let mut path = seek_level(ns, root, level, &edits[i].0)?;
        let (mut visited, mut emitted) = (Vec::new(), Vec::new());
        loop {
            let node = path.last().expect("path reaches the level").0.clone();
            let is_last = !has_next(&path);
            let upper = (!is_last).then(|| node.key_bytes(node.len() - 1));
            i = merge_node(
                ns,
                &node,
                &edits[i..],
                upper.as_deref(),
                &mut chunker,
                &mut emitted,
            )? + i;
            visited.push(node);
            if chunker.at_boundary() {
                break;
            }
            if is_last {
                emitted.extend(chunker.finish(ns)?);
                break;
            }
            next_node(ns, &mut path, level)?;
        }
        let unchanged = visited.len() == emitted.len()
            && visited
                .iter()
                .zip(&emitted)
                .all(|(a, b)| a.addr() == b.addr());
        if unchanged {
            continue;
        }
        for old in visited.iter().filter(|n| !n.is_empty()) {
            parent.insert(old.key_bytes(old.len() - 1), None);
        }
        for new in &emitted {
            let entry = parent_entry(new);
            parent.insert(entry.key.clone(), Some(entry));
        }
        top = Some(emitted);
    }
    Ok((top, parent.into_iter().collect()))
}

/// Feeds `node`'s entries, merged with the edits whose keys are `<= upper` (all of them when
/// `upper` is `None`), into the chunker. Returns how many edits it consumed.
fn merge_node(
    ns: &NodeStore,
    node: &Node,
    edits: &[Edit],
    upper: Option<&[u8]>,
    chunker: &mut Chunker,
    emitted: &mut Vec<Arc<Node>>,
) -> Result<usize> {
    // The edits that fall in this node: those up to its last key (all, for the level's last node).
    let span = match upper {
        Some(u) => edits.partition_point(|(key, _)| key[..] <= *u),
        None => edits.len(),
    };
    let (mut i, mut j) = (0, 0);
    loop {
        let order = match (j < node.len(), i < span) {
            (false, false) => return Ok(i),
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (true, true) => node.key(j).cmp(&edits[i].0),
        };
        if order == Ordering::Less {
            emitted.extend(chunker.push_from(ns, node, j)?);
            j += 1;
            continue;
        }
        if let Some(entry) = &edits[i].1 {
            emitted.extend(chunker.push(ns, entry)?);
        }
        i += 1;
        if order == Ordering::Equal {
            j += 1;
        }
    }
}

/// The path from the root to the node at `level` whose range holds `key`. Each element is a node
/// and the index of the child taken; the last element is the node at `level` (index unused).
fn seek_level(
    ns: &NodeStore,
    root: &Arc<Node>,
    level: u8,
    key: &[u8],
) -> Result<Vec<(Arc<Node>, usize)>> {
    let mut path = Vec::new();
    let mut node = root.clone();
    while node.level() > level {
        let i = node.child_for(key);
        let child = ns.load_child(&node, i)?;
        path.push((node, i));
        node = child;
    }
    path.push((node, 0));
    Ok(path)
}

/// Whether another node follows the path's last node at its level.
fn has_next(path: &[(Arc<Node>, usize)]) -> bool {
    path[..path.len() - 1]
        .iter()
        .any(|(node, i)| i + 1 < node.len())
}

/// Moves the path to the next node at `level`. The caller checks `has_next` first.
fn next_node(ns: &NodeStore, path: &mut Vec<(Arc<Node>, usize)>, level: u8) -> Result<()> {
    path.pop();
    while let Some((node, i)) = path.last_mut() {
        if *i + 1 < node.len() {
            *i += 1;
            break;
        }
        path.pop();
    }
    loop {
        let (node, i) = path.last().expect("has_next was checked");
        let child = ns.load_child(node, *i)?;
        let at_level = child.level() == level;
        path.push((child, 0));
        if at_level {
            return Ok(());
        }
    }
}

/// Turns the root level's new nodes into a root: none is the empty tree; one is the root (after
/// replacing single-child internal roots by their child); several get new levels built above.
fn finish_top(ns: &NodeStore, level: u8, nodes: Vec<Arc<Node>>) -> Result<Arc<Node>> {
    match nodes.len() {
        0 => ns.write(0, &[]),
        1 => {
            let mut root = nodes.into_iter().next().expect("one node");
            while !root.is_leaf() && root.len() == 1 {
                root = ns.load_child(&root, 0)?;
            }
            Ok(root)
        }
        _ => {
            let mut builder = Builder::new(ns, level + 1);
            for node in &nodes {
                builder.push(&parent_entry(node))?;
            }
            builder.finish()
        }
    }
}
