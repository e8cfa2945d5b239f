use super::RequestContext;
use crate::call::BackgroundTask as BgTask;
use futures_util::FutureExt as _;
use std::future::Future;
use std::panic::AssertUnwindSafe;

mod sealed {
    pub trait Sealed {}
    impl Sealed for () {}
    impl<E: std::fmt::Display> Sealed for Result<(), E> {}
}

/// What a background task may return: `()` or a `Result<(), E: Display>` whose error is logged.
pub trait TaskOutcome: sealed::Sealed {
    #[doc(hidden)]
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

/// Something [`BackgroundTasks::add`] accepts: a future, or a closure returning one (an `async`
/// closure included). `M` only tells the two impls apart; it is always inferred.
pub trait IntoBackgroundTask<M>: Send + 'static {
    #[doc(hidden)]
    fn into_task(self) -> BgTask;
}

#[doc(hidden)]
#[derive(Debug)]
pub enum FutureTask {}

#[doc(hidden)]
#[derive(Debug)]
pub enum ClosureTask {}

impl<F> IntoBackgroundTask<FutureTask> for F
where
    F: Future + Send + 'static,
    F::Output: TaskOutcome,
{
    fn into_task(self) -> BgTask {
        Box::pin(async move { self.await.into_outcome() })
    }
}

impl<C, F> IntoBackgroundTask<ClosureTask> for C
where
    C: FnOnce() -> F + Send + 'static,
    F: Future + Send + 'static,
    F::Output: TaskOutcome,
{
    fn into_task(self) -> BgTask {
        // The closure runs when the task's turn comes, not when it is added.
        Box::pin(async move { self().await.into_outcome() })
    }
}

/// Work to run after the response has been written to the transport.
///
/// Tasks run in the order added, one after another; a failing (`Err`) or panicking task is
/// logged and the rest still run. They are tracked by the server and drained (within its
/// shutdown deadline) by [`ServerHandle::shutdown`](crate::ServerHandle::shutdown). A request the
/// client cancelled sends no response, so its background tasks never run.
///
/// ```
/// use mcp_server::{tool, BackgroundTasks};
///
/// async fn send_welcome_email(to: String) -> Result<(), std::io::Error> {
///     tracing::info!(%to, "welcome mail sent");
///     Ok(())
/// }
///
/// /// Create a user, then send the welcome mail and count the sign-up in the background.
/// #[tool]
/// async fn create_user(email: String, bg: BackgroundTasks) -> String {
///     bg.add(send_welcome_email(email.clone())); // a future
///     bg.add(|| async { tracing::info!("sign-up counted") }); // a closure returning one
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

    /// Queues `task` — a future, or a closure returning one — to run after the response is sent.
    /// Its output is `()` or a `Result<(), E: Display>` whose error is logged.
    pub fn add<M>(&self, task: impl IntoBackgroundTask<M>) {
        self.ctx.push_background(task.into_task());
    }
}

/// Runs `tasks` in order once `written` fires (or its sender is dropped).
pub(crate) async fn run_background(tasks: Vec<BgTask>, written: Option<tokio::sync::oneshot::Receiver<()>>) {
    if tasks.is_empty() {
        return;
    }
    if let Some(rx) = written {
        let _ = rx.await;
    }
    for (i, task) in tasks.into_iter().enumerate() {
        match AssertUnwindSafe(task).catch_unwind().await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(task = i, error = %e, "background task failed"),
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(task = i, panic = %msg, "background task panicked");
            }
        }
    }
}
