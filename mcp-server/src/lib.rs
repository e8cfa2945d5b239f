//! # mcp-server
//!
//! Production [Model Context Protocol](https://modelcontextprotocol.io) servers in Rust.
//! Annotate plain `async fn`s with [`#[tool]`](macro@tool), register them on an [`McpServer`],
//! and serve them over stdio or streamable HTTP. Around the tools the runtime owns what
//! production needs: a middleware chain (circuit breaker, webhooks, signed audit log, auth),
//! health checks, injected parameters (progress, cancellation, background tasks, state) and
//! typed errors that never leak internals.
//!
//! ```no_run
//! use mcp_server::{tool, McpServer, ProgressReporter};
//!
//! /// Echo the text back.
//! #[tool(read_only)]
//! async fn echo(#[arg(description = "Text to echo")] text: String) -> String {
//!     text
//! }
//!
//! /// Add two integers.
//! #[tool]
//! async fn add(a: i64, b: i64, progress: ProgressReporter) -> i64 {
//!     progress.report(1.0, Some(1.0), None).await;
//!     a + b
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     McpServer::new("hello").version("1.0.0").tool(EchoTool).tool(AddTool).serve_stdio().await?;
//!     Ok(())
//! }
//! ```
//!
//! ## Which parameters are arguments?
//! A parameter is **injected** when its type is one of [`RequestContext`], [`ProgressReporter`],
//! [`CancellationToken`], [`BackgroundTasks`], [`State<T>`], [`Logger`], [`Peer`] (or a reference
//! to one), or when it is marked `#[inject]` (its type must implement [`FromContext`]). Every other
//! parameter is a JSON **argument**: `Option<T>` and `#[arg(default = …)]` make it optional.

#![cfg_attr(docsrs, feature(doc_cfg))]

#[doc(hidden)]
pub mod __private;
pub mod auth;
pub mod call;
pub mod error;
pub mod extract;
pub mod health;
pub mod jsonrpc;
pub mod middleware;
pub mod protocol;
pub mod server;
pub mod testing;
pub mod transport;

pub use auth::AuthMiddleware;
pub use call::{
    CallToolRequest, ExceptionHandler, Extensions, GetPromptRequest, IntoToolResult, Json, ListPromptsRequest,
    ListResourceTemplatesRequest, ListResourcesRequest, ListToolsRequest, NoArgs, Prompt, ReadResourceRequest,
    RequestContext, Resource, ResourceTemplate, RpcRequest, Tool, ToolDefinition, ToolResult, ToolReturn,
};
pub use error::{BuildError, CallError, Cancelled, FailureKind, ToolError, ToolErrorSpec};
pub use extract::{BackgroundTasks, CancellationToken, FromContext, Logger, Peer, PeerError, ProgressReporter, State};
pub use health::HealthCheck;
pub use middleware::{verify_audit_log, AuditMiddleware};
pub use middleware::{CircuitBreakerMiddleware, CircuitOpenError, CircuitState};
pub use middleware::{Middleware, Next};
#[cfg(feature = "webhook")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhook")))]
pub use middleware::{WebhookEvent, WebhookMiddleware};
pub use server::{McpServer, ServerHandle};

#[cfg(feature = "macros")]
pub use mcp_server_macros::{exception_handler, tool, ToolError};
