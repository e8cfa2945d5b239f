//! Injected parameters and concurrency (issue 2, items 9 and 10): `RequestContext` fields,
//! cancellation (no response), progress (no-op without a token, token type preserved), `State<T>`,
//! background tasks, and requests of one session running concurrently.
//!
//! Every test runs on Tokio's paused clock (see `support`): it moves only when every task waits,
//! so a wait for something that must happen runs out only when it no longer can, and a wait for
//! something that must not happen ends only once nothing else could run.
#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use mcp_server::testing::TestClient;
use mcp_server::{
    tool, BackgroundTasks, CancellationToken, Cancelled, McpServer, ProgressReporter, RequestContext, State,
};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{masked_internal, tool_error, Wire, QUIET};
use tokio::sync::{Barrier, Semaphore};

/// Describe the request as the tool sees it.
#[tool]
async fn whoami(ctx: RequestContext) -> Value {
    json!({
        "requestId": ctx.request_id().to_value(),
        "method": ctx.method(),
        "meta": ctx.meta(),
        "protocolVersion": ctx.protocol_version(),
        "clientId": ctx.client_id(),
        "clientInfo": ctx.client_info(),
        "sessionId": ctx.session_id(),
        "progressToken": ctx.progress_token(),
        "sampling": ctx.client_capabilities().is_some_and(|c| c.sampling.is_some()),
        "cancelled": ctx.is_cancelled(),
    })
}

/// What the tools below record; the test keeps a clone to look inside.
#[derive(Clone, Default)]
struct Probe {
    inner: Arc<ProbeInner>,
}

#[derive(Default)]
struct ProbeInner {
    hits: AtomicU64,
    stopped: AtomicBool,
    log: Mutex<Vec<&'static str>>,
}

/// A gate the test opens (a semaphore without permits).
#[derive(Clone)]
struct Gate {
    permits: Arc<Semaphore>,
}

/// Sets `stopped` when the tool's future is dropped or returns.
struct StopGuard(Probe);

impl Drop for StopGuard {
    fn drop(&mut self) {
        self.0.inner.stopped.store(true, Ordering::SeqCst);
    }
}

/// Report progress once, then wait to be cancelled.
#[tool]
async fn hang(progress: ProgressReporter, cancel: CancellationToken, probe: State<Probe>) -> Result<String, Cancelled> {
    let _guard = StopGuard((*probe).clone());
    progress.report(1.0, None, Some("started")).await;
    cancel.cancelled().await;
    // Reports after a cancel are dropped.
    progress.report(2.0, None, Some("too late")).await;
    cancel.check()?;
    Ok("unreachable".into())
}

/// Take `steps` short steps, reporting progress (each value twice: repeats are dropped).
#[tool]
async fn steps(steps: u32, progress: ProgressReporter, cancel: CancellationToken) -> Result<String, Cancelled> {
    for step in 1..=steps {
        if cancel.wait(Duration::from_millis(1)).await {
            return Err(Cancelled);
        }
        progress.report(f64::from(step), Some(f64::from(steps)), Some(&format!("step {step}"))).await;
        progress.report(f64::from(step), Some(f64::from(steps)), None).await;
    }
    Ok(format!("{steps} steps, progress enabled: {}", progress.is_enabled()))
}

/// Count calls across sessions.
#[tool]
async fn hit(probe: State<Probe>) -> u64 {
    probe.inner.hits.fetch_add(1, Ordering::SeqCst) + 1
}

/// Needs state that was never registered.
#[tool]
async fn orphan(missing: State<String>) -> String {
    missing.to_string()
}

/// Wait until the gate opens.
#[tool]
async fn gated(gate: State<Gate>) -> String {
    match gate.permits.acquire().await {
        Ok(_permit) => "through".into(),
        Err(_) => "closed".into(),
    }
}

/// Meet another call of itself: only finishes when two run at once.
#[tool]
async fn meet(barrier: State<Barrier>) -> String {
    barrier.wait().await;
    "met".into()
}

/// Answer; record a failing and a succeeding background task.
#[tool]
async fn later(bg: BackgroundTasks, probe: State<Probe>) -> String {
    let probe = (*probe).clone();
    probe.inner.log.lock().unwrap().push("tool");
    bg.add(async move { Err::<(), _>("the first task fails") });
    bg.add(async move { probe.inner.log.lock().unwrap().push("background") });
    "answered".into()
}

struct Fixture {
    server: McpServer,
    probe: Probe,
    gate: Gate,
}

