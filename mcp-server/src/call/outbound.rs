//! Frames on their way to a transport: a bounded queue, so a client that stops reading pushes back
//! on the requests writing to it instead of growing the server's memory.

use crate::jsonrpc::{encode_notification, RequestId};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

/// How many frames a stream may hold before writers wait (or, for fire-and-forget messages,
/// before those are dropped).
pub(crate) const OUTBOUND_CAPACITY: usize = 256;

/// One frame on its way to a transport's writer.
#[derive(Debug)]
pub(crate) enum OutFrame {
    /// A message that is not a response: a notification or a server→client request.
    Message(String),
    /// A response (to a request, a batch, or an error answer to a frame that could not be read).
    Response {
        text: String,
        /// Whether it is a result rather than a JSON-RPC error (what HTTP creates a session on).
        #[cfg_attr(not(feature = "http"), expect(dead_code, reason = "read by the HTTP transport"))]
        ok: bool,
        /// Fired once the frame has been written (background tasks wait on it).
        written: Option<oneshot::Sender<()>>,
    },
    /// The request finished without a response (it was cancelled).
    NoResponse(
        #[cfg_attr(not(feature = "http"), expect(dead_code, reason = "logged by the HTTP transport"))] RequestId,
    ),
    /// End the transport stream carrying these frames once the frames before it are written; the
    /// request goes on and the client resumes the stream (HTTP SSE polling). Ignored elsewhere.
    CloseStream,
}

/// A cheap, cloneable sink of outgoing frames: a session's general stream, or one request's
/// reply stream (on HTTP, that request's POST response).
#[derive(Debug, Clone)]
pub(crate) struct Outbound {
    tx: mpsc::Sender<OutFrame>,
}

impl Outbound {
    /// A sink and the receiver its transport drains.
    pub(crate) fn new() -> (Self, mpsc::Receiver<OutFrame>) {
        Self::with_capacity(OUTBOUND_CAPACITY)
    }

    pub(crate) fn with_capacity(capacity: usize) -> (Self, mpsc::Receiver<OutFrame>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        (Self { tx }, rx)
    }

    /// Sends a message that is not a response, waiting for room; false when the other side is gone.
    ///
    /// # Cancellation safety
    /// Cancellation safe: dropped before there was room, the message is not sent.
    pub(crate) async fn send(&self, text: String) -> bool {
        self.tx.send(OutFrame::Message(text)).await.is_ok()
    }

    /// Sends a message that is not a response if there is room now; false when it was dropped.
    pub(crate) fn try_send(&self, text: String) -> bool {
        self.tx.try_send(OutFrame::Message(text)).is_ok()
    }

    /// [`try_send`](Self::try_send) of a notification.
    pub(crate) fn try_notify<T: Serialize>(&self, method: &str, params: &T) -> bool {
        self.try_send(encode_notification(method, Some(params)))
    }

    /// Sends a response (`ok`: a result, not an error), waiting for room; with `track`, the
    /// receiver fires once it is written.
    ///
    /// # Cancellation safety
    /// Cancellation safe: dropped before there was room, the response is not sent.
    pub(crate) async fn respond(&self, text: String, ok: bool, track: bool) -> Option<oneshot::Receiver<()>> {
        let (written, rx) = if track {
            let (tx, rx) = oneshot::channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let _ = self.tx.send(OutFrame::Response { text, ok, written }).await;
        rx
    }

    /// Says that request `id` ends without a response.
    ///
    /// # Cancellation safety
    /// Cancellation safe.
    pub(crate) async fn no_response(&self, id: RequestId) {
        let _ = self.tx.send(OutFrame::NoResponse(id)).await;
    }

    /// Asks the transport to end this stream after the frames already sent (see [`OutFrame::CloseStream`]).
    pub(crate) fn close_stream(&self) -> bool {
        self.tx.try_send(OutFrame::CloseStream).is_ok()
    }

    /// Whether the receiving side is gone.
    pub(crate) fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}
