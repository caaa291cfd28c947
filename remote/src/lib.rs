//! vdb-remote: repositories on object storage, and the push, fetch and clone that move history
//! between a local repository and one.
//!
//! A remote is a location `object_store` reaches (`s3://bucket/prefix` and S3-compatible
//! servers, `gs://`, `az://`, a `file:///directory`), holding immutable pack files of chunks
//! with their indexes, and numbered manifests naming the remote's refs and packs (layout in
//! docs/format.md, "Remote layout"). Content addressing makes transfer proportional to what
//! is missing: a push walks the pushed commit's chunk graph and stops at any chunk the
//! remote's indexes list; a fetch downloads only the index entries the local store lacks.
//!
//! This crate is separate from vdb-engine so that the engine stays synchronous and free of
//! HTTP, TLS and async runtime dependencies; [`backend`] is the one module that names
//! `object_store` and tokio, behind a blocking facade.
//!
//! The repository-level API, for the CLI and SQL functions alike, is the
//! [`RepositoryRemotes`] extension trait on `vdb_engine::repo::Repository`:
//! `remote_add`, `remote_remove`, `remote_list`, `fetch`, `push`, `push_tags`, `pull`, plus
//! [`clone_into`] and [`clone_with`] (which makes shallow clones, see `shallow.rs`).

pub mod backend;
mod config;
mod error;
pub mod manifest;
pub mod pack;
mod shallow;
mod transfer;
mod walk;

pub use backend::{parse_url, Location, RemoteOptions};
pub use config::{get_remote, must_get_remote, remote_list, RemoteConfig, REMOTES_ROOT_PREFIX};
pub use error::{Error, Result};
pub use manifest::Manifest;
pub use shallow::{deepen, ShallowLimit};
pub use transfer::{
    clone_into, clone_with, fetch, push, push_tags, FetchReport, Progress, ProgressFn, PushReport,
    Remote, TagPushReport,
};
pub use walk::missing as missing_chunks;

use vdb_engine::repo::{MergeOptions, MergeOutcome, Repository};

/// Remote operations on a repository, by remote name.
pub trait RepositoryRemotes {
    /// Adds remote `name` at `url` (checked, not contacted).
    fn remote_add(&self, name: &str, url: &str, options: &RemoteOptions) -> Result<RemoteConfig>;
    /// Removes remote `name` and its remote-tracking branches.
    fn remote_remove(&self, name: &str) -> Result<()>;
    /// The configured remotes, by name.
    fn remote_list(&self) -> Result<Vec<RemoteConfig>>;
    /// Fetches remote `name` (see [`fetch`]).
    fn fetch(&self, name: &str) -> Result<FetchReport>;
    /// Pushes local `branch` to `remote_branch` of remote `name` (see [`push`]).
    fn push(
        &self,
        name: &str,
        branch: &str,
        remote_branch: &str,
        force: bool,
    ) -> Result<PushReport>;
    /// Pushes local tags `tags` (all of them if empty) to remote `name` (see [`push_tags`]).
    fn push_tags(&self, name: &str, tags: &[String], force: bool) -> Result<TagPushReport>;
    /// Fetches remote `name`, then merges its `remote_branch` into local `branch`.
    fn pull(
        &self,
        name: &str,
        branch: &str,
        remote_branch: &str,
        opts: &MergeOptions,
    ) -> Result<(FetchReport, MergeOutcome)>;
}

impl RepositoryRemotes for Repository {
    fn remote_add(&self, name: &str, url: &str, options: &RemoteOptions) -> Result<RemoteConfig> {
        config::remote_add(&**self.store(), name, url, options)
    }

    fn remote_remove(&self, name: &str) -> Result<()> {
        config::remote_remove(&**self.store(), name)
    }

    fn remote_list(&self) -> Result<Vec<RemoteConfig>> {
        remote_list(&**self.store())
    }

    fn fetch(&self, name: &str) -> Result<FetchReport> {
        fetch(self, &Remote::open_named(&**self.store(), name)?)
    }

    fn push(
        &self,
        name: &str,
        branch: &str,
        remote_branch: &str,
        force: bool,
    ) -> Result<PushReport> {
        push(
            self,
            &Remote::open_named(&**self.store(), name)?,
            branch,
            remote_branch,
            force,
        )
    }

    fn push_tags(&self, name: &str, tags: &[String], force: bool) -> Result<TagPushReport> {
        push_tags(
            self,
            &Remote::open_named(&**self.store(), name)?,
            tags,
            force,
        )
    }

    fn pull(
        &self,
        name: &str,
        branch: &str,
        remote_branch: &str,
        opts: &MergeOptions,
    ) -> Result<(FetchReport, MergeOutcome)> {
        let report = RepositoryRemotes::fetch(self, name)?;
        let tracking = format!("{name}/{remote_branch}");
        if vdb_engine::repo::refs::read_ref(
            &**self.store(),
            &vdb_engine::repo::refs::remote_ref(name, remote_branch),
        )?
        .is_none()
        {
            return Err(Error::NotFound(format!(
                "remote {name} has no branch {remote_branch}"
            )));
        }
        let outcome = self.merge(branch, &tracking, opts)?;
        Ok((report, outcome))
    }
}
