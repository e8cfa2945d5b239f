//! POST: one JSON-RPC message (or a 2025-03-26 batch) in; JSON, an SSE stream or `202` out.

use super::sessions::{Busy, HttpSession};
use super::sse::{encode_event, SseBody};
use super::{
    accepts, bad_request, error_response, protocol_version, session_id, status_only, HttpState, Reject, SESSION_ID,
};
use crate::auth::TransportCredentials;
use crate::extract::Extensions;
use crate::jsonrpc::{INVALID_REQUEST, PARSE_ERROR};
use crate::protocol::versions;
use crate::server::{OutFrame, Outbound, SessionState};
use crate::transport::StreamControl;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::response::Response;
use http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use std::sync::Arc;
use tokio::sync::mpsc::{self, UnboundedReceiver};

/// Methods whose handlers may send related messages (progress, logs, server→client requests)
/// before their response: they are answered with an SSE stream when the client accepts one.
const STREAMING_METHODS: [&str; 3] = ["\"tools/call\"", "\"resources/read\"", "\"prompts/get\""];

/// Records whether a field was present at all (even as `null`).
#[derive(Default)]
struct Present(bool);

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d).map(|_| Present(true))
    }
}

/// Just enough of a message to route it; the dispatcher decodes it for real.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(default)]
    id: Present,
    #[serde(borrow, default)]
    method: Option<&'a RawValue>,
}

/// What a POST body holds.
#[derive(Debug, Default)]
struct Shape {
    /// Messages that expect a response (requests, and anything malformed: it gets an error).
    requests: usize,
    initialize: bool,
    batch: bool,
    /// Whether a request may send related messages before its response.
    streaming: bool,
}

impl Shape {
    fn add(&mut self, message: &str) {
        match serde_json::from_str::<Probe<'_>>(message) {
            Ok(Probe { method: Some(m), id }) => {
                if id.0 {
                    self.requests += 1;
                    self.initialize |= m.get() == "\"initialize\"";
                    self.streaming |= STREAMING_METHODS.contains(&m.get());
                }
            }
            // A response to a server→client request needs no answer.
            Ok(Probe { method: None, id: Present(true) }) => {}
            _ => self.requests += 1,
        }
    }
}

fn classify(body: &str) -> Result<Shape, Reject> {
    let parse_error = || Reject::new(StatusCode::BAD_REQUEST, PARSE_ERROR, "Parse error: the body is not JSON");
    let mut shape = Shape::default();
    if body.trim_start().starts_with('[') {
        let items: Vec<&RawValue> = serde_json::from_str(body).map_err(|_| parse_error())?;
        if items.is_empty() {
            return Err(Reject::new(StatusCode::BAD_REQUEST, INVALID_REQUEST, "Invalid Request: empty batch"));
        }
        shape.batch = true;
        for item in items {
            shape.add(item.get());
        }
    } else {
        serde_json::from_str::<&RawValue>(body).map_err(|_| parse_error())?;
        shape.add(body);
    }
    Ok(shape)
}

async fn read_body(body: Body, headers: &HeaderMap, max: usize) -> Result<Bytes, Reject> {
    let too_large = || {
        let msg = format!("Payload Too Large: the body exceeds {max} bytes");
        Reject::new(StatusCode::PAYLOAD_TOO_LARGE, INVALID_REQUEST, msg)
    };
    let declared = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    match Limited::new(body, max).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Err(_) => Err(Reject::new(StatusCode::BAD_REQUEST, -32000, "Bad Request: the request body could not be read")),
    }
}

fn bearer(value: &str) -> Option<String> {
    let (scheme, token) = value.trim().split_once(char::is_whitespace)?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim().to_string())
}

/// The per-request values tools and middleware can read: the headers and the credentials in them.
fn extensions(headers: &HeaderMap) -> Extensions {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let mut ext = Extensions::new();
    ext.insert(TransportCredentials {
        bearer: text("authorization").and_then(bearer),
        api_key: text("x-api-key").map(str::trim).filter(|k| !k.is_empty()).map(str::to_string),
    });
    ext.insert(headers.clone());
    ext
}

pub(crate) fn json_ok(text: String) -> Response {
    let mut res = Response::new(Body::from(text));
    res.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}

pub(crate) fn sse_ok(body: SseBody) -> Response {
    let mut res = Response::new(Body::from_stream(body));
    let h = res.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Tells nginx-style proxies not to buffer the stream.
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    res
}

/// Which session a POST runs in.
enum Target {
    Session(Arc<HttpSession>),
    Stateless(Arc<SessionState>),
}

impl Target {
    fn state(&self) -> &Arc<SessionState> {
        match self {
            Self::Session(s) => &s.state,
            Self::Stateless(s) => s,
        }
    }
}

