//! [`WebhookMiddleware`]: POST a JSON event to a URL when a tool is called, succeeds or fails.
//!
//! Fire-and-forget by construction: the call path only reserves a slot in a bounded queue (never
//! waiting) and stores a small plain struct in it; no JSON, no signing. A call that finishes
//! before it first yields stores its `tool.call` and its outcome together, in one slot; a call
//! that yields stores `tool.call` right then, while it runs. Either way `tool.call` carries the
//! time the call started, and a batch holds a call's `tool.call` before its outcome. A few workers, sharing one
//! HTTP client (reqwest + rustls), serialize, sign and deliver the events with bounded retries and
//! exponential backoff, one event per POST or, [opt-in](WebhookBuilder::batch), in batches. When the queue is full an event is dropped,
//! counted ([`WebhookMiddleware::dropped`]) and logged (at most one line per few seconds). A slow
//! or dead endpoint therefore never slows down or fails a tool call. At server shutdown the queue
//! is closed and what it holds is delivered within [`WebhookBuilder::shutdown_timeout`].
//!
//! Each request carries `Content-Type: application/json`, `X-Webhook-Event`, `X-Webhook-Id` (one
//! per request, the same on every retry, for de-duplication), `X-Webhook-Timestamp` (Unix seconds)
//! and, with a [signing secret](WebhookBuilder::signing_secret), `X-Webhook-Signature:
//! sha256=<hex>` (HMAC-SHA256 over `"{timestamp}.{body}"`; check it with [`verify_signature`]).
//! The body is a [`WebhookPayload`]; with [batching](WebhookBuilder::batch) it is a JSON array of
//! them, `X-Webhook-Event` is `batch` and `X-Webhook-Batch-Size` gives their number.

mod call;
mod config;
mod delivery;
mod encode;
mod payload;
mod queue;
mod record;
mod signature;
mod worker;

pub use config::{WebhookBuilder, WebhookConfigError};
pub use payload::{UnknownWebhookEvent, WebhookErrorInfo, WebhookEvent, WebhookPayload};
pub use signature::{
    sign, verify_signature, BATCH_SIZE_HEADER, EVENT_HEADER, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER,
};

use super::{CallKind, CallOutcome, CallRequest, Middleware, Next};
use futures_util::future::BoxFuture;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use worker::Shared;

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
            .field("host", &self.shared.config.url.host_str())
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

    /// Queue slots in use right now: a call's `tool.call` and outcome share one when the call
    /// finished without yielding, else each event has its own.
    pub fn queued(&self) -> usize {
        self.shared.queued()
    }

    fn wants(&self, event: WebhookEvent) -> bool {
        self.shared.config.events & event.bit() != 0
    }
}

impl Middleware for WebhookMiddleware {
    fn handle(&self, req: CallRequest, next: Next) -> BoxFuture<'_, CallOutcome> {
        if req.kind() != CallKind::Tool {
            return next.run(req);
        }
        call::observe(self, req, next)
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.shared.shutdown())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn payload(n: usize) -> record::Record {
        record::tests::call(i64::try_from(n).unwrap_or_default())
    }

    /// Nothing listens on port 9 of the loopback (discard is never enabled): connection refused.
    const DEAD: &str = "http://127.0.0.1:9/hook";

    #[tokio::test]
    async fn overflow_is_counted_not_awaited() {
        let w = WebhookMiddleware::builder(DEAD)
            .queue_capacity(4)
            .workers(1)
            .max_retries(0)
            .shutdown_timeout(Duration::from_millis(200))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let start = Instant::now();
        for n in 0..1000 {
            w.shared.enqueue(1, || payload(n));
        }
        assert!(start.elapsed() < Duration::from_millis(500), "enqueue must not wait");
        assert!(w.dropped() >= 990, "dropped {}", w.dropped());
        w.shutdown().await;
        assert_eq!(w.delivered(), 0);
        assert_eq!(w.dropped() + w.failed(), 1000);
    }

    #[tokio::test]
    async fn after_shutdown_events_are_dropped() {
        let w = WebhookMiddleware::new(DEAD).unwrap_or_else(|e| panic!("{e}"));
        w.shutdown().await;
        w.shared.enqueue(1, || payload(1));
        assert_eq!(w.dropped(), 1);
    }

    #[tokio::test]
    async fn shutdown_abandons_after_its_timeout() {
        let w = WebhookMiddleware::builder(DEAD)
            .workers(1)
            .max_retries(1000)
            .backoff(Duration::from_secs(1), Duration::from_secs(1))
            .shutdown_timeout(Duration::from_millis(100))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        for n in 0..5 {
            w.shared.enqueue(1, || payload(n));
        }
        let start = Instant::now();
        w.shutdown().await;
        assert!(start.elapsed() < Duration::from_secs(2), "took {:?}", start.elapsed());
        assert_eq!(w.dropped(), 5);
    }
}
