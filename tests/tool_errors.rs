//! Tool failures on the wire (issue 2, items 4 and 12): the `{"error":{..}}` shape as text and
//! `structuredContent`, `#[derive(ToolError)]`, `#[exception_handler]` lookup (concrete type, then
//! the `source()` chain, most specific first), masking of unhandled errors (and their `warn` log
//! line), and panic isolation. Wrapper enums (issue 12, item 8) are in `tool_errors/wrappers.rs`.
#![allow(clippy::unwrap_used, reason = "tests")]

#[path = "tool_errors/logs.rs"]
mod logs;
mod support;
#[path = "tool_errors/wrappers.rs"]
mod wrappers;

use mcp_server::testing::{ClientError, TestClient};
use mcp_server::{exception_handler, tool, McpServer, RequestContext, ToolError};
use serde_json::json;
use support::{masked_internal, tool_error};

/// The database is down (its text holds internals that must never reach the client).
#[derive(Debug, thiserror::Error)]
#[error("connection refused: postgres://admin:hunter2@db-7.internal")]
pub struct DbError;

/// A lookup failed because of a lower-level error.
#[derive(Debug, thiserror::Error)]
#[error("lookup of {0} failed")]
pub struct LookupError(u64, #[source] DbError);

/// A request failed; wraps a lookup failure.
#[derive(Debug, thiserror::Error)]
#[error("request failed")]
pub struct RequestError(#[source] LookupError);

/// Wraps a database error directly.
#[derive(Debug, thiserror::Error)]
#[error("wrapper")]
pub struct Wrapper(#[source] DbError);

/// An error whose handler panics.
#[derive(Debug, thiserror::Error)]
#[error("cursed: secret-token-123")]
pub struct Cursed;

/// Payment failures that carry their own mapping.
#[derive(Debug, thiserror::Error, mcp_server::ToolError)]
#[tool_error(code = "PAYMENT_FAILED")]
pub enum PaymentError {
    /// Declined by the bank.
    #[error("card ending {last4} was declined")]
    #[tool_error(code = "CARD_DECLINED", suggestion = "Ask for a card other than {last4}.")]
    Declined {
        /// The card's last digits.
        last4: String,
    },
    /// The provider timed out.
    #[error("the payment provider timed out")]
    #[tool_error(retryable, suggestion = "Retry in a few seconds.")]
    Timeout,
    /// Overridden by a registered handler.
    #[error("fraud suspected")]
    Fraud,
}

#[exception_handler]
async fn handle_db(_ctx: &RequestContext, _error: &DbError) -> ToolError {
    ToolError::new("DB_UNAVAILABLE", "The database is unavailable.").retryable(true)
}

#[exception_handler]
async fn handle_lookup(ctx: &RequestContext, error: &LookupError) -> ToolError {
    ToolError::new("LOOKUP_FAILED", error.to_string()).details(json!({ "tool_call": ctx.request_id().to_string() }))
}

#[exception_handler]
async fn handle_cursed(_ctx: &RequestContext, _error: &Cursed) -> ToolError {
    panic!("the handler itself fails")
}

/// Raise one of the errors above, chosen by `which`.
#[tool]
async fn fail(which: String) -> Result<String, Box<FailError>> {
    Err(Box::new(FailError(which)))
}

/// The error `fail` returns (boxed to show that a `Box<E>` is looked up like `E`'s wrapper).
#[derive(Debug, thiserror::Error)]
#[error("fail: {0}")]
pub struct FailError(String);

/// Fails with a database error.
#[tool]
async fn db() -> Result<String, DbError> {
    Err(DbError)
}

/// Fails with a lookup error (which has a handler, and so has its source).
#[tool]
async fn lookup(id: u64) -> Result<String, LookupError> {
    Err(LookupError(id, DbError))
}

/// Fails with a request error (no handler of its own).
#[tool]
async fn request() -> Result<String, RequestError> {
    Err(RequestError(LookupError(7, DbError)))
}

/// Fails with a wrapper around a database error.
#[tool]
async fn wrapped() -> Result<String, Wrapper> {
    Err(Wrapper(DbError))
}

/// Fails with an error whose handler panics.
#[tool]
async fn cursed() -> Result<String, Cursed> {
    Err(Cursed)
}

/// Charges a card.
#[tool]
async fn charge(last4: String) -> Result<String, PaymentError> {
    match last4.as_str() {
        "0000" => Err(PaymentError::Declined { last4 }),
        "1111" => Err(PaymentError::Timeout),
        "6666" => Err(PaymentError::Fraud),
        _ => Ok("charged".into()),
    }
}

/// Returns a `ToolError` directly.
#[tool]
async fn direct() -> Result<String, ToolError> {
    Err(ToolError::new("QUOTA_EXCEEDED", "You used all 100 calls today.")
        .retryable(true)
        .suggestion("Try again tomorrow.")
        .details(json!({"limit": 100, "used": 100})))
}

/// Fails with an I/O error nobody handles.
#[tool]
async fn unhandled() -> Result<String, std::io::Error> {
    Err(std::io::Error::other("open /etc/secret-config.toml: permission denied"))
}

/// Panics.
#[tool]
async fn explode() -> String {
    panic!("index out of bounds: secret-index-42")
}

#[exception_handler]
async fn handle_fraud(_ctx: &RequestContext, _error: &PaymentError) -> ToolError {
    ToolError::new("REVIEW_REQUIRED", "A human must review this payment.")
}

async fn client(with_payment_handler: bool) -> TestClient {
    let mut server = McpServer::new("errors")
        .tool(FailTool)
        .tool(DbTool)
        .tool(LookupTool)
        .tool(RequestTool)
        .tool(WrappedTool)
        .tool(CursedTool)
        .tool(ChargeTool)
        .tool(DirectTool)
        .tool(UnhandledTool)
        .tool(ExplodeTool)
        .exception_handler(HandleDbHandler)
        .exception_handler(HandleLookupHandler)
        .exception_handler(HandleCursedHandler);
    if with_payment_handler {
        server.add_exception_handler(HandleFraudHandler);
    }
    TestClient::connect(server).await.unwrap()
}

#[tokio::test]
async fn tool_errors_have_the_documented_wire_shape() {
    let client = client(false).await;
    let result = client.call_tool("direct", json!({})).await.unwrap();
    assert_eq!(result["isError"], true);
    assert_eq!(
        tool_error(&result),
        json!({"code": "QUOTA_EXCEEDED", "message": "You used all 100 calls today.", "retryable": true,
               "suggestion": "Try again tomorrow.", "details": {"limit": 100, "used": 100}})
    );
    // Optional keys are omitted, not null.
    let result = client.call_tool("db", json!({})).await.unwrap();
    let error = tool_error(&result);
    assert_eq!(error, json!({"code": "DB_UNAVAILABLE", "message": "The database is unavailable.", "retryable": true}));
}

#[tokio::test]
async fn derived_tool_errors_map_themselves() {
    let client = client(false).await;
    let declined = tool_error(&client.call_tool("charge", json!({"last4": "0000"})).await.unwrap());
    assert_eq!(
        declined,
        json!({"code": "CARD_DECLINED", "message": "card ending 0000 was declined", "retryable": false,
               "suggestion": "Ask for a card other than 0000."})
    );
    let timeout = tool_error(&client.call_tool("charge", json!({"last4": "1111"})).await.unwrap());
    assert_eq!(
        timeout,
        json!({"code": "PAYMENT_FAILED", "message": "the payment provider timed out", "retryable": true,
               "suggestion": "Retry in a few seconds."})
    );
    let fraud = tool_error(&client.call_tool("charge", json!({"last4": "6666"})).await.unwrap());
    assert_eq!(fraud, json!({"code": "PAYMENT_FAILED", "message": "fraud suspected", "retryable": false}));
    let ok = client.call_tool("charge", json!({"last4": "4242"})).await.unwrap();
    assert_eq!(ok, json!({"content": [{"type": "text", "text": "charged"}]}));
}

#[tokio::test]
async fn a_registered_handler_overrides_a_derived_mapping() {
    let client = client(true).await;
    let fraud = tool_error(&client.call_tool("charge", json!({"last4": "6666"})).await.unwrap());
    assert_eq!(fraud["code"], "REVIEW_REQUIRED");
    let declined = tool_error(&client.call_tool("charge", json!({"last4": "0000"})).await.unwrap());
    assert_eq!(declined["code"], "REVIEW_REQUIRED", "the handler is for the whole type");
}

#[tokio::test]
async fn handlers_are_found_by_type_then_along_the_source_chain() {
    let client = client(false).await;
    let code = |r: serde_json::Value| tool_error(&r)["code"].clone();
    // The concrete type's handler.
    assert_eq!(code(client.call_tool("db", json!({})).await.unwrap()), "DB_UNAVAILABLE");
    // Its own handler beats its source's.
    let lookup = tool_error(&client.call_tool("lookup", json!({"id": 3})).await.unwrap());
    assert_eq!(lookup["code"], "LOOKUP_FAILED");
    assert_eq!(lookup["message"], "lookup of 3 failed");
    assert!(lookup["details"]["tool_call"].is_string(), "the handler saw the request context: {lookup}");
    // No handler of its own: the nearest along the chain (LookupError, not DbError) wins.
    assert_eq!(code(client.call_tool("request", json!({})).await.unwrap()), "LOOKUP_FAILED");
    assert_eq!(code(client.call_tool("wrapped", json!({})).await.unwrap()), "DB_UNAVAILABLE");
}

#[tokio::test]
async fn unhandled_errors_are_masked_without_internal_text() {
    let client = client(false).await;
    for (tool, secret) in [("unhandled", "secret-config"), ("fail", "fail: x"), ("cursed", "secret-token")] {
        let result = client.call_tool(tool, json!({"which": "x"})).await.unwrap();
        assert_eq!(tool_error(&result), masked_internal(), "{tool}: {result}");
        assert!(!result.to_string().contains(secret), "{tool} leaked: {result}");
    }
    // A handler's panic is masked the same way, and the session lives on.
    assert_eq!(client.request("ping", json!({})).await.unwrap(), json!({}));
}

#[tokio::test]
async fn a_masked_error_is_logged_with_its_type_and_message() {
    let logs = logs::Capture::start();
    let client = client(false).await;
    let result = client.call_tool("unhandled", json!({})).await.unwrap();
    assert_eq!(tool_error(&result), masked_internal());
    let line = logs.line_with("tool=\"unhandled\"");
    assert!(line.contains(" WARN "), "{line}");
    assert!(line.contains("tool error masked as INTERNAL_ERROR"), "{line}");
    assert!(line.contains("error.type=\"std::io::error::Error\""), "{line}");
    assert!(line.contains("error.message=open /etc/secret-config.toml: permission denied"), "{line}");
}

#[tokio::test]
async fn a_panicking_tool_is_isolated() {
    let client = client(false).await;
    for _ in 0..3 {
        let result = client.call_tool("explode", json!({})).await.unwrap();
        assert_eq!(tool_error(&result), masked_internal());
        assert!(!result.to_string().contains("secret-index"), "{result}");
    }
    // Same session, same server: everything still works.
    assert_eq!(tool_error(&client.call_tool("db", json!({})).await.unwrap())["code"], "DB_UNAVAILABLE");
    assert_eq!(client.request("ping", json!({})).await.unwrap(), json!({}));
    let other = TestClient::connect_handle(client.server(), "2025-11-25").await.unwrap();
    assert_eq!(other.request("ping", json!({})).await.unwrap(), json!({}));
}

/// Fails the way a middleware would: with the runtime's own `CallError`.
#[tool]
async fn fails_like_a_middleware(how: String) -> Result<String, mcp_server::CallError> {
    Err(match how.as_str() {
        "timeout" => mcp_server::CallError::timeout("the upstream took too long"),
        "params" => mcp_server::CallError::invalid_params("`how` must be short"),
        _ => mcp_server::CallError::cancelled(),
    })
}

#[tokio::test(start_paused = true)]
async fn a_tool_may_fail_with_a_call_error_which_keeps_its_kind() {
    let client = TestClient::connect(McpServer::new("t").tool(FailsLikeAMiddlewareTool)).await.unwrap();
    let timeout = client.call_tool("fails_like_a_middleware", json!({"how": "timeout"})).await.unwrap();
    assert_eq!(timeout["structuredContent"]["error"]["code"], "TIMEOUT", "not masked: {timeout}");
    assert_eq!(timeout["structuredContent"]["error"]["retryable"], true);
    let params = client.call_tool("fails_like_a_middleware", json!({"how": "params"})).await;
    assert!(
        matches!(params, Err(ClientError::Rpc(ref e)) if e.code == -32602),
        "a protocol error stays one: {params:?}"
    );
    let cancelled = client.start_tool_call("fails_like_a_middleware", json!({"how": "cancel"})).await;
    assert!(
        cancelled.response_within(std::time::Duration::from_secs(5)).await.is_none(),
        "a cancellation gets no response"
    );
}
