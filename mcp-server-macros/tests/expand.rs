//! The macros' expansions driven end to end through the runtime's in-memory `TestClient`:
//! arguments, defaults, injection, structured output, derived errors, exception handlers and
//! wrapper enums with transparent variants.

use mcp_server::testing::TestClient;
use mcp_server::{exception_handler, tool, Json, McpServer, ProgressReporter, RequestContext, State, ToolError};
use serde_json::{json, Value};
use std::collections::BTreeMap;

struct Greeting(String);

/// Echo text back.
#[tool(read_only)]
async fn echo(#[arg(description = "Text to echo")] text: String, progress: ProgressReporter) -> String {
    let _ = progress;
    text
}

/// Greet someone.
///
/// # Arguments
///
/// * `name` - Who to greet.
#[tool(name = "greet.v2")]
async fn greet(
    name: String,
    #[arg(default = 1_u8)] times: u8,
    #[arg(rename = "punctuation")] mark: Option<String>,
    greeting: State<Greeting>,
    ctx: &RequestContext,
) -> String {
    let _ = ctx;
    let mark = mark.unwrap_or_else(|| "!".to_owned());
    let Greeting(word) = &*greeting;
    vec![format!("{word} {name}{mark}"); usize::from(times)].join(" ")
}

/// Errors of the payment tool.
#[derive(Debug, thiserror::Error, ToolError)]
#[tool_error(code = "PAYMENT_FAILED")]
pub enum PaymentError {
    /// The card was declined.
    #[error("card ending {last4} declined")]
    #[tool_error(code = "CARD_DECLINED", suggestion = "Use a card other than {last4}.")]
    Declined {
        /// The card's last four digits.
        last4: String,
    },
    /// The provider is down.
    #[error("provider unavailable")]
    #[tool_error(retryable)]
    Unavailable,
}

/// Charge a card.
#[tool(destructive)]
async fn charge(last4: String) -> Result<Json<BTreeMap<String, String>>, PaymentError> {
    match last4.as_str() {
        "0000" => Err(PaymentError::Declined { last4 }),
        "9999" => Err(PaymentError::Unavailable),
        _ => Ok(Json(BTreeMap::from([("charged".to_owned(), last4)]))),
    }
}

/// A lookup failure without a mapping of its own.
#[derive(Debug, thiserror::Error)]
#[error("employee {0} not found")]
pub struct NotFound(u64);

/// Find an employee.
#[tool]
async fn find_employee(id: u64) -> Result<String, NotFound> {
    Err(NotFound(id))
}

#[exception_handler]
async fn handle_not_found(_ctx: &RequestContext, error: &NotFound) -> ToolError {
    ToolError::new("EMPLOYEE_NOT_FOUND", error.to_string())
}

