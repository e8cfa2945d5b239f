//! Resources and prompts on the wire (issue 2, items 5 and 6): list / read / templates, not found,
//! subscriptions and `notifications/resources/updated`, `list_changed`, prompts with arguments and
//! `completion/complete`.
//!
//! Every test runs on Tokio's paused clock (see `support`): a wait for a frame runs out only when
//! the frame can no longer come, and silence means "nothing came before the server was idle".
#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use mcp_server::protocol::{Content, GetPromptResult, PromptMessage, ResourceContents};
use mcp_server::server::CompletionRef;
use mcp_server::testing::{ClientError, TestClient};
use mcp_server::{tool, McpServer, Prompt, Resource, ResourceTemplate, ServerHandle};
use serde_json::{json, Value};
use support::{error_code, Wire};

/// Echo the text back.
#[tool]
async fn echo(text: String) -> String {
    text
}

/// Added at run time.
#[tool]
async fn late() -> String {
    "late".into()
}

fn template() -> ResourceTemplate {
    ResourceTemplate::new("test://template/{id}/data", "data")
        .description("Data for {id}")
        .mime_type("application/json")
        .read(|_ctx, params| async move {
            let id = params.get("id").cloned().unwrap_or_default();
            let body = json!({ "id": id }).to_string();
            Ok(vec![ResourceContents::text(format!("test://template/{id}/data"), "application/json", body)])
        })
}

fn review() -> Prompt {
    Prompt::new("review", "Review a piece of code.")
        .title("Code review")
        .argument("code", "The code to review", true)
        .argument("style", "Review style", false)
        .get(|_ctx, args| async move {
            let code = args.get("code").cloned().unwrap_or_default();
            let style = args.get("style").cloned().unwrap_or_else(|| "brief".into());
            Ok(GetPromptResult {
                description: Some(format!("A {style} review")),
                messages: vec![
                    PromptMessage::user(Content::text(format!("Review this ({style}):\n{code}"))),
                    PromptMessage::assistant(Content::text("Sure.")),
                ],
            })
        })
}

fn server() -> McpServer {
    McpServer::new("docs")
        .tool(EchoTool)
        .resource(Resource::text("test://readme", "readme", "text/plain", "Read me!").description("The readme"))
        .resource(
            Resource::new("test://logo", "logo")
                .mime_type("image/png")
                .read(|_ctx| async { Ok(vec![ResourceContents::blob("test://logo", "image/png", b"\x89PNG")]) }),
        )
        .resource_template(template())
        .prompt(review())
}