/// Handles a POST to the endpoint (Host/Origin were checked by the caller).
pub(crate) async fn handle(st: Arc<HttpState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let headers = &parts.headers;
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/json");
    if !content_type.trim().to_ascii_lowercase().starts_with("application/json") {
        let msg = "Unsupported Media Type: Content-Type must be application/json";
        return error_response(StatusCode::UNSUPPORTED_MEDIA_TYPE, -32000, msg);
    }
    let accept = accepts(headers);
    if !accept.json && !accept.sse {
        let msg = "Not Acceptable: Accept must include application/json or text/event-stream";
        return error_response(StatusCode::NOT_ACCEPTABLE, -32000, msg);
    }
    let bytes = match read_body(body, headers, st.config.max_body_bytes).await {
        Ok(b) => b,
        Err(reject) => return reject.into_response(),
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return error_response(StatusCode::BAD_REQUEST, PARSE_ERROR, "Parse error: the body is not UTF-8");
    };
    let shape = match classify(text) {
        Ok(s) => s,
        Err(reject) => return reject.into_response(),
    };
    let version = match protocol_version(headers) {
        Ok(v) => v,
        Err(_) if shape.initialize => None,
        Err(reject) => return reject.into_response(),
    };
    if shape.requests > 0 && st.handle.shared.draining.is_cancelled() {
        // Answers to server→client requests and cancellations still get through while draining.
        return error_response(StatusCode::SERVICE_UNAVAILABLE, -32000, "Service Unavailable: shutting down");
    }
    if shape.initialize && shape.batch {
        return error_response(
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST,
            "Invalid Request: initialize must not be batched",
        );
    }
    let target = if st.config.stateless {
        let (notify, _) = Outbound::new();
        let state = st.handle.open_session(None, notify, true);
        if let (Some(v), false) = (version, shape.initialize) {
            let _ = state.protocol_version.set(v);
        }
        Target::Stateless(state)
    } else if shape.initialize {
        return initialize(&st, text, headers, accept.json).await;
    } else {
        let Some(id) = session_id(headers) else {
            return bad_request("Bad Request: Mcp-Session-Id header is required");
        };
        match st.sessions.get(id).filter(|s| !s.state.cancel.is_cancelled()) {
            Some(s) => Target::Session(s),
            None => return error_response(StatusCode::NOT_FOUND, -32001, "Session not found"),
        }
    };
    if shape.batch && !versions::allows_batches(target.state().version()) {
        let msg = "Invalid Request: JSON-RPC batches are only accepted under protocol version 2025-03-26";
        return error_response(StatusCode::BAD_REQUEST, INVALID_REQUEST, msg);
    }
    let mut ext = extensions(headers);
    let (out, rx) = Outbound::new();
    if shape.requests == 0 {
        target.state().handle_frame(text, &out, Some(Arc::new(ext)));
        return status_only(StatusCode::ACCEPTED);
    }
    let sse = (shape.streaming && accept.sse) || !accept.json;
    match (target, sse) {
        (Target::Session(session), true) => {
            let busy = session.busy();
            let (stream, body_rx) = session.open_request_stream(st.config.sse_retry);
            ext.insert(StreamControl);
            session.state.handle_frame(text, &out, Some(Arc::new(ext)));
            drop(out);
            tokio::spawn(pump_session(session, stream, rx, busy));
            sse_ok(SseBody::new(body_rx, st.config.keep_alive, None))
        }
        (Target::Stateless(state), true) => {
            state.handle_frame(text, &out, Some(Arc::new(ext)));
            drop(out);
            let (tx, body_rx) = mpsc::unbounded_channel();
            tokio::spawn(pump_stateless(st, state, rx, tx));
            sse_ok(SseBody::new(body_rx, None, None))
        }
        (target, false) => {
            let _busy = match &target {
                Target::Session(s) => Some(s.busy()),
                Target::Stateless(_) => None,
            };
            target.state().handle_frame(text, &out, Some(Arc::new(ext)));
            drop(out);
            let mut rx = rx;
            let general = match &target {
                Target::Session(s) => Some(Arc::clone(s)),
                Target::Stateless(_) => None,
            };
            let response = first_response(&mut rx, |text| {
                if let Some(s) = &general {
                    s.push_general(&text);
                }
            })
            .await;
            if let Target::Stateless(state) = target {
                tokio::spawn(close_when_done(st, state, rx));
            }
            match response {
                Some(text) => json_ok(text),
                None => status_only(StatusCode::ACCEPTED),
            }
        }
    }
}

/// `initialize` creates the session; its id goes back in `Mcp-Session-Id` if it succeeded.
async fn initialize(st: &HttpState, text: &str, headers: &HeaderMap, json: bool) -> Response {
    let Ok(session) = st.sessions.create(&st.handle, &st.config) else {
        return error_response(StatusCode::SERVICE_UNAVAILABLE, -32000, "Service Unavailable: too many sessions");
    };
    let _busy = session.busy();
    let (out, mut rx) = Outbound::new();
    session.state.handle_frame(text, &out, Some(Arc::new(extensions(headers))));
    drop(out);
    let Some(response) = first_response(&mut rx, |_| {}).await else {
        st.sessions.remove(&st.handle, &session.id);
        return status_only(StatusCode::ACCEPTED);
    };
    let ok = serde_json::from_str::<serde_json::Value>(&response).is_ok_and(|v| v.get("result").is_some());
    let mut res = if json {
        json_ok(response)
    } else {
        let (tx, rx) = mpsc::unbounded_channel();
        let _ = tx.send(encode_event(None, None, &response));
        sse_ok(SseBody::new(rx, None, None))
    };
    if ok {
        if let Ok(v) = HeaderValue::from_str(&session.id) {
            res.headers_mut().insert(SESSION_ID, v);
        }
    } else {
        st.sessions.remove(&st.handle, &session.id);
    }
    res
}

