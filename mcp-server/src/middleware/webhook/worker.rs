//! The delivery side: a bounded queue, a few workers sharing one HTTP client, retries with
//! exponential backoff, counters, rate-limited logs, and the shutdown flush.

use super::config::Config;
use super::signature::{sign, EVENT_HEADER, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use super::WebhookPayload;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The most response body read (and discarded) so the connection can be reused.
const MAX_DRAIN_BYTES: usize = 64 * 1024;
/// At most one warning per this interval for each kind of trouble.
const LOG_INTERVAL: Duration = Duration::from_secs(5);

/// Logs at most once per [`LOG_INTERVAL`], counting what it held back: a dead endpoint or a full
/// queue must not turn into a log line per tool call.
struct LogLimiter {
    origin: Instant,
    /// Milliseconds after `origin` of the last line, plus one (0 = never logged).
    last: AtomicU64,
    suppressed: AtomicU64,
}

impl LogLimiter {
    fn new() -> Self {
        Self { origin: Instant::now(), last: AtomicU64::new(0), suppressed: AtomicU64::new(0) }
    }

    /// `Some(suppressed since the last line)` when a line may be written now.
    fn allow(&self) -> Option<u64> {
        let now = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX).saturating_add(1);
        let last = self.last.load(Ordering::Relaxed);
        let due = last == 0 || now.saturating_sub(last) >= u64::try_from(LOG_INTERVAL.as_millis()).unwrap_or(0);
        if due && self.last.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
            return Some(self.suppressed.swap(0, Ordering::Relaxed));
        }
        self.suppressed.fetch_add(1, Ordering::Relaxed);
        None
    }
}

/// State shared by the middleware handle and its workers.
pub(crate) struct Shared {
    pub(crate) config: Config,
    client: reqwest::Client,
    tx: mpsc::Sender<WebhookPayload>,
    rx: tokio::sync::Mutex<mpsc::Receiver<WebhookPayload>>,
    started: OnceLock<bool>,
    tracker: TaskTracker,
    /// Shutdown began: accept nothing new, deliver what is queued.
    closing: CancellationToken,
    /// The shutdown deadline passed: give up on what is left.
    abandon: CancellationToken,
    pub(crate) delivered: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) dropped: AtomicU64,
    drop_log: LogLimiter,
    fail_log: LogLimiter,
}

/// Why an event was not queued.
#[derive(Debug, Clone, Copy)]
enum DropReason {
    QueueFull,
    ShutDown,
    NoRuntime,
}

impl Shared {
    pub(crate) fn new(config: Config, client: reqwest::Client) -> Self {
        let (tx, rx) = mpsc::channel(config.queue_capacity);
        Self {
            config,
            client,
            tx,
            rx: tokio::sync::Mutex::new(rx),
            started: OnceLock::new(),
            tracker: TaskTracker::new(),
            closing: CancellationToken::new(),
            abandon: CancellationToken::new(),
            delivered: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            drop_log: LogLimiter::new(),
            fail_log: LogLimiter::new(),
        }
    }

