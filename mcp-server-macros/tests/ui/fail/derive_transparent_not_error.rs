use mcp_server::ToolError;

#[derive(Debug, thiserror::Error, ToolError)]
enum AppError {
    #[error("{0}")]
    #[tool_error(transparent)]
    Message(String),
}

fn main() {}
