//! `ProgressReporter` and `CancellationToken` (issue 3, item 7): progress never goes backwards,
//! the token is echoed with its exact JSON type, reports are no-ops without a token; `check()`
//! ends a tool, `wait(timeout)` tells cancellation from timeout, a cancelled call gets no response
//! and is neither success nor failure, and the server keeps answering pings meanwhile.
//!
//! Tests that involve time run on Tokio's paused clock: it moves only when every task waits, so
//! "no response" is checked over more (virtual) time than the tool would need to answer, and
//! durations are exact.
#![allow(clippy::unwrap_used, reason = "tests")]

use mcp_server::middleware::{from_fn, Next};
use mcp_server::CallToolRequest;
const LATEST: &str = mcp_server::protocol::ProtocolVersion::LATEST.as_str();
use mcp_server::testing::TestClient;
use mcp_server::{tool, CancellationToken, Cancelled, FailureKind, McpServer, ProgressReporter, ServerHandle, State};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Report a fixed sequence with steps backwards and repeats; say whether progress is enabled.
#[tool]
async fn wobbly(progress: ProgressReporter) -> String {
    for p in [10.0, 5.0, 10.0, 20.0, 15.0, 30.0] {
        progress.report(p, Some(30.0), Some(&format!("at {p}"))).await;
    }
    format!("enabled={}", progress.is_enabled())
}

