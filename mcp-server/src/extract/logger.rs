use super::RequestContext;
use crate::protocol::LogLevel;
use serde::Serialize;
use serde_json::json;

/// Sends `notifications/message` to the client, filtered by the level it set with
/// `logging/setLevel` (default: `info`). Messages are mirrored to `tracing`.
///
/// Logging never waits: a message that finds the client's stream full (a client that stopped
/// reading) is dropped, and the drop is logged at `debug`.
///
/// ```
/// use mcp_server::{tool, Logger};
///
/// /// Say hello, and log it.
/// #[tool]
/// async fn hello(logger: Logger) -> String {
///     logger.info("saying hello");
///     "hello".into()
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Logger {
    ctx: RequestContext,
    name: Option<String>,
}

impl Logger {
    pub(crate) fn new(ctx: RequestContext) -> Self {
        Self { ctx, name: None }
    }

    /// The same logger with a `logger` name on every message.
    #[must_use]
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Whether messages at `level` reach the client.
    pub fn enabled(&self, level: LogLevel) -> bool {
        level >= self.ctx.client().log_level()
    }

    /// Logs structured `data` at `level`.
    pub fn log<T: Serialize>(&self, level: LogLevel, data: &T) {
        let data = serde_json::to_value(data).unwrap_or_else(|e| json!(format!("<unserializable: {e}>")));
        tracing::debug!(level = level.as_str(), logger = self.name.as_deref(), %data, "mcp log message");
        if !self.enabled(level) {
            return;
        }
        let mut params = json!({ "level": level, "data": data });
        if let (Some(name), Some(map)) = (&self.name, params.as_object_mut()) {
            map.insert("logger".into(), json!(name));
        }
        if !self.ctx.reply().try_notify("notifications/message", &params) {
            tracing::debug!(level = level.as_str(), "log message dropped: the client's stream is full or closed");
        }
    }

    /// Logs a debug message.
    pub fn debug(&self, msg: impl Into<String>) {
        self.log(LogLevel::Debug, &msg.into());
    }

    /// Logs an info message.
    pub fn info(&self, msg: impl Into<String>) {
        self.log(LogLevel::Info, &msg.into());
    }

    /// Logs a warning.
    pub fn warning(&self, msg: impl Into<String>) {
        self.log(LogLevel::Warning, &msg.into());
    }

    /// Logs an error.
    pub fn error(&self, msg: impl Into<String>) {
        self.log(LogLevel::Error, &msg.into());
    }
}
