use mcp_server::ToolError;

#[derive(Debug, thiserror::Error, ToolError)]
enum PaymentError {
    #[error("declined")]
    #[tool_error(code = "CARD_DECLINED")]
    Declined,
    #[error("timed out")]
    #[tool_error(retryable)]
    Timeout,
}

#[derive(Debug, thiserror::Error, ToolError)]
#[error("no code")]
struct NoCode;

fn main() {}
