use super::RequestContext;
use serde_json::{json, Value};

/// Sends `notifications/progress` for the current request.
///
/// A no-op when the request carried no `progressToken`; the token is echoed with its exact JSON
/// type. Progress must increase: a value not above the last one sent is dropped, and nothing is
/// sent after the request was cancelled or answered.
///
/// ```
/// use mcp_server::{tool, ProgressReporter};
///
/// /// Count to three, reporting progress.
/// #[tool]
/// async fn count(progress: ProgressReporter) -> String {
///     for i in 1..=3 {
///         progress.report(f64::from(i), Some(3.0), Some("counting")).await;
///     }
///     "done".into()
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ProgressReporter {
    ctx: RequestContext,
}

impl ProgressReporter {
    pub(crate) fn new(ctx: RequestContext) -> Self {
        Self { ctx }
    }

    /// Whether the client asked for progress (sent a `progressToken`).
    pub fn is_enabled(&self) -> bool {
        self.ctx.progress_token().is_some()
    }

    /// Reports `progress` (of `total`, if known) with an optional message. Waits while the
    /// client's stream is full (a client that does not read slows the tool down instead of growing
    /// the server's memory).
    ///
    /// # Cancellation safety
    /// Cancellation safe: dropped while waiting for room, the notification is not sent (and that
    /// value counts as reported).
    pub async fn report(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        let Some(token) = self.ctx.progress_token() else { return };
        if self.ctx.is_cancelled() || !progress.is_finite() || !self.ctx.advance_progress(progress) {
            return;
        }
        let mut params = json!({ "progressToken": token, "progress": progress });
        if let Value::Object(map) = &mut params {
            if let Some(t) = total {
                map.insert("total".into(), json!(t));
            }
            if let Some(m) = message {
                map.insert("message".into(), json!(m));
            }
        }
        let frame = crate::jsonrpc::encode_notification("notifications/progress", Some(&params));
        self.ctx.reply().send(frame).await;
    }
}
