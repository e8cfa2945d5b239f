use mcp_server::tool;

/// List items.
#[tool]
async fn list(#[arg(default)] limit: u32, #[arg(default = )] offset: u32) -> String {
    format!("{limit} {offset}")
}

fn main() {}
