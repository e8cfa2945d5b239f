use super::ToolError;
use crate::jsonrpc::{ErrorObject, INVALID_PARAMS, RESOURCE_NOT_FOUND};
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

/// Why a request failed: what middleware (the circuit breaker above all) classify failures by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureKind {
    /// A mapped tool error (a domain error, a handled error or a `ToolError`): see its `retryable`.
    Tool,
    /// An unhandled error, masked as `INTERNAL_ERROR`.
    Internal,
    /// The endpoint panicked (masked as `INTERNAL_ERROR`).
    Panic,
    /// A deadline passed.
    Timeout,
    /// The arguments did not validate.
    Validation,
    /// Missing or invalid credentials.
    Authentication,
    /// Authenticated, but a guard denied the call.
    AccessDenied,
    /// A rate or concurrency limit rejected the call.
    RateLimited,
    /// An open circuit rejected the call.
    CircuitOpen,
    /// The client cancelled the request (no response is sent).
    Cancelled,
    /// A protocol-level error (sent as a JSON-RPC error, not a tool result).
    Protocol,
}

/// A failed request as it travels back through the middleware chain, already mapped to what the
/// client will see: a [`ToolError`] (an `isError` tool result), or for protocol-level failures a
/// JSON-RPC error object. It also carries how the failure is classified ([`FailureKind`]) and,
/// when there was one, the original error ([`source`](StdError::source)) for middleware and logs;
/// the original's text never reaches the client unless a mapping put it there.
///
/// ```
/// use mcp_server::{CallError, FailureKind, ToolError};
///
/// let e = CallError::tool(ToolError::new("CARD_DECLINED", "Declined.").retryable(false));
/// assert_eq!((e.kind(), e.code(), e.retryable()), (FailureKind::Tool, "CARD_DECLINED", false));
/// assert_eq!(CallError::invalid_params("bad cursor").rpc_error().map(|o| o.code), Some(-32602));
/// ```
#[derive(Debug, Clone)]
pub struct CallError {
    kind: FailureKind,
    error: ToolError,
    rpc: Option<ErrorObject>,
    source: Option<Arc<dyn StdError + Send + Sync + 'static>>,
}

impl CallError {
    /// A failure of `kind` carrying `error`.
    pub fn new(kind: FailureKind, error: ToolError) -> Self {
        Self { kind, error, rpc: None, source: None }
    }

    /// A mapped tool error ([`FailureKind::Tool`]).
    pub fn tool(error: ToolError) -> Self {
        Self::new(FailureKind::Tool, error)
    }

    /// The masked internal error.
    pub fn internal() -> Self {
        Self::new(FailureKind::Internal, ToolError::internal())
    }

    /// A cancelled request: produces no response.
    pub fn cancelled() -> Self {
        Self::new(FailureKind::Cancelled, ToolError::new("CANCELLED", "The request was cancelled."))
    }

    /// A timeout (retryable).
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(FailureKind::Timeout, ToolError::new("TIMEOUT", message).retryable(true))
    }

    /// A protocol-level error answered with a JSON-RPC error object.
    pub fn protocol(error: ErrorObject) -> Self {
        let tool = ToolError::new("PROTOCOL_ERROR", error.message.clone());
        Self { kind: FailureKind::Protocol, error: tool, rpc: Some(error), source: None }
    }

    /// `-32002`: no resource at `uri`.
    pub fn resource_not_found(uri: &str) -> Self {
        Self::protocol(
            ErrorObject::new(RESOURCE_NOT_FOUND, format!("Resource not found: {uri}"))
                .data(serde_json::json!({ "uri": uri })),
        )
    }

    /// `-32602`: the request's parameters are invalid.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::protocol(ErrorObject::new(INVALID_PARAMS, message))
    }

    /// The same failure, remembering the error that caused it (see [`source`](StdError::source)).
    #[must_use]
    pub fn caused_by(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    pub(crate) fn caused_by_boxed(mut self, source: Box<dyn StdError + Send + Sync + 'static>) -> Self {
        self.source = Some(Arc::from(source));
        self
    }

    /// How the failure is classified.
    pub fn kind(&self) -> FailureKind {
        self.kind
    }

    /// The structured error the client sees (for protocol errors, a `PROTOCOL_ERROR` summary).
    pub fn tool_error(&self) -> &ToolError {
        &self.error
    }

    /// The wire code (`CARD_DECLINED`, `INTERNAL_ERROR`, …).
    pub fn code(&self) -> &str {
        &self.error.code
    }

    /// The wire message.
    pub fn message(&self) -> &str {
        &self.error.message
    }

    /// Whether the client may retry.
    pub fn retryable(&self) -> bool {
        self.error.retryable
    }

    /// For [`FailureKind::Protocol`]: the JSON-RPC error sent instead of a tool result.
    pub fn rpc_error(&self) -> Option<&ErrorObject> {
        self.rpc.as_ref()
    }

    /// The JSON-RPC error to answer a non-tool request with: the protocol error itself, else an
    /// internal error carrying the structured error as `data`.
    pub fn to_rpc_error(&self) -> ErrorObject {
        match &self.rpc {
            Some(obj) => obj.clone(),
            None => {
                ErrorObject::new(crate::jsonrpc::INTERNAL_ERROR, self.error.message.clone()).data(self.error.to_wire())
            }
        }
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl StdError for CallError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

impl From<ToolError> for CallError {
    fn from(e: ToolError) -> Self {
        Self::tool(e)
    }
}
