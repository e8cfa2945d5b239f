//! Single-event delivery: payloads, signature, retries, dead endpoints, overflow, shutdown.

use crate::fixture::*;
use axum::http::StatusCode;
use mcp_server::middleware::webhook::{verify_signature, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use mcp_server::middleware::{WebhookEvent, WebhookMiddleware, WebhookPayload};
const LATEST: &str = mcp_server::protocol::ProtocolVersion::LATEST.as_str();
use mcp_server::testing::TestClient;
use mcp_server::McpServer;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_three_events_carry_the_documented_payload() {
    let (rx, url) = receiver().await;
    let webhook = WebhookMiddleware::new(url).unwrap();
    let (_handle, client) = connect(&webhook).await;

    let ok = client.call_tool("echo", json!({ "text": "hi" })).await.unwrap();
    assert_eq!(ok["content"][0]["text"], "hi");
    let declined = client.call_tool("charge_card", json!({ "customer_id": "cus_1" })).await.unwrap();
    assert_eq!(declined["isError"], true);
    let leaky = client.call_tool("leaky", json!({})).await.unwrap();
    assert_eq!(leaky["structuredContent"]["error"]["code"], "INTERNAL_ERROR");
    // Resource reads are not tool calls: no events.
    client.read_resource("test://doc").await.unwrap();

    // echo: call + success; charge_card: call + error; leaky: call + error.
    let seen = rx.wait_for(6).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(rx.seen().len(), 6, "no extra events (e.g. for the resource read)");
    let payloads: Vec<Value> = seen.iter().map(Received::json).collect();

    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    for (r, p) in seen.iter().zip(&payloads) {
        let keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
        let expected: &[&str] = if p["event"] == "tool.error" {
            &["client_id", "error", "event", "request_id", "timestamp", "tool"]
        } else {
            &["client_id", "event", "request_id", "timestamp", "tool"]
        };
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, expected, "{p}");
        assert_eq!(p["client_id"], "test-client");
        assert!(p["request_id"].is_string());
        let ts = p["timestamp"].as_f64().unwrap();
        assert!((now - ts).abs() < 30.0, "timestamp {ts} vs now {now}");
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
    assert!(
        !String::from_utf8_lossy(&seen.iter().flat_map(|r| r.body.clone()).collect::<Vec<u8>>()).contains("hunter2")
    );
    assert_eq!(webhook.delivered(), 6);
    assert_eq!(webhook.dropped(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_filter_and_signature() {
    let (rx, url) = receiver().await;
    let webhook = WebhookMiddleware::builder(url)
        .events([WebhookEvent::ToolError])
        .header("Authorization", "Bearer slack-token")
        .signing_secret("whsec_test")
        .build()
        .unwrap();
    let (_handle, client) = connect(&webhook).await;
    client.call_tool("echo", json!({ "text": "quiet" })).await.unwrap();
    client.call_tool("charge_card", json!({ "customer_id": "cus_2" })).await.unwrap();

    let seen = rx.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(rx.seen().len(), 1, "only tool.error was asked for");
    let r = &seen[0];
    assert_eq!(r.json()["event"], "tool.error");
    assert_eq!(r.header("authorization"), "Bearer slack-token");
    let ts = r.header(TIMESTAMP_HEADER);
    let sig = r.header(SIGNATURE_HEADER);
    assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64, "{sig}");
    assert!(verify_signature(b"whsec_test", &ts, &r.body, &sig));
    assert!(!verify_signature(b"wrong", &ts, &r.body, &sig));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!(now.abs_diff(ts.parse::<u64>().unwrap()) < 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_5xx_with_backoff_but_not_4xx() {
    let (rx, url) = receiver().await;
    rx.script.lock().unwrap().extend([StatusCode::INTERNAL_SERVER_ERROR, StatusCode::BAD_GATEWAY]);
    let webhook = WebhookMiddleware::builder(url)
        .events([WebhookEvent::ToolSuccess])
        .workers(1)
        .backoff(Duration::from_millis(50), Duration::from_millis(200))
        .build()
        .unwrap();
    let (_handle, client) = connect(&webhook).await;

    let start = Instant::now();
    client.call_tool("echo", json!({ "text": "a" })).await.unwrap();
    let seen = rx.wait_for(3).await;
    let first_retry_gap = Instant::now().duration_since(start);
    assert!(first_retry_gap >= Duration::from_millis(150), "50 ms + 100 ms of backoff, got {first_retry_gap:?}");
    // The same event (same id) three times: 500, 502, then 200.
    let ids: Vec<String> = seen.iter().map(|r| r.header(ID_HEADER)).collect();
    assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!((webhook.delivered(), webhook.failed()), (1, 0));

    // A 4xx is the receiver refusing the event: not retried.
    rx.script.lock().unwrap().push_back(StatusCode::BAD_REQUEST);
    client.call_tool("echo", json!({ "text": "b" })).await.unwrap();
    rx.wait_for(4).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.seen().len(), 4);
    assert_eq!((webhook.delivered(), webhook.failed()), (1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_neither_followed_nor_a_delivery() {
    let (rx, url) = receiver().await;
    rx.script.lock().unwrap().extend([StatusCode::FOUND, StatusCode::TEMPORARY_REDIRECT]);
    let webhook = WebhookMiddleware::builder(url).events([WebhookEvent::ToolSuccess]).workers(1).build().unwrap();
    let (_handle, client) = connect(&webhook).await;
    for text in ["a", "b"] {
        client.call_tool("echo", json!({ "text": text })).await.unwrap();
    }
    rx.wait_for(2).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while webhook.failed() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Followed, the 302 would have become a GET and the 307 a POST elsewhere, both answered 200.
    assert_eq!((webhook.delivered(), webhook.failed()), (0, 2));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(rx.seen().len(), 2, "a redirect is not retried either");
}

/// Times `n` sequential echo calls.
async fn time_calls(client: &TestClient, n: usize) -> Duration {
    let start = Instant::now();
    for i in 0..n {
        let r = client.call_tool("echo", json!({ "text": i.to_string() })).await.unwrap();
        assert_eq!(r["content"][0]["text"], i.to_string());
    }
    start.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_endpoint_never_slows_or_fails_calls() {
    let webhook = WebhookMiddleware::builder(dead_url().await)
        .backoff(Duration::from_millis(100), Duration::from_secs(1))
        .queue_capacity(16)
        .build()
        .unwrap();
    let (_handle, client) = connect(&webhook).await;
    let with_dead_hook = time_calls(&client, 300).await;

    let plain = McpServer::new("plain").tool(EchoTool).build().unwrap();
    let plain_client = TestClient::connect_handle(&plain, LATEST).await.unwrap();
    let baseline = time_calls(&plain_client, 300).await;

    // Generous bound (CI noise): a blocked call path would take seconds, not milliseconds.
    assert!(
        with_dead_hook < baseline * 3 + Duration::from_millis(200),
        "dead hook {with_dead_hook:?} vs baseline {baseline:?}"
    );
    assert!(webhook.dropped() > 0, "the small queue overflowed");
    // Connection refused is retried, then given up on; nothing is delivered.
    let deadline = Instant::now() + Duration::from_secs(10);
    while webhook.failed() == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(webhook.failed() > 0);
    assert_eq!(webhook.delivered(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_endpoint_times_out_without_blocking_calls() {
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let webhook = WebhookMiddleware::builder(url).timeout(Duration::from_millis(200)).max_retries(0).build().unwrap();
    let (_handle, client) = connect(&webhook).await;
    let took = time_calls(&client, 20).await;
    assert!(took < Duration::from_millis(500), "{took:?}");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(webhook.failed() >= 4, "timed-out deliveries are counted as failed: {}", webhook.failed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_flushes_the_queue() {
    let (rx, url) = receiver().await;
    *rx.delay.lock().unwrap() = Duration::from_millis(50);
    let webhook = WebhookMiddleware::builder(url).events([WebhookEvent::ToolCall]).workers(2).build().unwrap();
    let (handle, client) = connect(&webhook).await;
    for i in 0..40 {
        client.call_tool("echo", json!({ "text": i.to_string() })).await.unwrap();
    }
    // 40 events at 50 ms over 2 workers take ~1 s: most are still queued now.
    assert!(webhook.queued() > 0);
    handle.shutdown().await;
    assert_eq!(rx.seen().len(), 40, "every queued event was delivered before shutdown returned");
    assert_eq!((webhook.delivered(), webhook.dropped()), (40, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_overflow_is_counted() {
    let (rx, url) = receiver().await;
    *rx.delay.lock().unwrap() = Duration::from_millis(100);
    let webhook =
        WebhookMiddleware::builder(url).events([WebhookEvent::ToolCall]).workers(1).queue_capacity(2).build().unwrap();
    let (handle, client) = connect(&webhook).await;
    let start = Instant::now();
    for i in 0..50 {
        client.call_tool("echo", json!({ "text": i.to_string() })).await.unwrap();
    }
    assert!(start.elapsed() < Duration::from_secs(1), "calls never wait for the queue: {:?}", start.elapsed());
    assert!(webhook.dropped() >= 40, "dropped {}", webhook.dropped());
    handle.shutdown().await;
    assert_eq!(webhook.delivered() + webhook.dropped(), 50);
    assert_eq!(rx.payloads().len() as u64, webhook.delivered());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_call_is_sent_while_a_slow_call_runs_and_an_instant_one_sends_both() {
    let (rx, url) = receiver().await;
    let webhook = WebhookMiddleware::new(url).unwrap();
    let (_handle, client) = connect(&webhook).await;
    let call = client.start_tool_call("nap", json!({ "ms": 1_000 })).await;
    let seen = rx.wait_for(1).await;
    assert_eq!(seen[0].json()["event"], "tool.call", "sent while the call runs");
    assert_eq!(rx.seen().len(), 1, "the call is still running");
    let started = seen[0].json()["timestamp"].as_f64().unwrap();
    assert_eq!(call.response().await.unwrap()["content"][0]["text"], "awake");
    let seen = rx.wait_for(2).await;
    let done = seen[1].json();
    assert_eq!((done["event"].as_str(), done["tool"].as_str()), (Some("tool.success"), Some("nap")));
    let took = done["timestamp"].as_f64().unwrap() - started;
    assert!((0.9..5.0).contains(&took), "tool.call is stamped before the call, its outcome after: {took}");

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
    let webhook = WebhookMiddleware::new(url).unwrap();
    let (_handle, client) = connect(&webhook).await;
    let call = client.start_tool_call("nap", json!({ "ms": 5_000 })).await;
    rx.wait_for(1).await;
    call.cancel("changed my mind").await;
    assert!(call.response_within(Duration::from_millis(300)).await.is_none());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let events: Vec<Value> = rx.payloads().iter().map(|p| p["event"].clone()).collect();
    assert_eq!(events, vec![json!("tool.call")]);
}
