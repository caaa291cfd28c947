//! `vdb serve --config FILE`: the TOML file's settings, users and TLS files. Every key is
//! optional; unknown keys are errors (a misspelt `tls_key` must not silently serve in the
//! clear). Relative paths are taken from the file's directory.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use vdb_wire::{Method, Users};

use crate::context::Result;

/// The config file, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub host: Option<IpAddr>,
    pub port: Option<u16>,
    pub max_connections: Option<usize>,
    pub database: Option<String>,
    pub data_dir: Option<PathBuf>,
    /// `scram-sha-256` (the default with users), `md5`, `password` or `trust`.
    pub auth: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// `error`, `warning`, `info` (the default) or `debug`: accepted for compatibility; the
    /// server logs connections and errors to stderr at every level.
    pub log_level: Option<String>,
    #[serde(default)]
    pub users: Vec<User>,
}

/// One `[[users]]` entry: a password in clear (hashed as the file is read), a SCRAM-SHA-256
/// verifier from `vdb serve --hash-password`, or an md5 hash (`md5` + 32 hex digits).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub name: String,
    pub password: String,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Reads and checks the config file at `path`.
pub fn load(path: &Path) -> Result<File> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the config file {}: {e}", path.display()))?;
    let mut file: File =
        toml::from_str(&text).map_err(|e| format!("config file {}: {e}", path.display()))?;
    if let Some(level) = &file.log_level {
        if !matches!(
            level.to_ascii_lowercase().as_str(),
            "error" | "warning" | "warn" | "info" | "debug"
        ) {
            return Err(format!(
                "config file {}: log_level \"{level}\" is not error, warning, info or debug",
                path.display()
            )
            .into());
        }
    }
    let base = path.parent().unwrap_or(Path::new("."));
    for relative in [&mut file.data_dir, &mut file.tls_cert, &mut file.tls_key]
        .into_iter()
        .flatten()
    {
        if relative.is_relative() {
            *relative = base.join(&*relative);
        }
    }
    Ok(file)
}

/// The users and authentication method the file configures (trust without users). The
/// passwords move into [`Users`], which keeps only their hashes.
pub fn users(file: &mut File) -> Result<Users> {
    let method = match &file.auth {
        Some(name) => name.parse::<Method>()?,
        None if file.users.is_empty() => Method::Trust,
        None => Method::ScramSha256,
    };
    let users = std::mem::take(&mut file.users)
        .into_iter()
        .map(|u| (u.name, u.password))
        .collect();
    Ok(Users::new(method, users)?)
}
