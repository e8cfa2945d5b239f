//! The smallest complete server: `echo`, `add` and `slow` tools, a static resource, a URI template
//! and a prompt. Serves stdio by default, streamable HTTP with `--http 127.0.0.1:8080`.
//!
//! ```text
//! cargo run --example hello
//! ```
//!
//! `--stack seed` (or `MCP_STACK=seed`) wraps the same tools in the seed's whole middleware stack,
//! for benchmarks: signed audit log (to a temp file) → webhook on `tool.error` (to a closed local
//! port: it never fires for successful calls) → circuit breaker → JWT auth (HS256; secret and the
//! stdio token from `MCP_JWT_SECRET` / `MCP_AUTH_TOKEN`, else a demo secret and anonymous calls;
//! `echo` needs no authentication).

#[path = "common/mod.rs"]
mod common;
#[path = "security/mod.rs"]
mod security;

use mcp_server::middleware::{WebhookEvent, WebhookMiddleware};
use mcp_server::protocol::{Content, GetPromptResult, PromptMessage, ResourceContents};
use mcp_server::{
    tool, CancellationToken, Cancelled, CircuitBreakerMiddleware, McpServer, ProgressReporter, Prompt, Resource,
    ResourceTemplate,
};
use std::time::Duration;

/// Echo the text back unchanged.
#[tool(read_only, idempotent)]
async fn echo(#[arg(description = "Text to echo back")] text: String) -> String {
    text
}

/// Add two integers.
///
/// # Arguments
/// * `a` - The first addend
/// * `b` - The second addend
#[tool(read_only, idempotent)]
async fn add(a: i64, b: i64) -> String {
    (a + b).to_string()
}

/// Work through `steps` steps of `delay_ms` each, reporting progress; stops when cancelled.
#[tool(read_only)]
async fn slow(
    #[arg(description = "How many steps to take", default = 5)] steps: u32,
    #[arg(description = "Milliseconds per step", default = 100)] delay_ms: u64,
    progress: ProgressReporter,
    cancel: CancellationToken,
) -> Result<String, Cancelled> {
    for step in 1..=steps {
        if cancel.wait(Duration::from_millis(delay_ms)).await {
            return Err(Cancelled);
        }
        progress.report(f64::from(step), Some(f64::from(steps)), Some(&format!("step {step}/{steps}"))).await;
    }
    Ok(format!("finished {steps} steps"))
}

fn server() -> McpServer {
    McpServer::new("hello")
        .version(env!("CARGO_PKG_VERSION"))
        .instructions("A demo server: echo text, add numbers, or run a slow job with progress.")
        .tool(EchoTool)
        .tool(AddTool)
        .tool(SlowTool)
        .resource(
            Resource::text("hello://readme", "readme", "text/plain", "Hello from mcp-server!")
                .description("A static greeting"),
        )
        .resource_template(
            ResourceTemplate::new("hello://greeting/{name}", "greeting")
                .description("A greeting for {name}")
                .mime_type("text/plain")
                .read(|_ctx, params| async move {
                    let name = params.get("name").cloned().unwrap_or_default();
                    let uri = format!("hello://greeting/{name}");
                    Ok(vec![ResourceContents::text(uri, "text/plain", format!("Hello, {name}!"))])
                }),
        )
        .prompt(
            Prompt::new("greet", "Write a friendly greeting for someone.").argument("name", "Who to greet", true).get(
                |_ctx, args| async move {
                    let name = args.get("name").cloned().unwrap_or_default();
                    Ok(GetPromptResult {
                        description: Some(format!("Greeting for {name}")),
                        messages: vec![PromptMessage::user(Content::text(format!(
                            "Write a short, warm greeting for {name}."
                        )))],
                    })
                },
            ),
        )
}

/// Whether `--stack seed` or `MCP_STACK=seed` asks for the seed's middleware stack.
fn seed_stack_requested() -> bool {
    let args: Vec<String> = std::env::args().collect();
    let flag = args.windows(2).any(|w| w[0] == "--stack" && w[1] == "seed");
    flag || std::env::var("MCP_STACK").is_ok_and(|v| v == "seed")
}

/// The seed's "Combining Resilience Features" stack, in its order (first added = outermost).
fn with_seed_stack(server: McpServer) -> Result<McpServer, Box<dyn std::error::Error>> {
    let audit = security::signed_audit("hello", "HELLO_AUDIT_LOG")?;
    // Port 9 on loopback: nothing listens there, so a `tool.error` event would fail to deliver
    // (in the background, never slowing a call).
    let webhook = WebhookMiddleware::builder("http://127.0.0.1:9/hook").events([WebhookEvent::ToolError]).build()?;
    let breaker = CircuitBreakerMiddleware::new();
    let auth = security::jwt_auth("hello", "hello", &[])?;
    Ok(server.middleware(audit).middleware(webhook).middleware(breaker).middleware(auth))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::init_logging();
    let server = if seed_stack_requested() { with_seed_stack(server())? } else { server() };
    common::serve(server).await
}
