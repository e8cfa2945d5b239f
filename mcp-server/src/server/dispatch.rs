//! The single dispatch point: routes every request, runs the middleware chain for calls, and
//! turns every outcome into wire output.

use super::handlers as h;
use super::session::SessionState;
use super::Outbound;
use crate::extract::{run_background, BgTask, Extensions};
use crate::jsonrpc::{
    self, decode_frame, encode_error, encode_response, Decoded, ErrorObject, Incoming, IncomingKind, RequestId,
};
use crate::protocol::versions;
use futures_util::future::join_all;
use serde_json::value::RawValue;
use std::sync::Arc;

/// What a request produced: a response frame (none when cancelled) and its background tasks.
pub(crate) struct Reply {
    pub(crate) frame: Option<String>,
    pub(crate) background: Vec<BgTask>,
}

impl Reply {
    pub(crate) fn ok<T: serde::Serialize>(id: &RequestId, result: &T) -> Self {
        Self { frame: Some(encode_response(id, result)), background: Vec::new() }
    }

    pub(crate) fn err(id: &RequestId, e: &ErrorObject) -> Self {
        Self { frame: Some(encode_error(Some(id), e)), background: Vec::new() }
    }

    pub(crate) fn none() -> Self {
        Self { frame: None, background: Vec::new() }
    }
}

impl SessionState {
    /// Handles one inbound frame. Requests run concurrently on their own tasks; responses and
    /// notifications related to a request go to `reply`.
    pub(crate) fn handle_frame(self: &Arc<Self>, frame: &str, reply: &Outbound, ext: Option<Arc<Extensions>>) {
        match decode_frame(frame) {
            Decoded::Single(Ok(msg)) => self.handle_message(msg, reply, ext),
            Decoded::Single(Err(e)) => {
                if e.reply {
                    reply.send(encode_error(e.id.as_ref(), &e.error));
                }
            }
            Decoded::Batch(items) => self.handle_batch(items, reply, ext),
        }
    }

    /// Answers a frame that exceeded the size limit without reading it as JSON.
    pub(crate) fn reject_oversized(&self, reply: &Outbound, size: usize) {
        let limit = self.server.config.max_frame_bytes;
        let e = ErrorObject::new(
            jsonrpc::INVALID_REQUEST,
            format!("Invalid Request: frame of {size} bytes exceeds the {limit}-byte limit"),
        );
        reply.send(encode_error(None, &e));
    }

    fn handle_batch(
        self: &Arc<Self>,
        items: Vec<Result<Incoming, jsonrpc::FrameError>>,
        reply: &Outbound,
        ext: Option<Arc<Extensions>>,
    ) {
        // Batches exist only in 2025-03-26, and only once it was negotiated (or, for stateless
        // transports, set per request): before `initialize` nothing was.
        let negotiated = self.stateless || self.protocol_version.get().is_some();
        if !negotiated || !versions::allows_batches(self.version()) {
            let e = ErrorObject::new(
                jsonrpc::INVALID_REQUEST,
                "Invalid Request: JSON-RPC batches are not supported in this protocol version",
            );
            reply.send(encode_error(None, &e));
            return;
        }
        let this = Arc::clone(self);
        let reply = reply.clone();
        let active = self.activity();
        self.server.tracker.spawn(async move {
            let _active = active;
            let mut futures = Vec::new();
            let mut frames = Vec::new();
            for item in items {
                match item {
                    Err(e) if e.reply => frames.push(encode_error(e.id.as_ref(), &e.error)),
                    Err(_) => {}
                    Ok(Incoming { kind: IncomingKind::Request { id, method, params } }) => {
                        futures.push(this.run_request(id, method, params, reply.clone(), ext.clone()));
                    }
                    Ok(other) => this.handle_message(other, &reply, ext.clone()),
                }
            }
            let mut background = Vec::new();
            for r in join_all(futures).await {
                frames.extend(r.frame);
                background.extend(r.background);
            }
            if frames.is_empty() {
                return;
            }
            let text = format!("[{}]", frames.join(","));
            let written = reply.respond(RequestId::String("batch".into()), text, !background.is_empty());
            if !background.is_empty() {
                run_background(background, written).await;
            }
        });
    }

    fn handle_message(self: &Arc<Self>, msg: Incoming, reply: &Outbound, ext: Option<Arc<Extensions>>) {
        match msg.kind {
            IncomingKind::Request { id, method, params } => {
                let this = Arc::clone(self);
                let reply = reply.clone();
                let active = self.activity();
                self.server.tracker.spawn(async move {
                    let _active = active;
                    let r = this.run_request(id.clone(), method, params, reply.clone(), ext).await;
                    match r.frame {
                        Some(text) => {
                            let written = reply.respond(id, text, !r.background.is_empty());
                            if !r.background.is_empty() {
                                run_background(r.background, written).await;
                            }
                        }
                        None => reply.no_response(id),
                    }
                });
            }
            IncomingKind::Notification { method, params } => self.handle_notification(&method, params.as_deref()),
            IncomingKind::Response { id, outcome } => self.complete_peer_request(&id, outcome),
        }
    }

    fn handle_notification(&self, method: &str, params: Option<&RawValue>) {
        match method {
            "notifications/cancelled" => {
                #[derive(serde::Deserialize)]
                #[serde(rename_all = "camelCase")]
                struct P {
                    request_id: RequestId,
                }
                match params.map(|p| serde_json::from_str::<P>(p.get())) {
                    Some(Ok(p)) => {
                        if !self.cancel_request(&p.request_id) {
                            tracing::debug!(id = %p.request_id, "cancellation for an unknown or finished request ignored");
                        }
                    }
                    _ => tracing::debug!("malformed notifications/cancelled ignored"),
                }
            }
            "notifications/initialized" => self.mark_initialized(),
            other => tracing::debug!(method = other, "notification ignored"),
        }
    }

    /// Runs one request to its reply, tracking it in the in-flight table.
    pub(crate) async fn run_request(
        self: &Arc<Self>,
        id: RequestId,
        method: String,
        params: Option<Box<RawValue>>,
        reply: Outbound,
        ext: Option<Arc<Extensions>>,
    ) -> Reply {
        let token = self.cancel.child_token();
        if !self.begin_request(&id, token.clone()) {
            let e = ErrorObject::new(jsonrpc::INVALID_REQUEST, format!("Invalid Request: id {id} is already in use"));
            return Reply { frame: Some(encode_error(Some(&id), &e)), background: Vec::new() };
        }
        let cx = h::Call { session: self, id: &id, method: &method, params: params.as_deref(), reply, ext, token };
        let r = h::route(cx).await;
        self.end_request(&id);
        r
    }
}
