//! In-process transport: paired bounded channels carrying JSON frames through the same codec the
//! wire uses. `testing::TestClient` is built on it.

use super::{run_connection, FrameSink, FrameSource, Inbound};
use crate::server::ServerHandle;
use std::io;
use tokio::sync::mpsc;

/// Frames each direction of an in-memory connection holds before its sender waits.
pub const CHANNEL_CAPACITY: usize = 256;

/// The client end of an in-memory connection: send frames with `tx`, receive with `rx`.
///
/// Both channels are bounded ([`CHANNEL_CAPACITY`]): a client that stops reading `rx` makes the
/// server stop reading `tx`, as a real pipe would.
#[derive(Debug)]
pub struct MemoryTransport {
    /// Frames to the server.
    pub tx: mpsc::Sender<String>,
    /// Frames from the server.
    pub rx: mpsc::Receiver<String>,
}

struct ChannelSource(mpsc::Receiver<String>);

impl FrameSource for ChannelSource {
    async fn next_frame(&mut self, max: usize) -> io::Result<Option<Inbound>> {
        Ok(self.0.recv().await.map(|f| if f.len() > max { Inbound::Oversized(f.len()) } else { Inbound::Frame(f) }))
    }
}

struct ChannelSink(mpsc::Sender<String>);

impl FrameSink for ChannelSink {
    async fn write_frames(&mut self, frames: &mut Vec<String>) -> io::Result<()> {
        for f in frames.drain(..) {
            self.0.send(f).await.map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "client dropped"))?;
        }
        Ok(())
    }
}

impl ServerHandle {
    /// Opens an in-memory connection served on a spawned task. Must be called inside a Tokio runtime.
    pub fn connect_memory(&self) -> MemoryTransport {
        let (to_server, from_client) = mpsc::channel(CHANNEL_CAPACITY);
        let (to_client, from_server) = mpsc::channel(CHANNEL_CAPACITY);
        let handle = self.clone();
        tokio::spawn(async move {
            if let Err(e) = run_connection(&handle, ChannelSource(from_client), ChannelSink(to_client)).await {
                tracing::debug!(error = %e, "in-memory connection ended with an error");
            }
        });
        MemoryTransport { tx: to_server, rx: from_server }
    }
}
