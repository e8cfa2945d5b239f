//! Streamable HTTP (MCP 2025-03-26 … 2025-11-25) on axum.
//!
//! One endpoint (default `/mcp`):
//! - **POST** carries one JSON-RPC message (or, under 2025-03-26, a batch). Requests are answered
//!   with JSON, or with an SSE stream when they may produce related messages on the way
//!   (`tools/call`, `resources/read`, `prompts/get`: progress, logs, sampling, elicitation, roots
//!   requests). Notifications and responses get `202 Accepted`.
//! - **GET** opens the session's SSE stream for server-initiated messages (list changes, resource
//!   updates), or with `Last-Event-ID` resumes any stream of the session where it broke off.
//! - **DELETE** ends the session.
//!
//! Sessions (`Mcp-Session-Id`) are created by `initialize`; a request without the header gets 400,
//! an unknown or deleted id 404. `MCP-Protocol-Version` may name any supported revision (absent:
//! 2025-03-26), anything else gets 400. `Host` and `Origin` are checked against DNS rebinding
//! (403). Bodies above the limit get 413. A session over its in-flight limit gets 429 with a
//! retryable JSON-RPC error; sessions idle past [`HttpConfig::session_idle_timeout`] are closed, and
//! at most [`HttpConfig::max_sessions`] exist at once. [`HttpConfig::stateless`] drops sessions
//! altogether for horizontally scaled deployments. Probes for orchestrators answer at `/healthz`
//! and `/readyz`.
//!
//! Mount the endpoint in your own axum app (and wrap it in tower-http layers) with
//! [`ServerHandle::http_router`](crate::ServerHandle::http_router), or serve it in one call with
//! [`ServerHandle::serve_http`](crate::ServerHandle::serve_http):
//!
//! ```no_run
//! use mcp_server::McpServer;
//! use mcp_server::transport::http::HttpConfig;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let handle = McpServer::new("hello").build()?;
//! let app = axum::Router::new().merge(handle.http_router(HttpConfig::default()));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

mod config;
mod origin;
mod post;
mod probes;
mod service;
mod sessions;
mod sse;

pub use config::HttpConfig;

use crate::jsonrpc::{ErrorObject, SERVER_ERROR};
use crate::protocol::ProtocolVersion;
use crate::ServerHandle;
use axum::body::Body;
use axum::response::Response;
use http::header::{HeaderName, ACCEPT, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, StatusCode};
use sessions::SessionStore;

/// `Mcp-Session-Id`.
pub(crate) const SESSION_ID: HeaderName = HeaderName::from_static("mcp-session-id");
/// `MCP-Protocol-Version`.
pub(crate) const PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");
/// `Last-Event-ID`.
pub(crate) const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");

/// What one mounted endpoint shares between requests.
pub(crate) struct HttpState {
    pub(crate) handle: ServerHandle,
    pub(crate) config: HttpConfig,
    pub(crate) sessions: SessionStore,
}

/// A JSON-RPC error (id `null`) as the body of an HTTP error status.
pub(crate) fn error_response(status: StatusCode, code: i64, message: &str) -> Response {
    let body = crate::jsonrpc::encode_error(None, &ErrorObject::new(code, message));
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = status;
    res.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}

/// `400 Bad Request` with a JSON-RPC error body.
pub(crate) fn bad_request(message: &str) -> Response {
    error_response(StatusCode::BAD_REQUEST, SERVER_ERROR, message)
}

/// A refused request, before it becomes a [`Response`] (small, so `Result`s stay cheap).
#[derive(Debug)]
pub(crate) struct Reject {
    status: StatusCode,
    code: i64,
    message: std::borrow::Cow<'static, str>,
}

impl Reject {
    pub(crate) fn new(status: StatusCode, code: i64, message: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        Self { status, code, message: message.into() }
    }

    pub(crate) fn into_response(self) -> Response {
        error_response(self.status, self.code, &self.message)
    }
}

/// A status with an empty body.
pub(crate) fn status_only(status: StatusCode) -> Response {
    let mut res = Response::new(Body::empty());
    *res.status_mut() = status;
    res
}

fn header_str<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// The `MCP-Protocol-Version` header: `Ok(None)` when absent (2025-03-26 is assumed), an error
/// response when it names no supported revision.
pub(crate) fn protocol_version(headers: &HeaderMap) -> Result<Option<ProtocolVersion>, Reject> {
    let Some(value) = headers.get(&PROTOCOL_VERSION) else { return Ok(None) };
    let text = value.to_str().map(str::trim).unwrap_or_default();
    match text.parse() {
        Ok(v) => Ok(Some(v)),
        Err(_) => {
            let supported: Vec<_> = ProtocolVersion::ALL.iter().map(|v| v.as_str()).collect();
            Err(Reject::new(
                StatusCode::BAD_REQUEST,
                SERVER_ERROR,
                format!("Bad Request: unsupported MCP-Protocol-Version `{text}` (supported: {})", supported.join(", ")),
            ))
        }
    }
}

/// The `Mcp-Session-Id` header, if any.
pub(crate) fn session_id(headers: &HeaderMap) -> Option<&str> {
    header_str(headers, &SESSION_ID).filter(|s| !s.is_empty())
}

/// What the client's `Accept` header allows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Accepts {
    pub(crate) json: bool,
    pub(crate) sse: bool,
}

/// Reads `Accept` (absent or `*/*` accepts both).
pub(crate) fn accepts(headers: &HeaderMap) -> Accepts {
    let mut a = Accepts { json: false, sse: false };
    let mut any = false;
    for value in headers.get_all(ACCEPT) {
        for item in value.to_str().unwrap_or_default().split(',') {
            let media = item.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            match media.as_str() {
                "application/json" | "application/*" => a.json = true,
                "text/event-stream" | "text/*" => a.sse = true,
                "*/*" => {
                    a.json = true;
                    a.sse = true;
                }
                _ => {}
            }
            any = true;
        }
    }
    if !any {
        return Accepts { json: true, sse: true };
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_and_version_headers() {
        let mut h = HeaderMap::new();
        assert!(accepts(&h).json && accepts(&h).sse);
        h.insert(ACCEPT, HeaderValue::from_static("application/json, text/event-stream;q=0.9"));
        assert!(accepts(&h).json && accepts(&h).sse);
        h.insert(ACCEPT, HeaderValue::from_static("text/html"));
        assert!(!accepts(&h).json && !accepts(&h).sse);
        assert!(matches!(protocol_version(&h), Ok(None)));
        h.insert(PROTOCOL_VERSION, HeaderValue::from_static("2025-03-26"));
        assert!(matches!(protocol_version(&h), Ok(Some(ProtocolVersion::V2025_03_26))));
        h.insert(PROTOCOL_VERSION, HeaderValue::from_static("1999-01-01"));
        assert!(protocol_version(&h).is_err());
    }
}
