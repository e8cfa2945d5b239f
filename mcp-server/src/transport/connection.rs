//! The loop shared by stream transports (stdio, in-memory): read frames, hand them to the
//! session, and let one writer task own the write half.
//!
//! Backpressure: the session's outbound queue is bounded. When the client stops reading, the
//! writer blocks on the sink, the queue fills, requests wait to write their answers, the session
//! reaches its in-flight limit, and the reader blocks writing the refusal of the next request:
//! the server stops reading, and its memory stays flat.

use crate::call::{OutFrame, Outbound};
use crate::server::{ServerHandle, SessionOptions};
use std::future::Future;
use std::io;
use tokio::sync::mpsc::Receiver;

/// One inbound item.
pub(crate) enum Inbound {
    Frame(String),
    Oversized(usize),
}

pub(crate) trait FrameSource: Send {
    /// The next frame; `None` at end of stream.
    fn next_frame(&mut self, max: usize) -> impl Future<Output = io::Result<Option<Inbound>>> + Send;
}

pub(crate) trait FrameSink: Send + 'static {
    /// Writes the frames (in order, draining the vector) and flushes.
    fn write_frames(&mut self, frames: &mut Vec<String>) -> impl Future<Output = io::Result<()>> + Send;
}

/// Most frames written (and flushed) together.
const WRITE_BATCH: usize = 64;

async fn writer_loop<S: FrameSink>(mut sink: S, mut rx: Receiver<OutFrame>) {
    let mut batch = Vec::new();
    let mut acks = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(frame) = next.take() {
            match frame {
                OutFrame::Message(text) => batch.push(text),
                OutFrame::Response { text, written, .. } => {
                    batch.push(text);
                    acks.extend(written);
                }
                OutFrame::NoResponse(_) | OutFrame::CloseStream => {}
            }
            if batch.len() < WRITE_BATCH {
                next = rx.try_recv().ok();
            }
        }
        if batch.is_empty() {
            continue;
        }
        if let Err(e) = sink.write_frames(&mut batch).await {
            tracing::debug!(error = %e, "transport closed while writing");
            return;
        }
        batch.clear();
        for ack in acks.drain(..) {
            let _ = ack.send(());
        }
    }
}

/// Serves one connection until the source ends or the server shuts down.
pub(crate) async fn run_connection<R: FrameSource, W: FrameSink>(
    handle: &ServerHandle,
    mut source: R,
    sink: W,
) -> io::Result<()> {
    let (out, rx) = Outbound::new();
    let mut writer = tokio::spawn(writer_loop(sink, rx));
    let session = handle.open_session(SessionOptions { id: None, notify: out.clone(), stateless: None });
    let max = handle.shared.config.max_frame_bytes;
    let result = loop {
        let next = tokio::select! {
            n = source.next_frame(max) => n,
            () = session.cancel.cancelled() => break Ok(()),
        };
        let frame = match next {
            Ok(Some(frame)) => frame,
            Ok(None) => {
                // EOF: requests already read still get their answers (bounded by the deadline).
                let deadline = handle.shared.config.shutdown_deadline;
                if tokio::time::timeout(deadline, session.wait_idle()).await.is_err() {
                    tracing::warn!("requests still in flight at end of input; cancelling them");
                }
                break Ok(());
            }
            Err(e) => break Err(e),
        };
        let handled = async {
            match &frame {
                Inbound::Frame(text) => session.handle_frame(text, &out).await,
                Inbound::Oversized(n) => session.reject_oversized(&out, *n).await,
            }
        };
        tokio::select! {
            () = handled => {}
            () = session.cancel.cancelled() => break Ok(()),
        }
    };
    handle.close_session(&session);
    drop(session);
    drop(out);
    if tokio::time::timeout(std::time::Duration::from_secs(2), &mut writer).await.is_err() {
        // A client that stopped reading: end the writer, so its queue goes away and requests
        // still waiting to write into it give up instead of waiting forever.
        tracing::debug!("writer still blocked at connection close: aborting it");
        writer.abort();
    }
    result
}