/// Work through `chunks` chunks of 20 ms, checking for cancellation before each.
#[tool]
async fn crunch(chunks: u32, cancel: CancellationToken, seen: State<Arc<Seen>>) -> Result<String, Cancelled> {
    for _ in 0..chunks {
        cancel.check()?;
        seen.chunks.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(format!("processed {chunks}"))
}

/// Wait up to `timeout_ms` for cancellation; record and return what `wait` said.
#[tool]
async fn poll_for_updates(timeout_ms: u64, cancel: CancellationToken, seen: State<Arc<Seen>>) -> String {
    let cancelled = cancel.wait(Duration::from_millis(timeout_ms)).await;
    seen.waits.lock().unwrap().push(cancelled);
    if cancelled { "cancelled" } else { "timed out" }.into()
}

/// Sleep for `ms`.
#[tool]
async fn nap(ms: u64) -> String {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    "awake".into()
}

/// What the tools and the counting middleware observed.
#[derive(Default)]
struct Seen {
    chunks: AtomicU64,
    waits: Mutex<Vec<bool>>,
    outcomes: Mutex<Vec<Result<(), FailureKind>>>,
}

fn server(seen: &Arc<Seen>) -> ServerHandle {
    let counter = Arc::clone(seen);
    McpServer::new("progress-cancel")
        .middleware(from_fn(move |req: CallToolRequest, next: Next<CallToolRequest>| {
            let counter = Arc::clone(&counter);
            async move {
                let out = next.run(req).await;
                counter.outcomes.lock().unwrap().push(out.as_ref().map(|_| ()).map_err(|e| e.kind()));
                out
            }
        }))
        .state(Arc::clone(seen))
        .tool(WobblyTool)
        .tool(CrunchTool)
        .tool(PollForUpdatesTool)
        .tool(NapTool)
        .build()
        .unwrap()
}

async fn setup() -> (TestClient, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let client = TestClient::connect_handle(&server(&seen), LATEST).await.unwrap();
    (client, seen)
}

fn progress_messages(client: &TestClient) -> Vec<Value> {
    client
        .messages()
        .into_iter()
        .filter(|m| m["method"] == "notifications/progress")
        .map(|m| m["params"].clone())
        .collect()
}

#[tokio::test]
async fn progress_is_non_decreasing_and_echoes_an_integer_token() {
    let (client, _) = setup().await;
    let mut seen = Vec::new();
    let r = client.call_tool_with_progress("wobbly", json!({}), |p| seen.push(p.clone())).await.unwrap();
    assert_eq!(r["content"][0]["text"], "enabled=true");
    let values: Vec<f64> = seen.iter().map(|p| p["progress"].as_f64().unwrap()).collect();
    assert_eq!(values, [10.0, 20.0, 30.0], "backward and repeated values are dropped");
    assert_eq!(
        seen[0],
        json!({ "progressToken": seen[0]["progressToken"], "progress": 10.0, "total": 30.0, "message": "at 10" })
    );
    assert!(seen.iter().all(|p| p["progressToken"].is_i64()), "the integer token stays an integer");
}

#[tokio::test]
async fn string_and_integer_tokens_keep_their_json_type() {
    let (client, _) = setup().await;
    let frame = json!({ "jsonrpc": "2.0", "id": "req-str", "method": "tools/call",
        "params": { "name": "wobbly", "arguments": {}, "_meta": { "progressToken": "tok-abc" } } });
    let r = client.send_raw_and_wait(frame.to_string(), &json!("req-str")).await.unwrap();
    assert_eq!(r["result"]["content"][0]["text"], "enabled=true");
    let frame = json!({ "jsonrpc": "2.0", "id": "req-int", "method": "tools/call",
        "params": { "name": "wobbly", "arguments": {}, "_meta": { "progressToken": 4242 } } });
    client.send_raw_and_wait(frame.to_string(), &json!("req-int")).await.unwrap();

    let tokens: Vec<Value> = progress_messages(&client).iter().map(|p| p["progressToken"].clone()).collect();
    assert_eq!(tokens, [json!("tok-abc"), json!("tok-abc"), json!("tok-abc"), json!(4242), json!(4242), json!(4242)]);
}

#[tokio::test]
async fn without_a_token_reports_are_silent_no_ops() {
    let (client, _) = setup().await;
    let r = client.call_tool("wobbly", json!({})).await.unwrap();
    assert_eq!(r["content"][0]["text"], "enabled=false");
    assert!(progress_messages(&client).is_empty());
}

#[tokio::test(start_paused = true)]
async fn check_returns_an_error_that_ends_the_tool() {
    // Called directly (the #[tool] fn stays a plain fn): a cancelled token ends it at the next check.
    let seen = Arc::new(Seen::default());
    let token = CancellationToken::standalone();
    token.cancel();
    let out = crunch(100, token, State(Arc::new(Arc::clone(&seen)))).await;
    assert_eq!(out, Err(Cancelled));
    assert_eq!(seen.chunks.load(Ordering::Relaxed), 0);

    // Over the wire: cancel mid-way; no response, and no further chunk is processed.
    let (client, seen) = setup().await;
    let call = client.start_tool_call("crunch", json!({ "chunks": 500 })).await;
    while seen.chunks.load(Ordering::Relaxed) < 3 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let at_cancel = seen.chunks.load(Ordering::Relaxed);
    call.cancel("user changed their mind").await;
    // Longer than the 500 chunks would take: a call that was not stopped would answer meanwhile.
    assert!(call.response_within(Duration::from_secs(20)).await.is_none(), "a cancelled call gets no response");
    assert_eq!(seen.chunks.load(Ordering::Relaxed), at_cancel, "the tool stopped at the cancellation");
    assert!(at_cancel < 500);
}

#[tokio::test(start_paused = true)]
async fn wait_is_true_when_cancelled_and_false_on_timeout() {
    let token = CancellationToken::standalone();
    let start = Instant::now();
    assert!(!token.wait(Duration::from_millis(50)).await);
    assert_eq!(start.elapsed(), Duration::from_millis(50), "waits the whole timeout");
    let t = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        t.cancel();
    });
    let start = Instant::now();
    assert!(token.wait(Duration::from_secs(10)).await);
    assert_eq!(start.elapsed(), Duration::from_millis(20), "returns as soon as cancelled");

    let (client, seen) = setup().await;
    let r = client.call_tool("poll_for_updates", json!({ "timeout_ms": 30 })).await.unwrap();
    assert_eq!(r["content"][0]["text"], "timed out");
    let call = client.start_tool_call("poll_for_updates", json!({ "timeout_ms": 10_000 })).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    call.cancel("stop polling").await;
    assert!(call.response_within(Duration::from_secs(20)).await.is_none(), "not even once the wait ran out");
    assert_eq!(*seen.waits.lock().unwrap(), [false, true]);
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_call_is_neither_success_nor_failure() {
    let (client, seen) = setup().await;
    client.call_tool("nap", json!({ "ms": 1 })).await.unwrap();
    // Sent raw with an id the client does not wait on, so any answer would land in `messages()`.
    client
        .send_raw(
            json!({ "jsonrpc": "2.0", "id": "nap-1", "method": "tools/call",
            "params": { "name": "nap", "arguments": { "ms": 10_000 } } })
            .to_string(),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    client.notify("notifications/cancelled", json!({ "requestId": "nap-1", "reason": "no longer needed" })).await;
    // Past the nap's end: an answer, had the call not been stopped, would be in `messages()` by now.
    tokio::time::sleep(Duration::from_secs(20)).await;
    let answered: Vec<Value> = client.messages().into_iter().filter(|m| m["id"] == "nap-1").collect();
    assert!(answered.is_empty(), "no result and no error for a cancelled request: {answered:?}");
    let outcomes = seen.outcomes.lock().unwrap().clone();
    assert_eq!(outcomes, [Ok(()), Err(FailureKind::Cancelled)], "seen by middleware as Cancelled");
}

#[tokio::test(start_paused = true)]
async fn ping_answers_while_a_slow_tool_runs() {
    let (client, _) = setup().await;
    let call = client.start_tool_call("nap", json!({ "ms": 5_000 })).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let start = Instant::now();
    let pong = client.request("ping", json!({})).await.unwrap();
    assert_eq!(pong, json!({}));
    // The paused clock moves only when every task waits: a ping queued behind the nap would see
    // the nap's 5 s go by.
    assert!(start.elapsed() < Duration::from_secs(5), "the ping waited for the tool");
    call.cancel("done testing").await;
}