    /// Events waiting in the queue.
    pub(crate) fn queued(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

    /// Queues the payload `make` builds, without waiting. A slot is reserved first, so a full
    /// queue costs no allocation: the event is dropped, counted, and logged (rate-limited).
    pub(crate) fn enqueue(self: &Arc<Self>, make: impl FnOnce() -> WebhookPayload) {
        if self.closing.is_cancelled() {
            return self.count_drop(DropReason::ShutDown);
        }
        if !*self.started.get_or_init(|| Self::start(self)) {
            return self.count_drop(DropReason::NoRuntime);
        }
        match self.tx.try_reserve() {
            Ok(permit) => permit.send(make()),
            Err(TrySendError::Full(())) => self.count_drop(DropReason::QueueFull),
            Err(TrySendError::Closed(())) => self.count_drop(DropReason::ShutDown),
        }
    }

    /// Spawns the workers on the current runtime (the first event's).
    fn start(this: &Arc<Self>) -> bool {
        let Ok(rt) = tokio::runtime::Handle::try_current() else { return false };
        for _ in 0..this.config.workers {
            this.tracker.spawn_on(run_worker(Arc::clone(this)), &rt);
        }
        true
    }

    fn count_drop(&self, reason: DropReason) {
        let total = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
        // Under overload this runs for every call: look at the clock only for the first drop and
        // every 256th after it.
        if total == 1 || total % 256 == 0 {
            if let Some(suppressed) = self.drop_log.allow() {
                tracing::warn!(?reason, dropped_total = total, suppressed, "webhook events dropped");
            }
        }
    }

    /// Stops accepting events, then delivers what is queued within the shutdown timeout; events
    /// still undelivered after it are dropped (and counted).
    pub(crate) async fn shutdown(&self) {
        self.closing.cancel();
        if self.started.get().is_none() {
            return;
        }
        self.tracker.close();
        let deadline = self.config.shutdown_timeout;
        if tokio::time::timeout(deadline, self.tracker.wait()).await.is_err() {
            self.abandon.cancel();
            // Abandoning is prompt: every await in a worker races `abandon`.
            self.tracker.wait().await;
            tracing::warn!(?deadline, dropped_total = self.dropped.load(Ordering::Relaxed), "webhook flush timed out");
        }
    }
}

async fn run_worker(shared: Arc<Shared>) {
    loop {
        let next = {
            let mut rx = shared.rx.lock().await;
            tokio::select! {
                biased;
                p = rx.recv() => p,
                () = shared.closing.cancelled() => {
                    // Closing lets `recv` hand out what is buffered, then end with `None`.
                    rx.close();
                    rx.recv().await
                }
            }
        };
        let Some(payload) = next else { return };
        if shared.abandon.is_cancelled() {
            shared.count_drop(DropReason::ShutDown);
            continue;
        }
        tokio::select! {
            () = deliver(&shared, &payload) => {}
            () = shared.abandon.cancelled() => shared.count_drop(DropReason::ShutDown),
        }
    }
}

/// What one attempt came to.
enum Attempt {
    Delivered,
    Retry(String),
    GiveUp(String),
}

async fn deliver(shared: &Shared, payload: &WebhookPayload) {
    let body = match serde_json::to_vec(payload) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "webhook payload did not serialize");
            shared.failed.fetch_add(1, Ordering::Relaxed);
            return;
        }
    };
    let id = uuid::Uuid::new_v4().to_string();
    let mut backoff = shared.config.initial_backoff;
    let mut attempt = 0u32;
    loop {
        let why = match attempt_once(shared, payload, &body, &id).await {
            Attempt::Delivered => {
                shared.delivered.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Attempt::Retry(why) if attempt < shared.config.max_retries => {
                attempt += 1;
                tracing::debug!(attempt, error = %why, "webhook delivery failed; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(shared.config.max_backoff);
                continue;
            }
            Attempt::Retry(why) | Attempt::GiveUp(why) => why,
        };
        let total = shared.failed.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(suppressed) = shared.fail_log.allow() {
            let host = shared.config.url.host_str().unwrap_or_default();
            tracing::warn!(host, event = %payload.event, error = %why, attempts = attempt + 1,
                failed_total = total, suppressed, "webhook delivery failed");
        }
        return;
    }
}

async fn attempt_once(shared: &Shared, payload: &WebhookPayload, body: &[u8], id: &str) -> Attempt {
    let ts = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()).to_string();
    let mut req = shared
        .client
        .post(shared.config.url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(EVENT_HEADER, payload.event.as_str())
        .header(ID_HEADER, id)
        .header(TIMESTAMP_HEADER, &ts);
    if let Some(secret) = &shared.config.secret {
        req = req.header(SIGNATURE_HEADER, sign(secret, &ts, body));
    }
    match req.body(body.to_vec()).send().await {
        Ok(mut resp) => {
            let status = resp.status();
            // Read a bounded amount of the answer so the keep-alive connection can be reused.
            let mut read = 0;
            while let Ok(Some(chunk)) = resp.chunk().await {
                read += chunk.len();
                if read > MAX_DRAIN_BYTES {
                    break;
                }
            }
            if status.is_success() {
                Attempt::Delivered
            } else if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
                Attempt::Retry(format!("HTTP {status}"))
            } else {
                Attempt::GiveUp(format!("HTTP {status}"))
            }
        }
        // `without_url`: webhook URLs often embed a token (Slack), keep it out of the logs.
        Err(e) if e.is_connect() || e.is_timeout() || e.is_request() => Attempt::Retry(e.without_url().to_string()),
        Err(e) => Attempt::GiveUp(e.without_url().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_limiter_allows_one_line_per_interval() {
        let l = LogLimiter::new();
        assert_eq!(l.allow(), Some(0));
        assert_eq!(l.allow(), None);
        assert_eq!(l.allow(), None);
        // The same limiter, its last line written two intervals ago.
        let Some(origin) = Instant::now().checked_sub(LOG_INTERVAL * 2) else { return };
        let old = LogLimiter { origin, last: AtomicU64::new(1), suppressed: AtomicU64::new(2) };
        assert_eq!(old.allow(), Some(2));
        assert_eq!(old.allow(), None);
    }
}
