//! [`WebhookMiddleware`]: POST a JSON event to a URL when a tool is called, succeeds or fails.
//!
//! Fire-and-forget by construction: the call path only `try_send`s a small payload into a bounded
//! queue (never waiting). One dispatcher takes events off the queue in arrival order and hands
//! them, one per POST or [in batches](WebhookBuilder::batch), to at most
//! [`workers`](WebhookBuilder::workers) deliveries at once, sharing one HTTP client (reqwest +
//! rustls), which serialize, sign and deliver them with bounded retries and exponential backoff.
//! When the queue is full an event is dropped, counted ([`WebhookMiddleware::dropped`]) and
//! logged (at most one line per few seconds). A slow or dead endpoint therefore never slows down
//! or fails a tool call. At server shutdown the queue is closed and what it holds is delivered
//! within [`WebhookBuilder::shutdown_timeout`].
//!
//! Each request carries `Content-Type: application/json`, `X-Webhook-Event`, `X-Webhook-Id` (one
//! per request, the same on every retry, for de-duplication), `X-Webhook-Timestamp` (Unix seconds)
//! and, with a [signing secret](WebhookBuilder::signing_secret), `X-Webhook-Signature:
//! sha256=<hex>` (HMAC-SHA256 over `"{timestamp}.{body}"`; check it with [`verify_signature`]).
//! The body is a [`WebhookPayload`]; with [batching](WebhookBuilder::batch) it is a JSON array of
//! them, `X-Webhook-Event` is `batch` and `X-Webhook-Batch-Size` gives their number.

mod config;
mod delivery;
mod dispatch;
mod payload;
mod signature;

pub use config::{WebhookBuilder, WebhookConfigError};
pub use payload::{UnknownWebhookEvent, WebhookErrorInfo, WebhookEvent, WebhookPayload};
pub use signature::{
    sign, verify_signature, BATCH_SIZE_HEADER, EVENT_HEADER, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER,
};

use super::{CallToolRequest, Middleware, Next, Outcome};
use crate::call::RequestContext;
use crate::error::FailureKind;
use dispatch::Shared;
use futures_util::future::BoxFuture;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Sends `tool.call`, `tool.success` and `tool.error` events to a webhook URL.
///
/// A cheap, cloneable handle: keep a clone after adding it to the server to read its counters.
/// Only tool calls produce events (not resource reads or prompts). A call the client cancelled is
/// neither a success nor an error, so it sends no `tool.success`/`tool.error`.
///
/// ```
/// use mcp_server::middleware::{WebhookEvent, WebhookMiddleware};
/// use mcp_server::McpServer;
/// use std::time::Duration;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let webhook = WebhookMiddleware::builder("https://hooks.slack.com/services/T000/B000/XXXX")
///     .events([WebhookEvent::ToolError]) // only fire on errors
///     .header("Authorization", "Bearer slack-token")
///     .timeout(Duration::from_secs(5)) // per delivery attempt; never blocks a tool call
///     .build()?;
/// let server = McpServer::new("api").middleware(webhook.clone());
/// assert_eq!(webhook.dropped(), 0);
/// # let _ = server;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct WebhookMiddleware {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for WebhookMiddleware {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookMiddleware")
            .field("host", &self.shared.url.host_str())
            .field("delivered", &self.delivered())
            .field("failed", &self.failed())
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

impl WebhookMiddleware {
    /// Starts configuring a webhook that posts to `url`.
    pub fn builder(url: impl Into<String>) -> WebhookBuilder {
        WebhookBuilder::new(url)
    }

    /// A webhook for `url` with every default (all three events, 5 s timeout, 4 workers).
    pub fn new(url: impl Into<String>) -> Result<Self, WebhookConfigError> {
        Self::builder(url).build()
    }

    /// Events never sent: the queue was full, the server was shutting down, or the shutdown
    /// timeout passed before their turn.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Events the endpoint accepted (answered `2xx`); a batch counts as its number of events.
    pub fn delivered(&self) -> u64 {
        self.shared.delivered.load(Ordering::Relaxed)
    }

    /// Events given up on after the retries (or refused with a non-retryable status).
    pub fn failed(&self) -> u64 {
        self.shared.failed.load(Ordering::Relaxed)
    }

    /// Events waiting in the queue right now.
    pub fn queued(&self) -> usize {
        self.shared.queued()
    }

    fn wants(&self, event: WebhookEvent) -> bool {
        self.shared.config.events & event.bit() != 0
    }

    fn emit(&self, event: WebhookEvent, tool: &str, ctx: &RequestContext, error: Option<WebhookErrorInfo>) {
        let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| {
            // Millisecond precision, as documented.
            (d.as_millis() as f64) / 1000.0
        });
        self.shared.enqueue(WebhookPayload {
            event,
            tool: tool.into(),
            client_id: ctx.client_id().map(str::to_string),
            request_id: ctx.request_id().to_string(),
            timestamp,
            error,
        });
    }
}

impl Middleware for WebhookMiddleware {
    fn on_call_tool(
        &self,
        req: CallToolRequest,
        next: Next<CallToolRequest>,
    ) -> BoxFuture<'_, Outcome<CallToolRequest>> {
        let on_call = self.wants(WebhookEvent::ToolCall);
        let on_outcome = self.wants(WebhookEvent::ToolSuccess) || self.wants(WebhookEvent::ToolError);
        if on_call {
            self.emit(WebhookEvent::ToolCall, req.name(), req.context(), None);
        }
        if !on_outcome {
            return next.run(req);
        }
        Box::pin(async move {
            let call = req.clone();
            let outcome = next.run_inline(req).await;
            let event = match &outcome {
                // A cancelled call gets no response: it is neither a success nor a failure.
                _ if call.context().is_cancelled() => None,
                Ok(_) => Some((WebhookEvent::ToolSuccess, None)),
                Err(e) if e.kind() == FailureKind::Cancelled => None,
                // The mapped wire error, never the raw internal text.
                Err(e) => Some((
                    WebhookEvent::ToolError,
                    Some(WebhookErrorInfo {
                        code: e.code().to_string(),
                        message: e.message().to_string(),
                        retryable: e.retryable(),
                    }),
                )),
            };
            if let Some((event, error)) = event.filter(|(event, _)| self.wants(*event)) {
                self.emit(event, call.name(), call.context(), error);
            }
            outcome
        })
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.shared.shutdown())
    }
}
