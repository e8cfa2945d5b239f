//! `CircuitBreakerMiddleware` through the wire: what a client sees in each state, the seed's
//! `SERVICE_UNAVAILABLE` handler, and correctness with a thousand calls in flight.
//!
//! The breaker reads Tokio's clock, so these tests run on a paused one and move it with
//! `tokio::time::advance`: a state or a retry hint never depends on how fast the machine is. The
//! one multi-threaded test uses a recovery timeout no run can reach.
#![allow(clippy::unwrap_used)]

use mcp_server::protocol::ResourceContents;
use mcp_server::testing::TestClient;
use mcp_server::{
    exception_handler, tool, CallError, CircuitBreakerMiddleware, CircuitOpenError, CircuitState, McpServer,
    RequestContext, Resource, State, ToolError,
};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Semaphore};

#[derive(Debug, thiserror::Error, ToolError)]
enum PayError {
    #[error("upstream unavailable")]
    #[tool_error(code = "UPSTREAM_ERROR", retryable, message = "The payment provider is unavailable.")]
    Upstream,
    #[error("card declined")]
    #[tool_error(code = "CARD_DECLINED", message = "The card was declined.")]
    Declined,
}

/// A simulated upstream: counts the calls that reach it; `gated_*` modes wait for a permit.
struct Upstream {
    calls: AtomicUsize,
    gate: Semaphore,
}

/// Calls the simulated upstream in the given mode.
#[tool]
async fn charge(mode: String, upstream: State<Arc<Upstream>>) -> Result<String, PayError> {
    upstream.calls.fetch_add(1, Ordering::SeqCst);
    if mode.starts_with("gated_") {
        upstream.gate.acquire().await.map_err(|_| PayError::Upstream)?.forget();
    }
    match mode.trim_start_matches("gated_") {
        "ok" => Ok("charged".into()),
        "decline" => Err(PayError::Declined),
        "slow_fail" => {
            tokio::time::sleep(Duration::from_millis(5)).await;
            Err(PayError::Upstream)
        }
        "panic" => panic!("provider SDK bug"),
        _ => Err(PayError::Upstream),
    }
}

/// The seed's handler: replaces `CIRCUIT_OPEN` with `SERVICE_UNAVAILABLE`.
#[exception_handler]
async fn handle_circuit_open(_ctx: &RequestContext, exc: &CircuitOpenError) -> ToolError {
    ToolError::new(
        "SERVICE_UNAVAILABLE",
        format!("Service temporarily unavailable. Retry in {}s.", exc.retry_after_secs()),
    )
    .retryable(true)
}

fn server(breaker: &CircuitBreakerMiddleware) -> (McpServer, Arc<Upstream>) {
    let upstream = Arc::new(Upstream { calls: AtomicUsize::new(0), gate: Semaphore::new(0) });
    let server = McpServer::new("payments").tool(ChargeTool).middleware(breaker.clone()).state(Arc::clone(&upstream));
    (server, upstream)
}

async fn call(client: &TestClient, mode: &str) -> Value {
    client.call_tool("charge", json!({ "mode": mode })).await.unwrap()
}

fn code(result: &Value) -> &str {
    result["structuredContent"]["error"]["code"].as_str().unwrap_or("<success>")
}

fn breaker(threshold: u32, recovery: Duration) -> CircuitBreakerMiddleware {
    CircuitBreakerMiddleware::new().failure_threshold(threshold).recovery_timeout(recovery)
}

