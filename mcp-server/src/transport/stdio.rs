//! Newline-delimited JSON-RPC over stdin/stdout. Stdout carries only MCP; log to stderr.

use super::{run_connection, FrameSink, FrameSource, Inbound, ServeError};
use crate::server::{McpServer, ServerHandle};
use std::io;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};

/// Reads newline-delimited frames, enforcing a size limit without buffering oversized lines.
pub(crate) struct LineSource<R> {
    inner: R,
}

impl<R: AsyncBufRead + Unpin + Send> FrameSource for LineSource<R> {
    async fn next_frame(&mut self, max: usize) -> io::Result<Option<Inbound>> {
        let mut buf: Vec<u8> = Vec::new();
        let mut size = 0usize;
        loop {
            let available = self.inner.fill_buf().await?;
            if available.is_empty() {
                return Ok(finish(buf, size, max));
            }
            let (chunk, done) = match available.iter().position(|b| *b == b'\n') {
                Some(pos) => (&available[..pos], Some(pos + 1)),
                None => (available, None),
            };
            size += chunk.len();
            if size <= max {
                buf.extend_from_slice(chunk);
            }
            let consumed = done.unwrap_or(available.len());
            self.inner.consume(consumed);
            if done.is_some() {
                if size == 0 || buf.iter().all(u8::is_ascii_whitespace) && size <= max {
                    buf.clear();
                    size = 0;
                    continue;
                }
                return Ok(finish(buf, size, max));
            }
        }
    }
}

fn finish(mut buf: Vec<u8>, size: usize, max: usize) -> Option<Inbound> {
    if size > max {
        return Some(Inbound::Oversized(size));
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    if buf.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    Some(Inbound::Frame(String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())))
}

pub(crate) struct LineSink<W> {
    inner: W,
    buf: Vec<u8>,
}

impl<W: AsyncWrite + Unpin + Send + 'static> FrameSink for LineSink<W> {
    async fn write_frames(&mut self, frames: &mut Vec<String>) -> io::Result<()> {
        self.buf.clear();
        for f in frames.drain(..) {
            self.buf.extend_from_slice(f.as_bytes());
            self.buf.push(b'\n');
        }
        self.inner.write_all(&self.buf).await?;
        self.inner.flush().await
    }
}

/// Serves one connection over any byte streams (a socket pair, a child's pipes, …) until the
/// reader ends.
///
/// # Cancellation safety
/// Dropping the future ends the connection: requests in flight are cancelled.
pub async fn serve_streams<R, W>(handle: &ServerHandle, reader: R, writer: W) -> Result<(), ServeError>
where
    R: tokio::io::AsyncRead + Unpin + Send,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let source = LineSource { inner: BufReader::with_capacity(64 * 1024, reader) };
    let sink = LineSink { inner: writer, buf: Vec::with_capacity(8 * 1024) };
    run_connection(handle, source, sink).await?;
    Ok(())
}

impl ServerHandle {
    /// Serves this server over stdin/stdout until stdin reaches EOF, then shuts down cleanly
    /// (background tasks and middleware are drained within the shutdown deadline).
    ///
    /// # Cancellation safety
    /// Dropping the future stops serving abruptly, without the graceful shutdown.
    pub async fn serve_stdio(&self) -> Result<(), ServeError> {
        let result = serve_streams(self, tokio::io::stdin(), tokio::io::stdout()).await;
        self.shutdown().await;
        result
    }
}

impl McpServer {
    /// Builds the server and serves it over stdio until stdin closes.
    ///
    /// # Cancellation safety
    /// As [`ServerHandle::serve_stdio`].
    pub async fn serve_stdio(self) -> Result<(), ServeError> {
        self.build()?.serve_stdio().await
    }
}
