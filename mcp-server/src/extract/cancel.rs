use crate::error::Cancelled;
use std::time::Duration;

/// Cancellation of the current request, triggered by the client's `notifications/cancelled`
/// (and by session close or server shutdown).
///
/// A cancelled request gets **no** response and counts as neither success nor failure. The
/// runtime stops awaiting the tool as soon as the request is cancelled; `check` and `wait` let a
/// tool notice earlier, between steps.
///
/// ```
/// use mcp_server::{tool, CancellationToken, Cancelled};
///
/// /// Work through chunks until done or cancelled.
/// #[tool]
/// async fn crunch(chunks: u32, cancel: CancellationToken) -> Result<String, Cancelled> {
///     for _ in 0..chunks {
///         cancel.check()?;
///         tokio::task::yield_now().await;
///     }
///     Ok("done".into())
/// }
/// ```
#[derive(Debug, Clone, Default)]
pub struct CancellationToken {
    inner: tokio_util::sync::CancellationToken,
}

impl CancellationToken {
    pub(crate) fn new(inner: tokio_util::sync::CancellationToken) -> Self {
        Self { inner }
    }

    /// A token that is cancelled only by [`CancellationToken::cancel`] (for tests).
    pub fn standalone() -> Self {
        Self::default()
    }

    /// Cancels the token (and every request waiting on it).
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    /// Whether cancellation was requested.
    pub fn is_cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }

    /// `Err(Cancelled)` once cancelled: `cancel.check()?` ends the tool.
    pub fn check(&self) -> Result<(), Cancelled> {
        if self.is_cancelled() {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }

    /// Waits up to `timeout`: `true` when cancelled, `false` when the time ran out.
    ///
    /// # Cancellation safety
    /// Cancellation safe: dropping the future has no effect on the token.
    pub async fn wait(&self, timeout: Duration) -> bool {
        tokio::time::timeout(timeout, self.inner.cancelled()).await.is_ok()
    }

    /// Completes when cancelled.
    ///
    /// # Cancellation safety
    /// Cancellation safe.
    pub async fn cancelled(&self) {
        self.inner.cancelled().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Paused clock: the timeout can only fire once the spawned cancel has run (or cannot run).
    #[tokio::test(start_paused = true)]
    async fn wait_reports_cancel_or_timeout() {
        let t = CancellationToken::standalone();
        let start = tokio::time::Instant::now();
        assert!(!t.wait(Duration::from_millis(5)).await);
        assert_eq!(start.elapsed(), Duration::from_millis(5));
        assert_eq!(t.check(), Ok(()));
        let t2 = t.clone();
        tokio::spawn(async move { t2.cancel() });
        let start = tokio::time::Instant::now();
        assert!(t.wait(Duration::from_secs(5)).await);
        assert_eq!(start.elapsed(), Duration::ZERO, "no waiting once cancelled");
        assert_eq!(t.check(), Err(Cancelled));
    }
}
