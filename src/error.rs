//! Typed errors of the library. Every message says what is wrong and, where
//! it can, what to do next.

use std::path::PathBuf;

/// Everything that can go wrong in foldtrain.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A CSV file that does not follow the documented format.
    #[error("{path}: line {line}, column {column}: {reason}")]
    Csv {
        path: PathBuf,
        line: u64,
        column: usize,
        reason: String,
    },
    /// A CSV problem that belongs to the whole file rather than one cell.
    #[error("{path}: {reason}")]
    Dataset { path: PathBuf, reason: String },
    /// Settings that are out of range or inconsistent.
    #[error("invalid recipe: {0}")]
    InvalidRecipe(String),
    /// Training left the declared fixed-point range.
    #[error("training diverged: {0}")]
    Diverged(String),
    /// Reading or writing a file failed.
    #[error("{path}: {cause}")]
    Io {
        path: PathBuf,
        // Not named `source` (thiserror would chain it): the message already
        // carries it, and the binary prints the whole chain.
        cause: std::io::Error,
    },
    /// A file that is not a valid artifact of the expected kind.
    #[error("{path}: {reason}")]
    Artifact { path: PathBuf, reason: String },
    /// A proof that does not verify against its statement.
    #[error("proof rejected: {0}")]
    Rejected(String),
    /// An error inside the proof system.
    #[error("proof system error: {0}")]
    Nova(String),
    /// A checkpoint that cannot be used to resume.
    #[error("checkpoint refused: {0}")]
    Checkpoint(String),
    /// The run was interrupted (Ctrl-C) after saving a checkpoint.
    #[error("interrupted: {0}")]
    Interrupted(String),
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            cause: source,
        }
    }

    /// An artifact error for `path`.
    pub fn artifact(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Error::Artifact {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

impl From<nova_snark::errors::NovaError> for Error {
    fn from(e: nova_snark::errors::NovaError) -> Self {
        Error::Nova(e.to_string())
    }
}

/// Result with the library's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
