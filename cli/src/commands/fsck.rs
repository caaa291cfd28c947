//! `vdb fsck`: verifies every tree reachable from the named roots of a store.

use std::path::PathBuf;
use std::sync::Arc;
use vdb_engine::prolly::NodeStore;
use vdb_engine::store::{ChunkStore, DiskStore, DiskStoreOptions};
use vdb_engine::table::RootValue;
use vdb_engine::Hash;

/// Check every table reachable from the store's roots: hashes, tree invariants, boundaries.
///
/// Example: `vdb fsck --data-dir .vdb-data/demo`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The store to check.
    #[arg(long, default_value = ".vdb-data/demo")]
    data_dir: PathBuf,
}

pub fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    if !args.data_dir.exists() {
        return Err(format!("no store at {}; pass --data-dir", args.data_dir.display()).into());
    }
    let store = Arc::new(DiskStore::open(
        &args.data_dir,
        DiskStoreOptions::default(),
    )?);
    let ns = NodeStore::with_cache(store.clone(), 0);
    let mut problems = 0;
    for (name, value) in store.list_roots("")? {
        let Some(addr) = Hash::from_slice(&value) else {
            println!("{name}: not a chunk address, skipped");
            continue;
        };
        let root = RootValue::load(&ns, addr)?;
        for table_name in root.table_names() {
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
        return Err(format!("{problems} problems found").into());
    }
    println!("fsck: no problems");
    Ok(())
}
