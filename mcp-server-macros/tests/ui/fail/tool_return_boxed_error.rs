use mcp_server::tool;

/// Look an employee up.
#[tool]
async fn get_employee(id: u64) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    Err(format!("no employee {id}").into())
}

fn main() {}
