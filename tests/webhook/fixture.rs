//! The receiver, the tools and the server the webhook tests share.
//!
//! Delivery goes over real TCP, so tokio's paused clock cannot drive these tests: they wait for
//! events (requests arrived, counters moved, shutdown flushed) with generous patience, and hold
//! the receiver's answers or a tool call open with gates instead of sleeping.

use axum::extract::State as AxState;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;
use mcp_server::middleware::{from_fn, Next, WebhookBuilder, WebhookMiddleware};
use mcp_server::testing::TestClient;
use mcp_server::{tool, CallToolRequest, McpServer, Resource, ServerHandle, State, ToolError};
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

const LATEST: &str = mcp_server::protocol::ProtocolVersion::LATEST.as_str();
/// How long a test waits for something that must happen.
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);
/// A time limit that never runs out within a test: a held delivery attempt stays held, and a
/// shutdown flush is never cut short because the machine is busy.
pub(crate) const NEVER: Duration = Duration::from_secs(3600);

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

/// Sleep for a while (a call that yields, and may resume on another worker thread).
#[tool]
pub(crate) async fn nap(ms: u64) -> String {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    "awake".into()
}

/// Wait until the test releases the call.
#[tool]
pub(crate) async fn hold(calls: State<Calls>) -> String {
    calls.release.acquire().await.expect("the semaphore is never closed").forget();
    "released".into()
}

/// What a test controls and observes about the calls of its server.
pub(crate) struct Calls {
    release: Semaphore,
    /// Request ids of the tool calls that returned through the webhook layer (cancelled too).
    finished: watch::Sender<Vec<String>>,
}

impl Calls {
    /// Lets one `hold` call return.
    pub(crate) fn release_one(&self) {
        self.release.add_permits(1);
    }

    /// Waits until the call with `id` has returned through the webhook layer, so whatever event
    /// it was going to queue is queued.
    pub(crate) async fn finished(&self, id: &str) {
        let mut rx = self.finished.subscribe();
        let done = tokio::time::timeout(PATIENCE, rx.wait_for(|f| f.iter().any(|i| i == id))).await;
        assert!(done.is_ok_and(|r| r.is_ok()), "call {id} did not return");
    }
}

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
    pub(crate) at: Instant,
}

impl Received {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub(crate) fn header(&self, name: &str) -> String {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
    }
}

/// The webhook endpoint: records every request on arrival, then answers once its gate is open.
pub(crate) struct Receiver {
    seen: Mutex<Vec<Received>>,
    arrivals: watch::Sender<usize>,
    /// Statuses to answer, in order; 200 once empty.
    pub(crate) script: Mutex<VecDeque<StatusCode>>,
    open: watch::Sender<bool>,
}

impl Receiver {
    pub(crate) fn seen(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }

    pub(crate) fn payloads(&self) -> Vec<Value> {
        self.seen().iter().map(Received::json).collect()
    }

    /// Holds every answer (requests still arrive and are recorded) until [`Receiver::open`].
    pub(crate) fn hold(&self) {
        self.open.send_replace(false);
    }

    pub(crate) fn open(&self) {
        self.open.send_replace(true);
    }

    /// Waits until at least `n` requests arrived.
    pub(crate) async fn wait_for(&self, n: usize) -> Vec<Received> {
        let mut rx = self.arrivals.subscribe();
        let arrived = tokio::time::timeout(PATIENCE, rx.wait_for(|&a| a >= n)).await;
        assert!(arrived.is_ok(), "only {} of {n} webhook requests arrived", self.seen().len());
        self.seen()
    }
}

async fn hook(
    AxState(r): AxState<Arc<Receiver>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    r.seen.lock().unwrap().push(Received { headers, body: body.to_vec(), at: Instant::now() });
    r.arrivals.send_modify(|n| *n += 1);
    let _ = r.open.subscribe().wait_for(|&open| open).await;
    let status = r.script.lock().unwrap().pop_front().unwrap_or(StatusCode::OK);
    if status.is_redirection() {
        // Somewhere that accepts anything: following the redirect would look like a delivery.
        return (status, [(axum::http::header::LOCATION, "/elsewhere")]).into_response();
    }
    status.into_response()
}

/// Starts a receiver on an ephemeral loopback port; returns it and its URL.
pub(crate) async fn receiver() -> (Arc<Receiver>, String) {
    let r = Arc::new(Receiver {
        seen: Mutex::default(),
        arrivals: watch::Sender::new(0),
        script: Mutex::default(),
        open: watch::Sender::new(true),
    });
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

/// A webhook for `url` whose attempts and shutdown flush are never cut short by a busy machine
/// (tests that are about those limits set their own).
pub(crate) fn builder(url: impl Into<String>) -> WebhookBuilder {
    WebhookMiddleware::builder(url).timeout(NEVER).shutdown_timeout(PATIENCE)
}

/// The test server behind a webhook, a client connected to it, and its [`Calls`].
pub(crate) struct Server {
    pub(crate) handle: ServerHandle,
    pub(crate) client: TestClient,
    pub(crate) calls: Arc<Calls>,
}

pub(crate) async fn connect(webhook: &WebhookMiddleware) -> Server {
    let calls = Arc::new(Calls { release: Semaphore::new(0), finished: watch::Sender::new(Vec::new()) });
    let record = Arc::clone(&calls);
    // Outside the webhook: it sees a call return only after the webhook queued its outcome.
    let finished = from_fn(move |req: CallToolRequest, next: Next<CallToolRequest>| {
        let record = Arc::clone(&record);
        async move {
            let id = req.context().request_id().to_string();
            let out = next.run(req).await;
            record.finished.send_modify(|f| f.push(id));
            out
        }
    });
    let handle = McpServer::new("webhook-test")
        .middleware(finished)
        .middleware(webhook.clone())
        .tool(EchoTool)
        .tool(ChargeCardTool)
        .tool(LeakyTool)
        .tool(NapTool)
        .tool(HoldTool)
        .shared_state(Arc::clone(&calls))
        .resource(Resource::text("test://doc", "doc", "text/plain", "hello"))
        .shutdown_deadline(2 * PATIENCE)
        .build()
        .unwrap();
    let client = TestClient::connect_handle(&handle, LATEST).await.unwrap();
    Server { handle, client, calls }
}

/// Waits until `cond` holds.
pub(crate) async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !cond() {
        assert!(Instant::now() < deadline, "still waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Waits until `webhook.delivered()` reaches `n` (the counter moves once the receiver's answer
/// is in, just after it recorded the request).
pub(crate) async fn delivered(webhook: &WebhookMiddleware, n: u64) {
    until(&format!("{n} events delivered"), || webhook.delivered() >= n).await;
}

/// Waits until the fate of `n` events is known (delivered or given up on): no attempt for them
/// is still to come.
pub(crate) async fn settled(webhook: &WebhookMiddleware, n: u64) {
    until(&format!("{n} events settled"), || webhook.delivered() + webhook.failed() >= n).await;
}

pub(crate) fn by_event<'a>(payloads: &'a [Value], event: &str, tool: &str) -> Vec<&'a Value> {
    payloads.iter().filter(|p| p["event"] == event && p["tool"] == tool).collect()
}

/// Seconds since the Unix epoch, as the payloads carry them.
pub(crate) fn unix_now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64()
}
