//! `vdb serve`: serves a repository to PostgreSQL clients (psql, psycopg, SQLAlchemy, pandas)
//! over the wire protocol, until SIGINT or SIGTERM.

use crate::context::{identity, Result, VDB_DIR};
use crate::fail;

mod config;
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
/// `vdb` on 127.0.0.1:5432: `psql -h 127.0.0.1 -d vdb`. With `--data-dir DIR` (before or
/// after `serve`), serves the repository in DIR, initializing DIR if it is empty or missing,
/// under the directory's name. Connect to `NAME/BRANCH` for a session on another branch.
///
/// `--config FILE` reads the same settings, users and TLS files from a TOML file (see
/// docs/cli.md); flags given on the command line override it. Without users the server trusts
/// every client and listens only on loopback addresses.
///
/// Example: vdb serve --data-dir labels-repo --port 5433
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The repository to serve, initialized if DIR is empty or missing (the same as the
    /// global `--data-dir` given before `serve`).
    #[arg(long = "data-dir", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// A TOML file with the server's settings, users and TLS files.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The database name clients connect to (default: the data directory's name).
    #[arg(long)]
    database: Option<String>,
    /// The address to listen on (default 127.0.0.1). A non-loopback address needs users.
    #[arg(long)]
    host: Option<IpAddr>,
    /// The TCP port (default 5432).
    #[arg(long, short)]
    port: Option<u16>,
    /// Connections beyond this many are refused with SQLSTATE 53300 (default 100).
    #[arg(long)]
    max_connections: Option<usize>,
    /// The TLS certificate chain (PEM); with --tls-key, clients may use sslmode=require.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The TLS private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Read a password from standard input, print its SCRAM-SHA-256 verifier (for a user's
    /// `password` in the config file) and exit.
    #[arg(long)]
    hash_password: bool,
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
    if args.hash_password {
        return hash_password();
    }
    let mut file = match &args.config {
        Some(path) => config::load(path)?,
        None => config::File::default(),
    };
    let host = args
        .host
        .or(file.host)
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let port = args.port.or(file.port).unwrap_or(5432);
    let users = config::users(&mut file)?;
    if users.is_empty() && !host.is_loopback() {
        fail!(
            "refusing to listen on {host} without authentication: configure [[users]] in a \
             --config file, or listen on 127.0.0.1 (or ::1)"
        );
    }
    let tls = match (args.tls_cert.as_ref(), args.tls_key.as_ref()) {
        (Some(cert), Some(key)) => Some((cert.clone(), key.clone())),
        _ => match (&file.tls_cert, &file.tls_key) {
            (Some(cert), Some(key)) => Some((cert.clone(), key.clone())),
            (None, None) => None,
            _ => fail!("the config file needs both tls_cert and tls_key, or neither"),
        },
    };
    let tls = match tls {
        Some((cert, key)) => Some(vdb_wire::tls::acceptor(&cert, &key)?),
        None => None,
    };
    let given = args.data_dir.as_deref().or(data_dir);
    let dir = match given.or(file.data_dir.as_deref()) {
        Some(dir) => std::env::current_dir()?.join(dir),
        None => default_data_dir()?,
    };
    let repo = open_or_init(&dir)?;
    let name = match args.database.as_ref().or(file.database.as_ref()) {
        Some(name) => name.clone(),
        None => match dir.file_name().and_then(|n| n.to_str()) {
            Some(name) => name.to_string(),
            None => fail!("{} has no usable name; pass --database NAME", dir.display()),
        },
    };
    let branch = repo.head_branch()?;
    let method = users.method();
    let config = ServerConfig {
        addr: SocketAddr::new(host, port),
        max_connections: args.max_connections.or(file.max_connections).unwrap_or(100),
        users: Arc::new(users),
        tls,
    };
    let secure = if config.tls.is_some() { ", TLS" } else { "" };
    let database = Database {
        name: name.clone(),
        repo: Arc::new(repo),
    };
    let result = serve_until_signal(&config, vec![database], |addr| {
        eprintln!(
            "vdb serve: serving {} as database \"{name}\" (branch {branch}) on {addr} \
             (auth {method}{secure})\n\
             vdb serve: connect with: psql -h {} -p {} -d {name}",
            dir.display(),
            addr.ip(),
            addr.port()
        );
    });
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            fail!("port {port} on {host} is already in use; pass --port N")
        }
        other => Ok(other?),
    }
}

/// `--hash-password`: reads one line from standard input and prints its SCRAM-SHA-256
/// verifier, which the config file takes in place of the password.
fn hash_password() -> Result<()> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let password = line.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        fail!("no password on standard input");
    }
    println!("{}", vdb_wire::ScramVerifier::from_password(password));
    Ok(())
}
