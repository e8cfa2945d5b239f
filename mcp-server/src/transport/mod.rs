//! Transports move JSON-RPC frames; they know nothing about tools.
//!
//! - [`memory`]: paired in-process channels (what [`TestClient`](crate::testing::TestClient) uses);
//! - [`stdio`]: newline-delimited JSON on stdin/stdout (logs belong on stderr);
//! - `http` (feature `http`): streamable HTTP, as an axum router or a one-call server.

mod connection;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod http;
pub mod memory;
pub mod stdio;

pub(crate) use connection::{run_connection, FrameSink, FrameSource, Inbound};

/// Marks a request whose transport stream can be closed mid-request (HTTP SSE with resumption):
/// a transport puts it in the request's extensions, and `RequestContext::close_sse_stream` then
/// sends `OutFrame::CloseStream` after the request's earlier frames.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StreamControl;

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
