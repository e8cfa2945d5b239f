use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// The masked message every unhandled error becomes on the wire.
pub const INTERNAL_MESSAGE: &str = "An internal error occurred.";

/// A structured, actionable tool failure: becomes a `tools/call` result with `isError: true`.
///
/// On the wire the result holds one text block with
/// `{"error":{"code","message","retryable"[,"suggestion"][,"details"]}}` and the same object as
/// `structuredContent`.
///
/// ```
/// use mcp_server::ToolError;
/// let e = ToolError::new("CARD_DECLINED", "The card was declined.").with_suggestion("Use another card.");
/// assert_eq!(e.code, "CARD_DECLINED");
/// assert!(!e.retryable);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolError {
    /// Machine-readable code, e.g. `EMPLOYEE_NOT_FOUND`.
    pub code: String,
    /// Message for the model / user.
    pub message: String,
    /// Whether retrying the same call may succeed.
    pub retryable: bool,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    /// Structured details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

impl ToolError {
    /// A non-retryable error with a code and message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into(), retryable: false, suggestion: None, details: None }
    }

    /// Sets whether a retry may succeed.
    #[must_use]
    pub fn with_retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    /// Adds a suggestion.
    #[must_use]
    pub fn with_suggestion(mut self, suggestion: impl Into<String>) -> Self {
        self.suggestion = Some(suggestion.into());
        self
    }

    /// Adds structured details.
    #[must_use]
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// The masked `INTERNAL_ERROR` that hides unhandled failures.
    pub fn internal() -> Self {
        Self::new("INTERNAL_ERROR", INTERNAL_MESSAGE)
    }

    /// A `VALIDATION_ERROR` naming the offending field.
    pub fn validation(field: Option<&str>, message: impl Into<String>) -> Self {
        let e = Self::new("VALIDATION_ERROR", message);
        match field {
            Some(f) => e.with_details(serde_json::json!({ "field": f })),
            None => e,
        }
    }

    /// The wire object `{"error": {...}}`.
    pub fn to_wire(&self) -> Value {
        serde_json::json!({ "error": self })
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ToolError {}

/// An error type that knows its own [`ToolError`] mapping (what `#[derive(ToolError)]` implements).
pub trait ToolErrorSpec {
    /// The structured error to send.
    fn to_tool_error(&self) -> ToolError;
}

impl ToolErrorSpec for ToolError {
    fn to_tool_error(&self) -> ToolError {
        self.clone()
    }
}
