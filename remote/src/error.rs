//! The remote layer's one error type. Variants say what the caller should do: fix the input,
//! fetch and merge before pushing again, retry, or treat the remote as damaged.

/// Result alias of the remote layer.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong talking to a remote.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad remote name, URL, option or branch.
    #[error("{0}")]
    InvalidInput(String),
    /// A remote, a remote branch or the remote's manifest does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The push is not a fast-forward of the remote branch: fetch, merge, push again (or
    /// `--force`).
    #[error("{0}")]
    Rejected(String),
    /// Another pusher kept winning the race for the manifest: retry.
    #[error("{0}")]
    Conflict(String),
    /// The remote holds bytes that do not decode or do not hash to their address.
    #[error("the remote is damaged: {0}")]
    Corrupted(String),
    /// The object store failed (network, permissions, missing bucket).
    #[error("object store: {context}: {source}")]
    Store {
        context: String,
        #[source]
        source: object_store::Error,
    },
    /// The local repository failed.
    #[error(transparent)]
    Engine(#[from] vdb_engine::Error),
}

impl Error {
    /// Wraps an object-store error with what was being done.
    pub fn store(context: impl Into<String>, source: object_store::Error) -> Self {
        Error::Store {
            context: context.into(),
            source,
        }
    }
}

/// Returns early with an `InvalidInput` error.
macro_rules! errinput {
    ($($arg:tt)*) => { return Err($crate::error::Error::InvalidInput(format!($($arg)*))) };
}
pub(crate) use errinput;
