//! Batched delivery (`WebhookBuilder::batch`) against the real receiver.
//!
//! Batches here fill by count (a `max_delay` the tests never reach) or are flushed by shutdown,
//! so their sizes do not depend on how fast the calls ran. The timing of `max_delay` itself is
//! checked with a paused clock in the dispatcher's unit tests (`webhook/dispatch.rs`); here only
//! its lower bound, which load can only lengthen.

use crate::fixture::*;
use mcp_server::middleware::webhook::{
    verify_signature, BATCH_SIZE_HEADER, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER,
};
use mcp_server::middleware::{WebhookEvent, WebhookPayload};
use serde_json::json;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// Every batch the receiver got, decoded as the documented array of payloads.
fn batches(rx: &Receiver) -> Vec<Vec<WebhookPayload>> {
    rx.seen().iter().map(|r| serde_json::from_slice::<Vec<WebhookPayload>>(&r.body).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_are_json_arrays_of_at_most_max_events() {
    let (rx, url) = receiver().await;
    let webhook = builder(url).batch(5, NEVER).build().unwrap();
    let Server { client, .. } = connect(&webhook).await;
    for i in 0..10 {
        client.call_tool("echo", json!({ "text": i.to_string() })).await.unwrap();
    }
    // 10 calls, 2 events each: four full batches.
    let seen = rx.wait_for(4).await;
    for r in &seen {
        let body = r.json();
        let items = body.as_array().expect("a batch body is a JSON array");
        assert_eq!(items.len(), 5, "max_events is 5 and there were enough events to fill each batch");
        assert_eq!(r.header("x-webhook-event"), "batch");
        assert_eq!(r.header(BATCH_SIZE_HEADER), "5");
        assert_eq!(r.header("content-type"), "application/json");
        assert!(!r.header(ID_HEADER).is_empty());
        for item in items {
            let mut keys: Vec<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(keys, ["client_id", "event", "request_id", "timestamp", "tool"], "{item}");
        }
    }
    let ids: HashSet<String> = seen.iter().map(|r| r.header(ID_HEADER)).collect();
    assert_eq!(ids.len(), 4, "one id per request");
    let events: Vec<WebhookPayload> = batches(&rx).into_iter().flatten().collect();
    assert_eq!(events.len(), 20);
    let calls = events.iter().filter(|e| e.event == WebhookEvent::ToolCall).count();
    let successes = events.iter().filter(|e| e.event == WebhookEvent::ToolSuccess).count();
    assert_eq!((calls, successes), (10, 10));
    // Every call's two events carry the same request id.
    for e in &events {
        assert_eq!(events.iter().filter(|o| o.request_id == e.request_id).count(), 2, "{e:?}");
    }
    delivered(&webhook, 20).await;
    assert_eq!((webhook.delivered(), webhook.dropped(), webhook.failed()), (20, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_delay_sends_a_partial_batch() {
    const MAX_DELAY: Duration = Duration::from_millis(200);
    let (rx, url) = receiver().await;
    let webhook = builder(url).events([WebhookEvent::ToolCall]).batch(100, MAX_DELAY).build().unwrap();
    let Server { client, .. } = connect(&webhook).await;
    let start = Instant::now();
    for i in 0..3 {
        client.call_tool("echo", json!({ "text": i.to_string() })).await.unwrap();
    }
    // No shutdown: only max_delay can send batches this far below max_events.
    delivered(&webhook, 3).await;
    let seen = rx.seen();
    for r in &seen {
        let n = r.json().as_array().expect("a batch body is a JSON array").len();
        assert!((1..100).contains(&n), "a partial batch: {n}");
        assert_eq!(r.header(BATCH_SIZE_HEADER), n.to_string());
        assert_eq!(r.header("x-webhook-event"), "batch");
    }
    // Usually one batch of 3; a machine slow enough to spread the calls over max_delay splits it.
    let mut ids = Vec::new();
    for batch in batches(&rx) {
        let batch: Vec<u64> = batch.iter().map(|e| e.request_id.parse().unwrap()).collect();
        assert!(batch.windows(2).all(|w| w[0] < w[1]), "in queue order: {batch:?}");
        ids.extend(batch);
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 3, "each call's event once");
    let waited = seen[0].at - start;
    assert!(waited >= MAX_DELAY, "the first batch waited for max_delay: {waited:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_events_holds_under_concurrent_calls() {
    let (rx, url) = receiver().await;
    let webhook = builder(url).batch(8, Duration::from_millis(50)).build().unwrap();
    let Server { handle, client, .. } = connect(&webhook).await;
    let mut tasks = Vec::new();
    for t in 0..10 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                client.call_tool("echo", json!({ "text": format!("{t}-{i}") })).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    handle.shutdown().await;
    let sizes: Vec<usize> = batches(&rx).iter().map(Vec::len).collect();
    assert!(sizes.iter().all(|&n| (1..=8).contains(&n)), "{sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), 200);
    assert_eq!((webhook.delivered(), webhook.dropped()), (200, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_signature_covers_the_whole_array() {
    let (rx, url) = receiver().await;
    let webhook = builder(url).signing_secret("whsec_batch").batch(4, NEVER).build().unwrap();
    let Server { client, .. } = connect(&webhook).await;
    client.call_tool("echo", json!({ "text": "a" })).await.unwrap();
    client.call_tool("charge_card", json!({ "customer_id": "cus_9" })).await.unwrap();
    let r = rx.wait_for(1).await.remove(0);
    assert_eq!(r.json().as_array().map(Vec::len), Some(4));
    assert_eq!(r.json()[3]["error"]["code"], "CARD_DECLINED");
    let (ts, sig) = (r.header(TIMESTAMP_HEADER), r.header(SIGNATURE_HEADER));
    assert!(verify_signature(b"whsec_batch", &ts, &r.body, &sig));
    // Any change to any element breaks it.
    let mut tampered = r.body.clone();
    let at = tampered.len() - 3;
    tampered[at] ^= 1;
    assert!(!verify_signature(b"whsec_batch", &ts, &tampered, &sig));
    assert!(!verify_signature(b"whsec_batch", &ts, &r.body[..r.body.len() - 1], &sig));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_sends_a_partial_batch_at_once() {
    let (rx, url) = receiver().await;
    let webhook = builder(url).batch(100, NEVER).build().unwrap();
    let Server { handle, client, .. } = connect(&webhook).await;
    for i in 0..3 {
        client.call_tool("echo", json!({ "text": i.to_string() })).await.unwrap();
    }
    // All six events are in the batch being formed, which neither fills nor times out.
    until("the dispatcher took every event", || webhook.queued() == 0).await;
    assert!(rx.seen().is_empty(), "nothing is sent before the batch is full or max_delay passed");
    // Shutdown flushes within its 30 s limit; waiting for max_delay (an hour) would drop the batch.
    handle.shutdown().await;
    assert_eq!(batches(&rx).iter().map(Vec::len).collect::<Vec<_>>(), [6], "the partial batch, in one request");
    assert_eq!((webhook.delivered(), webhook.dropped()), (6, 0));
}

/// Calls that finish at once (echo) and calls that wait (nap), concurrently from `tasks` tasks.
async fn mixed_calls(client: &mcp_server::testing::TestClient, tasks: usize) {
    let mut running = Vec::new();
    for t in 0..tasks {
        let client = client.clone();
        running.push(tokio::spawn(async move {
            for i in 0..10 {
                if (t + i) % 3 == 0 {
                    client.call_tool("nap", json!({ "ms": 1 })).await.unwrap();
                } else {
                    client.call_tool("echo", json!({ "text": format!("{t}-{i}") })).await.unwrap();
                }
            }
        }));
    }
    for t in running {
        t.await.unwrap();
    }
}

/// Asserts `events` hold each call's `tool.call` once, before its `tool.success`.
fn every_call_before_its_outcome(events: &[WebhookPayload]) {
    for (i, e) in events.iter().enumerate().filter(|(_, e)| e.event == WebhookEvent::ToolSuccess) {
        let calls: Vec<usize> = (0..events.len())
            .filter(|&c| events[c].request_id == e.request_id && events[c].event == WebhookEvent::ToolCall)
            .collect();
        assert!(calls.len() == 1 && calls[0] < i, "{} at {i}: its tool.call at {calls:?}", e.request_id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_batch_from_both_threads_has_every_call_before_its_outcome() {
    let (rx, url) = receiver().await;
    let webhook = builder(url).batch(1000, NEVER).build().unwrap();
    let Server { handle, client, .. } = connect(&webhook).await;
    // Calls resuming on either worker thread queue their events from both threads.
    mixed_calls(&client, 16).await;
    handle.shutdown().await;
    let batches = batches(&rx);
    assert_eq!(batches.len(), 1, "one partial batch, sent at shutdown");
    assert_eq!(batches[0].len(), 320, "every event in it");
    assert!(batches[0].windows(2).all(|w| w[0].timestamp <= w[1].timestamp), "oldest first, whatever thread queued");
    every_call_before_its_outcome(&batches[0]);
}

#[tokio::test]
async fn a_batch_is_oldest_first() {
    // One thread: an event is stamped and queued without anything running in between, so queue
    // order is stamp order, and the batch must keep it.
    let (rx, url) = receiver().await;
    let webhook = builder(url).batch(1000, NEVER).build().unwrap();
    let Server { handle, client, .. } = connect(&webhook).await;
    mixed_calls(&client, 8).await;
    handle.shutdown().await;
    let events: Vec<WebhookPayload> = batches(&rx).into_iter().flatten().collect();
    assert_eq!(events.len(), 160);
    assert!(events.windows(2).all(|w| w[0].timestamp <= w[1].timestamp), "oldest first");
    every_call_before_its_outcome(&events);
}
