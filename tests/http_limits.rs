//! HTTP sessions are bounded (issue 12, item 5): a session over its in-flight limit gets an
//! immediate, retryable error (429); idle sessions are closed by a periodic sweep even when no new
//! client arrives; the number of sessions is capped.
//!
//! These tests drive the axum router in-process (`tower::ServiceExt::oneshot`, no sockets), so
//! tokio's paused clock controls the idle timeout.
#![allow(clippy::unwrap_used, reason = "tests")]

use axum::body::Body;
use axum::Router;
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use mcp_server::transport::http::HttpConfig;
use mcp_server::{tool, McpServer, State};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tower::ServiceExt;

const VERSION: &str = mcp_server::protocol::ProtocolVersion::LATEST.as_str();

/// Waits until the test lets it through.
#[tool]
async fn wait(gate: State<Semaphore>) -> String {
    let _permit = gate.acquire().await;
    "through".into()
}

/// Counts how many of its calls ended without finishing (cancelled), then waits forever.
#[tool]
async fn hang(dropped: State<Dropped>) -> String {
    struct CountIfDropped(Arc<Semaphore>);
    impl Drop for CountIfDropped {
        fn drop(&mut self) {
            self.0.add_permits(1);
        }
    }
    let Dropped(counter) = &*dropped;
    let _count = CountIfDropped(Arc::clone(counter));
    std::future::pending::<()>().await;
    unreachable!()
}

struct Dropped(Arc<Semaphore>);

fn router(config: HttpConfig, max_in_flight: usize) -> (Router, Arc<Semaphore>) {
    let gate = Arc::new(Semaphore::new(0));
    let server = McpServer::new("limits").tool(WaitTool).shared_state(Arc::clone(&gate)).max_in_flight(max_in_flight);
    (server.build().unwrap().http_router(config), gate)
}

fn post(session: Option<&str>, body: &Value) -> Request<Body> {
    let mut req = Request::post("/mcp")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .header("mcp-protocol-version", VERSION);
    if let Some(id) = session {
        req = req.header("mcp-session-id", id);
    }
    req.body(Body::from(body.to_string())).unwrap()
}

async fn json(res: Response<Body>) -> Value {
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap()
}

async fn initialize(app: &Router) -> String {
    let body = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": VERSION, "capabilities": {}, "clientInfo": {"name": "limits", "version": "1"}}});
    let res = app.clone().oneshot(post(None, &body)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let id = res.headers()["mcp-session-id"].to_str().unwrap().to_string();
    let ack = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    assert_eq!(app.clone().oneshot(post(Some(&id), &ack)).await.unwrap().status(), StatusCode::ACCEPTED);
    id
}

fn call(id: u64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": "wait", "arguments": {}}})
}

#[tokio::test(start_paused = true)]
async fn a_session_over_its_in_flight_limit_gets_a_retryable_429() {
    let (app, gate) = router(HttpConfig::new(), 2);
    let session = initialize(&app).await;
    let held: Vec<_> = (1..=2).map(|id| tokio::spawn(app.clone().oneshot(post(Some(&session), &call(id))))).collect();
    // Both calls are in flight (waiting at the gate) once every task is idle.
    tokio::time::sleep(Duration::from_millis(1)).await;

    let res = app.clone().oneshot(post(Some(&session), &call(3))).await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers()["retry-after"], "1");
    let body = json(res).await;
    assert_eq!(body["id"], 3, "{body}");
    assert_eq!(body["error"]["code"], -32000);
    assert_eq!(body["error"]["data"], json!({"retryable": true, "maxInFlight": 2}));
    let ping = json!({"jsonrpc": "2.0", "id": "p", "method": "ping"});
    let res = app.clone().oneshot(post(Some(&session), &ping)).await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "at the limit every request is refused, not queued");

    // Nothing was queued for later: the held calls answer, and then the session has room again.
    gate.add_permits(3);
    for h in held {
        let res = h.await.unwrap().unwrap();
        assert_eq!(json(res).await["result"]["content"][0]["text"], "through");
    }
    let res = app.clone().oneshot(post(Some(&session), &call(4))).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json(res).await["result"]["content"][0]["text"], "through");
}

#[tokio::test(start_paused = true)]
async fn idle_sessions_are_swept_without_a_new_initialize() {
    let config = HttpConfig::new().session_idle_timeout(Duration::from_secs(60));
    let (app, _gate) = router(config, 8);
    let session = initialize(&app).await;
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});

    tokio::time::sleep(Duration::from_secs(30)).await;
    let res = app.clone().oneshot(post(Some(&session), &ping)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "active within the timeout");

    // Idle for longer than the timeout plus one sweep period (half the timeout).
    tokio::time::sleep(Duration::from_secs(60 + 31)).await;
    let res = app.clone().oneshot(post(Some(&session), &ping)).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "the sweep closed it; its id now answers 404");
}

#[tokio::test(start_paused = true)]
async fn the_number_of_sessions_is_capped() {
    let (app, _gate) = router(HttpConfig::new().max_sessions(2), 8);
    initialize(&app).await;
    initialize(&app).await;
    let body = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": VERSION, "capabilities": {}, "clientInfo": {"name": "limits", "version": "1"}}});
    let res = app.clone().oneshot(post(None, &body)).await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test(start_paused = true)]
async fn a_stateless_call_whose_client_goes_away_is_cancelled() {
    let dropped = Arc::new(Semaphore::new(0));
    let server = McpServer::new("stateless").tool(HangTool).shared_state(Arc::new(Dropped(Arc::clone(&dropped))));
    let app = server.build().unwrap().http_router(HttpConfig::new().stateless(true));
    let hang = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "hang", "arguments": {}}});
    let post = tokio::spawn(app.clone().oneshot(post(None, &hang)));
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(dropped.available_permits(), 0, "the call is running");
    // The client disconnects: the server drops the POST's handler.
    post.abort();
    let _ = post.await;
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(dropped.available_permits(), 1, "its session closed, and its call with it");
}
