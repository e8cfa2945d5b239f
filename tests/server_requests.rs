//! Server→client requests from inside a tool (issue 5, item 2): sampling, elicitation (enums,
//! titles, multi-select, defaults) and roots through the injected `Peer`, over the in-memory
//! transport — with the client answering through `TestClient::on_request`.
#![allow(clippy::unwrap_used, reason = "tests")]

use mcp_server::jsonrpc::ErrorObject;
use mcp_server::protocol::{CreateMessageRequest, ElicitationSchema, FormField};
use mcp_server::testing::TestClient;
use mcp_server::{tool, Logger, McpServer, Peer, PeerError};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

/// Ask the client's model.
#[tool]
async fn ask(question: String, peer: Peer, logger: Logger) -> Result<String, PeerError> {
    logger.info("asking the model");
    let answer = peer.sample(CreateMessageRequest::new(50).user(question).system_prompt("Be brief.")).await?;
    Ok(format!("{} (by {})", answer.text().unwrap_or_default(), answer.model))
}

/// Ask the user to fill in a form.
#[tool]
async fn survey(peer: Peer) -> Result<String, PeerError> {
    let form = ElicitationSchema::new()
        .required("name", FormField::string().title("Name").default("John Doe"))
        .optional("age", FormField::integer().default(30))
        .optional("colour", FormField::titled_choice([("r", "Red"), ("g", "Green")]).default("g"))
        .optional("legacy", FormField::legacy_titled_choice([("a", "Alpha"), ("b", "Beta")]))
        .optional("tags", FormField::multi_choice(["x", "y", "z"]))
        .optional("sizes", FormField::titled_multi_choice([("s", "Small"), ("l", "Large")]))
        .optional("agree", FormField::boolean().default(true));
    let answer = peer.elicit_form("Tell us about you", &form).await?;
    if !answer.is_accepted() {
        return Ok(format!("no answer ({})", answer.action.as_str()));
    }
    let tags: Vec<String> = answer.get("tags").unwrap_or_default();
    Ok(format!(
        "{} {} {}",
        answer.get::<String>("name").unwrap_or_default(),
        answer.get::<u32>("age").unwrap_or(0),
        tags.join("+")
    ))
}

/// List the client's roots.
#[tool]
async fn roots(peer: Peer) -> Result<String, PeerError> {
    let roots = peer.roots().await?;
    Ok(roots.iter().map(|r| r.uri.as_str()).collect::<Vec<_>>().join(","))
}

fn server() -> McpServer {
    McpServer::new("peer-test").tool(AskTool).tool(SurveyTool).tool(RootsTool)
}

fn text(result: &Value) -> &str {
    result["content"][0]["text"].as_str().unwrap()
}

#[tokio::test]
async fn sampling_round_trip() {
    let client = TestClient::connect(server()).await.unwrap();
    let seen = Arc::new(Mutex::new(Value::Null));
    let record = Arc::clone(&seen);
    client.on_request("sampling/createMessage", move |params| {
        *record.lock().unwrap() = params;
        Ok(json!({"role": "assistant", "content": {"type": "text", "text": "42"}, "model": "test-model", "stopReason": "endTurn"}))
    });
    let result = client.call_tool("ask", json!({"question": "meaning of life?"})).await.unwrap();
    assert_eq!(text(&result), "42 (by test-model)");
    let params = seen.lock().unwrap().clone();
    assert_eq!(params["maxTokens"], 50);
    assert_eq!(params["systemPrompt"], "Be brief.");
    assert_eq!(params["messages"][0], json!({"role": "user", "content": {"type": "text", "text": "meaning of life?"}}));
    // The request and the tool's log went out before the response, on the same connection.
    let methods: Vec<_> = client.messages().iter().filter_map(|m| m["method"].as_str().map(str::to_string)).collect();
    assert!(methods.contains(&"sampling/createMessage".to_string()), "{methods:?}");
}