fn fixture() -> Fixture {
    let probe = Probe::default();
    let gate = Gate { permits: Arc::new(Semaphore::new(0)) };
    let server = McpServer::new("extractors")
        .state(probe.clone())
        .state(gate.clone())
        .state(Barrier::new(2))
        .tool(WhoamiTool)
        .tool(HangTool)
        .tool(StepsTool)
        .tool(HitTool)
        .tool(OrphanTool)
        .tool(GatedTool)
        .tool(MeetTool)
        .tool(LaterTool);
    Fixture { server, probe, gate }
}

fn server() -> McpServer {
    fixture().server
}

/// Polls `f` on the paused clock until it holds.
async fn eventually(what: &str, f: impl Fn() -> bool) {
    for _ in 0..200 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(start_paused = true)]
async fn request_context_carries_ids_meta_and_the_negotiated_version() {
    let handle = server().build().unwrap();
    let mut wire = Wire::initialized(&handle, "2025-03-26").await;
    let params = json!({"name": "whoami", "arguments": {}, "_meta": {"traceId": "t-1", "progressToken": 42}});
    let seen = wire.result(json!("req-7"), "tools/call", params).await["structuredContent"].clone();
    assert_eq!(seen["requestId"], json!("req-7"));
    assert_eq!(seen["method"], "tools/call");
    assert_eq!(seen["meta"], json!({"traceId": "t-1", "progressToken": 42}));
    assert_eq!(seen["progressToken"], json!(42));
    assert_eq!(seen["protocolVersion"], "2025-03-26");
    assert_eq!(seen["clientId"], "wire");
    assert_eq!(seen["clientInfo"], json!({"name": "wire", "version": "9.9.9"}));
    assert_eq!(seen["sessionId"], Value::Null, "the in-memory transport has no session ids");
    assert_eq!(seen["sampling"], false);
    assert_eq!(seen["cancelled"], false);

    let seen = wire.result(json!(8), "tools/call", json!({"name": "whoami"})).await["structuredContent"].clone();
    assert_eq!((seen["requestId"].clone(), seen["meta"].clone()), (json!(8), Value::Null));

    let client = TestClient::connect(server()).await.unwrap();
    let seen = client.call_tool("whoami", json!({})).await.unwrap()["structuredContent"].clone();
    assert_eq!(
        (seen["protocolVersion"].clone(), seen["clientId"].clone()),
        (json!("2025-11-25"), json!("test-client"))
    );
    assert_eq!(seen["sampling"], true);
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_request_gets_no_response_and_the_tool_stops() {
    let Fixture { server, probe, .. } = fixture();
    let client = TestClient::connect(server).await.unwrap();
    let mut call = client.start_tool_call("hang", json!({})).await;
    let first = call.next_progress().await.unwrap();
    assert_eq!(first["message"], "started");
    assert!(!probe.inner.stopped.load(Ordering::SeqCst));
    call.cancel("user pressed stop").await;
    assert!(call.response_within(QUIET * 2).await.is_none(), "a cancelled request is not answered");
    // The tool's future was dropped (its guard ran); no late progress; the session works.
    eventually("the tool to stop", || probe.inner.stopped.load(Ordering::SeqCst)).await;
    assert!(!client.messages().iter().any(|m| m["params"]["message"] == "too late"), "{:?}", client.messages());
    assert_eq!(client.request("ping", json!({})).await.unwrap(), json!({}));
}

#[tokio::test(start_paused = true)]
async fn cancellation_on_the_wire() {
    let handle = server().build().unwrap();
    let mut wire = Wire::initialized(&handle, "2025-11-25").await;
    let frame = json!({"jsonrpc":"2.0","id":"c1","method":"tools/call",
                       "params":{"name":"hang","arguments":{},"_meta":{"progressToken":"c1-progress"}}});
    wire.send_json(&frame).await;
    let started = wire.recv().await;
    assert_eq!(started["params"]["progressToken"], "c1-progress");
    // Cancelling an unknown id is ignored; cancelling the call silences it for good.
    wire.send(r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"c2"}}"#).await;
    wire.send(r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"c1","reason":"stop"}}"#)
        .await;
    wire.assert_quiet().await;
    // The id is free again once the request ended.
    assert_eq!(wire.result(json!("c1"), "ping", json!({})).await, json!({}));
    assert!(wire.skipped.is_empty(), "{:?}", wire.skipped);
}

