use mcp_server::tool;

/// Greet the caller.
#[tool]
async fn greet(#[inject] caller: String) -> String {
    caller
}

fn main() {}
