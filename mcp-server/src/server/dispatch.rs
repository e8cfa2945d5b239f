//! The single dispatch point: every frame is decoded once, every request is admitted (or refused)
//! here, routed, run through the middleware chain on its own task, and its outcome written back.

use super::route::{route, Routed};
use super::session::Session;
use crate::call::{BackgroundTask, Extensions, Outbound};
use crate::extract::run_background;
use crate::jsonrpc::{decode, encode_error, Decoded, ErrorObject, FrameError, Message, RequestId, INVALID_REQUEST};
use futures_util::future::join_all;
use serde_json::value::RawValue;
use std::sync::Arc;

/// A response frame, and whether it is a result (`ok`) rather than a JSON-RPC error.
pub(crate) struct Frame {
    pub(crate) text: String,
    pub(crate) ok: bool,
}

impl Frame {
    pub(crate) fn error(id: &RequestId, e: &ErrorObject) -> Self {
        Self { text: encode_error(Some(id), e), ok: false }
    }
}

/// What a request produced: its response (none when cancelled) and its background tasks.
pub(crate) struct Reply {
    pub(crate) frame: Option<Frame>,
    pub(crate) background: Vec<BackgroundTask>,
}

impl Session {
    /// Decodes and handles one frame read by a stream transport.
    ///
    /// # Cancellation safety
    /// Requests already admitted run on; dropped while waiting for room on `reply` (a client that
    /// does not read), an immediate error answer is not sent.
    pub(crate) async fn handle_frame(self: &Arc<Self>, frame: &str, reply: &Outbound) {
        self.dispatch(decode(frame), reply, None).await;
    }

    /// Handles a decoded frame: requests are admitted and start on their own tasks, their answers
    /// and related messages going to `reply`. Waits only to write an immediate answer (a refusal,
    /// an error for an unreadable message) while `reply` is full.
    ///
    /// # Cancellation safety
    /// As [`handle_frame`](Self::handle_frame).
    pub(crate) async fn dispatch(self: &Arc<Self>, frame: Decoded<'_>, reply: &Outbound, ext: Option<Arc<Extensions>>) {
        match frame {
            Decoded::Single(Ok(msg)) => self.handle_message(msg, reply, ext).await,
            Decoded::Single(Err(e)) => answer_unreadable(e, reply).await,
            Decoded::Batch(items) => self.handle_batch(items, reply, ext).await,
        }
    }

    /// Answers a frame that exceeded the size limit without reading it as JSON.
    ///
    /// # Cancellation safety
    /// Dropped while waiting for room, the answer is not sent.
    pub(crate) async fn reject_oversized(&self, reply: &Outbound, size: usize) {
        let limit = self.server.config.max_frame_bytes;
        let e = ErrorObject::new(
            INVALID_REQUEST,
            format!("Invalid Request: frame of {size} bytes exceeds the {limit}-byte limit"),
        );
        reply.respond(encode_error(None, &e), false, false).await;
    }

    async fn handle_message(self: &Arc<Self>, msg: Message<'_>, reply: &Outbound, ext: Option<Arc<Extensions>>) {
        match msg {
            Message::Request { id, method, params } => {
                let routed = match self.admit(&id, &method, params) {
                    Ok(routed) => routed,
                    Err(e) => {
                        queue_reply(reply, id.clone(), Some(Frame::error(&id, &e)), false).await;
                        return;
                    }
                };
                let this = Arc::clone(self);
                let reply = reply.clone();
                let active = self.activity();
                self.server.tracker.spawn(async move {
                    let _active = active;
                    let r = this.run(id.clone(), routed, &reply, ext).await;
                    // The id is free once the answer exists, but the request counts against the
                    // limit until its answer is queued: a client that does not read keeps its
                    // answers waiting, and the limit bounds how many.
                    let slot = this.answered(&id);
                    let written = queue_reply(&reply, id, r.frame, !r.background.is_empty()).await;
                    drop(slot);
                    run_background(r.background, written).await;
                });
            }
            Message::Notification { method, params } => self.handle_notification(&method, params),
            Message::Response { id, outcome } => self.client.complete_request(&id, outcome),
        }
    }

