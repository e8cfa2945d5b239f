use mcp_server::tool;

/// Look an employee up.
#[tool]
async fn get_employee(id: u64) -> Result<String, String> {
    Err(format!("no employee {id}"))
}

fn main() {}
