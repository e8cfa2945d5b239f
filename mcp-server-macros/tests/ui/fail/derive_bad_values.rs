use mcp_server::ToolError;

#[derive(Debug, thiserror::Error, ToolError)]
#[tool_error(code = "PAYMENT", code = "AGAIN", retryable = "no")]
enum PaymentError {
    #[error("declined")]
    #[tool_error(code = 42, message = "card {last4} declined", suggestion = "retry {}")]
    Declined { card: String },
    #[error("timed out")]
    #[tool_error(code = "", message = "after {1}s")]
    Timeout(#[tool_error(code = "X")] u64),
    #[error("other")]
    #[tool_error = "X"]
    Other,
    #[error("missing equals")]
    #[tool_error(code "X")]
    Syntax,
}

#[derive(Debug, thiserror::Error, ToolError)]
#[error("format")]
#[tool_error(code = "F", message = "open {", suggestion = "close }", retryable(true))]
struct BadFormat;

#[derive(Debug, thiserror::Error, ToolError)]
#[error("format")]
#[tool_error(code = "F", message = "{not a field}")]
struct BadPlaceholder;

#[derive(ToolError)]
#[tool_error(code = "U")]
union Bits {
    a: u8,
}

fn main() {}