    async fn handle_batch(
        self: &Arc<Self>,
        items: Vec<Result<Message<'_>, FrameError>>,
        reply: &Outbound,
        ext: Option<Arc<Extensions>>,
    ) {
        // Batches exist only in 2025-03-26, and only once it was negotiated (or, for stateless
        // transports, set per request): before `initialize` nothing was.
        if !self.negotiated().is_some_and(|v| v.allows_batches()) {
            let e = ErrorObject::new(
                INVALID_REQUEST,
                "Invalid Request: JSON-RPC batches are not supported in this protocol version",
            );
            reply.respond(encode_error(None, &e), false, false).await;
            return;
        }
        let mut frames = Vec::new();
        let mut admitted = Vec::new();
        for item in items {
            match item {
                Err(e) if e.reply => frames.push(encode_error(e.id.as_ref(), &e.error)),
                Err(_) => {}
                Ok(Message::Request { id, method, params }) => match self.admit(&id, &method, params) {
                    Ok(routed) => admitted.push((id, routed)),
                    Err(e) => frames.push(encode_error(Some(&id), &e)),
                },
                Ok(Message::Notification { method, params }) => self.handle_notification(&method, params),
                Ok(Message::Response { id, outcome }) => self.client.complete_request(&id, outcome),
            }
        }
        let this = Arc::clone(self);
        let reply = reply.clone();
        let active = self.activity();
        self.server.tracker.spawn(async move {
            let _active = active;
            let ids: Vec<RequestId> = admitted.iter().map(|(id, _)| id.clone()).collect();
            let runs = admitted.into_iter().map(|(id, routed)| this.run(id, routed, &reply, ext.clone()));
            let mut background = Vec::new();
            for r in join_all(runs).await {
                frames.extend(r.frame.map(|f| f.text));
                background.extend(r.background);
            }
            let slots: Vec<_> = ids.iter().map(|id| this.answered(id)).collect();
            let written = if frames.is_empty() {
                None
            } else {
                // A batch is an array, not an error object, whatever its items say.
                reply.respond(format!("[{}]", frames.join(",")), true, !background.is_empty()).await
            };
            drop(slots);
            run_background(background, written).await;
        });
    }

    /// Admits a request: the session must be initialized (or the method must be allowed before),
    /// its id unused and the session under its in-flight limit; its params must fit its method.
    fn admit(&self, id: &RequestId, method: &str, params: Option<&RawValue>) -> Result<Routed, ErrorObject> {
        let pre_init = matches!(method, "initialize" | "ping");
        if !pre_init && !self.is_initialized() && self.negotiated().is_none() {
            return Err(ErrorObject::new(
                INVALID_REQUEST,
                "Invalid Request: the session is not initialized; send `initialize` first",
            ));
        }
        let mut routed = route(self, method, params)?;
        routed.cancel = self.cancel.child_token();
        self.begin_request(id, routed.cancel.clone()).map_err(|refusal| refusal.error(id))?;
        Ok(routed)
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
}

/// Queues a request's answer (or, cancelled, says it has none); with `track`, the receiver fires
/// once the answer is written.
async fn queue_reply(
    reply: &Outbound,
    id: RequestId,
    frame: Option<Frame>,
    track: bool,
) -> Option<tokio::sync::oneshot::Receiver<()>> {
    match frame {
        Some(f) => reply.respond(f.text, f.ok, track).await,
        None => {
            reply.no_response(id).await;
            None
        }
    }
}

/// Answers a message that could not be decoded (notifications and responses get no answer).
async fn answer_unreadable(e: FrameError, reply: &Outbound) {
    if e.reply {
        reply.respond(encode_error(e.id.as_ref(), &e.error), false, false).await;
    }
}
