//! Shared start-up for the examples: logs to stderr, and serves over stdio by default or over
//! streamable HTTP with `--http ADDR`.
#![allow(dead_code, reason = "each example uses a different subset of these helpers")]

use mcp_server::McpServer;

/// Logs go to stderr (stdout carries only MCP). `RUST_LOG` sets the filter (default `info`).
pub(crate) fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false).try_init();
}

/// The value of `--http ADDR`, if given.
pub(crate) fn http_addr() -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == "--http").and_then(|i| args.get(i + 1).cloned())
}

/// Serves `server` over stdio, or over streamable HTTP at `http://ADDR/mcp` when `--http ADDR`
/// was given (Ctrl-C or SIGTERM shuts it down gracefully).
pub(crate) async fn serve(server: McpServer) -> Result<(), Box<dyn std::error::Error>> {
    let handle = server.build()?;
    match http_addr() {
        Some(addr) => handle.serve_http(addr.as_str()).await?,
        None => handle.serve_stdio().await?,
    }
    Ok(())
}