#[tokio::test(start_paused = true)]
async fn open_circuit_on_the_wire_and_recovery() {
    let recovery = Duration::from_millis(300);
    let cb = breaker(3, recovery);
    let (server, upstream) = server(&cb);
    let client = TestClient::connect(server).await.unwrap();
    let failed = call(&client, "fail").await;
    assert_eq!(
        failed,
        json!({
            "content": [{"type": "text", "text": failed["content"][0]["text"]}],
            "structuredContent": {"error": {"code": "UPSTREAM_ERROR", "message": "The payment provider is unavailable.",
                                            "retryable": true}},
            "isError": true
        })
    );
    let text: Value = serde_json::from_str(failed["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(text, failed["structuredContent"], "the text block carries the same error object");
    for _ in 0..2 {
        assert_eq!(code(&call(&client, "fail").await), "UPSTREAM_ERROR");
    }
    assert_eq!(cb.get_state("charge"), CircuitState::Open);

    let rejected = call(&client, "ok").await;
    assert_eq!(rejected["isError"], true);
    assert_eq!(
        rejected["structuredContent"],
        json!({"error": {
            "code": "CIRCUIT_OPEN",
            "message": "Tool `charge` is temporarily unavailable: its circuit is open after repeated failures.",
            "retryable": true,
            "suggestion": "Retry in 1s.",
            "details": {"tool": "charge", "retry_after_seconds": 1}
        }})
    );
    assert_eq!(upstream.calls.load(Ordering::SeqCst), 3, "rejected calls never reach the upstream");

    // Rejected for the whole recovery timeout (the clock has not moved since the circuit opened).
    tokio::time::advance(recovery - Duration::from_millis(1)).await;
    assert_eq!(cb.get_state("charge"), CircuitState::Open);
    assert_eq!(code(&call(&client, "ok").await), "CIRCUIT_OPEN");
    assert_eq!(upstream.calls.load(Ordering::SeqCst), 3);
    tokio::time::advance(Duration::from_millis(1)).await;
    assert_eq!(cb.get_state("charge"), CircuitState::HalfOpen);
    let probe = call(&client, "ok").await;
    assert_eq!(probe["content"][0]["text"], "charged");
    assert_ne!(probe["isError"], true);
    assert_eq!(cb.get_state("charge"), CircuitState::Closed);
    assert_eq!(code(&call(&client, "ok").await), "<success>");
}

#[tokio::test(start_paused = true)]
async fn a_user_handler_replaces_circuit_open_with_service_unavailable() {
    let cb = breaker(2, Duration::from_secs(60));
    let (server, _) = server(&cb);
    let client = TestClient::connect(server.exception_handler(HandleCircuitOpenHandler)).await.unwrap();
    call(&client, "fail").await;
    call(&client, "panic").await;
    let rejected = call(&client, "ok").await;
    assert_eq!(
        rejected["structuredContent"],
        json!({"error": {"code": "SERVICE_UNAVAILABLE", "message": "Service temporarily unavailable. Retry in 60s.",
                         "retryable": true}})
    );
    assert_eq!(cb.get_state("charge"), CircuitState::Open);
}

#[tokio::test(start_paused = true)]
async fn domain_errors_never_open_the_circuit() {
    let cb = breaker(2, Duration::from_secs(60));
    let (server, upstream) = server(&cb);
    let client = TestClient::connect(server).await.unwrap();
    for _ in 0..20 {
        let declined = call(&client, "decline").await;
        assert_eq!(
            declined["structuredContent"],
            json!({"error": {"code": "CARD_DECLINED", "message": "The card was declined.", "retryable": false}})
        );
    }
    assert_eq!(cb.get_state("charge"), CircuitState::Closed);
    assert_eq!(cb.consecutive_failures("charge"), 0);
    // Declines in between do not reset the count either: only a success does.
    call(&client, "fail").await;
    call(&client, "decline").await;
    assert_eq!(cb.consecutive_failures("charge"), 1);
    call(&client, "ok").await;
    assert_eq!(cb.consecutive_failures("charge"), 0);
    assert_eq!(upstream.calls.load(Ordering::SeqCst), 23);
}

#[tokio::test(start_paused = true)]
async fn resources_never_go_through_the_breaker() {
    let reads = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&reads);
    let flaky = Resource::new("status://upstream", "upstream").read(move |_ctx| {
        let n = r.fetch_add(1, Ordering::SeqCst);
        async move {
            if n < 10 {
                Err(CallError::internal())
            } else {
                Ok(vec![ResourceContents::text("status://upstream", "text/plain", "up")])
            }
        }
    });
    let cb = breaker(1, Duration::from_secs(60));
    let (server, _) = server(&cb);
    let client = TestClient::connect(server.resource(flaky)).await.unwrap();
    for _ in 0..10 {
        assert!(client.read_resource("status://upstream").await.is_err());
    }
    let ok = client.read_resource("status://upstream").await.unwrap();
    assert_eq!(ok["contents"][0]["text"], "up");
    assert_eq!(cb.get_state("status://upstream"), CircuitState::Closed);
}

#[tokio::test(start_paused = true)]
async fn a_stale_success_does_not_close_the_circuit_while_the_probe_is_in_flight() {
    let recovery = Duration::from_millis(200);
    let cb = breaker(2, recovery);
    let (server, upstream) = server(&cb);
    let client = TestClient::connect(server).await.unwrap();
    // Admitted while closed; it succeeds only once released.
    let slow = client.start_tool_call("charge", json!({"mode": "gated_ok"})).await;
    while upstream.calls.load(Ordering::SeqCst) < 1 {
        tokio::task::yield_now().await;
    }
    call(&client, "fail").await;
    call(&client, "fail").await;
    assert_eq!(cb.get_state("charge"), CircuitState::Open);
    tokio::time::advance(recovery).await;
    let probe = client.start_tool_call("charge", json!({"mode": "gated_fail"})).await;
    while upstream.calls.load(Ordering::SeqCst) < 4 {
        tokio::task::yield_now().await;
    }
    assert_eq!(code(&call(&client, "ok").await), "CIRCUIT_OPEN", "one probe at a time");
    // The slow call admitted before the circuit opened succeeds now (the semaphore is fair: the
    // first waiter gets the first permit): the circuit must stay half-open.
    upstream.gate.add_permits(1);
    assert_eq!(code(&slow.response().await.unwrap()), "<success>");
    assert_eq!(cb.get_state("charge"), CircuitState::HalfOpen, "a stale success must not close the circuit");
    assert_eq!(code(&call(&client, "ok").await), "CIRCUIT_OPEN");
    upstream.gate.add_permits(1);
    assert_eq!(code(&probe.response().await.unwrap()), "UPSTREAM_ERROR");
    assert_eq!(cb.get_state("charge"), CircuitState::Open, "the failed probe re-opens the circuit");
    assert_eq!(upstream.calls.load(Ordering::SeqCst), 4);
}

/// Fires `n` concurrent calls, their starts spread over [`SPREAD_MS`] so that calls keep arriving
/// while others fail, open the circuit or probe; results arrive on the channel as they complete.
fn fire(client: &TestClient, n: usize, mode: &'static str) -> mpsc::UnboundedReceiver<Value> {
    let (tx, rx) = mpsc::unbounded_channel();
    for i in 0..n {
        let (client, tx) = (client.clone(), tx.clone());
        let delay = i as u64 % SPREAD_MS;
        tokio::spawn(async move {
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            let _ = tx.send(call(&client, mode).await);
        });
    }
    rx
}

/// Over how many milliseconds [`fire`] spreads its calls: longer than a `slow_fail` call, so the
/// later ones arrive after the circuit opened.
const SPREAD_MS: u64 = 20;

async fn collect(rx: &mut mpsc::UnboundedReceiver<Value>, n: usize) -> Vec<Value> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        out.push(tokio::time::timeout(Duration::from_secs(30), rx.recv()).await.unwrap().unwrap());
    }
    out
}

