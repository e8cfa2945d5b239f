use super::ToolError;
use crate::jsonrpc::ErrorObject;

/// Why a call failed: what middleware (the circuit breaker above all) classify failures by.
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

/// A failed call as it travels back through the middleware chain: already mapped to its wire form.
#[derive(Debug, Clone)]
pub struct CallError {
    /// The structured error the client will see.
    pub error: ToolError,
    /// How the failure is classified.
    pub kind: FailureKind,
    /// For [`FailureKind::Protocol`]: the JSON-RPC error to send.
    pub protocol: Option<ErrorObject>,
}

impl CallError {
    /// A failure of `kind` carrying `error`.
    pub fn new(kind: FailureKind, error: ToolError) -> Self {
        Self { error, kind, protocol: None }
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
        Self::new(FailureKind::Timeout, ToolError::new("TIMEOUT", message).with_retryable(true))
    }

    /// A protocol-level error answered with a JSON-RPC error object.
    pub fn protocol(error: ErrorObject) -> Self {
        let tool = ToolError::new("PROTOCOL_ERROR", error.message.clone());
        Self { error: tool, kind: FailureKind::Protocol, protocol: Some(error) }
    }

    /// `-32002`: no resource at `uri`.
    pub fn resource_not_found(uri: &str) -> Self {
        Self::protocol(
            ErrorObject::new(crate::jsonrpc::RESOURCE_NOT_FOUND, format!("Resource not found: {uri}"))
                .with_data(serde_json::json!({ "uri": uri })),
        )
    }

    /// `-32602`: the request's parameters are invalid.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::protocol(ErrorObject::new(crate::jsonrpc::INVALID_PARAMS, message))
    }

    /// The wire code (`CARD_DECLINED`, `INTERNAL_ERROR`, …).
    pub fn code(&self) -> &str {
        &self.error.code
    }

    /// Whether the client may retry.
    pub fn retryable(&self) -> bool {
        self.error.retryable
    }
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for CallError {}

impl From<ToolError> for CallError {
    fn from(e: ToolError) -> Self {
        Self::tool(e)
    }
}
