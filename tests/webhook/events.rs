//! Single-event delivery: payloads, signature, retries, redirects, dead and hanging endpoints,
//! overflow, the shutdown flush, and when each event is sent.
//!
//! "Nothing else was sent" is proved with the shutdown flush (every event queued before it has
//! been delivered when it returns) or with the delivery counters (an event counted delivered or
//! failed gets no further attempt), never by waiting a while.

use crate::fixture::*;
use axum::http::StatusCode;
use futures_util::FutureExt;
use mcp_server::middleware::webhook::{verify_signature, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use mcp_server::middleware::{WebhookEvent, WebhookMiddleware, WebhookPayload};
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_three_events_carry_the_documented_payload() {
    let (rx, url) = receiver().await;
    let webhook = builder(url).build().unwrap();
    let Server { handle, client, .. } = connect(&webhook).await;
    let before = unix_now();

    let ok = client.call_tool("echo", json!({ "text": "hi" })).await.unwrap();
    assert_eq!(ok["content"][0]["text"], "hi");
    let declined = client.call_tool("charge_card", json!({ "customer_id": "cus_1" })).await.unwrap();
    assert_eq!(declined["isError"], true);
    let leaky = client.call_tool("leaky", json!({})).await.unwrap();
    assert_eq!(leaky["structuredContent"]["error"]["code"], "INTERNAL_ERROR");
    // Resource reads are not tool calls: no events.
    client.read_resource("test://doc").await.unwrap();
    handle.shutdown().await;
    let after = unix_now();

    // echo: call + success; charge_card: call + error; leaky: call + error; nothing else.
    let seen = rx.seen();
    assert_eq!(seen.len(), 6, "{:?}", rx.payloads());
    let payloads: Vec<Value> = seen.iter().map(Received::json).collect();
    for (r, p) in seen.iter().zip(&payloads) {
        let mut keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        let expected: &[&str] = if p["event"] == "tool.error" {
            &["client_id", "error", "event", "request_id", "timestamp", "tool"]
        } else {
            &["client_id", "event", "request_id", "timestamp", "tool"]
        };
        assert_eq!(keys, expected, "{p}");
        assert_eq!(p["client_id"], "test-client");
        assert!(p["request_id"].is_string());
        // Unix seconds with millisecond precision, taken while the calls ran.
        let ts = p["timestamp"].as_f64().unwrap();
        assert!(before - 0.001 <= ts && ts <= after, "timestamp {ts} outside [{before}, {after}]");
        assert_eq!(r.header("x-webhook-event"), p["event"].as_str().unwrap());
        assert_eq!(r.header("content-type"), "application/json");
        assert!(!r.header(ID_HEADER).is_empty());
        assert!(r.header(SIGNATURE_HEADER).is_empty(), "unsigned unless a secret is set");
        // Every body decodes as the public payload type.
        let typed: WebhookPayload = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(typed.event.as_str(), p["event"]);
    }

    let call = by_event(&payloads, "tool.call", "echo");
    let success = by_event(&payloads, "tool.success", "echo");
    assert_eq!((call.len(), success.len()), (1, 1));
    assert_eq!(call[0]["request_id"], success[0]["request_id"]);
    assert!(by_event(&payloads, "tool.error", "echo").is_empty());

    let declined = by_event(&payloads, "tool.error", "charge_card");
    assert_eq!(
        declined[0]["error"],
        json!({ "code": "CARD_DECLINED", "message": "Card declined for cus_1", "retryable": false })
    );
    let leaked = by_event(&payloads, "tool.error", "leaky");
    assert_eq!(
        leaked[0]["error"],
        json!({ "code": "INTERNAL_ERROR", "message": "An internal error occurred.", "retryable": false })
    );
    assert!(!seen.iter().any(|r| String::from_utf8_lossy(&r.body).contains("hunter2")));
    assert_eq!((webhook.delivered(), webhook.dropped(), webhook.failed()), (6, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_filter_and_signature() {
    let (rx, url) = receiver().await;
    let webhook = builder(url)
        .events([WebhookEvent::ToolError])
        .header("Authorization", "Bearer slack-token")
        .signing_secret("whsec_test")
        .build()
        .unwrap();
    let Server { handle, client, .. } = connect(&webhook).await;
    let before = unix_now();
    client.call_tool("echo", json!({ "text": "quiet" })).await.unwrap();
    client.call_tool("charge_card", json!({ "customer_id": "cus_2" })).await.unwrap();
    handle.shutdown().await;
    let after = unix_now();

    let seen = rx.seen();
    assert_eq!(seen.len(), 1, "only tool.error was asked for: {:?}", rx.payloads());
    let r = &seen[0];
    assert_eq!(r.json()["event"], "tool.error");
    assert_eq!(r.header("authorization"), "Bearer slack-token");
    let ts = r.header(TIMESTAMP_HEADER);
    let sig = r.header(SIGNATURE_HEADER);
    assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64, "{sig}");
    assert!(verify_signature(b"whsec_test", &ts, &r.body, &sig));
    assert!(!verify_signature(b"wrong", &ts, &r.body, &sig));
    // Unix seconds, taken when the request was sent.
    let ts: f64 = ts.parse().unwrap();
    assert!(before.floor() <= ts && ts <= after, "timestamp {ts} outside [{before}, {after}]");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_5xx_with_backoff_but_not_4xx() {
    let (rx, url) = receiver().await;
    rx.script.lock().unwrap().extend([StatusCode::INTERNAL_SERVER_ERROR, StatusCode::BAD_GATEWAY]);
    let webhook = builder(url)
        .events([WebhookEvent::ToolSuccess])
        .workers(1)
        .backoff(Duration::from_millis(50), Duration::from_millis(200))
        .build()
        .unwrap();
    let Server { client, .. } = connect(&webhook).await;

    client.call_tool("echo", json!({ "text": "a" })).await.unwrap();
    let seen = rx.wait_for(3).await;
    // The same event (same id) three times: 500, 502, then 200.
    let ids: Vec<String> = seen.iter().map(|r| r.header(ID_HEADER)).collect();
    assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
    // Lower bounds set by the backoff timers (50 ms, doubling): load can only lengthen the gaps.
    let gaps = [seen[1].at - seen[0].at, seen[2].at - seen[1].at];
    assert!(gaps[0] >= Duration::from_millis(50) && gaps[1] >= Duration::from_millis(100), "{gaps:?}");
    delivered(&webhook, 1).await;
    assert_eq!((webhook.delivered(), webhook.failed()), (1, 0));

    // A 4xx is the receiver refusing the event: given up on at once, not retried.
    rx.script.lock().unwrap().push_back(StatusCode::BAD_REQUEST);
    client.call_tool("echo", json!({ "text": "b" })).await.unwrap();
    settled(&webhook, 2).await;
    assert_eq!((webhook.delivered(), webhook.failed()), (1, 1));
    assert_eq!(rx.seen().len(), 4, "one attempt for the refused event");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_neither_followed_nor_a_delivery() {
    let (rx, url) = receiver().await;
    rx.script.lock().unwrap().extend([StatusCode::FOUND, StatusCode::TEMPORARY_REDIRECT]);
    let webhook = builder(url).events([WebhookEvent::ToolSuccess]).workers(1).build().unwrap();
    let Server { client, .. } = connect(&webhook).await;
    for text in ["a", "b"] {
        client.call_tool("echo", json!({ "text": text })).await.unwrap();
    }
    settled(&webhook, 2).await;
    // Followed, the 302 would have become a GET and the 307 a POST elsewhere, both answered 200.
    assert_eq!((webhook.delivered(), webhook.failed()), (0, 2));
    assert_eq!(rx.seen().len(), 2, "a redirect is not retried either");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_endpoint_never_fails_calls() {
    let webhook = builder(dead_url().await)
        .events([WebhookEvent::ToolCall])
        .backoff(Duration::from_millis(1), Duration::from_millis(2))
        .max_retries(2)
        .build()
        .unwrap();
    let Server { client, .. } = connect(&webhook).await;
    for i in 0..20 {
        let r = client.call_tool("echo", json!({ "text": i.to_string() })).await.unwrap();
        assert_eq!(r["content"][0]["text"], i.to_string());
    }
    // Connection refused is retried, then given up on; nothing is delivered or dropped.
    until("20 events failed", || webhook.failed() == 20).await;
    assert_eq!((webhook.delivered(), webhook.dropped()), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_never_wait_for_delivery_and_a_full_queue_drops() {
    let (rx, url) = receiver().await;
    rx.hold();
    let webhook = builder(url).events([WebhookEvent::ToolCall]).workers(2).queue_capacity(4).build().unwrap();
    let Server { handle, client, .. } = connect(&webhook).await;
    for i in 0..2 {
        client.call_tool("echo", json!({ "text": i.to_string() })).await.unwrap();
    }
    // Both workers now hold a delivery the receiver will not answer.
    rx.wait_for(2).await;
    for i in 2..52 {
        let r = client.call_tool("echo", json!({ "text": i.to_string() })).await.unwrap();
        assert_eq!(r["content"][0]["text"], i.to_string(), "calls go on while every delivery hangs");
    }
    // Accepted at most: 2 in flight, 1 the dispatcher holds for a free worker, 4 queued.
    assert!(webhook.dropped() >= 52 - 7, "dropped {}", webhook.dropped());
    assert_eq!((webhook.delivered(), webhook.failed()), (0, 0));

    rx.open();
    handle.shutdown().await;
    let delivered = webhook.delivered();
    assert_eq!(delivered + webhook.dropped(), 52, "every event is delivered or counted as dropped");
    assert!((2..=7).contains(&delivered), "{delivered}");
    assert_eq!(rx.seen().len() as u64, delivered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_attempt_counts_as_failed() {
    let (rx, url) = receiver().await;
    rx.hold(); // accepts the connections and never answers
    let webhook = WebhookMiddleware::builder(url)
        .events([WebhookEvent::ToolCall])
        .timeout(Duration::from_millis(200))
        .max_retries(0)
        .build()
        .unwrap();
    let Server { client, .. } = connect(&webhook).await;
    for i in 0..5 {
        client.call_tool("echo", json!({ "text": i.to_string() })).await.unwrap();
    }
    until("5 timed-out events failed", || webhook.failed() == 5).await;
    assert_eq!((webhook.delivered(), webhook.dropped()), (0, 0));
    assert!(rx.seen().len() <= 5, "no retries");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_flushes_the_queue() {
    let (rx, url) = receiver().await;
    rx.hold();
    let webhook = builder(url).events([WebhookEvent::ToolCall]).workers(2).build().unwrap();
    let Server { handle, client, .. } = connect(&webhook).await;
    for i in 0..40 {
        client.call_tool("echo", json!({ "text": i.to_string() })).await.unwrap();
    }
    rx.wait_for(2).await;
    // Two deliveries are held, the dispatcher holds at most one more event: the rest is queued.
    assert!(webhook.queued() >= 37, "queued {}", webhook.queued());
    let stopping = handle.clone();
    let stop = tokio::spawn(async move { stopping.shutdown().await });
    until("shutdown began", || handle.is_shut_down()).await;
    rx.open();
    stop.await.unwrap();
    assert_eq!(rx.seen().len(), 40, "every queued event was delivered before shutdown returned");
    assert_eq!((webhook.delivered(), webhook.dropped()), (40, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_call_is_sent_while_the_call_runs_and_an_instant_one_sends_both() {
    let (rx, url) = receiver().await;
    let webhook = builder(url).build().unwrap();
    let Server { client, calls, .. } = connect(&webhook).await;
    let before = unix_now();
    let call = client.start_tool_call("hold", json!({})).await;
    let seen = rx.wait_for(1).await;
    let started = seen[0].json();
    assert_eq!((started["event"].as_str(), started["tool"].as_str()), (Some("tool.call"), Some("hold")));
    // The call is held until released: its outcome cannot have been queued.
    assert_eq!(rx.seen().len(), 1);
    let released_at = unix_now();
    calls.release_one();
    assert_eq!(call.response().await.unwrap()["content"][0]["text"], "released");
    let seen = rx.wait_for(2).await;
    let done = seen[1].json();
    assert_eq!((done["event"].as_str(), done["tool"].as_str()), (Some("tool.success"), Some("hold")));
    // tool.call is stamped as the call starts, its outcome as it ends (millisecond precision).
    let (t_call, t_done) = (started["timestamp"].as_f64().unwrap(), done["timestamp"].as_f64().unwrap());
    assert!(before - 0.001 <= t_call && t_call <= released_at, "{before} {t_call} {released_at}");
    assert!(released_at - 0.001 <= t_done, "{released_at} {t_done}");

    // A call that never waits queues both events together; each is still its own POST.
    client.call_tool("echo", json!({ "text": "x" })).await.unwrap();
    let seen = rx.wait_for(4).await;
    let mut kinds: Vec<String> = seen[2..].iter().map(|r| r.header("x-webhook-event")).collect();
    kinds.sort();
    assert_eq!(kinds, ["tool.call", "tool.success"]);
    assert_eq!(seen[2].json()["request_id"], seen[3].json()["request_id"]);
    delivered(&webhook, 4).await;
    assert_eq!((webhook.delivered(), webhook.dropped()), (4, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_call_is_neither_success_nor_error() {
    let (rx, url) = receiver().await;
    let webhook = builder(url).build().unwrap();
    let Server { handle, client, calls } = connect(&webhook).await;
    let call = client.start_tool_call("hold", json!({})).await;
    rx.wait_for(1).await;
    call.cancel("changed my mind").await;
    // Never released: only the cancellation ends it, before shutdown could.
    calls.finished(&call.id().to_string()).await;
    handle.shutdown().await;
    let events: Vec<Value> = rx.payloads().iter().map(|p| p["event"].clone()).collect();
    assert_eq!(events, [json!("tool.call")]);
    // Shutdown waited for the call's task: an answer, had one been written, has most likely reached
    // the client. A correct server never writes one, so this check cannot fail spuriously.
    assert!(call.response().now_or_never().is_none_or(|r| r.is_err()), "a cancelled call is not answered");
}
