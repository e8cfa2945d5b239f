use mcp_server::ToolError;

#[derive(Debug, thiserror::Error)]
#[error("database down")]
struct DbError;

#[derive(Debug, thiserror::Error, ToolError)]
#[tool_error(code = "APP")]
enum AppError {
    #[error("no field")]
    #[tool_error(transparent)]
    Unit,
    #[error("two fields")]
    #[tool_error(transparent)]
    Two(DbError, u32),
    #[error(transparent)]
    #[tool_error(code = "DB", retryable)]
    Coded(DbError),
    #[error("keyed")]
    #[tool_error(transparent, message = "db: {0}", suggestion = "retry")]
    Keyed(DbError),
    #[error("value")]
    #[tool_error(transparent = true)]
    Valued(DbError),
}

#[derive(Debug, thiserror::Error, ToolError)]
#[tool_error(transparent)]
enum OnTheEnum {
    #[error("db")]
    #[tool_error(code = "DB")]
    Db(DbError),
}

#[derive(Debug, thiserror::Error, ToolError)]
#[error(transparent)]
#[tool_error(code = "WRAPPED")]
struct Wrapper(DbError);

fn main() {}
