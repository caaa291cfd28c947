//! `vdb serve`: serves a repository to PostgreSQL clients (psql, psycopg, SQLAlchemy, pandas)
//! over the wire protocol, until SIGINT or SIGTERM.

use crate::context::{identity, Result, VDB_DIR};
use crate::fail;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use vdb_engine::repo::{Repository, Signature};
use vdb_engine::store::{DiskStore, DiskStoreOptions};
use vdb_wire::{serve_until_signal, Database, ServerConfig};

/// Serve a repository to PostgreSQL clients.
///
/// With no flags, serves the default data directory ($VDB_DATA_DIR, else
/// $XDG_DATA_HOME/vdb/vdb, else ~/.local/share/vdb/vdb), created on first run, as database
/// `vdb` on 127.0.0.1:5432: `psql -h 127.0.0.1 -d vdb`. With `--data-dir DIR` (the global
/// flag), serves the repository in DIR, initializing DIR if it is empty or missing, under
/// the directory's name. Connect to `NAME/BRANCH` for a session on another branch.
///
/// Example: vdb --data-dir labels-repo serve --port 5433
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The database name clients connect to (default: the data directory's name).
    #[arg(long)]
    database: Option<String>,
    /// The address to listen on. Only loopback addresses are allowed until authentication
    /// is configured.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// The TCP port.
    #[arg(long, short, default_value_t = 5432)]
    port: u16,
    /// Connections beyond this many are refused (SQLSTATE 53300).
    #[arg(long, default_value_t = 100)]
    max_connections: usize,
}

/// The default data directory.
fn default_data_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("VDB_DATA_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let base = match std::env::var_os("XDG_DATA_HOME") {
        Some(dir) => PathBuf::from(dir),
        None => match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(".local").join("share"),
            None => fail!("neither HOME nor VDB_DATA_DIR is set; pass --data-dir DIR"),
        },
    };
    Ok(base.join("vdb").join("vdb"))
}

/// Opens the repository in `dir`, initializing it first if `dir` is missing or empty.
fn open_or_init(dir: &Path) -> Result<Repository> {
    let store_dir = dir.join(VDB_DIR).join("store");
    let fresh = !store_dir.is_dir();
    if fresh {
        if dir.is_dir() && std::fs::read_dir(dir)?.next().is_some() {
            fail!(
                "{} is not empty and holds no vdb repository; pass an empty directory or a \
                 repository to --data-dir",
                dir.display()
            );
        }
        std::fs::create_dir_all(&store_dir)?;
    }
    let store = Arc::new(DiskStore::open(&store_dir, DiskStoreOptions::default())?);
    if fresh {
        let (name, email) = identity(Some(dir))?;
        let repo = Repository::init(store, "main", &Signature::now(&name, &email))?;
        eprintln!(
            "vdb serve: initialized a new repository in {}",
            dir.display()
        );
        return Ok(repo);
    }
    Ok(Repository::open(store)?)
}

pub fn run(args: &Args, data_dir: Option<&Path>) -> Result<()> {
    if !args.host.is_loopback() {
        fail!(
            "refusing to listen on {} without authentication; listen on 127.0.0.1 (or ::1)",
            args.host
        );
    }
    let dir = match data_dir {
        Some(dir) => std::env::current_dir()?.join(dir),
        None => default_data_dir()?,
    };
    let repo = open_or_init(&dir)?;
    let name = match &args.database {
        Some(name) => name.clone(),
        None => match dir.file_name().and_then(|n| n.to_str()) {
            Some(name) => name.to_string(),
            None => fail!("{} has no usable name; pass --database NAME", dir.display()),
        },
    };
    let branch = repo.head_branch()?;
    let config = ServerConfig {
        addr: SocketAddr::new(args.host, args.port),
        max_connections: args.max_connections,
    };
    let database = Database {
        name: name.clone(),
        repo: Arc::new(repo),
    };
    let result = serve_until_signal(&config, vec![database], |addr| {
        eprintln!(
            "vdb serve: serving {} as database \"{name}\" (branch {branch}) on {addr}\n\
             vdb serve: connect with: psql -h {} -p {} -d {name}",
            dir.display(),
            addr.ip(),
            addr.port()
        );
    });
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => fail!(
            "port {} on {} is already in use; pass --port N",
            args.port,
            args.host
        ),
        other => Ok(other?),
    }
}
