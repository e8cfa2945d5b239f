//! The lifecycle (issue 2, item 3): version negotiation, capabilities derived from registrations,
//! `serverInfo`, instructions, `ping`, and requests before `initialize`.
//!
//! Every test runs on Tokio's paused clock, so a wait on the wire (`support::PATIENCE`) runs out
//! only when the frame can no longer come, never because the machine is slow.
#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use mcp_server::protocol::{Content, GetPromptResult, PromptMessage};
use mcp_server::testing::TestClient;
use mcp_server::{tool, McpServer, Prompt, Resource, ResourceTemplate, ServerHandle};
use serde_json::{json, Value};
use support::{error_code, Wire};

/// Echo the text back.
#[tool]
async fn echo(text: String) -> String {
    text
}

fn greet() -> Prompt {
    Prompt::new("greet", "Greet someone.").get(|_ctx, _args| async {
        Ok(GetPromptResult { description: None, messages: vec![PromptMessage::user(Content::text("hi"))] })
    })
}

fn full() -> ServerHandle {
    McpServer::new("billing-api")
        .version("3.1.4")
        .title("Billing API")
        .instructions("Use `echo` to test the connection.")
        .tool(EchoTool)
        .resource(Resource::text("test://readme", "readme", "text/plain", "read me"))
        .prompt(greet())
        .build()
        .unwrap()
}

async fn capabilities(server: McpServer, version: &str) -> Value {
    let handle = server.build().unwrap();
    let mut wire = Wire::open(&handle);
    wire.initialize(version).await["result"]["capabilities"].clone()
}

#[tokio::test(start_paused = true)]
async fn negotiates_every_supported_revision_and_answers_the_latest_otherwise() {
    let handle = full();
    for version in ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"] {
        let mut wire = Wire::open(&handle);
        let msg = wire.initialize(version).await;
        assert_eq!(msg["id"], "init");
        assert_eq!(msg["result"]["protocolVersion"], version, "{msg}");
    }
    for unknown in ["1999-01-01", "2026-07-28", "", "latest"] {
        let mut wire = Wire::open(&handle);
        let msg = wire.initialize(unknown).await;
        assert_eq!(msg["result"]["protocolVersion"], "2025-11-25", "{unknown}: {msg}");
    }
    // The negotiated revision is what the session then runs under.
    let client = TestClient::connect_handle(&handle, "2025-03-26").await.unwrap();
    assert_eq!(client.call_tool("echo", json!({"text": "x"})).await.unwrap()["content"][0]["text"], "x");
}

#[tokio::test(start_paused = true)]
async fn initialize_result_carries_the_users_identity_and_instructions() {
    let handle = full();
    let mut wire = Wire::open(&handle);
    let result = wire.initialize("2025-06-18").await["result"].clone();
    assert_eq!(result["serverInfo"], json!({"name": "billing-api", "version": "3.1.4", "title": "Billing API"}));
    assert_eq!(result["instructions"], "Use `echo` to test the connection.");

    let bare = McpServer::new("bare").build().unwrap();
    let mut wire = Wire::open(&bare);
    let result = wire.initialize("2025-06-18").await["result"].clone();
    assert_eq!(result["serverInfo"], json!({"name": "bare", "version": "0.1.0"}));
    assert!(result.get("instructions").is_none(), "{result}");
}

