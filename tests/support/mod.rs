//! Helpers shared by the wire-level integration tests.
//!
//! [`Wire`] speaks raw JSON-RPC text over the in-memory transport (`ServerHandle::connect_memory`),
//! so tests can assert the exact bytes a client receives (id types, batch arrays, `null` ids);
//! `mcp_server::testing::TestClient` is used wherever a parsed view is enough.
//!
//! Time: everything here runs in-process (no sockets), so the tests run on Tokio's paused clock
//! (`#[tokio::test(start_paused = true)]`). A paused clock only moves when every task is idle,
//! which turns "no frame within [`PATIENCE`]" into "the frame can no longer come" and "nothing
//! arrived within [`QUIET`]" into "nothing arrived before the server had nothing left to do" —
//! true or false whatever the CPU load. [`Wire::recv_within`] and [`Wire::assert_quiet`] refuse
//! to run on a running clock; on one (a multi-threaded test), `PATIENCE` is a generous budget
//! for frames that must come.
#![allow(dead_code, reason = "each test binary uses a different subset of these helpers")]
#![allow(clippy::unwrap_used, clippy::panic, reason = "test helpers fail the test loudly")]

use mcp_server::transport::memory::MemoryTransport;
use mcp_server::ServerHandle;
use serde_json::{json, Value};
use std::time::Duration;

/// How long a test waits for a frame that must come. With a paused clock the wait only runs out
/// once the runtime is idle, i.e. when the frame can no longer come.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);
/// How long (in paused time) a test waits to be sure that a frame does not come; whatever a timer
/// due sooner would send still arrives within it.
pub(crate) const QUIET: Duration = Duration::from_millis(150);

/// Fails the test unless the Tokio clock is paused: on a running clock, a frame that does not
/// arrive within a budget may merely be late (a loaded machine), so silence proves nothing.
pub(crate) fn assert_clock_paused() {
    let frozen = tokio::time::Instant::now();
    let real = std::time::Instant::now();
    while real.elapsed().is_zero() {
        std::hint::spin_loop();
    }
    assert_eq!(
        tokio::time::Instant::now(),
        frozen,
        "waiting for silence needs a paused clock: use #[tokio::test(start_paused = true)]"
    );
}

/// A raw in-memory connection: frames in, frames out, nothing interpreted.
pub(crate) struct Wire {
    transport: MemoryTransport,
    /// Frames received while waiting for another one, in order.
    pub(crate) skipped: Vec<Value>,
}

impl Wire {
    /// Connects without initializing.
    pub(crate) fn open(handle: &ServerHandle) -> Self {
        Self { transport: handle.connect_memory(), skipped: Vec::new() }
    }

    /// Connects, initializes with `version` and sends `notifications/initialized`.
    pub(crate) async fn initialized(handle: &ServerHandle, version: &str) -> Self {
        let mut wire = Self::open(handle);
        let result = wire.initialize(version).await;
        assert_eq!(result["result"]["protocolVersion"], version, "{result}");
        wire.send_json(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;
        // Frames are read in order: once this ping is answered, the notification was handled.
        wire.result(json!("sync"), "ping", json!({})).await;
        wire
    }

    /// Sends `initialize` (id `"init"`) and returns the whole response message.
    pub(crate) async fn initialize(&mut self, version: &str) -> Value {
        self.call(
            json!("init"),
            "initialize",
            json!({"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "wire", "version": "9.9.9"}}),
        )
        .await
    }

    /// Sends one frame as is.
    pub(crate) async fn send(&self, frame: impl Into<String>) {
        self.transport.tx.send(frame.into()).await.unwrap();
    }

    /// Sends one JSON value as a frame.
    pub(crate) async fn send_json(&self, frame: &Value) {
        self.send(frame.to_string()).await;
    }

    /// The next frame's text; fails the test after [`PATIENCE`].
    pub(crate) async fn recv_text(&mut self) -> String {
        match tokio::time::timeout(PATIENCE, self.transport.rx.recv()).await {
            Ok(Some(text)) => text,
            Ok(None) => panic!("the server closed the connection"),
            Err(_) => panic!("no frame within {PATIENCE:?}"),
        }
    }

    /// The next frame, parsed.
    pub(crate) async fn recv(&mut self) -> Value {
        let text = self.recv_text().await;
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("server sent invalid JSON ({e}): {text}"))
    }

    /// The next frame if one comes within `wait` of paused time (see [`assert_clock_paused`]).
    pub(crate) async fn recv_within(&mut self, wait: Duration) -> Option<String> {
        assert_clock_paused();
        tokio::time::timeout(wait, self.transport.rx.recv()).await.ok().flatten()
    }

    /// Asserts that nothing arrives before the runtime is idle and [`QUIET`] of paused time has
    /// passed.
    pub(crate) async fn assert_quiet(&mut self) {
        if let Some(frame) = self.recv_within(QUIET).await {
            panic!("expected silence, got {frame}");
        }
    }

    /// Waits for the message whose `id` equals `id` (keeping everything else in `skipped`).
    pub(crate) async fn wait_for(&mut self, id: &Value) -> Value {
        loop {
            let msg = self.recv().await;
            if msg.get("id") == Some(id) && msg.get("method").is_none() {
                return msg;
            }
            self.skipped.push(msg);
        }
    }

    /// Sends a request and returns the whole response message (`result` or `error`).
    pub(crate) async fn call(&mut self, id: Value, method: &str, params: Value) -> Value {
        self.send_json(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})).await;
        self.wait_for(&id).await
    }

    /// Sends a request and returns its `result`; fails the test on an error response.
    pub(crate) async fn result(&mut self, id: Value, method: &str, params: Value) -> Value {
        let msg = self.call(id, method, params).await;
        assert!(msg.get("error").is_none(), "unexpected error: {msg}");
        msg["result"].clone()
    }

    /// The skipped messages with `method`, removed from `skipped`.
    pub(crate) fn take_notifications(&mut self, method: &str) -> Vec<Value> {
        let (hits, rest) = std::mem::take(&mut self.skipped).into_iter().partition(|m| m["method"] == method);
        self.skipped = rest;
        hits
    }
}

/// The `error.code` of a response message.
pub(crate) fn error_code(msg: &Value) -> i64 {
    msg["error"]["code"].as_i64().unwrap_or_else(|| panic!("not an error response: {msg}"))
}

/// The `{"error":{..}}` object of an `isError` tool result, after checking that the text block
/// and `structuredContent` carry the same object.
pub(crate) fn tool_error(result: &Value) -> Value {
    assert_eq!(result["isError"], true, "not an error result: {result}");
    let content = result["content"].as_array().unwrap();
    assert_eq!(content.len(), 1, "one text block: {result}");
    assert_eq!(content[0]["type"], "text");
    let text: Value = serde_json::from_str(content[0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(text, result["structuredContent"], "text and structuredContent differ");
    let object = result["structuredContent"].as_object().unwrap();
    assert_eq!(object.len(), 1, "only the `error` key: {result}");
    result["structuredContent"]["error"].clone()
}

/// The masked error every unhandled failure becomes.
pub(crate) fn masked_internal() -> Value {
    json!({"code": "INTERNAL_ERROR", "message": "An internal error occurred.", "retryable": false})
}
