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

/// Missing comma.
#[tool(read_only auth)]
async fn syntax(text: String) -> String {
    text
}

/// Flags are not lists, and a name is not empty.
#[tool(read_only(true), name = "")]
async fn listed(text: String) -> String {
    text
}

#[tool]
struct NotAFunction;

fn main() {}