fn rpc_error(r: Result<Value, ClientError>) -> mcp_server::jsonrpc::ErrorObject {
    match r {
        Err(ClientError::Rpc(e)) => e,
        other => panic!("expected a JSON-RPC error, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn resources_list_read_and_templates() {
    let client = TestClient::connect(server()).await.unwrap();
    let resources = client.list_all("resources/list", "resources").await.unwrap();
    assert_eq!(
        resources,
        [
            json!({"uri": "test://readme", "name": "readme", "description": "The readme", "mimeType": "text/plain"}),
            json!({"uri": "test://logo", "name": "logo", "mimeType": "image/png"}),
        ]
    );
    let templates = client.list_all("resources/templates/list", "resourceTemplates").await.unwrap();
    assert_eq!(
        templates,
        [json!({"uriTemplate": "test://template/{id}/data", "name": "data", "description": "Data for {id}",
                "mimeType": "application/json"})]
    );

    let readme = client.read_resource("test://readme").await.unwrap();
    assert_eq!(readme, json!({"contents": [{"uri": "test://readme", "mimeType": "text/plain", "text": "Read me!"}]}));
    let logo = client.read_resource("test://logo").await.unwrap();
    assert_eq!(logo["contents"][0]["blob"], "iVBORw==");
    let data = client.read_resource("test://template/42/data").await.unwrap();
    assert_eq!(data["contents"][0]["uri"], "test://template/42/data");
    assert_eq!(data["contents"][0]["text"], r#"{"id":"42"}"#);
}

#[tokio::test(start_paused = true)]
async fn unknown_resources_are_not_found() {
    let handle = server().build().unwrap();
    let mut wire = Wire::initialized(&handle, "2025-11-25").await;
    for uri in ["test://nope", "test://template/42/other", "test://template//data", "test://template/a/b/data"] {
        let msg = wire.call(json!(uri), "resources/read", json!({ "uri": uri })).await;
        assert_eq!(error_code(&msg), -32002, "{uri}: {msg}");
        assert_eq!(msg["id"], uri);
        assert_eq!(msg["error"]["data"]["uri"], uri);
    }
}

#[tokio::test(start_paused = true)]
async fn subscriptions_reach_subscribers_only() {
    let handle = server().build().unwrap();
    let mut subscriber = Wire::initialized(&handle, "2025-11-25").await;
    let mut bystander = Wire::initialized(&handle, "2025-11-25").await;

    subscriber
        .send(r#"{"jsonrpc":"2.0","id":1,"method":"resources/subscribe","params":{"uri":"test://readme"}}"#)
        .await;
    assert_eq!(subscriber.recv_text().await, r#"{"jsonrpc":"2.0","id":1,"result":{}}"#);

    assert_eq!(handle.notify_resource_updated("test://readme"), 1);
    assert_eq!(
        subscriber.recv().await,
        json!({"jsonrpc": "2.0", "method": "notifications/resources/updated", "params": {"uri": "test://readme"}})
    );
    // Other URIs and other sessions hear nothing.
    assert_eq!(handle.notify_resource_updated("test://logo"), 0);
    subscriber.assert_quiet().await;
    bystander.assert_quiet().await;

    subscriber
        .send(r#"{"jsonrpc":"2.0","id":2,"method":"resources/unsubscribe","params":{"uri":"test://readme"}}"#)
        .await;
    assert_eq!(subscriber.recv_text().await, r#"{"jsonrpc":"2.0","id":2,"result":{}}"#);
    assert_eq!(handle.notify_resource_updated("test://readme"), 0);
    subscriber.assert_quiet().await;

    // A closed session is not notified either.
    let mut leaving = Wire::initialized(&handle, "2025-11-25").await;
    leaving.result(json!(1), "resources/subscribe", json!({"uri": "test://logo"})).await;
    drop(leaving);
    // On the paused clock this returns only once every task is idle: the server has seen the close.
    tokio::time::sleep(support::QUIET).await;
    assert_eq!(handle.notify_resource_updated("test://logo"), 0);
}

#[tokio::test(start_paused = true)]
async fn a_session_holds_a_bounded_number_of_subscriptions() {
    let client = TestClient::connect(server()).await.unwrap();
    for n in 0..1024 {
        client.request("resources/subscribe", json!({"uri": format!("test://many/{n}")})).await.unwrap();
    }
    let over = client.request("resources/subscribe", json!({"uri": "test://one-too-many"})).await;
    assert!(matches!(over, Err(ClientError::Rpc(ref e)) if e.code == -32602 && e.message.contains("1024")), "{over:?}");
    // Subscribing again to one it holds is fine; unsubscribing makes room.
    client.request("resources/subscribe", json!({"uri": "test://many/7"})).await.unwrap();
    client.request("resources/unsubscribe", json!({"uri": "test://many/7"})).await.unwrap();
    client.request("resources/subscribe", json!({"uri": "test://one-too-many"})).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn registration_changes_send_list_changed() {
    let handle: ServerHandle = server().build().unwrap();
    let mut wire = Wire::initialized(&handle, "2025-11-25").await;
    let mut uninitialized = Wire::open(&handle);

    handle.add_tool(LateTool).unwrap();
    assert_eq!(
        wire.recv().await,
        json!({"jsonrpc": "2.0", "method": "notifications/tools/list_changed", "params": {}})
    );
    let tools = wire.result(json!(1), "tools/list", json!({})).await;
    assert!(tools["tools"].as_array().unwrap().iter().any(|t| t["name"] == "late"), "{tools}");
    assert_eq!(wire.result(json!(2), "tools/call", json!({"name": "late"})).await["content"][0]["text"], "late");

    handle.add_resource(Resource::text("test://new", "new", "text/plain", "fresh")).unwrap();
    assert_eq!(wire.recv().await["method"], "notifications/resources/list_changed");
    assert_eq!(
        wire.result(json!(3), "resources/read", json!({"uri": "test://new"})).await["contents"][0]["text"],
        "fresh"
    );

    handle.remove_tool("late").unwrap();
    assert_eq!(wire.recv().await["method"], "notifications/tools/list_changed");
    assert_eq!(error_code(&wire.call(json!(4), "tools/call", json!({"name": "late"})).await), -32602);

    // A duplicate registration is refused and changes nothing.
    assert!(handle.add_tool(EchoTool).is_err());
    wire.assert_quiet().await;
    // Sessions that never initialized are not notified.
    uninitialized.assert_quiet().await;
}

#[tokio::test(start_paused = true)]
async fn prompts_list_and_get() {
    let client = TestClient::connect(server()).await.unwrap();
    let prompts = client.list_all("prompts/list", "prompts").await.unwrap();
    assert_eq!(
        prompts,
        [json!({"name": "review", "title": "Code review", "description": "Review a piece of code.", "arguments": [
            {"name": "code", "description": "The code to review", "required": true},
            {"name": "style", "description": "Review style", "required": false},
        ]})]
    );
    let got = client.get_prompt("review", json!({"code": "fn main() {}", "style": "thorough"})).await.unwrap();
    assert_eq!(
        got,
        json!({"description": "A thorough review", "messages": [
            {"role": "user", "content": {"type": "text", "text": "Review this (thorough):\nfn main() {}"}},
            {"role": "assistant", "content": {"type": "text", "text": "Sure."}},
        ]})
    );
    let defaulted = client.get_prompt("review", json!({"code": "x"})).await.unwrap();
    assert_eq!(defaulted["description"], "A brief review");

    let missing = rpc_error(client.get_prompt("review", json!({"style": "brief"})).await);
    assert_eq!(missing.code, -32602);
    assert!(missing.message.contains("code"), "{missing}");
    assert_eq!(rpc_error(client.get_prompt("nope", json!({})).await).code, -32602);
    assert_eq!(rpc_error(client.request("prompts/get", json!({"name": "review"})).await).code, -32602);
}

#[tokio::test(start_paused = true)]
async fn completion_defaults_to_an_empty_list() {
    let client = TestClient::connect(server()).await.unwrap();
    let params = json!({"ref": {"type": "ref/prompt", "name": "review"}, "argument": {"name": "style", "value": "b"}});
    let result = client.request("completion/complete", params).await.unwrap();
    assert_eq!(result, json!({"completion": {"values": [], "total": 0, "hasMore": false}}));
}

#[tokio::test(start_paused = true)]
async fn completion_uses_the_hook() {
    let server = server().completion(|_ctx, req| async move {
        let options: Vec<String> = match (&req.reference, req.argument.as_str()) {
            (CompletionRef::Prompt(name), "style") if name == "review" => {
                vec!["brief".into(), "blunt".into(), "thorough".into()]
            }
            (CompletionRef::Resource(uri), "id") if uri == "test://template/{id}/data" => {
                let prefix = req.context.get("prefix").cloned().unwrap_or_default();
                (0..150).map(|i| format!("{prefix}{i}")).collect()
            }
            _ => Vec::new(),
        };
        options.into_iter().filter(|o| o.starts_with(&req.value)).collect()
    });
    let client = TestClient::connect(server).await.unwrap();
    let prompt = json!({"ref": {"type": "ref/prompt", "name": "review"}, "argument": {"name": "style", "value": "b"}});
    assert_eq!(
        client.request("completion/complete", prompt).await.unwrap(),
        json!({"completion": {"values": ["brief", "blunt"], "total": 2, "hasMore": false}})
    );
    let template = json!({"ref": {"type": "ref/resource", "uri": "test://template/{id}/data"},
                          "argument": {"name": "id", "value": ""}, "context": {"arguments": {"prefix": "n"}}});
    let result = client.request("completion/complete", template).await.unwrap();
    let values = result["completion"]["values"].as_array().unwrap();
    assert_eq!(values.len(), 100, "at most 100 values");
    assert_eq!(values[0], "n0");
    assert_eq!(
        (result["completion"]["total"].clone(), result["completion"]["hasMore"].clone()),
        (json!(150), json!(true))
    );

    let unknown = json!({"ref": {"type": "ref/prompt", "name": "nope"}, "argument": {"name": "x", "value": ""}});
    assert_eq!(rpc_error(client.request("completion/complete", unknown).await).code, -32602);
    let bad_ref = json!({"ref": {"type": "ref/tool", "name": "echo"}, "argument": {"name": "x", "value": ""}});
    assert_eq!(rpc_error(client.request("completion/complete", bad_ref).await).code, -32602);
}
