use mcp_server::{exception_handler, RequestContext, ToolError};

#[derive(Debug, thiserror::Error)]
#[error("not found")]
struct NotFound;

#[exception_handler(verbose)]
fn by_value<E>(ctx: RequestContext, error: NotFound) {
    let _ = (ctx, error);
}

struct Handlers;

impl Handlers {
    #[exception_handler]
    async fn method(&self, error: &NotFound) -> ToolError {
        ToolError::new("NOT_FOUND", error.to_string())
    }
}

#[exception_handler]
const NOT_A_FUNCTION: u8 = 0;

fn main() {}
