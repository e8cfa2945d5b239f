use mcp_server::tool;

/// Echo text back.
#[tool(name = echo, title("Echo"), read_only = 1, auth = "yes", roles = "admin", scopes = ["read", 2], description)]
async fn echo(text: String) -> String {
    text
}

/// Described by nothing.
#[tool(description = "  ")]
async fn blank(text: String) -> String {
    text
}

#[tool]
struct NotAFunction;

fn main() {}