fn count(results: &[Value], wanted: &str) -> usize {
    results.iter().filter(|r| code(r) == wanted).count()
}

/// A thousand calls in flight at each transition, on the paused clock: one thread, but the calls
/// interleave at every await (admission, the upstream's sleep, the gate, every frame), and the
/// clock only moves when every call is waiting, so each phase ends in a state that can be asserted
/// exactly.
#[tokio::test(start_paused = true)]
async fn thousands_of_concurrent_calls_across_the_transitions() {
    const N: usize = 1000;
    let recovery = Duration::from_secs(1);
    let cb = breaker(5, recovery);
    let (server, upstream) = server(&cb);
    // One session with N calls in flight at once: well beyond the default per-session limit.
    let client = TestClient::connect(server.max_in_flight(N)).await.unwrap();

    // 1. The upstream is down: the circuit opens, and every call is answered exactly once.
    let results = collect(&mut fire(&client, N, "slow_fail"), N).await;
    let (failed, rejected) = (count(&results, "UPSTREAM_ERROR"), count(&results, "CIRCUIT_OPEN"));
    assert_eq!(failed + rejected, N, "every call is either an upstream error or rejected");
    assert_eq!(upstream.calls.load(Ordering::SeqCst), failed, "each admitted call reached the upstream once");
    assert!(failed >= 5, "at least the threshold reached the upstream ({failed})");
    assert!(rejected > 0, "calls arriving after the circuit opened are rejected");
    assert_eq!(cb.get_state("charge"), CircuitState::Open);

    // 2. Still open (the clock moved only SPREAD_MS): N calls are rejected, none reaches the upstream.
    let before = upstream.calls.load(Ordering::SeqCst);
    let results = collect(&mut fire(&client, N, "fail"), N).await;
    assert_eq!(upstream.calls.load(Ordering::SeqCst), before, "no call reached the upstream of an open circuit");
    assert_eq!(count(&results, "CIRCUIT_OPEN"), N);
    assert_eq!(cb.get_state("charge"), CircuitState::Open);

    // 3. Half-open: of N concurrent calls exactly one probe passes; it is held until the rest answered.
    tokio::time::advance(recovery).await;
    assert_eq!(cb.get_state("charge"), CircuitState::HalfOpen);
    let mut rx = fire(&client, N, "gated_ok");
    let early = collect(&mut rx, N - 1).await;
    assert_eq!(count(&early, "CIRCUIT_OPEN"), N - 1, "all but the probe are rejected while it is in flight");
    assert_eq!(upstream.calls.load(Ordering::SeqCst), before + 1, "exactly one probe");
    assert_eq!(cb.get_state("charge"), CircuitState::HalfOpen);
    upstream.gate.add_permits(1);
    let probe = collect(&mut rx, 1).await;
    assert_eq!(code(&probe[0]), "<success>");
    assert_eq!(cb.get_state("charge"), CircuitState::Closed);

    // 4. Closed again: N concurrent calls all pass; no failure is left over.
    let results = collect(&mut fire(&client, N, "ok"), N).await;
    assert_eq!(count(&results, "<success>"), N);
    assert_eq!(upstream.calls.load(Ordering::SeqCst), before + 1 + N);
    assert_eq!((cb.get_state("charge"), cb.consecutive_failures("charge")), (CircuitState::Closed, 0));

    // 5. A failing probe under load: re-opens, again with exactly one call reaching the upstream.
    let before = upstream.calls.load(Ordering::SeqCst);
    let results = collect(&mut fire(&client, N, "slow_fail"), N).await;
    let failed = count(&results, "UPSTREAM_ERROR");
    assert_eq!(failed + count(&results, "CIRCUIT_OPEN"), N);
    assert_eq!(upstream.calls.load(Ordering::SeqCst), before + failed);
    assert!((5..N).contains(&failed), "{failed} calls reached the upstream: at least the threshold, not the late ones");
    tokio::time::advance(recovery).await;
    let before = upstream.calls.load(Ordering::SeqCst);
    let mut rx = fire(&client, N, "gated_fail");
    let early = collect(&mut rx, N - 1).await;
    assert_eq!(count(&early, "CIRCUIT_OPEN"), N - 1);
    upstream.gate.add_permits(1);
    assert_eq!(code(&collect(&mut rx, 1).await[0]), "UPSTREAM_ERROR");
    assert_eq!(upstream.calls.load(Ordering::SeqCst), before + 1, "exactly one probe");
    assert_eq!(cb.get_state("charge"), CircuitState::Open);
    // A failed probe re-opens for a full timeout, counted from its failure.
    tokio::time::advance(recovery - Duration::from_millis(1)).await;
    assert_eq!(cb.get_state("charge"), CircuitState::Open, "a failed probe re-opens for a full timeout");
    tokio::time::advance(Duration::from_millis(1)).await;
    assert_eq!(cb.get_state("charge"), CircuitState::HalfOpen);
}

