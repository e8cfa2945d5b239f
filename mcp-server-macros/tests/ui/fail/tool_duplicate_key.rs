use mcp_server::tool;

/// Echo text back.
#[tool(name = "echo", read_only, name = "echo2")]
async fn echo(text: String) -> String {
    text
}

fn main() {}
