//! One delivery: encode the events, sign, POST with bounded retries and exponential backoff,
//! count the outcome, and log trouble at a bounded rate.

use super::encode::encode;
use super::record::{Epoch, Record};
use super::signature::{sign, BATCH_SIZE_HEADER, EVENT_HEADER, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use super::worker::Shared;
use bytes::Bytes;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The most response body read (and discarded) so the connection can be reused.
const MAX_DRAIN_BYTES: usize = 64 * 1024;
/// At most one warning per this interval for each kind of trouble.
const LOG_INTERVAL: Duration = Duration::from_secs(5);

/// Logs at most once per [`LOG_INTERVAL`], counting what it held back: a dead endpoint or a full
/// queue must not turn into a log line per tool call.
pub(crate) struct LogLimiter {
    origin: Instant,
    /// Milliseconds after `origin` of the last line, plus one (0 = never logged).
    last: AtomicU64,
    suppressed: AtomicU64,
}

impl LogLimiter {
    pub(crate) fn new() -> Self {
        Self { origin: Instant::now(), last: AtomicU64::new(0), suppressed: AtomicU64::new(0) }
    }

    /// `Some(suppressed since the last line)` when a line may be written now.
    pub(crate) fn allow(&self) -> Option<u64> {
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

/// Request-body buffers, reused from one request to the next.
///
/// A batch body is often over 64 KiB. Allocating and freeing a block that large for every
/// request costs the whole process, not just the worker: glibc's allocator answers the free by
/// consolidating its fast bins (or unmaps the block), and every small allocation after it, the
/// tool calls' included, is slower. So a body goes back to the pool when the HTTP client is done
/// with it, and the next request is written into it.
pub(crate) struct BodyPool {
    free: Mutex<Vec<Vec<u8>>>,
    /// Most buffers kept: one per worker is all that is ever in use at once.
    keep: usize,
}

impl BodyPool {
    pub(crate) fn new(keep: usize) -> Arc<Self> {
        Arc::new(Self { free: Mutex::new(Vec::new()), keep })
    }

    /// An empty buffer, with the capacity of an earlier body when one is free.
    fn take(&self) -> Vec<u8> {
        self.free.lock().unwrap_or_else(PoisonError::into_inner).pop().unwrap_or_default()
    }

    /// `body` as the request body; its buffer comes back to the pool when the client drops it.
    fn bytes(self: &Arc<Self>, body: Vec<u8>) -> Bytes {
        Bytes::from_owner(PooledBody { body, pool: Arc::clone(self) })
    }
}

/// A body on loan to the HTTP client.
struct PooledBody {
    body: Vec<u8>,
    pool: Arc<BodyPool>,
}

impl AsRef<[u8]> for PooledBody {
    fn as_ref(&self) -> &[u8] {
        &self.body
    }
}

impl Drop for PooledBody {
    fn drop(&mut self) {
        let mut body = std::mem::take(&mut self.body);
        body.clear();
        let mut free = self.pool.free.lock().unwrap_or_else(PoisonError::into_inner);
        if free.len() < self.pool.keep {
            free.push(body);
        }
    }
}

/// What one attempt came to.
enum Attempt {
    Delivered,
    Retry(String),
    GiveUp(String),
}

/// Delivers `records` as one request: a single JSON object (one event), or with batching a JSON
/// array of their events in time order (`runs`: see [`encode`]). Retries after connect errors,
/// timeouts, `429` and `5xx`; counts every event of the request as delivered or failed.
pub(crate) async fn deliver(shared: &Shared, records: &[Record], runs: &[usize]) {
    let events: usize = records.iter().map(Record::len).sum();
    let n = u64::try_from(events).unwrap_or(u64::MAX);
    let batched = shared.config.batch.is_some();
    let event = match records {
        [one] if !batched => one.only_event().map_or("batch", super::WebhookEvent::as_str),
        _ => "batch",
    };
    // Encoded once: every attempt sends the same bytes (the body is shared, not copied).
    let mut buf = shared.bodies.take();
    encode(records, runs, batched, &Epoch::now(), &mut buf);
    let body = shared.bodies.bytes(buf);
    // One id per request, kept across its retries, so the receiver can de-duplicate.
    let id = uuid::Uuid::new_v4().to_string();
    let mut backoff = shared.config.initial_backoff;
    let mut attempt = 0u32;
    loop {
        let why = match attempt_once(shared, event, batched.then_some(events), body.clone(), &id).await {
            Attempt::Delivered => {
                shared.delivered.fetch_add(n, Ordering::Relaxed);
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
        let total = shared.failed.fetch_add(n, Ordering::Relaxed) + n;
        if let Some(suppressed) = shared.fail_log.allow() {
            let host = shared.config.url.host_str().unwrap_or_default();
            tracing::warn!(host, event, events = n, error = %why, attempts = attempt + 1,
                failed_total = total, suppressed, "webhook delivery failed");
        }
        return;
    }
}

async fn attempt_once(shared: &Shared, event: &str, batch_size: Option<usize>, body: Bytes, id: &str) -> Attempt {
    let ts = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()).to_string();
    let mut req = shared
        .client
        .post(shared.config.url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(EVENT_HEADER, event)
        .header(ID_HEADER, id)
        .header(TIMESTAMP_HEADER, &ts);
    if let Some(n) = batch_size {
        req = req.header(BATCH_SIZE_HEADER, n);
    }
    if let Some(secret) = &shared.config.secret {
        // Over the whole body: the single object, or the entire batch array.
        req = req.header(SIGNATURE_HEADER, sign(secret, &ts, &body));
    }
    match req.body(body).send().await {
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