#[tokio::test]
async fn elicitation_with_enums_titles_multi_select_and_defaults() {
    let client = TestClient::connect(server()).await.unwrap();
    let seen = Arc::new(Mutex::new(Value::Null));
    let record = Arc::clone(&seen);
    client.on_request("elicitation/create", move |params| {
        *record.lock().unwrap() = params;
        Ok(json!({"action": "accept", "content": {"name": "Ada", "age": 36, "tags": ["x", "z"]}}))
    });
    let result = client.call_tool("survey", json!({})).await.unwrap();
    assert_eq!(text(&result), "Ada 36 x+z");
    let params = seen.lock().unwrap().clone();
    assert_eq!(params["message"], "Tell us about you");
    let schema = &params["requestedSchema"];
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["required"], json!(["name"]));
    let p = &schema["properties"];
    assert_eq!(p["name"], json!({"type": "string", "title": "Name", "default": "John Doe"}));
    assert_eq!(p["age"], json!({"type": "integer", "default": 30}));
    assert_eq!(p["colour"]["oneOf"], json!([{"const": "r", "title": "Red"}, {"const": "g", "title": "Green"}]));
    assert_eq!(p["colour"]["default"], "g");
    assert_eq!(p["legacy"], json!({"type": "string", "enum": ["a", "b"], "enumNames": ["Alpha", "Beta"]}));
    assert_eq!(p["tags"], json!({"type": "array", "items": {"type": "string", "enum": ["x", "y", "z"]}}));
    assert_eq!(p["sizes"]["items"]["anyOf"][1], json!({"const": "l", "title": "Large"}));
    assert_eq!(p["agree"], json!({"type": "boolean", "default": true}));
}

#[tokio::test]
async fn declined_elicitation_and_client_errors() {
    let client = TestClient::connect(server()).await.unwrap();
    client.on_request("elicitation/create", |_| Ok(json!({"action": "decline"})));
    assert_eq!(text(&client.call_tool("survey", json!({})).await.unwrap()), "no answer (decline)");
    client.on_request("sampling/createMessage", |_| Err(ErrorObject::new(-1, "user rejected sampling")));
    let failed = client.call_tool("ask", json!({"question": "?"})).await.unwrap();
    assert_eq!(failed["isError"], true);
    assert_eq!(failed["structuredContent"]["error"]["code"], "CLIENT_REQUEST_FAILED");
    assert!(!failed.to_string().contains("user rejected"), "the client's error text is not echoed to the model");
    client.on_request("sampling/createMessage", |_| Ok(json!({"nonsense": true})));
    let malformed = client.call_tool("ask", json!({"question": "?"})).await.unwrap();
    assert_eq!(malformed["structuredContent"]["error"]["code"], "CLIENT_REQUEST_FAILED");
}

#[tokio::test]
async fn roots_are_typed() {
    let client = TestClient::connect(server()).await.unwrap();
    client.on_request("roots/list", |_| {
        Ok(json!({"roots": [{"uri": "file:///repo", "name": "repo"}, {"uri": "file:///tmp"}]}))
    });
    assert_eq!(text(&client.call_tool("roots", json!({})).await.unwrap()), "file:///repo,file:///tmp");
}

#[tokio::test]
async fn a_client_without_the_capability_gets_a_clear_error() {
    let handle = server().build().unwrap();
    let client = TestClient::connect_uninitialized(&handle);
    let init =
        json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bare", "version": "1"}});
    client.request("initialize", init).await.unwrap();
    client.notify("notifications/initialized", json!({})).await;
    let result = client.call_tool("survey", json!({})).await.unwrap();
    assert_eq!(result["isError"], true);
    assert_eq!(result["structuredContent"]["error"]["code"], "CLIENT_CAPABILITY_MISSING");
    assert!(text(&result).contains("elicitation"), "{result}");
    assert!(client.messages().iter().all(|m| m["method"] != "elicitation/create"), "nothing was sent");
}
