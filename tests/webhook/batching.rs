//! Batched delivery (`WebhookBuilder::batch`).

use crate::fixture::*;
use mcp_server::middleware::webhook::{
    verify_signature, BATCH_SIZE_HEADER, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER,
};
use mcp_server::middleware::{WebhookEvent, WebhookMiddleware, WebhookPayload};
use serde_json::json;
use std::time::{Duration, Instant};

/// Every batch the receiver got, decoded as the documented array of payloads.
fn batches(rx: &Receiver) -> Vec<Vec<WebhookPayload>> {
    rx.seen().iter().map(|r| serde_json::from_slice::<Vec<WebhookPayload>>(&r.body).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_are_json_arrays_of_at_most_max_events() {
    let (rx, url) = receiver().await;
    let webhook = WebhookMiddleware::builder(url).batch(5, Duration::from_secs(10)).build().unwrap();
    let (_handle, client) = connect(&webhook).await;
    for i in 0..10 {
        client.call_tool("echo", json!({ "text": i.to_string() })).await.unwrap();
    }
    // 10 calls, 2 events each: four full batches, long before the 10 s delay.
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
    let ids: std::collections::HashSet<String> = seen.iter().map(|r| r.header(ID_HEADER)).collect();
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
    let (rx, url) = receiver().await;
    let webhook = WebhookMiddleware::builder(url)
        .events([WebhookEvent::ToolCall])
        .batch(100, Duration::from_millis(300))
        .build()
        .unwrap();
    let (_handle, client) = connect(&webhook).await;
    let start = Instant::now();
    for i in 0..3 {
        client.call_tool("echo", json!({ "text": i.to_string() })).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(rx.seen().is_empty(), "the batch waits up to max_delay for more events");
    rx.wait_for(1).await;
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(250), "sent after max_delay, not before: {waited:?}");
    assert!(waited < Duration::from_secs(3), "sent once max_delay passed: {waited:?}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(batches(&rx).iter().map(Vec::len).collect::<Vec<_>>(), [3], "one partial batch of 3");
    assert_eq!(rx.seen()[0].header(BATCH_SIZE_HEADER), "3");
    delivered(&webhook, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_events_holds_under_concurrent_calls() {
    let (rx, url) = receiver().await;
    let webhook = WebhookMiddleware::builder(url).batch(8, Duration::from_millis(50)).build().unwrap();
    let (handle, client) = connect(&webhook).await;
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
    let webhook = WebhookMiddleware::builder(url)
        .signing_secret("whsec_batch")
        .batch(4, Duration::from_secs(10))
        .build()
        .unwrap();
    let (_handle, client) = connect(&webhook).await;
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
    let webhook = WebhookMiddleware::builder(url).batch(100, Duration::from_secs(60)).build().unwrap();
    let (handle, client) = connect(&webhook).await;
    for i in 0..3 {
        client.call_tool("echo", json!({ "text": i.to_string() })).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(rx.seen().is_empty(), "60 s of max_delay: nothing sent yet");
    let start = Instant::now();
    handle.shutdown().await;
    assert!(start.elapsed() < Duration::from_secs(3), "no waiting for max_delay: {:?}", start.elapsed());
    assert_eq!(batches(&rx).iter().map(Vec::len).collect::<Vec<_>>(), [6], "the partial batch, in one request");
    assert_eq!((webhook.delivered(), webhook.dropped()), (6, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_batch_is_in_time_order_with_every_call_before_its_outcome() {
    let (rx, url) = receiver().await;
    let webhook = WebhookMiddleware::builder(url).batch(1000, Duration::from_secs(10)).build().unwrap();
    let (handle, client) = connect(&webhook).await;
    // Calls that finish at once (echo) and calls that wait and may resume on the other thread
    // (nap), concurrently: their events are queued from both threads, some together, some apart.
    let mut tasks = Vec::new();
    for t in 0..16 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                if (t + i) % 3 == 0 {
                    client.call_tool("nap", json!({ "ms": 1 })).await.unwrap();
                } else {
                    client.call_tool("echo", json!({ "text": format!("{t}-{i}") })).await.unwrap();
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    handle.shutdown().await;
    let events: Vec<WebhookPayload> = batches(&rx).into_iter().flatten().collect();
    assert_eq!(events.len(), 320, "one batch at shutdown, every event in it");
    assert!(events.windows(2).all(|w| w[0].timestamp <= w[1].timestamp), "oldest first");
    for (i, e) in events.iter().enumerate().filter(|(_, e)| e.event == WebhookEvent::ToolSuccess) {
        let call = events.iter().position(|c| c.request_id == e.request_id && c.event == WebhookEvent::ToolCall);
        assert!(call.is_some_and(|c| c < i), "{} at {i}: its tool.call at {call:?}", e.request_id);
    }
}
