//! In-process transport: paired channels carrying JSON frames through the same codec the wire
//! uses. [`TestClient`](crate::testing::TestClient) is built on it.

use super::{run_connection, FrameSink, FrameSource, Inbound};
use crate::server::ServerHandle;
use std::io;
use tokio::sync::mpsc;

/// The client end of an in-memory connection: send frames with `tx`, receive with `rx`.
#[derive(Debug)]
pub struct MemoryTransport {
    /// Frames to the server.
    pub tx: mpsc::UnboundedSender<String>,
    /// Frames from the server.
    pub rx: mpsc::UnboundedReceiver<String>,
}

struct ChannelSource(mpsc::UnboundedReceiver<String>);

impl FrameSource for ChannelSource {
    async fn next_frame(&mut self, max: usize) -> io::Result<Option<Inbound>> {
        Ok(self.0.recv().await.map(|f| if f.len() > max { Inbound::Oversized(f.len()) } else { Inbound::Frame(f) }))
    }
}

struct ChannelSink(mpsc::UnboundedSender<String>);

impl FrameSink for ChannelSink {
    async fn write_frames(&mut self, frames: &mut Vec<String>) -> io::Result<()> {
        for f in frames.drain(..) {
            self.0.send(f).map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "client dropped"))?;
        }
        Ok(())
    }
}

impl ServerHandle {
    /// Opens an in-memory connection served on a spawned task. Must be called inside a Tokio runtime.
    pub fn connect_memory(&self) -> MemoryTransport {
        let (to_server, from_client) = mpsc::unbounded_channel();
        let (to_client, from_server) = mpsc::unbounded_channel();
        let handle = self.clone();
        tokio::spawn(async move {
            if let Err(e) = run_connection(&handle, ChannelSource(from_client), ChannelSink(to_client)).await {
                tracing::debug!(error = %e, "in-memory connection ended with an error");
            }
        });
        MemoryTransport { tx: to_server, rx: from_server }
    }
}
