//! POST: one JSON-RPC message (or a 2025-03-26 batch) in; JSON, an SSE stream or `202` out.
//!
//! The body is decoded once; this module routes on the decoded messages (is there a request, is
//! it `initialize`, may it stream) and hands them to the session as they are.

use super::sessions::{Busy, HttpSession};
use super::sse::{encode_event, SseBody, LIVE_CAPACITY};
use super::{
    accepts, bad_request, error_response, protocol_version, session_id, status_only, HttpState, Reject, SESSION_ID,
};
use crate::call::{Extensions, OutFrame, Outbound, StreamControl};
use crate::jsonrpc::{decode, encode_error, Decoded, Message, RequestId, INVALID_REQUEST, PARSE_ERROR, SERVER_ERROR};
use crate::protocol::ProtocolVersion;
use crate::server::{busy, Session, SessionOptions};
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::response::Response;
use http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use std::sync::Arc;
use tokio::sync::mpsc::{self, Receiver};

/// Methods whose handlers may send related messages (progress, logs, server→client requests)
/// before their response: they are answered with an SSE stream when the client accepts one.
const STREAMING_METHODS: [&str; 3] = ["tools/call", "resources/read", "prompts/get"];

/// What a POST body holds.
#[derive(Debug, Default)]
struct Shape {
    /// Messages that expect an answer (requests, and anything malformed that gets an error).
    requests: usize,
    /// The id of the first request (for an immediate refusal).
    first_id: Option<RequestId>,
    initialize: bool,
    batch: bool,
    /// Whether a request may send related messages before its response.
    streaming: bool,
}

impl Shape {
    fn of(decoded: &Decoded<'_>) -> Self {
        let mut shape = Self { batch: matches!(decoded, Decoded::Batch(_)), ..Self::default() };
        for message in decoded.messages() {
            match message {
                Ok(Message::Request { id, method, .. }) => {
                    shape.requests += 1;
                    shape.first_id.get_or_insert_with(|| id.clone());
                    shape.initialize |= method == "initialize";
                    shape.streaming |= STREAMING_METHODS.contains(&&**method);
                }
                Ok(Message::Notification { .. } | Message::Response { .. }) => {}
                Err(e) if e.reply => shape.requests += 1,
                Err(_) => {}
            }
        }
        shape
    }
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
        Err(_) => {
            Err(Reject::new(StatusCode::BAD_REQUEST, SERVER_ERROR, "Bad Request: the request body could not be read"))
        }
    }
}

/// The per-request values tools and middleware can read: the request's headers (auth middleware
/// reads credentials from them).
fn extensions(headers: &HeaderMap) -> Extensions {
    let mut ext = Extensions::new();
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

/// `429 Too Many Requests`: the session is at its in-flight limit. The body is the JSON-RPC error
/// (retryable) for the first request of the POST.
fn too_many_requests(id: Option<&RequestId>, limit: usize) -> Response {
    let mut res = json_ok(encode_error(id, &busy(limit)));
    *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    res.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("1"));
    res
}

/// Which session a POST runs in.
enum Target {
    Session(Arc<HttpSession>),
    Stateless(StatelessSession),
}

impl Target {
    fn session(&self) -> &Arc<Session> {
        match self {
            Self::Session(s) => &s.state,
            Self::Stateless(s) => &s.state,
        }
    }
}

/// The session of one stateless POST. It is closed (its requests cancelled, its entry removed
/// from the server) when this is dropped, however the POST ends: answered, refused, a
/// notification only, or its handler dropped because the client went away.
struct StatelessSession {
    st: Arc<HttpState>,
    state: Arc<Session>,
}

impl StatelessSession {
    fn open(st: &Arc<HttpState>, version: ProtocolVersion) -> Self {
        let (notify, _) = Outbound::with_capacity(1);
        let options = SessionOptions { id: None, notify, stateless: Some(version) };
        Self { st: Arc::clone(st), state: st.handle.open_session(options) }
    }
}

impl Drop for StatelessSession {
    fn drop(&mut self) {
        self.st.handle.close_session(&self.state);
    }
}

