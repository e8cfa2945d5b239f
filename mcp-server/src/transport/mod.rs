//! Transports move JSON-RPC frames; they know nothing about tools.
//!
//! - [`memory`]: paired in-process channels (what [`TestClient`](crate::testing::TestClient) uses);
//! - [`stdio`]: newline-delimited JSON on stdin/stdout (logs belong on stderr);
//! - `http` (feature `http`): streamable HTTP.

mod connection;
pub mod memory;
pub mod stdio;

pub(crate) use connection::{run_connection, FrameSink, FrameSource, Inbound};

/// Why serving stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The server configuration is invalid.
    #[error(transparent)]
    Build(#[from] crate::error::BuildError),
    /// The transport failed.
    #[error("transport I/O error: {0}")]
    Io(#[from] std::io::Error),
}
