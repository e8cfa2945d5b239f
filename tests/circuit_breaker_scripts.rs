//! The circuit breaker end to end, through a `TestClient`, with scripted hand-written tools and a
//! paused clock: which outcomes count, the single half-open probe, dropped and cancelled calls.
#![allow(clippy::unwrap_used, reason = "tests")]

use futures_util::future::BoxFuture;
use mcp_server::protocol::CallToolResult;
use mcp_server::testing::TestClient;
use mcp_server::{
    CallError, CallToolRequest, CircuitBreakerMiddleware, CircuitState, FailureKind, McpServer, NoArgs, Tool,
    ToolDefinition, ToolError, ToolResult,
};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What the scripted tool does on one call.
#[derive(Clone, Copy)]
enum Step {
    Ok,
    UpstreamDown,
    Declined,
    Panic,
}
use Step::{Declined, Panic, UpstreamDown};

/// A hand-written tool that plays its script, one step per call (the last step forever).
struct Scripted {
    name: &'static str,
    delay: Duration,
    script: Vec<Step>,
    calls: Arc<AtomicUsize>,
}

impl Tool for Scripted {
    fn definition(&self) -> ToolDefinition {
        ToolDefinition::new::<NoArgs>(self.name, "scripted")
    }
    fn call<'a>(&'a self, _req: &'a CallToolRequest) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            let error = |code, retryable| CallError::tool(ToolError::new(code, code).retryable(retryable));
            match self.script[n.min(self.script.len() - 1)] {
                Step::Ok => Ok(CallToolResult::text("ok")),
                UpstreamDown => Err(error("UPSTREAM_ERROR", true)),
                Declined => Err(error("CARD_DECLINED", false)),
                Panic => panic!("boom"),
            }
        })
    }
}

fn tool(name: &'static str, delay: Duration, script: Vec<Step>) -> (Scripted, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    (Scripted { name, delay, script, calls: Arc::clone(&calls) }, calls)
}

fn code(result: &Value) -> &str {
    result["structuredContent"]["error"]["code"].as_str().unwrap_or("<success>")
}

fn breaker() -> CircuitBreakerMiddleware {
    CircuitBreakerMiddleware::new().failure_threshold(3).recovery_timeout(Duration::from_secs(30))
}