/// Handles a POST to the endpoint (Host/Origin were checked by the caller).
pub(crate) async fn handle(st: Arc<HttpState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let headers = &parts.headers;
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/json");
    if !content_type.trim().to_ascii_lowercase().starts_with("application/json") {
        let msg = "Unsupported Media Type: Content-Type must be application/json";
        return error_response(StatusCode::UNSUPPORTED_MEDIA_TYPE, SERVER_ERROR, msg);
    }
    let accept = accepts(headers);
    if !accept.json && !accept.sse {
        let msg = "Not Acceptable: Accept must include application/json or text/event-stream";
        return error_response(StatusCode::NOT_ACCEPTABLE, SERVER_ERROR, msg);
    }
    let bytes = match read_body(body, headers, st.config.max_body_bytes).await {
        Ok(b) => b,
        Err(reject) => return reject.into_response(),
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return error_response(StatusCode::BAD_REQUEST, PARSE_ERROR, "Parse error: the body is not UTF-8");
    };
    let decoded = decode(text);
    if let Decoded::Single(Err(e)) = &decoded {
        if e.error.code == PARSE_ERROR {
            return error_response(StatusCode::BAD_REQUEST, PARSE_ERROR, "Parse error: the body is not JSON");
        }
    }
    let shape = Shape::of(&decoded);
    let version = match protocol_version(headers) {
        Ok(v) => v,
        Err(_) if shape.initialize => None,
        Err(reject) => return reject.into_response(),
    };
    if shape.requests > 0 && st.handle.shared.draining.is_cancelled() {
        // Answers to server→client requests and cancellations still get through while draining.
        return error_response(StatusCode::SERVICE_UNAVAILABLE, SERVER_ERROR, "Service Unavailable: shutting down");
    }
    if shape.initialize && shape.batch {
        let msg = "Invalid Request: initialize must not be batched";
        return error_response(StatusCode::BAD_REQUEST, INVALID_REQUEST, msg);
    }
    let target = if st.config.stateless {
        Target::Stateless(StatelessSession::open(&st, version.unwrap_or(ProtocolVersion::V2025_03_26)))
    } else if shape.initialize {
        return initialize(&st, decoded, headers, accept.json).await;
    } else {
        let Some(id) = session_id(headers) else {
            return bad_request("Bad Request: Mcp-Session-Id header is required");
        };
        match st.sessions.get(id).filter(|s| !s.state.cancel.is_cancelled()) {
            Some(s) => Target::Session(s),
            None => return error_response(StatusCode::NOT_FOUND, -32001, "Session not found"),
        }
    };
    if shape.batch && !target.session().version().allows_batches() {
        let msg = "Invalid Request: JSON-RPC batches are only accepted under protocol version 2025-03-26";
        return error_response(StatusCode::BAD_REQUEST, INVALID_REQUEST, msg);
    }
    // At the limit already: refuse the POST outright. Below it, admission refuses whatever part of
    // a batch does not fit, item by item, as on the other transports.
    if shape.requests > 0 && !target.session().has_room() {
        return too_many_requests(shape.first_id.as_ref(), st.handle.shared.config.max_in_flight);
    }
    let mut ext = extensions(headers);
    let (out, rx) = Outbound::new();
    if shape.requests == 0 {
        target.session().dispatch(decoded, &out, Some(Arc::new(ext))).await;
        return status_only(StatusCode::ACCEPTED);
    }
    let sse = (shape.streaming && accept.sse) || !accept.json;
    match (target, sse) {
        (Target::Session(session), true) => {
            let busy = session.busy();
            let (stream, body_rx) = session.open_request_stream(st.config.sse_retry);
            ext.insert(StreamControl);
            session.state.dispatch(decoded, &out, Some(Arc::new(ext))).await;
            drop(out);
            tokio::spawn(pump_session(session, stream, rx, busy));
            sse_ok(SseBody::new(body_rx, st.config.keep_alive, None))
        }
        (Target::Stateless(session), true) => {
            session.state.dispatch(decoded, &out, Some(Arc::new(ext))).await;
            drop(out);
            let (tx, body_rx) = mpsc::channel(LIVE_CAPACITY);
            tokio::spawn(pump_stateless(session, rx, tx));
            sse_ok(SseBody::new(body_rx, None, None))
        }
        (target, false) => {
            let _busy = match &target {
                Target::Session(s) => Some(s.busy()),
                Target::Stateless(_) => None,
            };
            target.session().dispatch(decoded, &out, Some(Arc::new(ext))).await;
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
            if let Target::Stateless(session) = target {
                tokio::spawn(close_when_done(session, rx));
            }
            match response {
                Some((text, _)) => json_ok(text),
                None => status_only(StatusCode::ACCEPTED),
            }
        }
    }
}