#[tokio::test(start_paused = true)]
async fn capabilities_follow_registrations() {
    let none = capabilities(McpServer::new("empty"), "2025-11-25").await;
    assert_eq!(none, json!({"logging": {}}));

    let tools = capabilities(McpServer::new("t").tool(EchoTool), "2025-11-25").await;
    assert_eq!(tools, json!({"tools": {"listChanged": true}, "logging": {}}));

    let resources =
        capabilities(McpServer::new("r").resource(Resource::text("test://a", "a", "text/plain", "a")), "2025-11-25")
            .await;
    assert_eq!(
        resources,
        json!({"resources": {"subscribe": true, "listChanged": true}, "logging": {}, "completions": {}})
    );
    let templates =
        capabilities(McpServer::new("t").resource_template(ResourceTemplate::new("x://{id}", "x")), "2025-06-18").await;
    assert!(templates["resources"].is_object() && templates["completions"].is_object(), "{templates}");

    let prompts = capabilities(McpServer::new("p").prompt(greet()), "2025-11-25").await;
    assert_eq!(prompts, json!({"prompts": {"listChanged": true}, "logging": {}, "completions": {}}));

    // `completions` only exists from 2025-03-26 on.
    let old = capabilities(McpServer::new("p").prompt(greet()), "2024-11-05").await;
    assert_eq!(old, json!({"prompts": {"listChanged": true}, "logging": {}}));

    let everything = capabilities(
        McpServer::new("all").tool(EchoTool).prompt(greet()).resource(Resource::text("t://a", "a", "text/plain", "")),
        "2025-03-26",
    )
    .await;
    for key in ["tools", "resources", "prompts", "logging", "completions"] {
        assert!(everything[key].is_object(), "{key}: {everything}");
    }
}

#[tokio::test(start_paused = true)]
async fn ping_returns_exactly_an_empty_object() {
    let handle = full();
    let mut wire = Wire::open(&handle);
    // Before initialize too: ping is always allowed.
    wire.send(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#).await;
    assert_eq!(wire.recv_text().await, r#"{"jsonrpc":"2.0","id":1,"result":{}}"#);
    wire.initialize("2025-11-25").await;
    wire.send(r#"{"jsonrpc":"2.0","id":"p","method":"ping","params":{"_meta":{"x":1}}}"#).await;
    assert_eq!(wire.recv_text().await, r#"{"jsonrpc":"2.0","id":"p","result":{}}"#);
    wire.send(r#"{"jsonrpc":"2.0","id":2,"method":"ping","params":{}}"#).await;
    assert_eq!(wire.recv_text().await, r#"{"jsonrpc":"2.0","id":2,"result":{}}"#);
}

#[tokio::test(start_paused = true)]
async fn requests_before_initialize_are_errors() {
    let handle = full();
    let mut wire = Wire::open(&handle);
    for (method, params) in [
        ("tools/list", json!({})),
        ("tools/call", json!({"name": "echo", "arguments": {"text": "x"}})),
        ("resources/list", json!({})),
        ("resources/read", json!({"uri": "test://readme"})),
        ("prompts/list", json!({})),
        ("logging/setLevel", json!({"level": "debug"})),
    ] {
        let msg = wire.call(json!(method), method, params).await;
        assert!(msg["error"].is_object(), "{method}: {msg}");
        assert_eq!(error_code(&msg), -32600, "{method}: {msg}");
        assert!(msg["error"]["message"].as_str().unwrap().contains("initialize"), "{msg}");
    }
    // After the handshake the same requests work.
    wire.initialize("2025-11-25").await;
    wire.send_json(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;
    let tools = wire.result(json!(1), "tools/list", json!({})).await;
    assert_eq!(tools["tools"][0]["name"], "echo");
}

#[tokio::test(start_paused = true)]
async fn initialize_is_answered_once_per_session() {
    let handle = full();
    let mut wire = Wire::initialized(&handle, "2025-06-18").await;
    let again = wire.initialize("2025-11-25").await;
    assert_eq!(error_code(&again), -32600, "{again}");
    // The first negotiation stands: batches stay rejected (2025-06-18), and the session works.
    wire.send(r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#).await;
    assert_eq!(error_code(&wire.recv().await), -32600);
    assert_eq!(wire.result(json!(2), "ping", json!({})).await, json!({}));
}

#[tokio::test(start_paused = true)]
async fn initialize_needs_a_protocol_version() {
    let handle = full();
    let mut wire = Wire::open(&handle);
    let msg = wire.call(json!(1), "initialize", json!({"capabilities": {}})).await;
    assert_eq!(error_code(&msg), -32602, "{msg}");
    // The failed attempt did not initialize anything: a proper one still works.
    assert_eq!(wire.initialize("2025-11-25").await["result"]["protocolVersion"], "2025-11-25");
}
