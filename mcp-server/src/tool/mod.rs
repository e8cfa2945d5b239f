//! Tools: the [`Tool`] trait the `#[tool]` macro implements, definitions, result conversion.

mod args;
mod definition;
mod finish;
mod output;

pub use args::parse_args;
pub use definition::ToolDefinition;
pub use finish::{complete, Completion, FinishError, FinishErrorSpec, FinishOutput, Tagged};
pub use output::{output_schema_of, IntoToolResult, Json, OutputSchema};

use crate::error::CallError;
use crate::middleware::CallRequest;
use crate::protocol::CallToolResult;
use futures_util::future::BoxFuture;

/// What a tool call produces: a result, or a failure already mapped to its wire form.
pub type ToolResult = Result<CallToolResult, CallError>;

/// A callable tool. `#[tool]` implements it on a companion type (`EchoTool` for `fn echo`);
/// implement it by hand for tools built at run time.
///
/// ```
/// use mcp_server::{CallRequest, Tool, ToolDefinition, ToolResult};
/// use mcp_server::protocol::CallToolResult;
/// use futures_util::future::BoxFuture;
///
/// struct Version;
///
/// impl Tool for Version {
///     fn definition(&self) -> ToolDefinition {
///         ToolDefinition::new::<mcp_server::NoArgs>("version", "The server version.")
///     }
///     fn call<'a>(&'a self, _req: &'a CallRequest) -> BoxFuture<'a, ToolResult> {
///         Box::pin(async { Ok(CallToolResult::text("1.0.0")) })
///     }
/// }
/// ```
pub trait Tool: Send + Sync + 'static {
    /// Name, description, schemas and annotations (called once, at registration).
    fn definition(&self) -> ToolDefinition;

    /// Runs the tool for one request.
    fn call<'a>(&'a self, req: &'a CallRequest) -> BoxFuture<'a, ToolResult>;
}

/// An empty argument set, for hand-written tools that take no arguments.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct NoArgs {}
