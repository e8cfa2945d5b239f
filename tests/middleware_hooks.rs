//! The typed middleware hooks (issue 12, item 1): each kind of request reaches its own hook with
//! its own request and response types, every other hook passes it by, `from_fn` picks its hook by
//! the closure's request type, and `Next` can be skipped or run again.
#![allow(clippy::unwrap_used, reason = "tests")]

use futures_util::future::BoxFuture;
use mcp_server::middleware::{from_fn, Middleware, Next, Outcome};
use mcp_server::protocol::{CallToolResult, Content, GetPromptResult, PromptMessage, ResourceContents};
use mcp_server::testing::{ClientError, TestClient};
use mcp_server::{
    tool, CallToolRequest, GetPromptRequest, ListPromptsRequest, ListResourceTemplatesRequest, ListResourcesRequest,
    ListToolsRequest, McpServer, Prompt, ReadResourceRequest, Resource, ResourceTemplate, RpcRequest, ToolError,
};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Echo the text back.
#[tool]
async fn echo(text: String) -> String {
    text
}

/// Fails the first time it is called, then succeeds.
#[tool]
async fn flaky(ctx: mcp_server::RequestContext) -> Result<String, ToolError> {
    let calls = ctx.state::<AtomicUsize>().unwrap();
    match calls.fetch_add(1, Ordering::SeqCst) {
        0 => Err(ToolError::new("UPSTREAM_ERROR", "try again").retryable(true)),
        n => Ok(format!("succeeded on call {}", n + 1)),
    }
}

/// Internal: hidden from the listing by a middleware.
#[tool]
async fn internal_reset() -> String {
    "reset".into()
}

fn server() -> McpServer {
    McpServer::new("hooks")
        .tool(EchoTool)
        .tool(FlakyTool)
        .tool(InternalResetTool)
        .state(AtomicUsize::new(0))
        .resource(Resource::text("test://readme", "readme", "text/plain", "Read me!"))
        .resource_template(ResourceTemplate::new("test://{id}", "item").read(|_ctx, params| async move {
            let id = params.get("id").cloned().unwrap_or_default();
            Ok(vec![ResourceContents::text(format!("test://{id}"), "text/plain", id)])
        }))
        .prompt(Prompt::new("greet", "Greet someone.").argument("name", "Who", true).get(|_ctx, args| async move {
            let name = args.get("name").cloned().unwrap_or_default();
            Ok(GetPromptResult { description: None, messages: vec![PromptMessage::user(Content::text(name))] })
        }))
}

/// Records which hook saw which request.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl Recorder {
    fn push(&self, entry: String) {
        self.0.lock().unwrap().push(entry);
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl Middleware for Recorder {
    fn on_call_tool(
        &self,
        req: CallToolRequest,
        next: Next<CallToolRequest>,
    ) -> BoxFuture<'_, Outcome<CallToolRequest>> {
        self.push(format!("call_tool {} {}", req.name(), req.arguments().get()));
        next.run(req)
    }

    fn on_read_resource(
        &self,
        req: ReadResourceRequest,
        next: Next<ReadResourceRequest>,
    ) -> BoxFuture<'_, Outcome<ReadResourceRequest>> {
        self.push(format!("read_resource {}", req.uri()));
        next.run(req)
    }

    fn on_get_prompt(
        &self,
        req: GetPromptRequest,
        next: Next<GetPromptRequest>,
    ) -> BoxFuture<'_, Outcome<GetPromptRequest>> {
        self.push(format!("get_prompt {} {:?}", req.name(), req.arguments().get("name")));
        next.run(req)
    }

    fn on_list_tools(
        &self,
        req: ListToolsRequest,
        next: Next<ListToolsRequest>,
    ) -> BoxFuture<'_, Outcome<ListToolsRequest>> {
        self.push("list_tools".into());
        next.run(req)
    }

    fn on_list_resources(
        &self,
        req: ListResourcesRequest,
        next: Next<ListResourcesRequest>,
    ) -> BoxFuture<'_, Outcome<ListResourcesRequest>> {
        self.push("list_resources".into());
        next.run(req)
    }

    fn on_list_resource_templates(
        &self,
        req: ListResourceTemplatesRequest,
        next: Next<ListResourceTemplatesRequest>,
    ) -> BoxFuture<'_, Outcome<ListResourceTemplatesRequest>> {
        self.push("list_resource_templates".into());
        next.run(req)
    }

    fn on_list_prompts(
        &self,
        req: ListPromptsRequest,
        next: Next<ListPromptsRequest>,
    ) -> BoxFuture<'_, Outcome<ListPromptsRequest>> {
        self.push("list_prompts".into());
        next.run(req)
    }

    fn on_request(&self, req: RpcRequest, next: Next<RpcRequest>) -> BoxFuture<'_, Outcome<RpcRequest>> {
        self.push(format!("request {}", req.method()));
        next.run(req)
    }
}