/// Every failure of `reimburse`: transparent variants keep the wrapped errors' handlers and
/// mappings.
#[derive(Debug, thiserror::Error, ToolError)]
pub enum ReimburseError {
    /// Mapped by `handle_not_found`.
    #[error(transparent)]
    NotFound(#[from] NotFound),
    /// Maps itself.
    #[tool_error(transparent)]
    #[error("payment: {0}")]
    Payment(#[from] PaymentError),
}

/// Reimburse an employee.
#[tool]
async fn reimburse(id: u64) -> Result<String, ReimburseError> {
    match id {
        0 => Err(PaymentError::Unavailable.into()),
        _ => Err(NotFound(id).into()),
    }
}

async fn client() -> TestClient {
    let server = McpServer::new("macros")
        .state(Greeting("Hello".to_owned()))
        .tool(EchoTool)
        .tool(GreetTool)
        .tool(ChargeTool)
        .tool(FindEmployeeTool)
        .tool(ReimburseTool)
        .exception_handler(HandleNotFoundHandler);
    TestClient::connect(server).await.expect("connect")
}

fn error_of(result: &Value) -> &Value {
    assert_eq!(result["isError"], true, "{result}");
    &result["structuredContent"]["error"]
}

#[tokio::test]
async fn lists_definitions() {
    let client = client().await;
    let tools = client.list_tools().await.expect("tools/list");
    let by_name = |name: &str| tools.iter().find(|t| t["name"] == name).cloned().expect(name);
    let echo = by_name("echo");
    assert_eq!(echo["description"], "Echo text back.");
    assert_eq!(echo["annotations"]["readOnlyHint"], true);
    assert_eq!(echo["inputSchema"]["properties"]["text"]["description"], "Text to echo");
    let greet = by_name("greet.v2");
    assert_eq!(greet["inputSchema"]["required"], json!(["name"]));
    assert_eq!(greet["inputSchema"]["properties"]["name"]["description"], "Who to greet.");
    assert!(greet["inputSchema"]["properties"]["punctuation"].is_object());
    assert!(by_name("charge")["outputSchema"].is_object());
}

#[tokio::test]
async fn calls_with_arguments_defaults_and_injection() {
    let client = client().await;
    let result = client.call_tool("echo", json!({"text": "hi"})).await.expect("call");
    assert_eq!(result["content"][0]["text"], "hi");

    let result = client.call_tool("greet.v2", json!({"name": "Ada"})).await.expect("call");
    assert_eq!(result["content"][0]["text"], "Hello Ada!");
    let result =
        client.call_tool("greet.v2", json!({"name": "Ada", "times": 2, "punctuation": "?"})).await.expect("call");
    assert_eq!(result["content"][0]["text"], "Hello Ada? Hello Ada?");
}

#[tokio::test]
async fn invalid_arguments_name_the_field() {
    let client = client().await;
    let result = client.call_tool("greet.v2", json!({"times": 2})).await.expect("call");
    let error = error_of(&result);
    assert_eq!(error["code"], "VALIDATION_ERROR");
    assert_eq!(error["details"]["field"], "name");
}

#[tokio::test]
async fn derived_errors_and_handlers_map_failures() {
    let client = client().await;
    let result = client.call_tool("charge", json!({"last4": "4242"})).await.expect("call");
    assert_eq!(result["structuredContent"]["charged"], "4242");

    let result = client.call_tool("charge", json!({"last4": "0000"})).await.expect("call");
    let error = error_of(&result);
    assert_eq!(error["code"], "CARD_DECLINED");
    assert_eq!(error["message"], "card ending 0000 declined");
    assert_eq!(error["suggestion"], "Use a card other than 0000.");
    assert_eq!(error["retryable"], false);

    let result = client.call_tool("charge", json!({"last4": "9999"})).await.expect("call");
    let error = error_of(&result);
    assert_eq!((&error["code"], &error["retryable"]), (&json!("PAYMENT_FAILED"), &json!(true)));

    let result = client.call_tool("find_employee", json!({"id": 7})).await.expect("call");
    let error = error_of(&result);
    assert_eq!(error["code"], "EMPLOYEE_NOT_FOUND");
    assert_eq!(error["message"], "employee 7 not found");
}

#[tokio::test]
async fn wrapper_enums_reach_the_wrapped_errors_mappings() {
    let client = client().await;
    let result = client.call_tool("reimburse", json!({"id": 7})).await.expect("call");
    let error = error_of(&result);
    assert_eq!((&error["code"], &error["message"]), (&json!("EMPLOYEE_NOT_FOUND"), &json!("employee 7 not found")));
    let result = client.call_tool("reimburse", json!({"id": 0})).await.expect("call");
    let error = error_of(&result);
    assert_eq!((&error["code"], &error["retryable"]), (&json!("PAYMENT_FAILED"), &json!(true)));
}

#[tokio::test]
async fn the_functions_stay_callable() {
    assert!(matches!(charge("0000".to_owned()).await, Err(PaymentError::Declined { .. })));
    assert!(find_employee(1).await.is_err());
}
