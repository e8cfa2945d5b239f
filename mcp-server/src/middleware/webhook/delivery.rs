//! One delivery: encode the events (serde), sign, POST with bounded retries and exponential
//! backoff, count the outcome, and log trouble at a bounded rate.

use super::dispatch::{Shared, Sink};
use super::signature::{sign, BATCH_SIZE_HEADER, EVENT_HEADER, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use super::WebhookPayload;
use std::sync::atomic::Ordering;

/// The most response body read (and discarded) so the connection can be reused.
const MAX_DRAIN_BYTES: usize = 64 * 1024;
/// Whether the `total`-th occurrence of a trouble is worth a log line: the 1st, 2nd, 4th, 8th, …
/// so a dead endpoint or a full queue never turns into a line per tool call, and a growing count
/// stays visible.
pub(crate) fn worth_logging(total: u64) -> bool {
    total.is_power_of_two()
}

/// What one attempt came to.
enum Attempt {
    Delivered,
    Retry(String),
    GiveUp(String),
}

/// Delivers `events` as one request: a single JSON object (one event), or with batching a JSON
/// array of them, oldest first. Retries after connect errors, timeouts, `429` and `5xx`; counts
/// every event of the request as delivered or failed.
pub(crate) async fn deliver(shared: &Shared, events: Vec<WebhookPayload>) {
    let n = u64::try_from(events.len()).unwrap_or(u64::MAX);
    #[cfg_attr(not(test), expect(clippy::infallible_destructuring_match, reason = "one more sink in unit tests"))]
    let client = match &shared.sink {
        Sink::Http(client) => client,
        #[cfg(test)]
        Sink::Channel(tx) => {
            let _ = tx.send(events);
            shared.delivered.fetch_add(n, Ordering::Relaxed);
            return;
        }
    };
    let batched = shared.config.batch.is_some();
    let (event, body) = match (&events[..], batched) {
        ([one], false) => (one.event.as_str(), serde_json::to_vec(one)),
        _ => ("batch", serde_json::to_vec(&events)),
    };
    let body = match body {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "webhook payload did not serialize");
            shared.failed.fetch_add(n, Ordering::Relaxed);
            return;
        }
    };
    // One id per request, kept across its retries, so the receiver can de-duplicate.
    let id = uuid::Uuid::new_v4().to_string();
    let mut backoff = shared.config.initial_backoff;
    let mut attempt = 0u32;
    loop {
        let batch_size = batched.then_some(events.len());
        let why = match attempt_once(shared, client, event, batch_size, body.clone(), &id).await {
            Attempt::Delivered => {
                shared.delivered.fetch_add(n, Ordering::Relaxed);
                return;
            }
            Attempt::Retry(why) if attempt < shared.config.max_retries => {
                attempt += 1;
                tracing::debug!(attempt, error = %why, "webhook delivery failed; retrying");
                tokio::time::sleep(backoff).await;
                backoff = backoff.saturating_mul(2).min(shared.config.max_backoff);
                continue;
            }
            Attempt::Retry(why) | Attempt::GiveUp(why) => why,
        };
        let before = shared.failed.fetch_add(n, Ordering::Relaxed);
        if (before + 1..=before + n).any(worth_logging) {
            let host = shared.url.host_str().unwrap_or_default();
            tracing::warn!(host, event, events = n, error = %why, attempts = attempt + 1,
                failed_total = before + n, "webhook delivery failed");
        }
        return;
    }
}

async fn attempt_once(
    shared: &Shared,
    client: &reqwest::Client,
    event: &str,
    batch_size: Option<usize>,
    body: Vec<u8>,
    id: &str,
) -> Attempt {
    let ts = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()).to_string();
    let mut req = client
        .post(shared.url.clone())
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
    #[test]
    fn trouble_is_logged_ever_more_rarely() {
        let logged: Vec<u64> = (1..=100).filter(|n| super::worth_logging(*n)).collect();
        assert_eq!(logged, [1, 2, 4, 8, 16, 32, 64]);
    }
}