#[tokio::test]
async fn every_request_reaches_exactly_its_own_hook() {
    let recorder = Recorder::default();
    let client = TestClient::connect(server().middleware(recorder.clone())).await.unwrap();
    assert_eq!(recorder.take(), ["request initialize"]);

    client.call_tool("echo", json!({"text": "hi"})).await.unwrap();
    client.read_resource("test://readme").await.unwrap();
    client.read_resource("test://42").await.unwrap();
    client.get_prompt("greet", json!({"name": "Ada"})).await.unwrap();
    client.list_tools().await.unwrap();
    client.request("resources/list", json!({})).await.unwrap();
    client.request("resources/templates/list", json!({})).await.unwrap();
    client.request("prompts/list", json!({})).await.unwrap();
    client.request("ping", json!({})).await.unwrap();
    client.request("logging/setLevel", json!({"level": "debug"})).await.unwrap();
    let unknown = client.request("no/such/method", json!({})).await;
    assert!(matches!(unknown, Err(ClientError::Rpc(e)) if e.code == -32601), "unknown methods still get -32601");
    assert_eq!(
        recorder.take(),
        [
            r#"call_tool echo {"text":"hi"}"#,
            "read_resource test://readme",
            "read_resource test://42",
            r#"get_prompt greet Some("Ada")"#,
            "list_tools",
            "list_resources",
            "list_resource_templates",
            "list_prompts",
            "request ping",
            "request logging/setLevel",
            "request no/such/method",
        ]
    );
}

