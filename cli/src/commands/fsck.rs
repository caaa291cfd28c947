//! `vdb fsck`: verifies every table reachable from the named roots of a store: in a repository,
//! every commit reachable from a ref and every branch's working and staged state; in a bare
//! store (the demo's), each root naming a root value. Each table chunk is checked once.

use crate::context::{discover, Result, VDB_DIR};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use vdb_engine::prolly::NodeStore;
use vdb_engine::repo::commit::{object_kind, peel_to_commit, ObjectKind};
use vdb_engine::repo::{working_set_root, Ancestors, WorkingSet};
use vdb_engine::store::{ChunkStore, DiskStore, DiskStoreOptions};
use vdb_engine::table::RootValue;
use vdb_engine::Hash;

/// Check every table reachable from the store's roots: hashes, tree invariants, boundaries.
///
/// Without --data-dir, checks the repository vdb finds from the current directory, or else
/// the demo's store in .vdb-data/demo.
///
/// Example: `vdb fsck`  or  `vdb fsck --data-dir .vdb-data/demo`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The store to check.
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

pub fn run(args: &Args, start: Option<&Path>) -> Result<()> {
    let dir = match (&args.data_dir, discover(start)) {
        (Some(dir), _) => dir.clone(),
        (None, Ok(top)) => top.join(VDB_DIR).join("store"),
        (None, Err(_)) => PathBuf::from(".vdb-data/demo"),
    };
    if !dir.exists() {
        return Err(format!("no store at {}; pass --data-dir", dir.display()).into());
    }
    let store = Arc::new(DiskStore::open(&dir, DiskStoreOptions::default())?);
    let ns = NodeStore::with_cache(store.clone(), 0);
    let mut roots: Vec<(String, Hash)> = Vec::new();
    let mut commits = Vec::new();
    let ws_prefix = working_set_root("");
    for (name, value) in store.list_roots("")? {
        let Some(addr) = Hash::from_slice(&value) else {
            continue; // HEAD holds a branch name
        };
        if name.starts_with(&ws_prefix) {
            let ws = WorkingSet::load(&*store, addr)?;
            roots.push((format!("{name} (working)"), ws.working));
            roots.push((format!("{name} (staged)"), ws.staged));
            continue;
        }
        match object_kind(&*store, &addr)? {
            Some(ObjectKind::Commit | ObjectKind::Tag) => {
                commits.push(peel_to_commit(&*store, addr)?);
            }
            _ => roots.push((name, addr)),
        }
    }
    for entry in Ancestors::new(&*store, &commits)? {
        let (hash, commit) = entry?;
        roots.push((format!("commit {hash}"), commit.root));
    }
    let mut checked = HashSet::new();
    let mut problems = 0;
    for (name, addr) in roots {
        let root = RootValue::load(&ns, addr)?;
        for table_name in root.table_names() {
            let table_addr = root.table_addr(table_name).expect("listed above");
            if !checked.insert(table_addr) {
                continue;
            }
            let table = root.must_get_table(&ns, table_name)?;
            let mut found = table.rows().verify()?;
            for i in 0..table.schema().indexes.len() {
                found.extend(table.index_map(i).verify()?);
            }
            for p in &found {
                println!("{name}: table {table_name}: {p}");
            }
            problems += found.len();
        }
    }
    if problems > 0 {
        return Err(format!(
            "{problems} problems found; the store is damaged, restore it from a copy"
        )
        .into());
    }
    println!(
        "fsck: {} table versions checked, no problems",
        checked.len()
    );
    Ok(())
}
