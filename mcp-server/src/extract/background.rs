use super::RequestContext;
use futures_util::future::BoxFuture;
use futures_util::FutureExt as _;
use std::future::Future;
use std::panic::AssertUnwindSafe;

pub(crate) type BgTask = BoxFuture<'static, Result<(), String>>;

/// What a background task may return: `()` or a `Result` whose error is logged.
pub trait TaskOutcome {
    /// `Err(message)` when the task failed.
    fn into_outcome(self) -> Result<(), String>;
}

impl TaskOutcome for () {
    fn into_outcome(self) -> Result<(), String> {
        Ok(())
    }
}

impl<E: std::fmt::Display> TaskOutcome for Result<(), E> {
    fn into_outcome(self) -> Result<(), String> {
        self.map_err(|e| e.to_string())
    }
}

/// Work to run after the response has been written to the transport.
///
/// Tasks run in the order added, one after another; a failing or panicking task is logged and
/// the rest still run. They are tracked by the server and drained (within a deadline) at shutdown.
///
/// ```
/// use mcp_server::{tool, BackgroundTasks};
///
/// /// Create a user, then send the welcome mail in the background.
/// #[tool]
/// async fn create_user(email: String, bg: BackgroundTasks) -> String {
///     let to = email.clone();
///     bg.add(async move { tracing::info!(%to, "welcome mail sent") });
///     format!("created {email}")
/// }
/// ```
#[derive(Debug, Clone)]
pub struct BackgroundTasks {
    ctx: RequestContext,
}

impl BackgroundTasks {
    pub(crate) fn new(ctx: RequestContext) -> Self {
        Self { ctx }
    }

    /// Queues `task` to run after the response is sent.
    pub fn add<F>(&self, task: F)
    where
        F: Future + Send + 'static,
        F::Output: TaskOutcome,
    {
        let boxed: BgTask = Box::pin(async move { task.await.into_outcome() });
        match self.ctx.inner.background.lock() {
            Ok(mut g) => g.push(boxed),
            Err(p) => p.into_inner().push(boxed),
        }
    }
}

/// Runs `tasks` in order once `written` fires (or its sender is dropped).
pub(crate) async fn run_background(tasks: Vec<BgTask>, written: Option<tokio::sync::oneshot::Receiver<()>>) {
    if let Some(rx) = written {
        let _ = rx.await;
    }
    for (i, task) in tasks.into_iter().enumerate() {
        match AssertUnwindSafe(task).catch_unwind().await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(task = i, error = %e, "background task failed"),
            Err(_) => tracing::error!(task = i, "background task panicked"),
        }
    }
}
