//! [`TestClient`]: drive a server in-process through the in-memory transport — real JSON frames,
//! the same codec and dispatch as the wire, no sockets.
//!
//! ```
//! use mcp_server::{tool, McpServer};
//! use mcp_server::testing::TestClient;
//!
//! /// Echo the text back.
//! #[tool]
//! async fn echo(text: String) -> String {
//!     text
//! }
//!
//! # tokio_test_block(async {
//! let client = TestClient::connect(McpServer::new("t").tool(EchoTool)).await.unwrap();
//! let result = client.call_tool("echo", serde_json::json!({"text": "hi"})).await.unwrap();
//! assert_eq!(result["content"][0]["text"], "hi");
//! # });
//! # fn tokio_test_block<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
//! # }
//! ```

use crate::jsonrpc::{encode_request, ErrorObject, RequestId};
use crate::protocol::ProtocolVersion;
use crate::{McpServer, ServerHandle};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot};

type RequestHandler = Arc<dyn Fn(Value) -> Result<Value, ErrorObject> + Send + Sync>;

/// Most messages kept for [`TestClient::messages`] (the oldest go first).
const LOG_CAPACITY: usize = 10_000;
/// Most progress notifications a call buffers before the test reads them (more are dropped,
/// with a warning: the client must never block the server).
const PROGRESS_CAPACITY: usize = 1024;

struct Inner {
    tx: mpsc::Sender<String>,
    next_id: AtomicI64,
    pending: Mutex<HashMap<String, oneshot::Sender<Value>>>,
    progress: Mutex<HashMap<String, mpsc::Sender<Value>>>,
    notifications: broadcast::Sender<Value>,
    log: Mutex<VecDeque<Value>>,
    handlers: Mutex<HashMap<String, RequestHandler>>,
    server: ServerHandle,
}

impl Inner {
    fn record(&self, m: &Value) {
        if let Ok(mut l) = self.log.lock() {
            if l.len() == LOG_CAPACITY {
                l.pop_front();
            }
            l.push_back(m.clone());
        }
    }
}

/// Errors a [`TestClient`] call can end with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server answered with a JSON-RPC error.
    #[error("{0}")]
    Rpc(ErrorObject),
    /// The connection closed before an answer.
    #[error("connection closed")]
    Closed,
    /// The server configuration is invalid.
    #[error(transparent)]
    Build(#[from] crate::error::BuildError),
}

/// An MCP client over the in-memory transport, for tests.
#[derive(Clone)]
pub struct TestClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for TestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestClient").finish_non_exhaustive()
    }
}

/// A `tools/call` in flight: cancel it or await its response.
#[derive(Debug)]
pub struct PendingCall {
    id: RequestId,
    rx: oneshot::Receiver<Value>,
    /// Only calls started with a `progressToken` have a progress feed.
    progress: Option<mpsc::Receiver<Value>>,
    client: TestClient,
}

fn key(id: &RequestId) -> String {
    id.to_value().to_string()
}

/// `tools/call` params, serialized straight into the frame (no `Value` detour on the hot path).
#[derive(Serialize)]
struct ToolCallParams<'a> {
    name: &'a str,
    arguments: &'a Value,
    #[serde(rename = "_meta", skip_serializing_if = "Option::is_none")]
    meta: Option<ProgressMeta<'a>>,
}

#[derive(Serialize)]
struct ProgressMeta<'a> {
    #[serde(rename = "progressToken")]
    progress_token: &'a RequestId,
}

impl TestClient {
    /// Builds `server`, connects and completes the `initialize` handshake (latest revision).
    ///
    /// # Cancellation safety
    /// Dropping the future drops the half-made connection.
    pub async fn connect(server: McpServer) -> Result<Self, ClientError> {
        let handle = server.build()?;
        Self::connect_handle(&handle, ProtocolVersion::LATEST.as_str()).await
    }

