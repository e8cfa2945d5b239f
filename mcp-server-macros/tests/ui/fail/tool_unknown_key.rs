use mcp_server::tool;

/// Echo text back.
#[tool(read_olny)]
async fn echo(text: String) -> String {
    text
}

fn main() {}
