//! Finding and opening the repository a command acts on, and who the user is.
//!
//! A repository is a directory holding `.vdb/`: the chunk store in `.vdb/store` (a
//! `DiskStore`) and the repository's configuration in `.vdb/config`. Commands find it by
//! walking up from the current directory (or from `-C DIR`), as git does. The user's name and
//! email come from the repository's config, then the global one
//! (`$XDG_CONFIG_HOME/vdb/config` or `~/.config/vdb/config`), then a default.

use crate::config::Config;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use vdb_engine::repo::{Repository, Signature};
use vdb_engine::store::{DiskStore, DiskStoreOptions};

/// The CLI's result: any error, printed as one sentence on stderr.
pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// An error already reported to the user (as `vdb sql` prints `ERROR:  ...`): `main` exits
/// with status 1 without printing anything more.
#[derive(Debug)]
pub struct Reported;

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the error above")
    }
}

impl std::error::Error for Reported {}

/// Returns early with a formatted error message.
#[macro_export]
macro_rules! fail {
    ($($arg:tt)*) => { return Err(format!($($arg)*).into()) };
}

/// The directory under a repository's top that holds vdb's files.
pub const VDB_DIR: &str = ".vdb";

/// The author used when no user.name / user.email is configured.
pub const DEFAULT_NAME: &str = "vdb";
pub const DEFAULT_EMAIL: &str = "vdb@localhost";

/// An open repository and the branch `HEAD` names.
#[derive(Debug)]
pub struct Context {
    /// The directory holding `.vdb/`.
    pub top: PathBuf,
    /// Shared so that a SQL session (`vdb sql`) can hold it too.
    pub repo: Arc<Repository>,
    pub branch: String,
}

impl Context {
    /// Finds the repository from `start` (or the current directory) upwards and opens it.
    pub fn open(start: Option<&Path>) -> Result<Context> {
        let top = discover(start)?;
        let store = DiskStore::open(top.join(VDB_DIR).join("store"), DiskStoreOptions::default())?;
        // Merges and imports rebuild expression and partial indexes through the SQL layer.
        vdb_sql::index_eval::install();
        let repo = Arc::new(Repository::open(Arc::new(store))?);
        let branch = repo.head_branch()?;
        Ok(Context { top, repo, branch })
    }

    /// The user's signature, now: configured name and email, or the default with a hint.
    pub fn signature(&self) -> Result<Signature> {
        let (name, email) = identity(Some(&self.top))?;
        Ok(Signature::now(&name, &email))
    }
}

/// The directory from which to search: `start` made absolute, or the current directory.
fn start_dir(start: Option<&Path>) -> Result<PathBuf> {
    let cwd = std::env::current_dir()?;
    Ok(match start {
        Some(dir) => cwd.join(dir),
        None => cwd,
    })
}

/// The nearest directory at or above `start` that holds `.vdb/`.
pub fn discover(start: Option<&Path>) -> Result<PathBuf> {
    let start = start_dir(start)?;
    if !start.is_dir() {
        fail!(
            "{} is not a directory; pass an existing one to -C",
            start.display()
        );
    }
    let mut dir = start.as_path();
    loop {
        if dir.join(VDB_DIR).join("store").is_dir() {
            return Ok(dir.to_path_buf());
        }
        match dir.parent() {
            Some(parent) => dir = parent,
            None => fail!("not a vdb repository (or any parent up to /): run `vdb init`"),
        }
    }
}

/// The directory `vdb init [DIR]` creates a repository in.
pub fn init_dir(start: Option<&Path>, dir: Option<&Path>) -> Result<PathBuf> {
    let base = start_dir(start)?;
    Ok(match dir {
        Some(d) => base.join(d),
        None => base,
    })
}

/// The configured (name, email), falling back to the defaults with a hint on stderr.
pub fn identity(top: Option<&Path>) -> Result<(String, String)> {
    let local = match top {
        Some(top) => Config::load(&Config::repo_path(top))?,
        None => Config::default(),
    };
    let global = match Config::global_path() {
        Some(path) => Config::load(&path)?,
        None => Config::default(),
    };
    let get = |key: &str| {
        local
            .get(key)
            .or_else(|| global.get(key))
            .map(str::to_string)
    };
    match (get("user.name"), get("user.email")) {
        (Some(name), Some(email)) => Ok((name, email)),
        (name, email) => {
            eprintln!(
                "hint: no user.name / user.email configured; committing as the default. Set \
                 them with `vdb config --global user.name NAME` and `vdb config --global \
                 user.email EMAIL`."
            );
            Ok((
                name.unwrap_or_else(|| DEFAULT_NAME.to_string()),
                email.unwrap_or_else(|| DEFAULT_EMAIL.to_string()),
            ))
        }
    }
}

/// Parses `Name <email>` (as `--author` takes it) into a signature stamped now.
pub fn parse_author(text: &str) -> Result<Signature> {
    let (name, rest) = text.split_once('<').ok_or_else(|| {
        format!("author \"{text}\" is not of the form \"Name <email>\"; quote it")
    })?;
    let email = rest.strip_suffix('>').ok_or_else(|| {
        format!("author \"{text}\" is not of the form \"Name <email>\"; quote it")
    })?;
    let name = name.trim();
    if name.is_empty() || email.trim().is_empty() {
        fail!("author \"{text}\" needs both a name and an email: \"Name <email>\"");
    }
    Ok(Signature::now(name, email.trim()))
}
