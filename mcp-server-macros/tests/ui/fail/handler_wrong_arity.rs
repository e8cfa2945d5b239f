use mcp_server::{exception_handler, RequestContext, ToolError};

#[derive(Debug, thiserror::Error)]
#[error("not found")]
struct NotFound;

#[exception_handler]
async fn handle_not_found(error: &NotFound) -> ToolError {
    ToolError::new("NOT_FOUND", error.to_string())
}

#[exception_handler]
async fn handle_three(_ctx: &RequestContext, error: &NotFound, _extra: u8) -> ToolError {
    ToolError::new("NOT_FOUND", error.to_string())
}

fn main() {}
