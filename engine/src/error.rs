//! The engine's one error type. Variants are named for what the caller should do about them:
//! fix the input, look elsewhere, retry, or treat the repository as damaged.

use crate::hash::Hash;

/// Result alias used throughout the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the storage engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Stored bytes do not match their address, or do not decode. The repository is damaged at
    /// `addr`; nothing read from it may be trusted.
    #[error("corrupted chunk {addr}: {reason}")]
    Corrupted { addr: Hash, reason: String },
    /// A chunk that something refers to is not in the store.
    #[error("missing chunk {0}")]
    MissingChunk(Hash),
    /// The caller's input is invalid (bad key, value of the wrong type, malformed argument).
    #[error("{0}")]
    InvalidInput(String),
    /// A named thing (table, column, ref) does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A concurrent update won: re-read and retry.
    #[error("{0}")]
    Conflict(String),
    /// The operation is not allowed in this state (read-only store, closed store).
    #[error("{0}")]
    ReadOnly(String),
    /// An operating-system I/O error, with what was being done.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// The on-disk index (sled) failed.
    #[error("storage index error: {0}")]
    Index(String),
    /// SQL the engine had evaluated for it (an index expression or a partial index's predicate,
    /// see `table::IndexEvaluator`) failed; `sqlstate` is the code the SQL layer gave the error.
    #[error("{message}")]
    Evaluation { sqlstate: String, message: String },
}

impl Error {
    /// Wraps an I/O error with a description of what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// A `Corrupted` error for `addr`.
    pub fn corrupted(addr: Hash, reason: impl Into<String>) -> Self {
        Error::Corrupted {
            addr,
            reason: reason.into(),
        }
    }
}

/// Returns early with an `InvalidInput` error built from a format string.
#[macro_export]
macro_rules! errinput {
    ($($arg:tt)*) => { return Err($crate::Error::InvalidInput(format!($($arg)*))) };
}
