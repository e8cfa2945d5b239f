//! An exception handler and its companion.

use mcp_server::{exception_handler, ExceptionHandler, RequestContext, ToolError};

#[derive(Debug, thiserror::Error)]
#[error("employee {0} not found")]
pub struct NotFound(u64);

#[exception_handler]
pub async fn handle_not_found(_ctx: &RequestContext, error: &NotFound) -> ToolError {
    ToolError::new("EMPLOYEE_NOT_FOUND", error.to_string()).suggestion("List employees first.")
}

fn assert_handler<H: ExceptionHandler<Error = NotFound> + Copy + Default + std::fmt::Debug>(_: H) {}

fn main() {
    assert_handler(HandleNotFoundHandler);
}
