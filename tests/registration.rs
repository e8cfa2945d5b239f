//! One registration path (issue 12, item 3): what `McpServer::build` refuses, a running server
//! refuses too, and a refused change leaves the server as it was.
#![allow(clippy::unwrap_used, reason = "tests")]

use mcp_server::auth::ApiKeyAuth;
use mcp_server::error::Registration;
use mcp_server::middleware::{from_fn, AuditMiddleware, Next};
use mcp_server::testing::TestClient;
use mcp_server::{tool, AuthMiddleware, BuildError, CallToolRequest, McpServer, Prompt, Resource};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Echo the text back.
#[tool]
async fn echo(text: String) -> String {
    text
}

/// Pay someone: only for authenticated callers.
#[tool(auth = true)]
async fn pay(amount: u64) -> String {
    format!("paid {amount}")
}

async fn tool_names(client: &TestClient) -> Vec<String> {
    client.list_tools().await.unwrap().iter().filter_map(|t| t["name"].as_str().map(str::to_string)).collect()
}

#[test]
fn build_refuses_an_auth_tool_without_an_auth_layer() {
    let err = McpServer::new("t").tool(PayTool).build().unwrap_err();
    assert!(matches!(&err, BuildError::AuthRequired { tool } if tool == "pay"), "{err}");
}

#[tokio::test]
async fn a_running_server_refuses_an_auth_tool_without_an_auth_layer() {
    let client = TestClient::connect(McpServer::new("t").tool(EchoTool)).await.unwrap();
    let mut changes = client.subscribe();
    let err = client.server().add_tool(PayTool).unwrap_err();
    assert!(matches!(&err, BuildError::AuthRequired { tool } if tool == "pay"), "{err}");
    assert_eq!(tool_names(&client).await, ["echo"], "the server is unchanged");
    let call = client.call_tool("pay", json!({"amount": 5})).await;
    assert!(call.is_err(), "pay is not callable by anyone: {call:?}");
    assert!(changes.try_recv().is_err(), "no list_changed for a refused change");
}

#[tokio::test]
async fn with_an_auth_layer_an_added_auth_tool_requires_credentials() {
    let auth = AuthMiddleware::new(ApiKeyAuth::new().key("sk-test-1", "alice", &[]));
    let client = TestClient::connect(McpServer::new("t").tool(EchoTool).middleware(auth)).await.unwrap();
    client.server().add_tool(PayTool).unwrap();
    assert_eq!(tool_names(&client).await, ["echo", "pay"]);
    let anonymous = client.call_tool("pay", json!({"amount": 5})).await.unwrap();
    assert_eq!(anonymous["structuredContent"]["error"]["code"], "AUTHENTICATION_ERROR");
}

#[tokio::test]
async fn an_auth_layer_added_at_run_time_makes_auth_tools_possible() {
    let client = TestClient::connect(McpServer::new("t").tool(EchoTool)).await.unwrap();
    let server = client.server();
    assert!(server.add_tool(PayTool).is_err());
    server.add_middleware(AuthMiddleware::new(ApiKeyAuth::new().key("sk-test-1", "alice", &[]))).unwrap();
    server.add_tool(PayTool).unwrap();
    let anonymous = client.call_tool("pay", json!({"amount": 5})).await.unwrap();
    assert_eq!(anonymous["structuredContent"]["error"]["code"], "AUTHENTICATION_ERROR");
}

#[tokio::test]
async fn duplicates_are_refused_at_build_and_at_run_time() {
    let err = McpServer::new("t").tool(EchoTool).tool(EchoTool).build().unwrap_err();
    assert!(matches!(&err, BuildError::Duplicate { kind: Registration::Tool, name } if name == "echo"), "{err}");
    let client = TestClient::connect(
        McpServer::new("t")
            .tool(EchoTool)
            .resource(Resource::text("test://a", "a", "text/plain", "a"))
            .prompt(Prompt::new("p", "A prompt.")),
    )
    .await
    .unwrap();
    let server = client.server();
    let tool = server.add_tool(EchoTool).unwrap_err();
    assert!(matches!(tool, BuildError::Duplicate { kind: Registration::Tool, .. }), "{tool}");
    let resource = server.add_resource(Resource::text("test://a", "again", "text/plain", "b")).unwrap_err();
    assert!(matches!(resource, BuildError::Duplicate { kind: Registration::Resource, .. }), "{resource}");
    let prompt = server.add_prompt(Prompt::new("p", "Again.")).unwrap_err();
    assert!(matches!(prompt, BuildError::Duplicate { kind: Registration::Prompt, .. }), "{prompt}");
    let read = client.read_resource("test://a").await.unwrap();
    assert_eq!(read["contents"][0]["text"], "a", "the first registration still serves");
}

#[tokio::test]
async fn middleware_added_at_run_time_is_validated_like_at_build() {
    let dir = std::env::temp_dir().join(format!("mcp-registration-{}", std::process::id()));
    let unsigned_key_env = "MCP_TEST_REGISTRATION_NO_SUCH_KEY";
    let audit = || AuditMiddleware::new(dir.join("audit.jsonl")).signed(true).key_env(unsigned_key_env);
    let at_build = McpServer::new("t").tool(EchoTool).middleware(audit()).build().unwrap_err();
    assert!(matches!(at_build, BuildError::Middleware { middleware: "AuditMiddleware", .. }), "{at_build}");

    let client = TestClient::connect(McpServer::new("t").tool(EchoTool)).await.unwrap();
    let at_run_time = client.server().add_middleware(audit()).unwrap_err();
    assert_eq!(at_run_time.to_string(), at_build.to_string(), "the same check, the same error");
    let echoed = client.call_tool("echo", json!({"text": "still served"})).await.unwrap();
    assert_eq!(echoed["content"][0]["text"], "still served");
}

#[tokio::test]
async fn middleware_added_at_run_time_wraps_later_calls() {
    let client = TestClient::connect(McpServer::new("t").tool(EchoTool)).await.unwrap();
    client.call_tool("echo", json!({"text": "before"})).await.unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&seen);
    let count = from_fn(move |req: CallToolRequest, next: Next<CallToolRequest>| {
        counter.fetch_add(1, Ordering::SeqCst);
        next.run(req)
    });
    client.server().add_middleware(count).unwrap();
    client.call_tool("echo", json!({"text": "after"})).await.unwrap();
    assert_eq!(seen.load(Ordering::SeqCst), 1);
}
