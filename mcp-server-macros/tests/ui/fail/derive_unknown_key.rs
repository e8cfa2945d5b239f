use mcp_server::ToolError;

#[derive(Debug, thiserror::Error, ToolError)]
#[error("declined")]
#[tool_error(code = "CARD_DECLINED", retriable = true)]
struct Declined;

fn main() {}
