//! `#[derive(ToolError)]` on wrapper enums: transparent variants report the wrapped error's
//! mapping and expose it through `wrapped()`.

use mcp_server::{ToolError, ToolErrorSpec};

#[derive(Debug, thiserror::Error)]
#[error("employee {0} not found")]
struct EmployeeNotFound(u64);

#[derive(Debug, thiserror::Error, ToolError)]
#[error("the database is unavailable")]
#[tool_error(code = "DB_UNAVAILABLE", retryable)]
struct DbError;

#[derive(Debug, thiserror::Error, ToolError)]
#[tool_error(code = "APP")]
enum AppError {
    #[error(transparent)]
    NotFound(#[from] EmployeeNotFound),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("i/o: {source}")]
    #[tool_error(transparent)]
    Io { source: std::io::Error },
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync>),
    #[error("bad input: {0}")]
    #[tool_error(code = "BAD_INPUT")]
    Bad(String),
    #[error("inherits the enum's code")]
    Inherits,
}

/// Every variant transparent: no catch-all arm in `wrapped()`.
#[derive(Debug, thiserror::Error, ToolError)]
enum OnlyWrappers {
    #[error(transparent)]
    App(#[from] AppError),
}

#[derive(Debug, thiserror::Error, ToolError)]
#[error(transparent)]
struct Wrapper(#[from] DbError);

/// A generic wrapped error: handlers see it (`wrapped()`), its own mapping is not picked.
#[derive(Debug, thiserror::Error, ToolError)]
enum Generic<E: std::error::Error + 'static> {
    #[error(transparent)]
    Inner(E),
}

fn main() {
    let e = AppError::Db(DbError).to_tool_error();
    assert_eq!((e.code.as_str(), e.retryable), ("DB_UNAVAILABLE", true));
    assert_eq!(AppError::NotFound(EmployeeNotFound(7)).to_tool_error(), ToolError::internal());
    assert_eq!(AppError::Other("boom".into()).to_tool_error(), ToolError::internal());
    assert_eq!(AppError::Bad("x".into()).to_tool_error().code, "BAD_INPUT");
    assert_eq!(AppError::Inherits.to_tool_error().code, "APP");

    let not_found = AppError::NotFound(EmployeeNotFound(7));
    assert!(not_found.wrapped().is_some_and(|e| e.is::<EmployeeNotFound>()));
    let io = AppError::Io { source: std::io::Error::other("disk") };
    assert!(io.wrapped().is_some_and(|e| e.is::<std::io::Error>()));
    // The boxed error itself, not the box, so handlers see its concrete type.
    let other = AppError::Other(Box::new(EmployeeNotFound(1)));
    assert!(other.wrapped().is_some_and(|e| e.is::<EmployeeNotFound>()));
    assert!(AppError::Bad("x".into()).wrapped().is_none());
    assert!(AppError::Inherits.wrapped().is_none());

    let nested = OnlyWrappers::App(AppError::Db(DbError));
    assert_eq!(nested.to_tool_error().code, "DB_UNAVAILABLE");
    assert!(nested.wrapped().is_some_and(|e| e.is::<AppError>()));

    let generic = Generic::Inner(DbError);
    assert_eq!(generic.to_tool_error(), ToolError::internal());
    assert!(generic.wrapped().is_some_and(|e| e.is::<DbError>()));

    assert_eq!(Wrapper(DbError).to_tool_error().code, "DB_UNAVAILABLE");
    assert!(Wrapper(DbError).wrapped().is_some_and(|e| e.is::<DbError>()));
}
