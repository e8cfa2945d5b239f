//! The receiver, the tools and the server the webhook tests share.

use axum::extract::State as AxState;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;
use mcp_server::middleware::WebhookMiddleware;
const LATEST: &str = mcp_server::protocol::ProtocolVersion::LATEST.as_str();
use mcp_server::testing::TestClient;
use mcp_server::{tool, McpServer, Resource, ServerHandle, ToolError};
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// Echo the text back.
#[tool]
pub(crate) async fn echo(text: String) -> String {
    text
}

/// Decline every card.
#[tool]
pub(crate) async fn charge_card(customer_id: String) -> Result<String, ToolError> {
    Err(ToolError::new("CARD_DECLINED", format!("Card declined for {customer_id}")))
}

/// Fail with an error nobody handles (its text must never leave the server).
#[tool]
pub(crate) async fn leaky() -> Result<String, std::io::Error> {
    Err(std::io::Error::other("db password is hunter2"))
}

/// Sleep for a while.
#[tool]
pub(crate) async fn nap(ms: u64) -> String {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    "awake".into()
}

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Received {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub(crate) fn header(&self, name: &str) -> String {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
    }
}

#[derive(Default)]
pub(crate) struct Receiver {
    pub(crate) seen: Mutex<Vec<Received>>,
    /// Statuses to answer, in order; 200 once empty.
    pub(crate) script: Mutex<VecDeque<StatusCode>>,
    pub(crate) delay: Mutex<Duration>,
    pub(crate) arrived: Notify,
}

impl Receiver {
    pub(crate) fn seen(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }

    pub(crate) fn payloads(&self) -> Vec<Value> {
        self.seen().iter().map(Received::json).collect()
    }

    /// Waits until at least `n` requests arrived (or panics after 10 s).
    pub(crate) async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let notified = self.arrived.notified();
            let seen = self.seen();
            if seen.len() >= n {
                return seen;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "only {} of {n} webhook requests arrived", seen.len());
            let _ = tokio::time::timeout(left, notified).await;
        }
    }
}

pub(crate) async fn hook(
    AxState(r): AxState<Arc<Receiver>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let delay = *r.delay.lock().unwrap();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    r.seen.lock().unwrap().push(Received { headers, body: body.to_vec() });
    r.arrived.notify_waiters();
    let status = r.script.lock().unwrap().pop_front().unwrap_or(StatusCode::OK);
    if status.is_redirection() {
        // Somewhere that accepts anything: following the redirect would look like a delivery.
        return (status, [(axum::http::header::LOCATION, "/elsewhere")]).into_response();
    }
    status.into_response()
}

/// Starts a receiver on an ephemeral loopback port; returns it and its URL.
pub(crate) async fn receiver() -> (Arc<Receiver>, String) {
    let r = Arc::new(Receiver::default());
    let app = Router::new()
        .route("/hook", post(hook))
        .route("/elsewhere", axum::routing::any(|| async { StatusCode::OK }))
        .with_state(Arc::clone(&r));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (r, url)
}

/// A loopback URL where nothing listens (connection refused).
pub(crate) async fn dead_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/hook")
}

/// The test server behind `webhook`, and a client connected to it.
pub(crate) async fn connect(webhook: &WebhookMiddleware) -> (ServerHandle, TestClient) {
    let handle = McpServer::new("webhook-test")
        .middleware(webhook.clone())
        .tool(EchoTool)
        .tool(ChargeCardTool)
        .tool(LeakyTool)
        .tool(NapTool)
        .resource(Resource::text("test://doc", "doc", "text/plain", "hello"))
        .build()
        .unwrap();
    let client = TestClient::connect_handle(&handle, LATEST).await.unwrap();
    (handle, client)
}

/// Waits until `webhook.delivered()` reaches `n` (the counter moves once the receiver's answer
/// is in, just after it recorded the request), or panics after 10 s.
pub(crate) async fn delivered(webhook: &WebhookMiddleware, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while webhook.delivered() < n {
        assert!(Instant::now() < deadline, "delivered {} of {n}", webhook.delivered());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub(crate) fn by_event<'a>(payloads: &'a [Value], event: &str, tool: &str) -> Vec<&'a Value> {
    payloads.iter().filter(|p| p["event"] == event && p["tool"] == tool).collect()
}
