//! [`WebhookBuilder`]: endpoint, events, headers, timeouts, queue and retry settings.

use super::dispatch::{Shared, Sink};
use super::{WebhookEvent, WebhookMiddleware};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::sync::Arc;
use std::time::Duration;

/// Why a [`WebhookBuilder`] could not build.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookConfigError {
    /// The URL does not parse, or is not `http`/`https`.
    #[error("invalid webhook url: {0}")]
    InvalidUrl(String),
    /// A header name or value is not valid HTTP.
    #[error("invalid webhook header `{0}`")]
    InvalidHeader(String),
    /// The event set is empty.
    #[error("a webhook needs at least one event (`tool.call`, `tool.success` or `tool.error`)")]
    NoEvents,
    /// The queue capacity, the worker count or the batch size is zero.
    #[error("webhook `{0}` must be at least 1")]
    Zero(&'static str),
    /// The HTTP client could not be created (TLS set-up).
    #[error("webhook http client: {0}")]
    Client(#[source] reqwest::Error),
}

/// The settings a running webhook middleware uses (the builder fills them in; `build` checks them).
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) events: u8,
    pub(crate) queue_capacity: usize,
    pub(crate) workers: usize,
    pub(crate) max_retries: u32,
    pub(crate) initial_backoff: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) secret: Option<Arc<[u8]>>,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) batch: Option<Batch>,
}

/// Batched delivery: at most `max_events` per POST, sent at most `max_delay` after the first.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Batch {
    pub(crate) max_events: usize,
    pub(crate) max_delay: Duration,
}

/// Configures a [`WebhookMiddleware`]; start with [`WebhookMiddleware::builder`].
///
/// | Setting | Default |
/// |---|---|
/// | [`events`](Self::events) | all three |
/// | [`timeout`](Self::timeout) (per HTTP request) | 5 s |
/// | [`queue_capacity`](Self::queue_capacity) | 1024 events |
/// | [`workers`](Self::workers) | 4 |
/// | [`max_retries`](Self::max_retries) | 3 (so at most 4 attempts) |
/// | [`backoff`](Self::backoff) | 200 ms, doubling, capped at 5 s |
/// | [`signing_secret`](Self::signing_secret) | none (unsigned) |
/// | [`shutdown_timeout`](Self::shutdown_timeout) | 5 s |
/// | [`batch`](Self::batch) | off: one event per POST |
pub struct WebhookBuilder {
    url: String,
    headers: Vec<(String, String)>,
    timeout: Duration,
    config: Config,
}

impl std::fmt::Debug for WebhookBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL (Slack hook URLs embed a token), header values and secret are credentials.
        f.debug_struct("WebhookBuilder")
            .field(
                "events",
                &WebhookEvent::ALL.iter().filter(|e| self.config.events & e.bit() != 0).collect::<Vec<_>>(),
            )
            .field("headers", &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .field("timeout", &self.timeout)
            .field("workers", &self.config.workers)
            .field("signed", &self.config.secret.is_some())
            .field("batch", &self.config.batch)
            .finish_non_exhaustive()
    }
}

impl WebhookBuilder {
    pub(crate) fn new(url: impl Into<String>) -> Self {
        let config = Config {
            events: WebhookEvent::ALL.iter().fold(0, |acc, e| acc | e.bit()),
            queue_capacity: 1024,
            workers: 4,
            max_retries: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            secret: None,
            shutdown_timeout: Duration::from_secs(5),
            batch: None,
        };
        Self { url: url.into(), headers: Vec::new(), timeout: Duration::from_secs(5), config }
    }

    /// Which events to send (replaces the default of all three).
    #[must_use]
    pub fn events(mut self, events: impl IntoIterator<Item = WebhookEvent>) -> Self {
        self.config.events = events.into_iter().fold(0, |acc, e| acc | e.bit());
        self
    }

