//! Tools on the wire (issue 2, item 4): listing with pagination, calling, argument validation,
//! titles and annotations, structured output and every content type.
//!
//! Every test runs on Tokio's paused clock, so a wait on the wire (`support::PATIENCE`) runs out
//! only when the frame can no longer come, never because the machine is slow.
#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use mcp_server::protocol::{CallToolResult, Content, ResourceContents};
use mcp_server::testing::{ClientError, TestClient};
use mcp_server::{tool, Json, McpServer, ServerHandle};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use support::{error_code, tool_error, Wire};

/// Echo the text back.
#[tool(title = "Echo", read_only, idempotent, open_world = false)]
async fn echo(#[arg(description = "Text to echo back")] text: String) -> String {
    text
}

/// Erase everything.
#[tool(destructive, open_world)]
async fn wipe() -> &'static str {
    "wiped"
}

/// A point on the plane.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct Point {
    x: i64,
    y: i64,
}

/// Where the point ended up.
#[derive(Debug, Serialize, schemars::JsonSchema)]
struct Moved {
    x: i64,
    y: i64,
    label: Option<String>,
}

/// Shift a point diagonally.
#[tool]
async fn shift(point: Point, #[arg(default = 1)] by: i64, label: Option<String>) -> Json<Moved> {
    Json(Moved { x: point.x + by, y: point.y + by, label })
}

/// Return one kind of content block.
#[tool]
async fn media(kind: String) -> Vec<Content> {
    match kind.as_str() {
        "image" => vec![Content::image(b"\x89PNG", "image/png")],
        "audio" => vec![Content::audio(b"RIFF", "audio/wav")],
        "resource" => vec![Content::resource(ResourceContents::text("test://doc", "text/plain", "inside"))],
        "blob" => vec![Content::resource(ResourceContents::blob("test://bin", "application/octet-stream", &[0, 1, 2]))],
        "link" => vec![Content::resource_link("test://doc", "doc")],
        _ => vec![Content::text("one"), Content::text("two")],
    }
}

/// A hand-built result.
#[tool]
async fn raw() -> CallToolResult {
    CallToolResult { content: vec![Content::text("custom")], ..CallToolResult::structured(&json!({"k": 1})).unwrap() }
}

/// The number of characters in `text`.
#[tool]
async fn count(text: String) -> usize {
    text.chars().count()
}

fn server() -> McpServer {
    McpServer::new("tools").tool(EchoTool).tool(WipeTool).tool(ShiftTool).tool(MediaTool).tool(RawTool).tool(CountTool)
}

async fn client() -> TestClient {
    TestClient::connect(server()).await.unwrap()
}

