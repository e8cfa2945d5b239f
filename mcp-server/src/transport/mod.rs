//! Transports move JSON-RPC frames; they know nothing about tools.
//!
//! - [`memory`]: paired in-process channels (what `testing::TestClient` uses);
//! - [`stdio`]: newline-delimited JSON on stdin/stdout (logs belong on stderr);
//! - `http` (feature `http`): streamable HTTP, as an axum router or a one-call server.
//!
//! Every queue between a transport and the server is bounded: a client that sends faster than it
//! reads makes the server stop reading from it, instead of buffering without limit.

mod connection;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod http;
pub mod memory;
pub mod stdio;

pub(crate) use connection::{run_connection, FrameSink, FrameSource, Inbound};

/// Why serving stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The server configuration is invalid.
    #[error(transparent)]
    Build(#[from] crate::error::BuildError),
    /// The transport failed.
    #[error("transport I/O error: {0}")]
    Io(#[from] std::io::Error),
}
