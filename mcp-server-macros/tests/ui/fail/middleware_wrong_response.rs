//! A typed hook must answer with its own request's response type.

use mcp_server::middleware::{CallToolRequest, Middleware, Next, Outcome, ReadResourceRequest};
use mcp_server::protocol::ReadResourceResult;
use std::future::Future;
use std::pin::Pin;

/// `futures_util::future::BoxFuture`, spelled out.
type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Answers a tool call with a resource.
struct WrongResult;

impl Middleware for WrongResult {
    fn on_call_tool(
        &self,
        _req: CallToolRequest,
        _next: Next<CallToolRequest>,
    ) -> BoxFuture<'_, Outcome<CallToolRequest>> {
        Box::pin(async move { Ok(ReadResourceResult { contents: Vec::new() }) })
    }
}

/// Declares `on_call_tool` with the response type of `on_read_resource`.
struct WrongSignature;

impl Middleware for WrongSignature {
    fn on_call_tool(
        &self,
        _req: CallToolRequest,
        _next: Next<CallToolRequest>,
    ) -> BoxFuture<'_, Outcome<ReadResourceRequest>> {
        Box::pin(async move { Ok(ReadResourceResult { contents: Vec::new() }) })
    }
}

fn main() {}
