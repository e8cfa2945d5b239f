//! The middleware chain: one trait with a typed hook per kind of request, a re-callable [`Next`],
//! and [`from_fn`] for closures.
//!
//! Every request passes through the chain once, at the single dispatch point. A middleware
//! implements only the hooks it cares about; each hook has its own request and response type, and
//! a pass-through default. The first middleware added is the outermost: it sees the request first
//! and the outcome last.
//!
//! ```
//! use mcp_server::middleware::{from_fn, Next};
//! use mcp_server::{CallToolRequest, McpServer};
//! use std::sync::{Arc, Mutex};
//!
//! let order = Arc::new(Mutex::new(Vec::new()));
//! let (a, b) = (order.clone(), order.clone());
//! let server = McpServer::new("demo")
//!     .middleware(from_fn(move |req: CallToolRequest, next: Next<CallToolRequest>| {
//!         let a = a.clone();
//!         async move {
//!             a.lock().unwrap().push("outer: before");
//!             let out = next.run(req).await;
//!             a.lock().unwrap().push("outer: after");
//!             out
//!         }
//!     }))
//!     .middleware(from_fn(move |req: CallToolRequest, next: Next<CallToolRequest>| {
//!         let b = b.clone();
//!         async move {
//!             b.lock().unwrap().push("inner");
//!             next.run(req).await
//!         }
//!     }));
//! # let _ = server;
//! // A tool call then records: ["outer: before", "inner", "outer: after"].
//! ```

mod audit;
mod circuit_breaker;
mod hooks;
#[cfg(feature = "webhook")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhook")))]
pub mod webhook;

pub use crate::call::{
    CallToolRequest, GetPromptRequest, HookRequest, ListPromptsRequest, ListRequest, ListResourceTemplatesRequest,
    ListResourcesRequest, ListToolsRequest, Next, Outcome, ReadResourceRequest, RpcRequest,
};
pub use audit::{
    verify_audit_log, AuditError, AuditKey, AuditKeyError, AuditMiddleware, BreakReason, BrokenEntry, UnresumableLog,
    VerifyReport, AUDIT_KEY_ENV,
};
pub use circuit_breaker::{CircuitBreakerMiddleware, CircuitOpenError, CircuitState};
pub use hooks::{from_fn, FromFn, FromFnHook};
#[cfg(feature = "webhook")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhook")))]
pub use webhook::{WebhookBuilder, WebhookConfigError, WebhookEvent, WebhookMiddleware, WebhookPayload};

pub(crate) use hooks::{layers, Chains, Hook};

use crate::call::ToolDefinition;
use crate::error::BuildError;
use futures_util::future::BoxFuture;
use std::sync::Arc;

/// Wraps the requests a server handles, one typed hook per kind of request.
///
/// Implement the hooks you need; the others pass the request on unchanged. Each hook gets its own
/// request type and must answer with that request's response type (`on_call_tool` with a
/// `CallToolResult`, `on_list_tools` with a `ListToolsResult`, …), so a middleware never inspects
/// what kind of call it has, and a wrong answer does not compile. `next` may be run zero times
/// (short-circuit), once, or several times (retry).
///
/// | hook | requests |
/// |---|---|
/// | [`on_call_tool`](Self::on_call_tool) | `tools/call` |
/// | [`on_read_resource`](Self::on_read_resource) | `resources/read` |
/// | [`on_get_prompt`](Self::on_get_prompt) | `prompts/get` |
/// | [`on_list_tools`](Self::on_list_tools), [`on_list_resources`](Self::on_list_resources), [`on_list_resource_templates`](Self::on_list_resource_templates), [`on_list_prompts`](Self::on_list_prompts) | the `*/list` methods |
/// | [`on_request`](Self::on_request) | everything else (`initialize`, `ping`, `completion/complete`, `logging/setLevel`, subscriptions, unknown methods) |
///
/// ```
/// use futures_util::future::BoxFuture;
/// use mcp_server::middleware::{Middleware, Next, Outcome};
/// use mcp_server::{CallToolRequest, McpServer};
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
///
/// /// Counts tool calls; everything else passes through.
/// #[derive(Clone, Default)]
/// struct CallCounter(Arc<AtomicU64>);
///
/// impl Middleware for CallCounter {
///     fn on_call_tool(
///         &self,
///         req: CallToolRequest,
///         next: Next<CallToolRequest>,
///     ) -> BoxFuture<'_, Outcome<CallToolRequest>> {
///         self.0.fetch_add(1, Ordering::Relaxed);
///         next.run(req)
///     }
/// }
///
/// let counter = CallCounter::default();
/// let server = McpServer::new("demo").middleware(counter.clone());
/// # let _ = server;
/// ```
///
/// # Cancellation safety
/// A hook's future is dropped when its request ends early (the client cancelled it, the session
/// closed, an outer middleware gave up): keep nothing half-done across an `.await` that a drop
/// would leave inconsistent (the circuit breaker, for one, settles its probe ticket on drop).
pub trait Middleware: Send + Sync + 'static {
    /// `tools/call`.
    fn on_call_tool(
        &self,
        req: CallToolRequest,
        next: Next<CallToolRequest>,
    ) -> BoxFuture<'_, Outcome<CallToolRequest>> {
        next.run(req)
    }

    /// `resources/read`.
    fn on_read_resource(
        &self,
        req: ReadResourceRequest,
        next: Next<ReadResourceRequest>,
    ) -> BoxFuture<'_, Outcome<ReadResourceRequest>> {
        next.run(req)
    }

    /// `prompts/get`.
    fn on_get_prompt(
        &self,
        req: GetPromptRequest,
        next: Next<GetPromptRequest>,
    ) -> BoxFuture<'_, Outcome<GetPromptRequest>> {
        next.run(req)
    }

    /// `tools/list` (one page).
    fn on_list_tools(
        &self,
        req: ListToolsRequest,
        next: Next<ListToolsRequest>,
    ) -> BoxFuture<'_, Outcome<ListToolsRequest>> {
        next.run(req)
    }

    /// `resources/list` (one page).
    fn on_list_resources(
        &self,
        req: ListResourcesRequest,
        next: Next<ListResourcesRequest>,
    ) -> BoxFuture<'_, Outcome<ListResourcesRequest>> {
        next.run(req)
    }

    /// `resources/templates/list` (one page).
    fn on_list_resource_templates(
        &self,
        req: ListResourceTemplatesRequest,
        next: Next<ListResourceTemplatesRequest>,
    ) -> BoxFuture<'_, Outcome<ListResourceTemplatesRequest>> {
        next.run(req)
    }

    /// `prompts/list` (one page).
    fn on_list_prompts(
        &self,
        req: ListPromptsRequest,
        next: Next<ListPromptsRequest>,
    ) -> BoxFuture<'_, Outcome<ListPromptsRequest>> {
        next.run(req)
    }

    /// Every other request.
    fn on_request(&self, req: RpcRequest, next: Next<RpcRequest>) -> BoxFuture<'_, Outcome<RpcRequest>> {
        next.run(req)
    }

    /// Whether this middleware authenticates callers (checked for `auth = true` tools whenever the
    /// registrations change).
    fn provides_authentication(&self) -> bool {
        false
    }

    /// Checks the server's tools when the server is built and whenever its registrations change
    /// (a tool added at run time goes through the same checks).
    fn validate(&self, tools: &[Arc<ToolDefinition>]) -> Result<(), BuildError> {
        let _ = tools;
        Ok(())
    }

    /// Flushes and stops background work at server shutdown (called once, with a deadline).
    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}
