use mcp_server::tool;

/// Echo text back.
#[tool]
async fn echo(text: &str) -> String {
    text.to_owned()
}

fn main() {}
