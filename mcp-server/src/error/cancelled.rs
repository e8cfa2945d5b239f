use super::{ToolError, ToolErrorSpec};

/// The error `CancellationToken::check` returns once the client has cancelled: `cancel.check()?`
/// ends a tool, and a cancelled request sends no response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request was cancelled by the client")]
pub struct Cancelled;

impl ToolErrorSpec for Cancelled {
    fn to_tool_error(&self) -> ToolError {
        ToolError::new("CANCELLED", "The request was cancelled.")
    }
}
