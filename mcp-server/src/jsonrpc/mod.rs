//! JSON-RPC 2.0: request ids, the error object and the error codes MCP uses.
//!
//! Every transport moves frames through one codec (crate-internal), so the in-memory transport
//! used by tests exercises exactly the bytes a real client sees.

mod codec;
mod id;

pub(crate) use codec::{decode, encode_error, encode_notification, encode_request, encode_response};
pub(crate) use codec::{Decoded, FrameError, Message};
pub use id::RequestId;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Invalid JSON was received.
pub const PARSE_ERROR: i64 = -32700;
/// The JSON sent is not a valid request object.
pub const INVALID_REQUEST: i64 = -32600;
/// The method does not exist or is not available.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// Invalid method parameters.
pub const INVALID_PARAMS: i64 = -32602;
/// Internal JSON-RPC error.
pub const INTERNAL_ERROR: i64 = -32603;
/// MCP: the requested resource does not exist.
pub const RESOURCE_NOT_FOUND: i64 = -32002;
/// The request was cancelled (used only where a transport must end a stream).
pub const REQUEST_CANCELLED: i64 = -32800;
/// A generic server error; this server uses it for a session over its in-flight limit (with
/// `data.retryable: true`) and for refused HTTP requests.
pub const SERVER_ERROR: i64 = -32000;

/// The error member of a JSON-RPC response (`{"code","message"[,"data"]}`): what a protocol-level
/// failure looks like on the wire. Inside the server such failures travel as
/// [`CallError`](crate::CallError).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorObject {
    /// Numeric error code.
    pub code: i64,
    /// Short human-readable message.
    pub message: String,
    /// Optional structured details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl ErrorObject {
    /// Builds an error object without data.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), data: None }
    }

    /// Attaches structured data.
    #[must_use]
    pub fn data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }
}

impl std::fmt::Display for ErrorObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JSON-RPC error {}: {}", self.code, self.message)
    }
}
