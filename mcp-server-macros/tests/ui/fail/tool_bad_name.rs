use mcp_server::tool;

/// Echo text back.
#[tool(name = "echo text")]
async fn echo(text: String) -> String {
    text
}

/// Greet.
#[tool]
async fn grüßen(name: String) -> String {
    name
}

fn main() {}
