//! The middleware chain: one trait, a re-callable [`Next`], and [`from_fn`] for closures.
//!
//! The chain runs at the single dispatch point for `tools/call`, `resources/read` and
//! `prompts/get`. The first middleware added is the outermost: it sees the request first and the
//! outcome last.
//!
//! ```
//! use mcp_server::middleware::{from_fn, CallRequest, Next};
//! use mcp_server::McpServer;
//! use std::sync::{Arc, Mutex};
//!
//! let order = Arc::new(Mutex::new(Vec::new()));
//! let (a, b) = (order.clone(), order.clone());
//! let server = McpServer::new("demo")
//!     .middleware(from_fn(move |req: CallRequest, next: Next| {
//!         let a = a.clone();
//!         async move {
//!             a.lock().unwrap().push("outer: before");
//!             let out = next.run(req).await;
//!             a.lock().unwrap().push("outer: after");
//!             out
//!         }
//!     }))
//!     .middleware(from_fn(move |req: CallRequest, next: Next| {
//!         let b = b.clone();
//!         async move {
//!             b.lock().unwrap().push("inner");
//!             next.run(req).await
//!         }
//!     }));
//! # let _ = server;
//! // A call then records: ["outer: before", "inner", "outer: after"].
//! ```

mod audit;
mod chain;
mod circuit_breaker;
mod request;
#[cfg(feature = "webhook")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhook")))]
pub mod webhook;

pub use audit::{
    verify_audit_log, AuditKey, AuditKeyError, AuditMiddleware, BreakReason, BrokenEntry, VerifyReport, AUDIT_KEY_ENV,
};
pub use chain::{from_fn, FromFn, Next};
pub use circuit_breaker::{CircuitBreakerMiddleware, CircuitOpenError, CircuitState};
pub use request::{CallKind, CallOutcome, CallOutput, CallRequest};
#[cfg(feature = "webhook")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhook")))]
pub use webhook::{WebhookBuilder, WebhookConfigError, WebhookEvent, WebhookMiddleware, WebhookPayload};

pub(crate) use chain::{run_chain, Endpoint};

use crate::error::BuildError;
use crate::tool::ToolDefinition;
use futures_util::future::BoxFuture;

/// Wraps every `tools/call`, `resources/read` and `prompts/get`.
///
/// `next` may be called zero times (short-circuit), once, or several times (retry).
pub trait Middleware: Send + Sync + 'static {
    /// Handles one call.
    fn handle(&self, req: CallRequest, next: Next) -> BoxFuture<'_, CallOutcome>;

    /// Whether this middleware authenticates callers (checked for `auth = true` tools at build).
    fn provides_authentication(&self) -> bool {
        false
    }

    /// Checks the server's configuration when it is built.
    fn validate(&self, tools: &[ToolDefinition]) -> Result<(), BuildError> {
        let _ = tools;
        Ok(())
    }

    /// Flushes and stops background work at server shutdown (called once, with a deadline).
    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}