#[tokio::test(start_paused = true)]
async fn opens_rejects_probes_and_closes() {
    let cb = breaker();
    let (t, calls) = tool("pay", Duration::ZERO, vec![UpstreamDown, UpstreamDown, UpstreamDown, Step::Ok]);
    let client = TestClient::connect(McpServer::new("t").tool(t).middleware(cb.clone())).await.unwrap();
    for _ in 0..3 {
        assert_eq!(code(&client.call_tool("pay", json!({})).await.unwrap()), "UPSTREAM_ERROR");
    }
    assert_eq!(cb.get_state("pay"), CircuitState::Open);
    let rejected = client.call_tool("pay", json!({})).await.unwrap();
    assert_eq!(rejected["isError"], true);
    assert_eq!(
        rejected["structuredContent"]["error"],
        json!({"code": "CIRCUIT_OPEN", "retryable": true,
               "message": "Tool `pay` is temporarily unavailable: its circuit is open after repeated failures.",
               "suggestion": "Retry in 30s.",
               "details": {"tool": "pay", "retry_after_seconds": 30}})
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3, "an open circuit never reaches the tool");
    tokio::time::advance(Duration::from_secs(30)).await;
    assert_eq!(cb.get_state("pay"), CircuitState::HalfOpen);
    assert_eq!(code(&client.call_tool("pay", json!({})).await.unwrap()), "<success>");
    assert_eq!(cb.get_state("pay"), CircuitState::Closed);
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[tokio::test(start_paused = true)]
async fn domain_errors_cancellations_and_excluded_tools_never_open() {
    let cb = breaker().excluded_tools(["health"]);
    let (declines, _) = tool("pay", Duration::ZERO, vec![Declined]);
    let (health, health_calls) = tool("health", Duration::ZERO, vec![UpstreamDown]);
    let (slow, slow_calls) = tool("slow", Duration::from_secs(60), vec![UpstreamDown]);
    let server = McpServer::new("t").tool(declines).tool(health).tool(slow).middleware(cb.clone());
    let client = TestClient::connect(server).await.unwrap();
    for _ in 0..10 {
        assert_eq!(code(&client.call_tool("pay", json!({})).await.unwrap()), "CARD_DECLINED");
        assert_eq!(code(&client.call_tool("health", json!({})).await.unwrap()), "UPSTREAM_ERROR");
    }
    for _ in 0..5 {
        let call = client.start_tool_call("slow", json!({})).await;
        tokio::time::sleep(Duration::from_millis(10)).await;
        call.cancel("user changed their mind").await;
        // Past the tool's 60 s: a call that was not stopped would have answered.
        assert!(call.response_within(Duration::from_secs(120)).await.is_none());
    }
    assert_eq!(slow_calls.load(Ordering::SeqCst), 5, "each cancelled call had reached the tool");
    assert_eq!((cb.get_state("pay"), cb.consecutive_failures("pay")), (CircuitState::Closed, 0));
    assert_eq!(cb.get_state("health"), CircuitState::Closed);
    assert_eq!(health_calls.load(Ordering::SeqCst), 10);
    assert_eq!((cb.get_state("slow"), cb.consecutive_failures("slow")), (CircuitState::Closed, 0));
}

#[tokio::test(start_paused = true)]
async fn panics_count_and_a_failed_probe_reopens_for_a_full_timeout() {
    let cb = breaker();
    let (t, calls) = tool("pay", Duration::ZERO, vec![Panic]);
    let client = TestClient::connect(McpServer::new("t").tool(t).middleware(cb.clone())).await.unwrap();
    for _ in 0..3 {
        assert_eq!(code(&client.call_tool("pay", json!({})).await.unwrap()), "INTERNAL_ERROR");
    }
    assert_eq!(cb.get_state("pay"), CircuitState::Open);
    tokio::time::advance(Duration::from_secs(30)).await;
    assert_eq!(code(&client.call_tool("pay", json!({})).await.unwrap()), "INTERNAL_ERROR");
    assert_eq!(cb.get_state("pay"), CircuitState::Open);
    let r = client.call_tool("pay", json!({})).await.unwrap();
    assert_eq!(r["structuredContent"]["error"]["details"]["retry_after_seconds"], 30);
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[tokio::test(start_paused = true)]
async fn one_probe_at_a_time_and_a_dropped_probe_is_released() {
    let cb = breaker();
    let (t, calls) = tool("pay", Duration::from_secs(5), vec![UpstreamDown, UpstreamDown, UpstreamDown, Step::Ok]);
    let client = TestClient::connect(McpServer::new("t").tool(t).middleware(cb.clone())).await.unwrap();
    for _ in 0..3 {
        client.call_tool("pay", json!({})).await.unwrap();
    }
    tokio::time::advance(Duration::from_secs(30)).await;
    // The probe is cancelled by the client: neither success nor failure, so the slot is released.
    let probe = client.start_tool_call("pay", json!({})).await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(code(&client.call_tool("pay", json!({})).await.unwrap()), "CIRCUIT_OPEN");
    probe.cancel("gone").await;
    // Past the tool's 5 s: a probe that was not stopped would have answered.
    assert!(probe.response_within(Duration::from_secs(10)).await.is_none());
    assert_eq!(cb.get_state("pay"), CircuitState::HalfOpen);
    // The next call becomes the probe and closes the circuit.
    assert_eq!(code(&client.call_tool("pay", json!({})).await.unwrap()), "<success>");
    assert_eq!(cb.get_state("pay"), CircuitState::Closed);
    assert_eq!(calls.load(Ordering::SeqCst), 5);
}

#[tokio::test(start_paused = true)]
async fn reset_and_reset_all_close_circuits() {
    let cb = breaker().failure_threshold(1);
    let (a, _) = tool("a", Duration::ZERO, vec![UpstreamDown]);
    let (b, _) = tool("b", Duration::ZERO, vec![UpstreamDown]);
    let client = TestClient::connect(McpServer::new("t").tool(a).tool(b).middleware(cb.clone())).await.unwrap();
    client.call_tool("a", json!({})).await.unwrap();
    client.call_tool("b", json!({})).await.unwrap();
    assert_eq!((cb.get_state("a"), cb.get_state("b")), (CircuitState::Open, CircuitState::Open));
    assert!(cb.open_for("a").is_some());
    cb.reset("a");
    assert_eq!((cb.get_state("a"), cb.get_state("b")), (CircuitState::Closed, CircuitState::Open));
    cb.reset_all();
    assert_eq!(cb.get_state("b"), CircuitState::Closed);
    assert_eq!(cb.get_state("never-called"), CircuitState::Closed);
}

#[test]
fn default_classification() {
    let tool = |retryable| CallError::tool(ToolError::new("X", "x").retryable(retryable));
    let is = CircuitBreakerMiddleware::default_is_failure;
    assert!(is(&tool(true)) && !is(&tool(false)));
    assert!(is(&CallError::internal()) && is(&CallError::timeout("slow")));
    assert!(is(&CallError::new(FailureKind::Panic, ToolError::internal())));
    for kind in [
        FailureKind::Validation,
        FailureKind::Authentication,
        FailureKind::AccessDenied,
        FailureKind::RateLimited,
        FailureKind::CircuitOpen,
        FailureKind::Cancelled,
        FailureKind::Protocol,
    ] {
        assert!(!is(&CallError::new(kind, ToolError::new("X", "x").retryable(true))), "{kind:?}");
    }
}
