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

    /// Reports `progress` (of `total`, if known) with an optional message.
    ///
    /// # Cancellation safety
    /// Cancellation safe: the notification is queued before the first await point.
    pub async fn report(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        let Some(token) = self.ctx.progress_token() else { return };
        if self.ctx.is_cancelled() || !progress.is_finite() {
            return;
        }
        {
            let mut last = match self.ctx.inner.last_progress.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            if last.is_some_and(|l| progress <= l) {
                return;
            }
            *last = Some(progress);
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
        self.ctx.inner.reply.notify("notifications/progress", &params);
    }
}