#[tokio::test(start_paused = true)]
async fn progress_is_a_no_op_without_a_token_and_keeps_the_tokens_type() {
    let client = TestClient::connect(server()).await.unwrap();
    // Without a token: no notifications at all.
    let result = client.call_tool("steps", json!({"steps": 3})).await.unwrap();
    assert_eq!(result["content"][0]["text"], "3 steps, progress enabled: false");
    assert!(!client.messages().iter().any(|m| m["method"] == "notifications/progress"), "{:?}", client.messages());

    // An integer token (what the TS and Python clients send) comes back as an integer.
    let mut seen = Vec::new();
    let result = client.call_tool_with_progress("steps", json!({"steps": 3}), |p| seen.push(p.clone())).await.unwrap();
    assert_eq!(result["content"][0]["text"], "3 steps, progress enabled: true");
    assert_eq!(seen.len(), 3, "repeated values are dropped: {seen:?}");
    for (i, p) in seen.iter().enumerate() {
        assert!(p["progressToken"].is_i64(), "{p}");
        assert_eq!(p["progress"], json!((i + 1) as f64));
        assert_eq!(p["total"], json!(3.0));
        assert_eq!(p["message"], format!("step {}", i + 1));
    }

    // A string token stays a string, and progress precedes the response.
    let handle = server().build().unwrap();
    let mut wire = Wire::initialized(&handle, "2025-11-25").await;
    let params = json!({"name": "steps", "arguments": {"steps": 2}, "_meta": {"progressToken": "tok-1"}});
    wire.result(json!(1), "tools/call", params).await;
    let progress = wire.take_notifications("notifications/progress");
    let tokens: Vec<_> = progress.iter().map(|p| p["params"]["progressToken"].clone()).collect();
    assert_eq!(tokens, [json!("tok-1"), json!("tok-1")]);
    // A token that is neither string nor integer is ignored.
    let params = json!({"name": "steps", "arguments": {"steps": 1}, "_meta": {"progressToken": {"x": 1}}});
    let result = wire.result(json!(2), "tools/call", params).await;
    assert_eq!(result["content"][0]["text"], "1 steps, progress enabled: false");
    assert!(wire.take_notifications("notifications/progress").is_empty());
}

#[tokio::test(start_paused = true)]
async fn state_is_shared_across_calls_and_sessions() {
    let handle = server().build().unwrap();
    let a = TestClient::connect_handle(&handle, "2025-11-25").await.unwrap();
    let b = TestClient::connect_handle(&handle, "2025-06-18").await.unwrap();
    assert_eq!(a.call_tool("hit", json!({})).await.unwrap()["content"][0]["text"], "1");
    assert_eq!(b.call_tool("hit", json!({})).await.unwrap()["content"][0]["text"], "2");
    assert_eq!(a.call_tool("hit", json!({})).await.unwrap()["content"][0]["text"], "3");
    // Unregistered state is a server bug: masked, never a panic.
    assert_eq!(tool_error(&a.call_tool("orphan", json!({})).await.unwrap()), masked_internal());
}

#[tokio::test(start_paused = true)]
async fn a_slow_request_never_blocks_the_session() {
    let Fixture { server, gate, .. } = fixture();
    let client = TestClient::connect(server).await.unwrap();
    let blocked = client.start_tool_call("gated", json!({})).await;
    for _ in 0..5 {
        // Only runs out (the clock being paused) if the ping could never be answered.
        let ping = tokio::time::timeout(Duration::from_secs(2), client.request("ping", json!({}))).await;
        assert_eq!(ping.expect("a ping is answered while the gated call waits").unwrap(), json!({}));
        assert!(client.call_tool("hit", json!({})).await.is_ok());
    }
    // Two calls that can only finish together: they must run at the same time.
    let (x, y) = tokio::join!(client.call_tool("meet", json!({})), client.call_tool("meet", json!({})));
    assert_eq!(x.unwrap()["content"][0]["text"], "met");
    assert_eq!(y.unwrap()["content"][0]["text"], "met");
    // Open the gate: the slow call finally answers.
    gate.permits.add_permits(1);
    assert_eq!(blocked.response().await.unwrap()["content"][0]["text"], "through");
}

#[tokio::test(start_paused = true)]
async fn background_tasks_run_after_the_response() {
    let Fixture { server, probe, .. } = fixture();
    let client = TestClient::connect(server).await.unwrap();
    let result = client.call_tool("later", json!({})).await.unwrap();
    assert_eq!(result["content"][0]["text"], "answered");
    eventually("the background task", || probe.inner.log.lock().unwrap().len() == 2).await;
    assert_eq!(*probe.inner.log.lock().unwrap(), ["tool", "background"], "a failing task does not stop the next");
}
