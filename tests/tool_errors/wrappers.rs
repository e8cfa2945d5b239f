//! Wrapper enums: a `#[derive(ToolError)]` enum whose transparent variants wrap domain errors
//! reaches the handlers of the wrapped errors (and of their `source()` chains), else their own
//! mapping, else the masked internal error, which is logged with its cause.

use super::logs::Capture;
use super::support::{masked_internal, tool_error};
use super::{DbError, HandleDbHandler, HandleLookupHandler, LookupError, PaymentError, RequestError};
use mcp_server::testing::TestClient;
use mcp_server::{exception_handler, tool, McpServer, RequestContext, ToolError};
use serde_json::{json, Value};

/// A lookup found nothing; mapped by an exception handler only.
#[derive(Debug, thiserror::Error)]
#[error("employee {0} not found")]
pub(crate) struct EmployeeNotFound(u64);

/// A configuration problem nobody maps.
#[derive(Debug, thiserror::Error)]
#[error("config {path} is unreadable")]
pub(crate) struct ConfigError {
    path: String,
}

/// Every error the HR tool can fail with, in one enum.
#[derive(Debug, thiserror::Error, mcp_server::ToolError)]
pub(crate) enum AppError {
    /// Has a handler.
    #[error(transparent)]
    NotFound(#[from] EmployeeNotFound),
    /// Has no handler; its source chain does.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// Maps itself.
    #[error(transparent)]
    Payment(#[from] PaymentError),
    /// Nobody maps it.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Transparent through the new attribute, wrapping the database error (which has a handler).
    #[error("storage: {0}")]
    #[tool_error(transparent)]
    Storage(DbError),
    /// A case of its own.
    #[error("bad input: {0}")]
    #[tool_error(code = "BAD_INPUT")]
    Bad(String),
}

#[exception_handler]
async fn handle_not_found(_ctx: &RequestContext, error: &EmployeeNotFound) -> ToolError {
    ToolError::new("EMPLOYEE_NOT_FOUND", error.to_string()).suggestion("List the employees first.")
}

#[exception_handler]
async fn handle_app(_ctx: &RequestContext, _error: &AppError) -> ToolError {
    ToolError::new("APP_FAILED", "The HR service failed.")
}

/// Fails with the `AppError` named by `which`.
#[tool]
async fn hr(which: String) -> Result<String, AppError> {
    Err(match which.as_str() {
        "not_found" => EmployeeNotFound(7).into(),
        "request" => RequestError(LookupError(3, DbError)).into(),
        "payment" => PaymentError::Declined { last4: "0000".into() }.into(),
        "config" => ConfigError { path: "/etc/hr/secret.toml".into() }.into(),
        "storage" => AppError::Storage(DbError),
        _ => AppError::Bad(which),
    })
}

async fn client(with_app_handler: bool) -> TestClient {
    let mut server = McpServer::new("wrappers")
        .tool(HrTool)
        .exception_handler(HandleNotFoundHandler)
        .exception_handler(HandleLookupHandler)
        .exception_handler(HandleDbHandler);
    if with_app_handler {
        server.add_exception_handler(HandleAppHandler);
    }
    TestClient::connect(server).await.unwrap()
}

async fn call(client: &TestClient, which: &str) -> Value {
    tool_error(&client.call_tool("hr", json!({"which": which})).await.unwrap())
}

#[tokio::test]
async fn a_wrapped_error_gets_its_handler() {
    let client = client(false).await;
    assert_eq!(
        call(&client, "not_found").await,
        json!({"code": "EMPLOYEE_NOT_FOUND", "message": "employee 7 not found", "retryable": false,
               "suggestion": "List the employees first."})
    );
    // `#[tool_error(transparent)]` works like `#[error(transparent)]`.
    assert_eq!(call(&client, "storage").await["code"], "DB_UNAVAILABLE");
}

#[tokio::test]
async fn a_handler_along_the_wrapped_errors_source_chain_is_found() {
    let client = client(false).await;
    // `RequestError` has no handler; the nearest along its chain (`LookupError`, not `DbError`) wins.
    let error = call(&client, "request").await;
    assert_eq!((&error["code"], &error["message"]), (&json!("LOOKUP_FAILED"), &json!("lookup of 3 failed")));
}

#[tokio::test]
async fn a_wrapped_error_that_maps_itself_keeps_its_mapping() {
    let client = client(false).await;
    assert_eq!(
        call(&client, "payment").await,
        json!({"code": "CARD_DECLINED", "message": "card ending 0000 was declined", "retryable": false,
               "suggestion": "Ask for a card other than 0000."})
    );
    assert_eq!(call(&client, "oops").await["code"], "BAD_INPUT");
}

#[tokio::test]
async fn a_handler_for_the_wrapper_itself_wins() {
    let client = client(true).await;
    for which in ["not_found", "request", "payment", "config", "storage", "oops"] {
        assert_eq!(call(&client, which).await["code"], "APP_FAILED", "{which}");
    }
}

#[tokio::test]
async fn an_unmapped_wrapped_error_is_masked_and_logged() {
    let logs = Capture::start();
    let client = client(false).await;
    let result = client.call_tool("hr", json!({"which": "config"})).await.unwrap();
    assert_eq!(tool_error(&result), masked_internal());
    assert!(!result.to_string().contains("secret.toml"), "leaked: {result}");
    let line = logs.line_with("tool=\"hr\"");
    assert!(line.contains(" WARN "), "{line}");
    assert!(line.contains("tool error masked as INTERNAL_ERROR"), "{line}");
    assert!(line.contains("error.type=\"tool_errors::wrappers::AppError\""), "{line}");
    assert!(line.contains("error.message=config /etc/hr/secret.toml is unreadable"), "{line}");
    // The `Debug` form names the variant and the wrapped error's type.
    assert!(line.contains("error.debug=Config(ConfigError { path: \"/etc/hr/secret.toml\" })"), "{line}");
}