/// The same calls on four worker threads, so that admissions and results race for real. The
/// recovery timeout is an hour, out of reach of any run: only the failures move the circuit, and
/// the half-open transitions are left to the paused-clock test above.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousands_of_parallel_calls_open_reject_and_reset_consistently() {
    const N: usize = 1000;
    let cb = breaker(5, Duration::from_secs(3600));
    let (server, upstream) = server(&cb);
    let client = TestClient::connect(server.max_in_flight(N)).await.unwrap();

    let results = collect(&mut fire(&client, N, "slow_fail"), N).await;
    let (failed, rejected) = (count(&results, "UPSTREAM_ERROR"), count(&results, "CIRCUIT_OPEN"));
    assert_eq!(failed + rejected, N, "every call is either an upstream error or rejected");
    assert_eq!(upstream.calls.load(Ordering::SeqCst), failed, "each admitted call reached the upstream once");
    assert!(failed >= 5, "at least the threshold reached the upstream ({failed})");
    assert_eq!(cb.get_state("charge"), CircuitState::Open);

    let results = collect(&mut fire(&client, N, "fail"), N).await;
    assert_eq!(count(&results, "CIRCUIT_OPEN"), N);
    assert_eq!(upstream.calls.load(Ordering::SeqCst), failed, "no call reached the upstream of an open circuit");

    cb.reset("charge");
    let results = collect(&mut fire(&client, N, "ok"), N).await;
    assert_eq!(count(&results, "<success>"), N);
    assert_eq!(upstream.calls.load(Ordering::SeqCst), failed + N);
    assert_eq!((cb.get_state("charge"), cb.consecutive_failures("charge")), (CircuitState::Closed, 0));
}