fn ack(written: Option<tokio::sync::oneshot::Sender<()>>) {
    if let Some(w) = written {
        let _ = w.send(());
    }
}

/// Whether a frame is a JSON-RPC response (no `method`).
fn is_response(text: &str) -> bool {
    serde_json::from_str::<Probe<'_>>(text).is_ok_and(|p| p.method.is_none())
}

/// Waits for the POST's response; other messages go to `other`. `None` when the request was
/// cancelled (no response is sent for it).
async fn first_response(rx: &mut UnboundedReceiver<OutFrame>, mut other: impl FnMut(String)) -> Option<String> {
    let mut unsolicited = None;
    while let Some(frame) = rx.recv().await {
        match frame {
            OutFrame::Message { text, written, response_to: Some(_) } => {
                ack(written);
                return Some(text);
            }
            // An error answer to a message the dispatcher could not read.
            OutFrame::Message { text, written, response_to: None } if is_response(&text) => {
                ack(written);
                unsolicited = Some(text);
            }
            OutFrame::Message { text, written, response_to: None } => {
                ack(written);
                other(text);
            }
            OutFrame::NoResponse(_) => return None,
            OutFrame::CloseStream => {}
        }
    }
    unsolicited
}

/// Moves a request's messages into its (resumable) SSE stream until the response is written.
async fn pump_session(session: Arc<HttpSession>, stream: u64, mut rx: UnboundedReceiver<OutFrame>, busy: Busy) {
    let mut responded = false;
    while let Some(frame) = rx.recv().await {
        match frame {
            OutFrame::Message { text, written, response_to } => {
                session.with_stream(stream, |log| log.push(&text));
                ack(written);
                if response_to.is_some() {
                    responded = true;
                    break;
                }
            }
            OutFrame::CloseStream => {
                session.with_stream(stream, |log| log.disconnect());
            }
            // Cancelled: no response, but the stream must still end (the client stops waiting).
            OutFrame::NoResponse(id) => {
                tracing::debug!(%id, "request cancelled: ending its stream without a response");
                break;
            }
        }
    }
    session.finish_stream(stream, responded);
    drop(busy);
}

/// Stateless SSE: no history, no resumption; a client that goes away cancels its request.
async fn pump_stateless(
    st: Arc<HttpState>,
    state: Arc<SessionState>,
    mut rx: UnboundedReceiver<OutFrame>,
    tx: mpsc::UnboundedSender<Bytes>,
) {
    loop {
        let frame = tokio::select! {
            f = rx.recv() => f,
            () = tx.closed() => {
                st.handle.close_session(&state);
                break;
            }
        };
        match frame {
            Some(OutFrame::Message { text, written, response_to }) => {
                let _ = tx.send(encode_event(None, None, &text));
                ack(written);
                if response_to.is_some() {
                    break;
                }
            }
            Some(OutFrame::CloseStream) => {}
            Some(OutFrame::NoResponse(_)) | None => break,
        }
    }
    drop(tx);
    close_when_done(st, state, rx).await;
}

/// Closes a stateless session once every task of its request (background work included) is done.
async fn close_when_done(st: Arc<HttpState>, state: Arc<SessionState>, mut rx: UnboundedReceiver<OutFrame>) {
    while let Some(frame) = rx.recv().await {
        if let OutFrame::Message { written, .. } = frame {
            ack(written);
        }
    }
    st.handle.close_session(&state);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let s = classify(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}"#).ok().unwrap_or_default();
        assert_eq!((s.requests, s.streaming, s.batch, s.initialize), (1, true, false, false));
        let s = classify(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).ok().unwrap_or_default();
        assert_eq!(s.requests, 0);
        let s = classify(r#"{"jsonrpc":"2.0","id":"srv-1","result":{}}"#).ok().unwrap_or_default();
        assert_eq!(s.requests, 0);
        let s = classify(r#"{"jsonrpc":"2.0","id":null,"method":"initialize"}"#).ok().unwrap_or_default();
        assert_eq!((s.requests, s.initialize), (1, true));
        let s = classify(r#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"x"},7]"#)
            .ok()
            .unwrap_or_default();
        assert_eq!((s.requests, s.batch, s.streaming), (2, true, false));
        assert!(classify("{not json").is_err());
        assert!(classify("[]").is_err());
    }
}