fn rpc_code(r: Result<Value, ClientError>) -> i64 {
    match r {
        Err(ClientError::Rpc(e)) => e.code,
        other => panic!("expected a JSON-RPC error, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn list_follows_opaque_cursors() {
    let handle: ServerHandle = server().page_size(2).build().unwrap();
    let mut wire = Wire::initialized(&handle, "2025-11-25").await;
    let mut names = Vec::new();
    let mut cursor: Option<Value> = None;
    let mut pages = 0;
    loop {
        let params = cursor.take().map_or_else(|| json!({}), |c| json!({ "cursor": c }));
        let page = wire.result(json!(pages), "tools/list", params).await;
        pages += 1;
        let tools = page["tools"].as_array().unwrap();
        assert!(tools.len() <= 2, "{page}");
        names.extend(tools.iter().map(|t| t["name"].as_str().unwrap().to_string()));
        match page.get("nextCursor") {
            Some(c) => {
                assert!(c.is_string(), "{page}");
                cursor = Some(c.clone());
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names, ["echo", "wipe", "shift", "media", "raw", "count"]);

    // Cursors are opaque: anything the server did not hand out is invalid params.
    for bad in ["garbage", "", "cGFnZToxMDA", "cGFnZTow", "page:1"] {
        let msg = wire.call(json!(bad), "tools/list", json!({ "cursor": bad })).await;
        assert_eq!(error_code(&msg), -32602, "{bad}: {msg}");
    }
    // TestClient follows the cursors too.
    let client = TestClient::connect_handle(&handle, "2025-11-25").await.unwrap();
    assert_eq!(client.list_tools().await.unwrap().len(), 6);
}

#[tokio::test(start_paused = true)]
async fn definitions_carry_title_annotations_and_schemas() {
    let tools = client().await.list_tools().await.unwrap();
    let by_name = |name: &str| tools.iter().find(|t| t["name"] == name).cloned().unwrap();

    let echo = by_name("echo");
    assert_eq!(echo["title"], "Echo");
    assert_eq!(echo["description"], "Echo the text back.");
    assert_eq!(
        echo["annotations"],
        json!({"title": "Echo", "readOnlyHint": true, "idempotentHint": true, "openWorldHint": false})
    );
    assert_eq!(echo["inputSchema"]["type"], "object");
    assert_eq!(
        echo["inputSchema"]["properties"]["text"],
        json!({"type": "string", "description": "Text to echo back"})
    );
    assert_eq!(echo["inputSchema"]["required"], json!(["text"]));
    assert!(echo.get("outputSchema").is_none());

    let wipe = by_name("wipe");
    assert_eq!(wipe["annotations"], json!({"destructiveHint": true, "openWorldHint": true}));
    assert!(wipe.get("title").is_none());
    assert_eq!(wipe["inputSchema"]["type"], "object");
    assert_eq!(wipe["inputSchema"]["properties"], json!({}));

    let shift = by_name("shift");
    assert!(shift.get("annotations").is_none(), "no hints set: {shift}");
    assert_eq!(shift["inputSchema"]["required"], json!(["point"]), "`by` has a default, `label` is an Option");
    let output = &shift["outputSchema"];
    assert_eq!(output["type"], "object");
    assert!(output["properties"]["x"].is_object() && output["properties"]["label"].is_object(), "{output}");
    for tool in &tools {
        assert!(!tool["description"].as_str().unwrap().is_empty(), "{tool}");
    }
}

#[tokio::test(start_paused = true)]
async fn missing_or_null_arguments_mean_an_empty_object() {
    let handle = server().build().unwrap();
    let mut wire = Wire::initialized(&handle, "2025-11-25").await;
    for (id, params) in [(1, json!({"name": "wipe"})), (2, json!({"name": "wipe", "arguments": null}))] {
        let result = wire.result(json!(id), "tools/call", params).await;
        assert_eq!(result, json!({"content": [{"type": "text", "text": "wiped"}]}));
    }
    let result = wire.result(json!(3), "tools/call", json!({"name": "echo"})).await;
    assert_eq!(tool_error(&result)["details"]["field"], "text");
    for (id, args) in [(4, json!("text")), (5, json!(7)), (6, json!(["x"]))] {
        let msg = wire.call(json!(id), "tools/call", json!({"name": "echo", "arguments": args})).await;
        assert_eq!(error_code(&msg), -32602, "{msg}");
    }
}

#[tokio::test(start_paused = true)]
async fn unknown_tools_are_invalid_params() {
    let client = client().await;
    let err = client.call_tool("nope", json!({})).await;
    assert_eq!(rpc_code(err), -32602);
    // The session is unaffected.
    assert_eq!(
        client.call_tool("echo", json!({"text": "still here"})).await.unwrap()["content"][0]["text"],
        "still here"
    );
}

#[tokio::test(start_paused = true)]
async fn validation_failures_name_the_field() {
    let client = client().await;
    let cases = [
        ("echo", json!({}), "text"),
        ("echo", json!({"text": 5}), "text"),
        ("shift", json!({"point": {"x": 1}}), "point.y"),
        ("shift", json!({"point": {"x": "one", "y": 2}}), "point.x"),
        ("shift", json!({"point": {"x": 1, "y": 2}, "by": "lots"}), "by"),
        ("shift", json!({"point": {"x": 1, "y": 2}, "label": 3}), "label"),
    ];
    for (tool, args, field) in cases {
        let result = client.call_tool(tool, args.clone()).await.unwrap();
        let error = tool_error(&result);
        assert_eq!(error["code"], "VALIDATION_ERROR", "{tool} {args}: {result}");
        assert_eq!(error["retryable"], false);
        assert_eq!(error["details"], json!({ "field": field }), "{tool} {args}: {result}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(field), "{message}");
        assert!(!message.contains("line "), "no parser positions: {message}");
    }
}

#[tokio::test(start_paused = true)]
async fn structured_output_comes_with_the_same_json_as_text() {
    let client = client().await;
    let result = client.call_tool("shift", json!({"point": {"x": 1, "y": 2}, "label": "p"})).await.unwrap();
    assert_eq!(result["structuredContent"], json!({"x": 2, "y": 3, "label": "p"}));
    assert!(result.get("isError").is_none());
    let content = result["content"].as_array().unwrap();
    assert_eq!(content.len(), 1);
    assert_eq!(content[0]["type"], "text");
    let text: Value = serde_json::from_str(content[0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(text, result["structuredContent"]);

    let defaulted = client.call_tool("shift", json!({"point": {"x": 0, "y": 0}, "by": 5})).await.unwrap();
    assert_eq!(defaulted["structuredContent"], json!({"x": 5, "y": 5, "label": null}));

    let raw = client.call_tool("raw", json!({})).await.unwrap();
    assert_eq!(raw, json!({"content": [{"type": "text", "text": "custom"}], "structuredContent": {"k": 1}}));
    let count = client.call_tool("count", json!({"text": "héllo"})).await.unwrap();
    assert_eq!(count, json!({"content": [{"type": "text", "text": "5"}]}));
}

#[tokio::test(start_paused = true)]
async fn every_content_type_has_its_wire_shape() {
    let client = client().await;
    let block = |r: Value| r["content"][0].clone();
    let call = |kind: &'static str| {
        let client = client.clone();
        async move { client.call_tool("media", json!({ "kind": kind })).await.unwrap() }
    };
    assert_eq!(block(call("image").await), json!({"type": "image", "data": "iVBORw==", "mimeType": "image/png"}));
    assert_eq!(block(call("audio").await), json!({"type": "audio", "data": "UklGRg==", "mimeType": "audio/wav"}));
    assert_eq!(
        block(call("resource").await),
        json!({"type": "resource", "resource": {"uri": "test://doc", "mimeType": "text/plain", "text": "inside"}})
    );
    assert_eq!(
        block(call("blob").await),
        json!({"type": "resource", "resource": {"uri": "test://bin", "mimeType": "application/octet-stream", "blob": "AAEC"}})
    );
    assert_eq!(block(call("link").await), json!({"type": "resource_link", "uri": "test://doc", "name": "doc"}));
    assert_eq!(
        call("text").await,
        json!({"content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]})
    );
}
