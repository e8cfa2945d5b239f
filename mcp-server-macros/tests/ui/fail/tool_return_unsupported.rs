use mcp_server::tool;

/// Read a file's bytes.
#[tool]
async fn read_bytes(path: String) -> Vec<u8> {
    path.into_bytes()
}

fn main() {}
