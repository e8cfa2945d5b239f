use crate::protocol::CallToolResult;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::error::Error as StdError;
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
/// let e = ToolError::new("CARD_DECLINED", "The card was declined.").suggestion("Use another card.");
/// assert_eq!(e.code, "CARD_DECLINED");
/// assert!(!e.retryable);
/// assert_eq!(e.suggestion.as_deref(), Some("Use another card."));
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

#[derive(Serialize)]
struct Wire<'a> {
    error: &'a ToolError,
}

impl ToolError {
    /// A non-retryable error with a code and message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into(), retryable: false, suggestion: None, details: None }
    }

    /// Sets whether a retry may succeed.
    #[must_use]
    pub fn retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    /// Sets a suggestion: what the model or user should do about it.
    #[must_use]
    pub fn suggestion(mut self, suggestion: impl Into<String>) -> Self {
        self.suggestion = Some(suggestion.into());
        self
    }

    /// Sets structured details.
    #[must_use]
    pub fn details(mut self, details: Value) -> Self {
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
            Some(f) => e.details(serde_json::json!({ "field": f })),
            None => e,
        }
    }

    /// The wire object `{"error": {...}}`.
    pub fn to_wire(&self) -> Value {
        serde_json::json!({ "error": self })
    }

    /// The `isError` tool result carrying this error, serialized once for both the text block and
    /// `structuredContent`.
    ///
    /// ```
    /// use mcp_server::ToolError;
    /// let r = ToolError::new("NOPE", "No.").to_result();
    /// assert!(r.is_error());
    /// assert_eq!(r.content[0].as_text(), Some(r#"{"error":{"code":"NOPE","message":"No.","retryable":false}}"#));
    /// ```
    pub fn to_result(&self) -> CallToolResult {
        match serde_json::value::to_raw_value(&Wire { error: self }) {
            Ok(raw) => CallToolResult { is_error: Some(true), ..CallToolResult::from_raw(raw.into()) },
            // A `ToolError` is strings, a bool and a `Value`: it always serializes.
            Err(_) => CallToolResult { is_error: Some(true), ..CallToolResult::text(self.message.clone()) },
        }
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl StdError for ToolError {}

/// An error type that knows its own [`ToolError`] mapping (what `#[derive(ToolError)]` implements).
///
/// A user's `#[exception_handler]` for the type still wins over the type's own mapping.
pub trait ToolErrorSpec {
    /// The structured error to send.
    fn to_tool_error(&self) -> ToolError;

    /// The error this value merely wraps, when it wraps one transparently (a variant marked
    /// `#[error(transparent)]` or `#[tool_error(transparent)]`): the exception handlers of the
    /// wrapped error, and of its `source()` chain, apply before [`to_tool_error`](Self::to_tool_error).
    fn wrapped(&self) -> Option<&(dyn StdError + 'static)> {
        None
    }
}

impl ToolErrorSpec for ToolError {
    fn to_tool_error(&self) -> ToolError {
        self.clone()
    }
}
