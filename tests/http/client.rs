//! A small streamable-HTTP MCP client for the tests: sessions, raw POST/GET/DELETE, SSE parsing.

use mcp_server::transport::http::HttpConfig;
use mcp_server::transport::ServeError;
use mcp_server::{McpServer, ServerHandle};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub(crate) const LATEST: &str = mcp_server::protocol::ProtocolVersion::LATEST.as_str();
/// How long a test waits for something that must happen.
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);

/// A server on 127.0.0.1:0, stopped by `stop()` (graceful shutdown).
pub(crate) struct TestServer {
    pub(crate) url: String,
    pub(crate) base: String,
    pub(crate) handle: ServerHandle,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), ServeError>>,
}

impl TestServer {
    pub(crate) async fn start(server: McpServer, config: HttpConfig) -> Self {
        let handle = server.build().unwrap();
        Self::start_handle(handle, config).await
    }

    pub(crate) async fn start_handle(handle: ServerHandle, config: HttpConfig) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let path = config.endpoint_path().to_string();
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = handle.clone();
        let task = tokio::spawn(async move {
            serving
                .serve_http_listener(listener, config, async move {
                    let _ = stopped.await;
                })
                .await
        });
        Self { url: format!("http://{addr}{path}"), base: format!("http://{addr}"), handle, stop: Some(stop), task }
    }

    /// Begins graceful shutdown and returns the serving task to await.
    pub(crate) fn begin_stop(&mut self) -> &mut JoinHandle<Result<(), ServeError>> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        &mut self.task
    }

    pub(crate) async fn stop(mut self) {
        let task = self.begin_stop();
        tokio::time::timeout(PATIENCE, task).await.unwrap().unwrap().unwrap();
    }
}

pub(crate) fn initialize_body(version: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": version,
        "capabilities": {"sampling": {}, "elicitation": {}, "roots": {}},
        "clientInfo": {"name": "http-test", "version": "1.0.0"}}})
}

/// A client session (or none, for stateless servers).
#[derive(Clone)]
pub(crate) struct Session {
    pub(crate) http: reqwest::Client,
    pub(crate) url: String,
    pub(crate) id: Option<String>,
    pub(crate) version: &'static str,
}

impl Session {
    /// A session-less client (stateless servers, or tests of the initialize request itself).
    pub(crate) fn none(url: &str, version: &'static str) -> Self {
        Self { http: reqwest::Client::new(), url: url.to_string(), id: None, version }
    }

