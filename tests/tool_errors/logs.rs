//! What the server logs during one test.

use std::io::Write;
use std::sync::{Arc, Mutex};
use tracing::subscriber::DefaultGuard;

/// Captures the `warn` and `error` events of this thread while it lives. A `#[tokio::test]` runs
/// the server's tasks on its own (current) thread, so the capture sees exactly this test's server.
pub(crate) struct Capture {
    text: Arc<Mutex<Vec<u8>>>,
    _guard: DefaultGuard,
}

impl Capture {
    /// Starts capturing.
    pub(crate) fn start() -> Self {
        let text = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&text);
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::WARN)
            .with_writer(move || Writer(Arc::clone(&sink)))
            .finish();
        Self { text, _guard: tracing::subscriber::set_default(subscriber) }
    }

    /// Everything logged so far.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.text.lock().unwrap()).into_owned()
    }

    /// The one line logged so far that contains `needle`.
    pub(crate) fn line_with(&self, needle: &str) -> String {
        let text = self.text();
        let lines: Vec<&str> = text.lines().filter(|line| line.contains(needle)).collect();
        assert_eq!(lines.len(), 1, "one line with {needle:?} in:\n{text}");
        lines[0].to_owned()
    }
}

struct Writer(Arc<Mutex<Vec<u8>>>);

impl Write for Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
