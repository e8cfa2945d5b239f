//! The server the HTTP tests talk to.

use mcp_server::protocol::{ElicitationSchema, FormField, ResourceContents};
use mcp_server::{
    tool, CancellationToken, Cancelled, Logger, McpServer, Peer, PeerError, ProgressReporter, RequestContext, Resource,
};
use std::time::Duration;

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

/// Closes its SSE stream, waits, then answers (the client resumes with Last-Event-ID).
#[tool(read_only)]
async fn reconnect(ctx: RequestContext, progress: ProgressReporter) -> String {
    progress.report(1.0, None, Some("before close")).await;
    ctx.close_sse_stream();
    tokio::time::sleep(Duration::from_millis(50)).await;
    progress.report(2.0, None, Some("after close")).await;
    "resumed".into()
}

pub(crate) fn server() -> McpServer {
    McpServer::new("http-test").tool(EchoTool).tool(SlowTool).tool(ConfirmTool).tool(ReconnectTool).resource(
        Resource::new("test://counter", "counter")
            .read(|_ctx| async { Ok(vec![ResourceContents::text("test://counter", "text/plain", "1")]) }),
    )
}
