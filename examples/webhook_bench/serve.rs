//! `--serve`: the benchmark's `echo` server as a process of its own, over stdio (or `--http
//! ADDR`), so a separate client (`../shared/bench/compare.sh`, the MCP SDKs) can measure it whole:
//! transport, dispatch, the tool and, with `--webhook-url URL`, all three webhook events.

use crate::{number, value, EchoTool};
use mcp_server::middleware::WebhookMiddleware;
use mcp_server::McpServer;
use std::time::Duration;

/// Serves `echo` until the client hangs up. With `--webhook-url URL`, every call sends
/// `tool.call` and `tool.success` to `URL`: in batches (`--batch N`, `--batch-delay-ms N`,
/// `--queue N`, as in the in-process benchmark), or one event per POST with `--per-post`.
pub(crate) async fn serve(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    crate::common::init_logging();
    let mut server = McpServer::new("webhook-bench").tool(EchoTool);
    if let Some(url) = value(args, "--webhook-url") {
        let mut builder = WebhookMiddleware::builder(url);
        if !args.iter().any(|a| a == "--per-post") {
            builder = builder
                .batch(
                    number(args, "--batch", crate::DEFAULT_BATCH)?.max(1),
                    Duration::from_millis(number(args, "--batch-delay-ms", 20)? as u64),
                )
                .queue_capacity(number(args, "--queue", crate::DEFAULT_QUEUE)?.max(1));
        }
        let webhook = builder.build()?;
        server = server.middleware(webhook.clone());
        let result = crate::common::serve(server).await;
        tracing::info!(
            delivered = webhook.delivered(),
            dropped = webhook.dropped(),
            failed = webhook.failed(),
            "webhook events"
        );
        return result;
    }
    crate::common::serve(server).await
}
