use mcp_server::tool;

/// Echo text back.
#[tool]
fn echo(text: String) -> String {
    text
}

fn main() {}
