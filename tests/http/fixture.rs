//! The server the HTTP tests talk to.

use crate::client::PATIENCE;
use mcp_server::protocol::{ElicitationSchema, FormField, ResourceContents};
use mcp_server::{
    tool, CancellationToken, Cancelled, Logger, McpServer, Peer, PeerError, ProgressReporter, RequestContext, Resource,
    State,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Semaphore};

/// Echo the text back.
#[tool(read_only)]
async fn echo(text: String) -> String {
    text
}

/// Counts to `steps`, one step every `delay_ms`, with progress; stops when cancelled.
#[tool(read_only)]
async fn slow(
    #[arg(default = 3)] steps: u32,
    #[arg(default = 20)] delay_ms: u64,
    progress: ProgressReporter,
    cancel: CancellationToken,
    logger: Logger,
) -> Result<String, Cancelled> {
    for step in 1..=steps {
        if cancel.wait(Duration::from_millis(delay_ms)).await {
            return Err(Cancelled);
        }
        logger.info(format!("step {step}"));
        progress.report(f64::from(step), Some(f64::from(steps)), None).await;
    }
    Ok(format!("done {steps}"))
}

/// Asks the user to confirm.
#[tool]
async fn confirm(peer: Peer) -> Result<String, PeerError> {
    let form = ElicitationSchema::new().required("ok", FormField::boolean().default(true));
    let answer = peer.elicit_form("Proceed?", &form).await?;
    Ok(format!("{}:{}", answer.action.as_str(), answer.get::<bool>("ok").unwrap_or(false)))
}

/// Closes its SSE stream, waits for the test's go-ahead, then answers (the client resumes with
/// Last-Event-ID).
#[tool(read_only)]
async fn reconnect(ctx: RequestContext, progress: ProgressReporter, steps: State<Steps>) -> String {
    progress.report(1.0, None, Some("before close")).await;
    ctx.close_sse_stream();
    steps.take().await;
    progress.report(2.0, None, Some("after close")).await;
    "resumed".into()
}

/// Takes `steps` steps, each when the test allows it, reporting progress (a cancelled call is
/// dropped by the runtime mid-wait).
#[tool(read_only)]
async fn stepped(steps: u32, gate: State<Steps>, progress: ProgressReporter) -> String {
    let _running = gate.running();
    for step in 1..=steps {
        gate.take().await;
        progress.report(f64::from(step), Some(f64::from(steps)), None).await;
        gate.taken.send_replace(step);
    }
    format!("done {steps}")
}

/// A test's hold on the `stepped` and `reconnect` tools: they take a step only when allowed, and
/// the test sees how far they got and whether one is still running.
pub(crate) struct Steps {
    allowed: Semaphore,
    taken: watch::Sender<u32>,
    running: watch::Sender<usize>,
}

/// Counts a tool as running until dropped (also when the runtime drops a cancelled tool).
struct Running<'a>(&'a Steps);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.running.send_modify(|n| *n -= 1);
    }
}

impl Steps {
    fn running(&self) -> Running<'_> {
        self.running.send_modify(|n| *n += 1);
        Running(self)
    }

    async fn take(&self) {
        self.allowed.acquire().await.expect("never closed").forget();
    }

    /// Lets the tools take `n` more steps.
    pub(crate) fn allow(&self, n: usize) {
        self.allowed.add_permits(n);
    }

    /// Waits until `stepped` has reported progress `step`.
    pub(crate) async fn reached(&self, step: u32) {
        let mut rx = self.taken.subscribe();
        let reached = tokio::time::timeout(PATIENCE, rx.wait_for(|&s| s >= step)).await;
        assert!(reached.is_ok(), "step {step} not reached");
    }

    /// Waits until no `stepped` call is running (it returned, or was dropped when cancelled).
    pub(crate) async fn stopped(&self) {
        let mut rx = self.running.subscribe();
        let stopped = tokio::time::timeout(PATIENCE, rx.wait_for(|&n| n == 0)).await;
        assert!(stopped.is_ok(), "a stepped call is still running");
    }
}

/// The test server, with the [`Steps`] its gated tools wait on.
pub(crate) fn gated_server() -> (McpServer, Arc<Steps>) {
    let steps =
        Arc::new(Steps { allowed: Semaphore::new(0), taken: watch::Sender::new(0), running: watch::Sender::new(0) });
    (server().shared_state(Arc::clone(&steps)), steps)
}

pub(crate) fn server() -> McpServer {
    McpServer::new("http-test")
        .tool(EchoTool)
        .tool(SlowTool)
        .tool(ConfirmTool)
        .tool(ReconnectTool)
        .tool(SteppedTool)
        .resource(
            Resource::new("test://counter", "counter")
                .read(|_ctx| async { Ok(vec![ResourceContents::text("test://counter", "text/plain", "1")]) }),
        )
}