    /// Connects to a built server and initializes with `protocol_version`.
    ///
    /// # Cancellation safety
    /// Dropping the future drops the half-made connection.
    pub async fn connect_handle(handle: &ServerHandle, protocol_version: &str) -> Result<Self, ClientError> {
        let client = Self::connect_uninitialized(handle);
        let caps = json!({ "sampling": {}, "elicitation": {}, "roots": { "listChanged": true } });
        client
            .request(
                "initialize",
                json!({ "protocolVersion": protocol_version, "capabilities": caps,
                "clientInfo": { "name": "test-client", "version": "1.0.0" } }),
            )
            .await?;
        client.notify("notifications/initialized", json!({})).await;
        Ok(client)
    }

    /// Connects without sending `initialize`.
    pub fn connect_uninitialized(handle: &ServerHandle) -> Self {
        let transport = handle.connect_memory();
        let (notifications, _) = broadcast::channel(1024);
        let inner = Arc::new(Inner {
            tx: transport.tx,
            next_id: AtomicI64::new(1),
            pending: Mutex::new(HashMap::new()),
            progress: Mutex::new(HashMap::new()),
            notifications,
            log: Mutex::new(VecDeque::new()),
            handlers: Mutex::new(HashMap::new()),
            server: handle.clone(),
        });
        tokio::spawn(route(Arc::downgrade(&inner), transport.rx));
        Self { inner }
    }

    /// The server this client is connected to.
    pub fn server(&self) -> &ServerHandle {
        &self.inner.server
    }

    /// Sends a raw frame (anything: broken JSON, batches, …), waiting while the connection is
    /// full.
    ///
    /// # Cancellation safety
    /// Dropped while waiting, the frame is not sent.
    pub async fn send_raw(&self, frame: impl Into<String>) {
        let _ = self.inner.tx.send(frame.into()).await;
    }

    /// Sends a notification.
    ///
    /// # Cancellation safety
    /// As [`send_raw`](Self::send_raw).
    pub async fn notify(&self, method: &str, params: Value) {
        self.send_raw(json!({ "jsonrpc": "2.0", "method": method, "params": params }).to_string()).await;
    }

    /// Sends a raw frame and waits for the response with `id` (e.g. to test exotic ids).
    ///
    /// # Cancellation safety
    /// Dropping the future stops waiting; a late response is logged as unmatched.
    pub async fn send_raw_and_wait(&self, frame: impl Into<String>, id: &Value) -> Result<Value, ClientError> {
        let (tx, rx) = oneshot::channel();
        self.lock_pending().insert(id.to_string(), tx);
        self.send_raw(frame).await;
        rx.await.map_err(|_| ClientError::Closed)
    }

    /// The messages the server sent that were not responses to our requests, in order (the last
    /// 10 000).
    pub fn messages(&self) -> Vec<Value> {
        self.inner.log.lock().map(|l| l.iter().cloned().collect()).unwrap_or_default()
    }

    /// A live feed of server notifications (and unmatched messages).
    pub fn subscribe(&self) -> broadcast::Receiver<Value> {
        self.inner.notifications.subscribe()
    }

