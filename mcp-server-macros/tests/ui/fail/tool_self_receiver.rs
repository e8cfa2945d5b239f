use mcp_server::tool;

struct Service;

impl Service {
    /// Echo text back.
    #[tool]
    async fn echo(&self, text: String) -> String {
        text
    }
}

fn main() {}
