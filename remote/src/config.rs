//! Remote configuration: which remotes a repository knows, kept as named roots of its chunk
//! store so that the CLI and SQL sessions see the same list.
//!
//! Root `remotes/<name>` holds `"vdb-remote-config-v1\0"` (21 bytes, so the value is never
//! mistaken for a 20-byte address by tools that scan every root) followed by
//! `postcard(RemoteConfig { url: string, options: RemoteOptions })`. Names follow the rules of
//! branch names and may not contain `/`. Credentials are never stored: they come from the
//! environment (`AWS_*`, `GOOGLE_*`, `AZURE_*`) at each use.

use crate::backend::{parse_url, RemoteOptions};
use crate::error::{errinput, Error, Result};
use serde::{Deserialize, Serialize};
use vdb_engine::repo::refs;
use vdb_engine::store::ChunkStore;

/// Prefix of the roots holding remote configurations.
pub const REMOTES_ROOT_PREFIX: &str = "remotes/";
const MAGIC: &[u8; 21] = b"vdb-remote-config-v1\0";

/// One configured remote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteConfig {
    /// Not stored in the value (it is the root's name).
    #[serde(skip)]
    pub name: String,
    pub url: String,
    pub options: RemoteOptions,
}

/// Checks a remote name: a valid branch-name component without `/`.
pub fn validate_remote_name(name: &str) -> Result<()> {
    if name.contains('/') {
        errinput!("\"{name}\" is not a valid remote name: it contains '/'");
    }
    refs::validate_name("remote", name)?;
    Ok(())
}

fn root_name(name: &str) -> String {
    format!("{REMOTES_ROOT_PREFIX}{name}")
}

fn decode(name: &str, bytes: &[u8]) -> Result<RemoteConfig> {
    let body = bytes.strip_prefix(MAGIC).ok_or_else(|| {
        Error::Corrupted(format!(
            "the configuration of remote {name} has a bad magic"
        ))
    })?;
    let mut config: RemoteConfig = postcard::from_bytes(body)
        .map_err(|e| Error::Corrupted(format!("the configuration of remote {name}: {e}")))?;
    config.name = name.to_string();
    Ok(config)
}

/// Adds remote `name` at `url`. Fails if the name is taken or the URL is malformed.
pub fn remote_add(
    store: &dyn ChunkStore,
    name: &str,
    url: &str,
    options: &RemoteOptions,
) -> Result<RemoteConfig> {
    validate_remote_name(name)?;
    parse_url(url)?;
    let config = RemoteConfig {
        name: name.to_string(),
        url: url.to_string(),
        options: options.clone(),
    };
    let mut value = MAGIC.to_vec();
    value.extend(
        postcard::to_allocvec(&config)
            .map_err(|e| Error::InvalidInput(format!("cannot encode remote {name}: {e}")))?,
    );
    if !store.cas_root(&root_name(name), None, Some(&value))? {
        errinput!("remote {name} already exists; remove it first or pick another name");
    }
    Ok(config)
}

/// Removes remote `name` and its remote-tracking branches.
pub fn remote_remove(store: &dyn ChunkStore, name: &str) -> Result<()> {
    validate_remote_name(name)?;
    let Some(old) = store.get_root(&root_name(name))? else {
        return Err(Error::NotFound(format!("no remote named {name}")));
    };
    let prefix = refs::remote_ref(name, "");
    for (branch, addr) in refs::list_refs(store, &prefix)? {
        refs::update_ref(store, &refs::remote_ref(name, &branch), Some(addr), None)?;
    }
    if !store.cas_root(&root_name(name), Some(&old), None)? {
        return Err(Error::Conflict(format!(
            "remote {name} was changed concurrently; retry"
        )));
    }
    Ok(())
}

/// The configured remote `name`, if any.
pub fn get_remote(store: &dyn ChunkStore, name: &str) -> Result<Option<RemoteConfig>> {
    validate_remote_name(name)?;
    match store.get_root(&root_name(name))? {
        None => Ok(None),
        Some(bytes) => decode(name, &bytes).map(Some),
    }
}

/// The configured remote `name`, or `NotFound` naming it.
pub fn must_get_remote(store: &dyn ChunkStore, name: &str) -> Result<RemoteConfig> {
    get_remote(store, name)?.ok_or_else(|| {
        Error::NotFound(format!(
            "no remote named {name}; add it with `vdb remote add {name} URL`"
        ))
    })
}

/// Every configured remote, ordered by name.
pub fn remote_list(store: &dyn ChunkStore) -> Result<Vec<RemoteConfig>> {
    store
        .list_roots(REMOTES_ROOT_PREFIX)?
        .into_iter()
        .map(|(root, bytes)| decode(&root[REMOTES_ROOT_PREFIX.len()..], &bytes))
        .collect()
}