#[tokio::test]
async fn a_middleware_sees_only_the_hooks_it_implements() {
    /// Counts tool calls, nothing else.
    #[derive(Clone, Default)]
    struct ToolCalls(Arc<AtomicUsize>);

    impl Middleware for ToolCalls {
        fn on_call_tool(
            &self,
            req: CallToolRequest,
            next: Next<CallToolRequest>,
        ) -> BoxFuture<'_, Outcome<CallToolRequest>> {
            self.0.fetch_add(1, Ordering::SeqCst);
            next.run(req)
        }
    }

    let calls = ToolCalls::default();
    let client = TestClient::connect(server().middleware(calls.clone())).await.unwrap();
    client.read_resource("test://readme").await.unwrap();
    client.get_prompt("greet", json!({"name": "Ada"})).await.unwrap();
    client.list_tools().await.unwrap();
    assert_eq!(calls.0.load(Ordering::SeqCst), 0);
    client.call_tool("echo", json!({"text": "hi"})).await.unwrap();
    assert_eq!(calls.0.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn from_fn_picks_the_hook_by_its_request_type() {
    let seen = Recorder::default();
    let (reads, requests) = (seen.clone(), seen.clone());
    let server = server()
        .middleware(from_fn(move |req: ReadResourceRequest, next: Next<ReadResourceRequest>| {
            let seen = reads.clone();
            async move {
                seen.push(format!("read {}", req.uri()));
                next.run(req).await
            }
        }))
        .middleware(from_fn(move |req: RpcRequest, next: Next<RpcRequest>| {
            let seen = requests.clone();
            async move {
                seen.push(format!("rpc {}", req.method()));
                next.run(req).await
            }
        }))
        .middleware(from_fn(|req: ListToolsRequest, next: Next<ListToolsRequest>| async move {
            let mut page = next.run(req).await?;
            page.retain(|tool| !tool.name.starts_with("internal_"));
            Ok(page)
        }));
    let client = TestClient::connect(server).await.unwrap();
    client.call_tool("echo", json!({"text": "hi"})).await.unwrap();
    client.read_resource("test://readme").await.unwrap();
    client.request("ping", json!({})).await.unwrap();
    assert_eq!(seen.take(), ["rpc initialize", "read test://readme", "rpc ping"]);

    let names: Vec<_> = client.list_tools().await.unwrap().iter().map(|t| t["name"].clone()).collect();
    assert_eq!(names, [json!("echo"), json!("flaky")], "the listing hook filtered the page");
    let hidden = client.call_tool("internal_reset", json!({})).await.unwrap();
    assert_eq!(hidden["content"][0]["text"], "reset", "a listing filter is not an access rule");
}

#[tokio::test]
async fn next_can_be_skipped_or_run_again() {
    let retry = from_fn(|req: CallToolRequest, next: Next<CallToolRequest>| async move {
        match next.run(req.clone()).await {
            Err(e) if e.retryable() => next.run(req).await,
            other => other,
        }
    });
    let short_circuit = from_fn(|req: CallToolRequest, next: Next<CallToolRequest>| async move {
        if req.name() == "echo" && req.arguments().get().contains("cached") {
            return Ok(CallToolResult::text("from the cache"));
        }
        next.run(req).await
    });
    let client = TestClient::connect(server().middleware(retry).middleware(short_circuit)).await.unwrap();
    let flaky = client.call_tool("flaky", json!({})).await.unwrap();
    assert_eq!(flaky["content"][0]["text"], "succeeded on call 2", "{flaky}");
    let cached = client.call_tool("echo", json!({"text": "cached"})).await.unwrap();
    assert_eq!(cached["content"][0]["text"], "from the cache");
}

#[tokio::test]
async fn a_failing_hook_answers_with_its_kind_of_error() {
    let deny_reads = from_fn(|req: ReadResourceRequest, _next: Next<ReadResourceRequest>| async move {
        Err(mcp_server::CallError::invalid_params(format!("no reading {}", req.uri())))
    });
    let deny_calls = from_fn(|_req: CallToolRequest, _next: Next<CallToolRequest>| async move {
        Err(ToolError::new("DENIED", "not today").into())
    });
    let client = TestClient::connect(server().middleware(deny_reads).middleware(deny_calls)).await.unwrap();
    let read = client.read_resource("test://readme").await;
    assert!(matches!(read, Err(ClientError::Rpc(e)) if e.code == -32602 && e.message == "no reading test://readme"));
    let call = client.call_tool("echo", json!({"text": "hi"})).await.unwrap();
    assert_eq!(call["isError"], true);
    assert_eq!(call["structuredContent"]["error"]["code"], "DENIED", "a tool call fails as an isError result");
}

#[tokio::test]
async fn a_panicking_middleware_still_answers_and_frees_the_request() {
    let explode = from_fn(|req: CallToolRequest, next: Next<CallToolRequest>| async move {
        if req.name() == "flaky" {
            panic!("a bug in a middleware");
        }
        next.run(req).await
    });
    let client = TestClient::connect(server().middleware(explode).max_in_flight(1)).await.unwrap();
    for _ in 0..3 {
        let failed = client.call_tool("flaky", json!({})).await.unwrap();
        assert_eq!(failed["structuredContent"]["error"]["code"], "INTERNAL_ERROR", "{failed}");
    }
    // With an in-flight limit of 1, a request stuck in the table would make this one "busy".
    let echoed = client.call_tool("echo", json!({"text": "still here"})).await.unwrap();
    assert_eq!(echoed["content"][0]["text"], "still here");
}

#[tokio::test]
async fn a_middleware_further_out_sees_a_panic_further_in_as_a_failure() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let outer = from_fn(move |req: CallToolRequest, next: Next<CallToolRequest>| {
        let record = Arc::clone(&record);
        async move {
            let outcome = next.run(req).await;
            record.lock().unwrap().push(outcome.as_ref().err().map(|e| e.kind()));
            outcome
        }
    });
    // Panics while building its future, before any `.await`: the other way a layer can panic.
    struct Explodes;
    impl Middleware for Explodes {
        fn on_call_tool<'a>(
            &'a self,
            req: CallToolRequest,
            next: Next<CallToolRequest>,
        ) -> BoxFuture<'a, Outcome<CallToolRequest>> {
            assert_ne!(req.name(), "flaky", "a bug in a middleware");
            next.run(req)
        }
    }
    let client = TestClient::connect(server().middleware(outer).middleware(Explodes)).await.unwrap();
    let failed = client.call_tool("flaky", json!({})).await.unwrap();
    assert_eq!(failed["structuredContent"]["error"]["code"], "INTERNAL_ERROR", "{failed}");
    client.call_tool("echo", json!({"text": "fine"})).await.unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![Some(mcp_server::FailureKind::Panic), None]);
}
