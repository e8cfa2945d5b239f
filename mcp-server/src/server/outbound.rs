use crate::jsonrpc::{encode_notification, RequestId};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

/// One frame on its way to a transport's writer.
#[derive(Debug)]
pub(crate) enum OutFrame {
    /// A JSON-RPC message.
    Message {
        text: String,
        /// Fired once the frame has been written (background tasks wait on it).
        written: Option<oneshot::Sender<()>>,
        /// Set when the frame is the response to this request.
        #[cfg_attr(not(feature = "http"), allow(dead_code, reason = "read by the HTTP transport"))]
        response_to: Option<RequestId>,
    },
    /// The request finished without a response (it was cancelled).
    NoResponse(#[cfg_attr(not(feature = "http"), allow(dead_code, reason = "read by the HTTP transport"))] RequestId),
    /// End the transport stream carrying these frames once the frames before it are written; the
    /// request goes on and the client resumes the stream (HTTP SSE polling). Ignored elsewhere.
    CloseStream,
}

/// A cheap, cloneable sink of outgoing frames: a session's general stream, or one request's
/// reply stream (on HTTP, that request's POST response).
#[derive(Debug, Clone)]
pub(crate) struct Outbound {
    tx: mpsc::UnboundedSender<OutFrame>,
}

impl Outbound {
    pub(crate) fn new() -> (Self, mpsc::UnboundedReceiver<OutFrame>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self { tx }, rx)
    }

    /// Sends a frame that is not a response; false when the other side is gone.
    pub(crate) fn send(&self, text: String) -> bool {
        self.tx.send(OutFrame::Message { text, written: None, response_to: None }).is_ok()
    }

    pub(crate) fn notify<T: Serialize>(&self, method: &str, params: &T) -> bool {
        self.send(encode_notification(method, Some(params)))
    }

    /// Sends the response to `id`; the receiver fires once it is written.
    pub(crate) fn respond(&self, id: RequestId, text: String, track: bool) -> Option<oneshot::Receiver<()>> {
        let (written, rx) = if track {
            let (tx, rx) = oneshot::channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let _ = self.tx.send(OutFrame::Message { text, written, response_to: Some(id) });
        rx
    }

    pub(crate) fn no_response(&self, id: RequestId) {
        let _ = self.tx.send(OutFrame::NoResponse(id));
    }

    /// Asks the transport to end this stream after the frames already sent (see [`OutFrame::CloseStream`]).
    pub(crate) fn close_stream(&self) -> bool {
        self.tx.send(OutFrame::CloseStream).is_ok()
    }
}