    /// Answers server→client requests for `method` (e.g. `sampling/createMessage`) with `f`.
    pub fn on_request<F>(&self, method: &str, f: F)
    where
        F: Fn(Value) -> Result<Value, ErrorObject> + Send + Sync + 'static,
    {
        if let Ok(mut h) = self.inner.handlers.lock() {
            h.insert(method.to_string(), Arc::new(f));
        }
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<Value>>> {
        self.inner.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers a new request id (and, with `with_progress`, a progress feed keyed by it).
    fn begin(&self, with_progress: bool) -> PendingCall {
        let id = RequestId::from(self.inner.next_id.fetch_add(1, Ordering::Relaxed));
        let (tx, rx) = oneshot::channel();
        self.lock_pending().insert(key(&id), tx);
        let progress = with_progress.then(|| {
            let (ptx, prx) = mpsc::channel(PROGRESS_CAPACITY);
            if let Ok(mut p) = self.inner.progress.lock() {
                p.insert(key(&id), ptx);
            }
            prx
        });
        PendingCall { id, rx, progress, client: self.clone() }
    }

    async fn send_request<P: Serialize>(&self, call: &PendingCall, method: &str, params: &P) {
        self.send_raw(encode_request(&call.id, method, Some(params))).await;
    }

    /// Sends a request and returns its `result` (or the JSON-RPC error).
    ///
    /// # Cancellation safety
    /// Dropping the future abandons the request; its response is ignored.
    pub async fn request(&self, method: &str, params: Value) -> Result<Value, ClientError> {
        let call = self.begin(false);
        self.send_request(&call, method, &params).await;
        call.response().await
    }

    /// `tools/list` (all pages).
    ///
    /// # Cancellation safety
    /// As [`request`](Self::request).
    pub async fn list_tools(&self) -> Result<Vec<Value>, ClientError> {
        self.list_all("tools/list", "tools").await
    }

    /// Follows `nextCursor` through every page of a `*/list` method.
    ///
    /// # Cancellation safety
    /// As [`request`](Self::request).
    pub async fn list_all(&self, method: &str, key: &str) -> Result<Vec<Value>, ClientError> {
        let mut items = Vec::new();
        let mut cursor: Option<Value> = None;
        loop {
            let params = cursor.take().map_or_else(|| json!({}), |c| json!({ "cursor": c }));
            let page = self.request(method, params).await?;
            items.extend(page[key].as_array().cloned().unwrap_or_default());
            match page.get("nextCursor") {
                Some(c) if !c.is_null() => cursor = Some(c.clone()),
                _ => return Ok(items),
            }
        }
    }

    /// `tools/call`: the result object (an `isError` result is still `Ok`).
    ///
    /// # Cancellation safety
    /// As [`request`](Self::request).
    pub async fn call_tool(&self, name: &str, arguments: Value) -> Result<Value, ClientError> {
        let call = self.begin(false);
        self.send_request(&call, "tools/call", &ToolCallParams { name, arguments: &arguments, meta: None }).await;
        call.response().await
    }

    /// Starts `tools/call` with a `progressToken`; cancel it or await it with [`PendingCall`].
    ///
    /// # Cancellation safety
    /// Dropped while waiting to send, the call is not sent.
    pub async fn start_tool_call(&self, name: &str, arguments: Value) -> PendingCall {
        let call = self.begin(true);
        let meta = Some(ProgressMeta { progress_token: &call.id });
        self.send_request(&call, "tools/call", &ToolCallParams { name, arguments: &arguments, meta }).await;
        call
    }

    /// `tools/call` with a `progressToken`, calling `on_progress` for each notification.
    ///
    /// # Cancellation safety
    /// As [`request`](Self::request).
    pub async fn call_tool_with_progress<F: FnMut(&Value)>(
        &self,
        name: &str,
        arguments: Value,
        mut on_progress: F,
    ) -> Result<Value, ClientError> {
        let mut call = self.start_tool_call(name, arguments).await;
        let Some(mut progress) = call.progress.take() else { return call.response().await };
        loop {
            tokio::select! {
                biased;
                Some(p) = progress.recv() => on_progress(&p),
                r = &mut call.rx => {
                    while let Ok(p) = progress.try_recv() { on_progress(&p); }
                    return unwrap_response(r);
                }
            }
        }
    }

    /// `resources/read`.
    ///
    /// # Cancellation safety
    /// As [`request`](Self::request).
    pub async fn read_resource(&self, uri: &str) -> Result<Value, ClientError> {
        self.request("resources/read", json!({ "uri": uri })).await
    }

    /// `prompts/get`.
    ///
    /// # Cancellation safety
    /// As [`request`](Self::request).
    pub async fn get_prompt(&self, name: &str, arguments: Value) -> Result<Value, ClientError> {
        self.request("prompts/get", json!({ "name": name, "arguments": arguments })).await
    }
}

fn unwrap_response(r: Result<Value, oneshot::error::RecvError>) -> Result<Value, ClientError> {
    let msg = r.map_err(|_| ClientError::Closed)?;
    // Moved out, not cloned: this runs once per call.
    let mut map = match msg {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    if let Some(result) = map.remove("result") {
        return Ok(result);
    }
    let err = map.remove("error").unwrap_or(Value::Null);
    Err(ClientError::Rpc(serde_json::from_value(err).unwrap_or_else(|_| ErrorObject::new(0, "malformed error"))))
}

impl PendingCall {
    /// The request id.
    pub fn id(&self) -> &RequestId {
        &self.id
    }

    /// Sends `notifications/cancelled` for this request.
    ///
    /// # Cancellation safety
    /// Dropped while waiting to send, the cancellation is not sent.
    pub async fn cancel(&self, reason: &str) {
        let params = json!({ "requestId": self.id.to_value(), "reason": reason });
        self.client.notify("notifications/cancelled", params).await;
    }

    /// Waits for the next progress notification's params (`None` once the call has finished,
    /// or at once for a call started without a `progressToken`).
    ///
    /// # Cancellation safety
    /// Cancellation safe: a notification not yet received stays queued.
    pub async fn next_progress(&mut self) -> Option<Value> {
        match &mut self.progress {
            Some(rx) => rx.recv().await,
            None => None,
        }
    }

    /// Waits for the response.
    ///
    /// # Cancellation safety
    /// Dropping the future abandons the request; its response is ignored.
    pub async fn response(self) -> Result<Value, ClientError> {
        unwrap_response(self.rx.await)
    }

    /// Waits up to `d` for a response: `None` when none came (what a cancelled call expects).
    ///
    /// # Cancellation safety
    /// As [`response`](Self::response).
    pub async fn response_within(self, d: Duration) -> Option<Result<Value, ClientError>> {
        tokio::time::timeout(d, self.rx).await.ok().map(unwrap_response)
    }
}

async fn route(inner: std::sync::Weak<Inner>, mut rx: mpsc::Receiver<String>) {
    while let Some(frame) = rx.recv().await {
        let Some(inner) = inner.upgrade() else { return };
        let Ok(msg) = serde_json::from_str::<Value>(&frame) else {
            tracing::error!(%frame, "server sent invalid JSON");
            continue;
        };
        match msg {
            Value::Array(items) => items.into_iter().for_each(|m| dispatch_one(&inner, m)),
            single => dispatch_one(&inner, single),
        }
    }
}

fn dispatch_one(inner: &Inner, m: Value) {
    let has_method = m.get("method").and_then(Value::as_str).map(str::to_string);
    match (m.get("id"), has_method) {
        (Some(id), Some(method)) => {
            let handler = inner.handlers.lock().ok().and_then(|h| h.get(&method).cloned());
            let out = match (method.as_str(), handler) {
                (_, Some(h)) => match h(m.get("params").cloned().unwrap_or(Value::Null)) {
                    Ok(r) => json!({ "jsonrpc": "2.0", "id": id, "result": r }),
                    Err(e) => json!({ "jsonrpc": "2.0", "id": id, "error": e }),
                },
                ("ping", None) => json!({ "jsonrpc": "2.0", "id": id, "result": {} }),
                _ => json!({ "jsonrpc": "2.0", "id": id, "error": { "code": -32601, "message": "Method not found" } }),
            };
            inner.record(&m);
            // Sent from its own task: the router must never wait on the server, which may be
            // waiting for the router to read.
            let tx = inner.tx.clone();
            tokio::spawn(async move { tx.send(out.to_string()).await });
        }
        (Some(id), None) => {
            let key = id.to_string();
            let waiter = inner.pending.lock().ok().and_then(|mut p| p.remove(&key));
            match waiter {
                Some(tx) => {
                    // The call is over: its progress feed closes (progress always precedes it).
                    if let Ok(mut p) = inner.progress.lock() {
                        p.remove(&key);
                    }
                    let _ = tx.send(m);
                }
                None => {
                    inner.record(&m);
                    let _ = inner.notifications.send(m);
                }
            }
        }
        (None, _) => {
            if m["method"] == "notifications/progress" {
                let token = m["params"]["progressToken"].to_string();
                if let Some(tx) = inner.progress.lock().ok().and_then(|p| p.get(&token).cloned()) {
                    if tx.try_send(m["params"].clone()).is_err() {
                        tracing::warn!(%token, "test client: progress notification dropped (feed full or closed)");
                    }
                }
            }
            inner.record(&m);
            let _ = inner.notifications.send(m);
        }
    }
}