    /// Adds a header sent with every request (e.g. `Authorization`).
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds several headers.
    #[must_use]
    pub fn headers<K: Into<String>, V: Into<String>>(mut self, headers: impl IntoIterator<Item = (K, V)>) -> Self {
        self.headers.extend(headers.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// The time limit for one HTTP attempt, connection included. Never delays a tool call.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many events may wait for delivery; beyond that new events are dropped and counted.
    #[must_use]
    pub fn queue_capacity(mut self, n: usize) -> Self {
        self.config.queue_capacity = n;
        self
    }

    /// How many deliveries may be in progress at once (sharing one HTTP client).
    #[must_use]
    pub fn workers(mut self, n: usize) -> Self {
        self.config.workers = n;
        self
    }

    /// Retries after a connect error, timeout, `429` or `5xx` (other answers are not retried;
    /// redirects are not followed and count as failed).
    #[must_use]
    pub fn max_retries(mut self, n: u32) -> Self {
        self.config.max_retries = n;
        self
    }

    /// The first retry delay and the cap; the delay doubles after each attempt.
    #[must_use]
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.config.initial_backoff = initial;
        self.config.max_backoff = max.max(initial);
        self
    }

    /// Signs every request: `X-Webhook-Signature: sha256=<hex>` of HMAC-SHA256 over
    /// `"{X-Webhook-Timestamp}.{body}"` (check it with [`verify_signature`](super::verify_signature)).
    #[must_use]
    pub fn signing_secret(mut self, secret: impl Into<Vec<u8>>) -> Self {
        self.config.secret = Some(Arc::from(secret.into()));
        self
    }

    /// How long [`Middleware::shutdown`](crate::Middleware::shutdown) waits for queued events;
    /// whatever is left after it is dropped (and counted).
    #[must_use]
    pub fn shutdown_timeout(mut self, d: Duration) -> Self {
        self.config.shutdown_timeout = d;
        self
    }

    /// Delivers events in batches: up to `max_events` events, sent as soon as the batch is full or
    /// `max_delay` after its first event, whichever comes first, as **one JSON array**
    /// of [`WebhookPayload`](super::WebhookPayload) objects, oldest first. Without this (the
    /// default) every event is its own POST with a single object as the body, which is what
    /// Slack-style endpoints expect; enable batching only for a receiver that reads arrays.
    ///
    /// A batch is one request: `X-Webhook-Event: batch`, `X-Webhook-Batch-Size: <n>`, one
    /// `X-Webhook-Id` (kept across the batch's retries), and the signature covers the whole array
    /// body. The batch is retried, delivered or given up on as a unit; the counters still count
    /// events. At shutdown a partial batch is sent at once, without waiting for `max_delay`.
    ///
    /// Batching is what lets delivery keep up with tens of thousands of events per second: the
    /// per-request cost (HTTP, TCP, the receiver's handler) is paid once per batch.
    ///
    /// ```
    /// use mcp_server::middleware::WebhookMiddleware;
    /// use std::time::Duration;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let webhook = WebhookMiddleware::builder("https://events.example.com/mcp")
    ///     .batch(256, Duration::from_millis(20)) // up to 256 events per POST, at most 20 ms late
    ///     .build()?;
    /// # let _ = webhook;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn batch(mut self, max_events: usize, max_delay: Duration) -> Self {
        self.config.batch = Some(Batch { max_events, max_delay });
        self
    }

    /// The checked endpoint and settings of a running middleware.
    pub(crate) fn config(&self) -> Result<(reqwest::Url, Config), WebhookConfigError> {
        let url = reqwest::Url::parse(&self.url).map_err(|e| WebhookConfigError::InvalidUrl(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(WebhookConfigError::InvalidUrl(format!("scheme `{}` is not http or https", url.scheme())));
        }
        let c = &self.config;
        if c.events == 0 {
            return Err(WebhookConfigError::NoEvents);
        }
        for (name, n) in [("queue_capacity", c.queue_capacity), ("workers", c.workers)] {
            if n == 0 {
                return Err(WebhookConfigError::Zero(name));
            }
        }
        if c.batch.is_some_and(|b| b.max_events == 0) {
            return Err(WebhookConfigError::Zero("batch max_events"));
        }
        Ok((url, c.clone()))
    }

    /// Checks the settings and creates the shared HTTP client. Delivery starts with the first
    /// event, so this may run outside a Tokio runtime.
    pub fn build(self) -> Result<WebhookMiddleware, WebhookConfigError> {
        let (url, config) = self.config()?;
        let mut headers = HeaderMap::new();
        for (name, value) in &self.headers {
            let n =
                HeaderName::from_bytes(name.as_bytes()).map_err(|_| WebhookConfigError::InvalidHeader(name.clone()))?;
            let mut v = HeaderValue::from_str(value).map_err(|_| WebhookConfigError::InvalidHeader(name.clone()))?;
            v.set_sensitive(true);
            headers.append(n, v);
        }
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .default_headers(headers)
            .user_agent(concat!("mcp-server-webhook/", env!("CARGO_PKG_VERSION")))
            .timeout(self.timeout)
            .connect_timeout(self.timeout)
            .pool_max_idle_per_host(config.workers)
            // A redirect is an answer, not a delivery: followed, a 301/302/303 would turn the POST
            // into a GET without the body, and its 200 would count the events as delivered; a
            // 307/308 would send the signed body to another URL than the one configured.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(WebhookConfigError::Client)?;
        Ok(WebhookMiddleware { shared: Arc::new(Shared::new(url, config, Sink::Http(client))) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_settings() {
        let bad = |b: WebhookBuilder| b.build().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(bad(WebhookBuilder::new("not a url")).contains("invalid webhook url"));
        assert!(bad(WebhookBuilder::new("ftp://x/")).contains("scheme `ftp`"));
        assert!(bad(WebhookBuilder::new("http://x/").events([])).contains("at least one event"));
        assert!(bad(WebhookBuilder::new("http://x/").workers(0)).contains("workers"));
        assert!(bad(WebhookBuilder::new("http://x/").queue_capacity(0)).contains("queue_capacity"));
        assert!(bad(WebhookBuilder::new("http://x/").batch(0, Duration::ZERO)).contains("batch max_events"));
        assert!(bad(WebhookBuilder::new("http://x/").header("bad name", "v")).contains("bad name"));
        assert!(bad(WebhookBuilder::new("http://x/").header("x-ok", "line\nbreak")).contains("x-ok"));
    }

    #[test]
    fn debug_hides_credentials() {
        let b = WebhookBuilder::new("https://hooks.example/T/B/secret-token")
            .header("Authorization", "Bearer hunter2")
            .signing_secret("s3cret");
        let s = format!("{b:?}");
        assert!(!s.contains("secret-token") && !s.contains("hunter2") && !s.contains("s3cret"), "{s}");
    }

    #[test]
    fn builds_outside_a_runtime() {
        let w = WebhookBuilder::new("http://127.0.0.1:9/").events([WebhookEvent::ToolError]).build();
        assert!(w.is_ok());
    }
}