    /// Initializes and sends `notifications/initialized`.
    pub(crate) async fn open(url: &str, version: &'static str) -> Self {
        let mut s = Self::none(url, version);
        let res = s.post(&initialize_body(version)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        s.id = res.headers().get("mcp-session-id").map(|v| v.to_str().unwrap().to_string());
        assert!(s.id.is_some(), "initialize must issue Mcp-Session-Id");
        let init: Value = res.json().await.unwrap();
        assert_eq!(init["result"]["protocolVersion"], version);
        assert_eq!(s.notify("notifications/initialized", json!({})).await, StatusCode::ACCEPTED);
        s
    }

    /// A POST with the usual headers (session, protocol version, Accept for JSON and SSE).
    pub(crate) fn post(&self, body: &Value) -> reqwest::RequestBuilder {
        self.post_with(body.to_string(), &[])
    }

    /// A POST whose headers `overrides` replace the usual ones (an empty value removes one).
    pub(crate) fn post_with(&self, body: String, overrides: &[(&str, &str)]) -> reqwest::RequestBuilder {
        let base = [("content-type", "application/json"), ("accept", "application/json, text/event-stream")];
        self.with_headers(self.http.post(&self.url).body(body), &base, overrides)
    }

    /// A GET for the session's SSE stream.
    pub(crate) fn get(&self) -> reqwest::RequestBuilder {
        self.get_with(&[])
    }

    /// A GET with `overrides` (see [`Session::post_with`]).
    pub(crate) fn get_with(&self, overrides: &[(&str, &str)]) -> reqwest::RequestBuilder {
        self.with_headers(self.http.get(&self.url), &[("accept", "text/event-stream")], overrides)
    }

    fn with_headers(
        &self,
        mut req: reqwest::RequestBuilder,
        base: &[(&str, &str)],
        overrides: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        let session = self.id.clone().unwrap_or_default();
        let usual =
            base.iter().copied().chain([("mcp-protocol-version", self.version), ("mcp-session-id", session.as_str())]);
        for (name, value) in
            usual.filter(|(n, _)| !overrides.iter().any(|(o, _)| o == n)).chain(overrides.iter().copied())
        {
            if !value.is_empty() {
                req = req.header(name, value);
            }
        }
        req
    }

    pub(crate) async fn delete(&self) -> StatusCode {
        let mut req = self.http.delete(&self.url).header("mcp-protocol-version", self.version);
        if let Some(id) = &self.id {
            req = req.header("mcp-session-id", id);
        }
        req.send().await.unwrap().status()
    }

    pub(crate) async fn notify(&self, method: &str, params: Value) -> StatusCode {
        let body = json!({"jsonrpc": "2.0", "method": method, "params": params});
        self.post(&body).send().await.unwrap().status()
    }

    /// Sends a request and returns the response message (from JSON or from the SSE stream).
    pub(crate) async fn request(&self, id: i64, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let res = self.post(&body).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{method}");
        response_of(res, id).await
    }

    pub(crate) async fn call_tool(&self, id: i64, name: &str, arguments: Value) -> Value {
        self.request(id, "tools/call", json!({"name": name, "arguments": arguments})).await
    }
}

/// The response with `id` in a JSON or SSE answer.
pub(crate) async fn response_of(res: reqwest::Response, id: i64) -> Value {
    if is_sse(&res) {
        let mut sse = Sse::new(res);
        while let Some(msg) = sse.next_message().await {
            if msg["id"] == id && msg.get("method").is_none() {
                return msg;
            }
        }
        panic!("the SSE stream ended without the response to {id}");
    }
    res.json().await.unwrap()
}

pub(crate) fn is_sse(res: &reqwest::Response) -> bool {
    res.headers().get("content-type").is_some_and(|v| v.to_str().unwrap().starts_with("text/event-stream"))
}

/// One server-sent event.
#[derive(Debug, Clone, Default)]
pub(crate) struct Event {
    pub(crate) id: Option<String>,
    pub(crate) retry: Option<u64>,
    pub(crate) data: String,
}

impl Event {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap()
    }
}

/// Reads an SSE response event by event.
pub(crate) struct Sse {
    res: reqwest::Response,
    buf: String,
}

impl Sse {
    pub(crate) fn new(res: reqwest::Response) -> Self {
        assert!(is_sse(&res), "expected an SSE response, got {:?}", res.headers());
        Self { res, buf: String::new() }
    }

    /// The next event; `None` when the server ended the stream.
    pub(crate) async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut event = Event::default();
                let mut seen = false;
                for line in block.lines() {
                    let (field, value) = line.split_once(':').unwrap_or((line, ""));
                    let value = value.strip_prefix(' ').unwrap_or(value);
                    match field {
                        "" => continue, // a comment (keep-alive)
                        "id" => event.id = Some(value.to_string()),
                        "retry" => event.retry = value.parse().ok(),
                        "data" => {
                            if !event.data.is_empty() {
                                event.data.push('\n');
                            }
                            event.data.push_str(value);
                        }
                        _ => {}
                    }
                    seen = true;
                }
                if seen {
                    return Some(event);
                }
                continue;
            }
            let chunk = tokio::time::timeout(PATIENCE, self.res.chunk()).await.expect("SSE event in time");
            match chunk.unwrap() {
                Some(bytes) => self.buf.push_str(std::str::from_utf8(&bytes).unwrap()),
                None => return None,
            }
        }
    }

    /// The next event carrying a message (priming events skipped).
    pub(crate) async fn next_message(&mut self) -> Option<Value> {
        loop {
            let event = self.next().await?;
            if !event.data.trim().is_empty() {
                return Some(event.json());
            }
        }
    }

    /// The next message and its event id.
    pub(crate) async fn next_with_id(&mut self) -> Option<(Option<String>, Value)> {
        loop {
            let event = self.next().await?;
            if !event.data.trim().is_empty() {
                return Some((event.id.clone(), event.json()));
            }
        }
    }
}
