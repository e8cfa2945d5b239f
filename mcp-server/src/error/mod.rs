//! Errors: [`ToolError`] (tool-level, becomes an `isError` result), [`CallError`] (a failure as
//! middleware see it), [`McpError`] (protocol-level JSON-RPC errors) and the exception-handler
//! registry that maps a tool's own error types to [`ToolError`]s.

mod call_error;
mod handlers;
mod tool_error;

pub use call_error::{CallError, FailureKind};
pub use handlers::{ExceptionHandler, ExceptionHandlers, HandlerCall};
pub use tool_error::{ToolError, ToolErrorSpec, INTERNAL_MESSAGE};

/// A protocol-level error: answered with a JSON-RPC error object.
pub type McpError = crate::jsonrpc::ErrorObject;

/// The error `McpServer::build` returns for a misconfigured server.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Two tools, prompts or resources share a name.
    #[error("duplicate {kind} `{name}`: names must be unique")]
    Duplicate {
        /// `tool`, `prompt`, `resource` or `resource template`.
        kind: &'static str,
        /// The clashing name.
        name: String,
    },
    /// A tool requires authentication but no authenticating middleware is installed.
    #[error(
        "tool `{tool}` is declared with `auth = true` but the server has no authentication middleware; \
         add one with `server.add_middleware(AuthMiddleware::new(...))` (fail-closed)"
    )]
    AuthRequired {
        /// The tool that needs credentials.
        tool: String,
    },
    /// A middleware rejected the configuration.
    #[error("{0}")]
    Middleware(String),
}
