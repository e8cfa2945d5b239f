//! What can go wrong with an audit log.

use super::AuditKeyError;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

/// Why an audit log cannot be opened or written.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// `signed` is on but no key is configured.
    #[error(
        "`signed` needs an HMAC key, but none is configured; set {var} (e.g. `export {var}=$(openssl rand -hex 32)`) \
         or call `.key(AuditKey::parse(...)?)`"
    )]
    MissingKey {
        /// The environment variable that was read.
        var: String,
    },
    /// The key in the environment is unusable.
    #[error("{var}: {source}")]
    Key {
        /// The environment variable that was read.
        var: String,
        /// Why the key is unusable.
        #[source]
        source: AuditKeyError,
    },
    /// The file (or its directory) could not be created or opened.
    #[error("cannot open the audit log {}: {source}", path.display())]
    Open {
        /// The log file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: Arc<io::Error>,
    },
    /// A signed log cannot continue from the file's last entry.
    #[error("cannot resume the signed audit log {}: {reason}", path.display())]
    Unresumable {
        /// The log file.
        path: PathBuf,
        /// What is wrong with its end.
        #[source]
        reason: UnresumableLog,
    },
    /// The writer thread could not be started.
    #[error("cannot start the audit writer thread: {0}")]
    Thread(#[source] Arc<io::Error>),
    /// Writing or syncing the file failed (the log then refuses fail-closed calls).
    #[error("audit log write failed: {0}")]
    Write(#[source] Arc<io::Error>),
    /// The writer has stopped (the server is shutting down).
    #[error("the audit writer has stopped")]
    Stopped,
}

/// Why a signed log cannot continue from its last entry.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum UnresumableLog {
    /// The end of the file could not be read.
    #[error("its end could not be read: {0}")]
    Unreadable(#[source] Arc<io::Error>),
    /// The last line has no newline: a previous run stopped mid-write.
    #[error(
        "its last line is incomplete (did a previous run stop mid-write?); run `audit_verify` on it and move the \
         file aside to start a new log"
    )]
    IncompleteLastLine,
    /// The last line is not a JSON object.
    #[error("its last line is not a JSON object; use a new file for a signed log")]
    NotJson,
    /// The last entry carries no `seq`/`hmac`.
    #[error("its last entry is not signed (was the log written without `signed`?); use a new file for a signed log")]
    Unsigned,
    /// The last entry's HMAC does not verify with the configured key.
    #[error(
        "its last entry does not verify with the configured key; is MCP_AUDIT_KEY the key this log was written \
         with? (check the whole file with `audit_verify`)"
    )]
    WrongKey,
}