/// `initialize` creates the session; its id goes back in `Mcp-Session-Id` if it succeeded.
async fn initialize(st: &HttpState, decoded: Decoded<'_>, headers: &HeaderMap, json: bool) -> Response {
    let Ok(session) = st.sessions.create(&st.handle, &st.config) else {
        return error_response(StatusCode::SERVICE_UNAVAILABLE, SERVER_ERROR, "Service Unavailable: too many sessions");
    };
    let _busy = session.busy();
    let (out, mut rx) = Outbound::new();
    session.state.dispatch(decoded, &out, Some(Arc::new(extensions(headers)))).await;
    drop(out);
    let Some((response, ok)) = first_response(&mut rx, |_| {}).await else {
        st.sessions.remove(&st.handle, &session.id);
        return status_only(StatusCode::ACCEPTED);
    };
    let mut res = if json {
        json_ok(response)
    } else {
        let (tx, rx) = mpsc::channel(1);
        let _ = tx.try_send(encode_event(None, None, &response));
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

/// Waits for the POST's answer (and whether it is a result); other messages go to `other`. `None`
/// when the request was cancelled (no response is sent for it).
async fn first_response(rx: &mut Receiver<OutFrame>, mut other: impl FnMut(String)) -> Option<(String, bool)> {
    while let Some(frame) = rx.recv().await {
        match frame {
            OutFrame::Response { text, ok, written } => {
                ack(written);
                return Some((text, ok));
            }
            OutFrame::Message(text) => other(text),
            OutFrame::NoResponse(_) => return None,
            OutFrame::CloseStream => {}
        }
    }
    None
}

/// Moves a request's messages into its (resumable) SSE stream until the response is written.
async fn pump_session(session: Arc<HttpSession>, stream: u64, mut rx: Receiver<OutFrame>, busy: Busy) {
    let mut responded = false;
    while let Some(frame) = rx.recv().await {
        match frame {
            OutFrame::Message(text) => {
                session.with_stream(stream, |log| log.push(&text));
            }
            OutFrame::Response { text, written, .. } => {
                session.with_stream(stream, |log| log.push(&text));
                ack(written);
                responded = true;
                break;
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

/// Stateless SSE: no history, no resumption; a client that goes away cancels its request, and
/// one that reads slowly slows the request down (the stream is bounded).
async fn pump_stateless(session: StatelessSession, mut rx: Receiver<OutFrame>, tx: mpsc::Sender<Bytes>) {
    loop {
        let frame = tokio::select! {
            f = rx.recv() => f,
            () = tx.closed() => {
                drop(session);
                return;
            }
        };
        let (text, written, last) = match frame {
            Some(OutFrame::Message(text)) => (text, None, false),
            Some(OutFrame::Response { text, written, .. }) => (text, written, true),
            Some(OutFrame::CloseStream) => continue,
            Some(OutFrame::NoResponse(_)) | None => break,
        };
        if tx.send(encode_event(None, None, &text)).await.is_err() {
            drop(session);
            return;
        }
        ack(written);
        if last {
            break;
        }
    }
    drop(tx);
    close_when_done(session, rx).await;
}

/// Closes a stateless session once every task of its request (background work included) is done.
async fn close_when_done(session: StatelessSession, mut rx: Receiver<OutFrame>) {
    while let Some(frame) = rx.recv().await {
        if let OutFrame::Response { written, .. } = frame {
            ack(written);
        }
    }
    drop(session);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(body: &str) -> Shape {
        Shape::of(&decode(body))
    }

    #[test]
    fn shapes() {
        let s = shape(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}"#);
        assert_eq!((s.requests, s.streaming, s.batch, s.initialize), (1, true, false, false));
        assert_eq!(s.first_id, Some(RequestId::from(1)));
        assert_eq!(shape(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).requests, 0);
        assert_eq!(shape(r#"{"jsonrpc":"2.0","id":"srv-1","result":{}}"#).requests, 0);
        let s = shape(r#"{"jsonrpc":"2.0","id":"i","method":"initialize"}"#);
        assert_eq!((s.requests, s.initialize), (1, true));
        assert_eq!(shape(r#"{"jsonrpc":"2.0","id":null,"method":"initialize"}"#).requests, 1, "answered with an error");
        let s = shape(r#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"x"},7]"#);
        assert_eq!((s.requests, s.batch, s.streaming), (2, true, false));
    }
}
