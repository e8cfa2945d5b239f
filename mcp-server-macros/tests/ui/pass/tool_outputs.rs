//! Return types: structured `Json<T>` (with an output schema), `Result` with a derived error,
//! plain values and unit.

use mcp_server::{tool, Json, Tool, ToolError};
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error, ToolError)]
#[tool_error(code = "NOT_FOUND")]
#[error("no employee {0}")]
struct NotFound(u64);

/// Look an employee up.
#[tool]
async fn get_employee(id: u64) -> Result<Json<BTreeMap<String, u64>>, NotFound> {
    if id == 0 {
        return Err(NotFound(id));
    }
    Ok(Json(BTreeMap::from([("id".to_owned(), id)])))
}

/// Count to three.
#[tool]
async fn count() -> u8 {
    3
}

/// Do nothing.
#[tool]
async fn nothing() -> () {}

fn main() {
    assert!(GetEmployeeTool.definition().info.output_schema.is_some());
    assert!(CountTool.definition().info.output_schema.is_none());
    assert!(NothingTool.definition().info.output_schema.is_none());
}
