//! The server the official MCP conformance suite (`@modelcontextprotocol/conformance`) expects,
//! written as a tour of the SDK: content types, logging, progress, errors, sampling, elicitation
//! forms (enums, titles, defaults), a hand-written tool with a strict JSON Schema 2020-12 input,
//! SSE polling, static and templated resources, subscriptions, prompts and completion.
//!
//! ```text
//! cargo run --example conformance_server -- --port 3000      # http://127.0.0.1:3000/mcp
//! ../shared/checks/conformance.sh http://127.0.0.1:3000/mcp --suite all \
//!     --server-cmd 'exec target/debug/examples/conformance_server --port 3000'
//! ```

#[path = "common/mod.rs"]
mod common;

use futures_util::future::BoxFuture;
use mcp_server::protocol::{
    CallToolResult, Content, CreateMessageRequest, ElicitResult, ElicitationSchema, FormField, GetPromptResult,
    PromptMessage, ResourceContents,
};
use mcp_server::{
    tool, CallToolRequest, Logger, McpServer, Peer, PeerError, ProgressReporter, Prompt, RequestContext, Resource,
    ResourceTemplate, ServerHandle, Tool, ToolDefinition, ToolError, ToolResult,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const RED_PIXEL_PNG: &[u8] = include_bytes!("assets/red-pixel.png");
const SILENCE_WAV: &[u8] = include_bytes!("assets/silence.wav");
const WATCHED: &str = "test://watched-resource";

// ---------------------------------------------------------------- content types

/// Returns a simple text response.
#[tool(read_only)]
async fn test_simple_text() -> String {
    "This is a simple text response for testing.".into()
}

/// Returns a 1×1 red PNG image.
#[tool(read_only)]
async fn test_image_content() -> Content {
    Content::image(RED_PIXEL_PNG, "image/png")
}

/// Returns a short WAV clip.
#[tool(read_only)]
async fn test_audio_content() -> Content {
    Content::audio(SILENCE_WAV, "audio/wav")
}

/// Returns an embedded text resource.
#[tool(read_only)]
async fn test_embedded_resource() -> Content {
    Content::resource(ResourceContents::text(
        "test://embedded-resource",
        "text/plain",
        "This is an embedded resource content.",
    ))
}

/// Returns text, an image and an embedded JSON resource in one result.
#[tool(read_only)]
async fn test_multiple_content_types() -> Vec<Content> {
    vec![
        Content::text("Multiple content types test:"),
        Content::image(RED_PIXEL_PNG, "image/png"),
        Content::resource(ResourceContents::text(
            "test://mixed-content-resource",
            "application/json",
            r#"{"test":"data","value":123}"#,
        )),
    ]
}

// ---------------------------------------------------------------- logging, progress, errors

/// Sends three log messages while it runs.
#[tool(read_only)]
async fn test_tool_with_logging(logger: Logger) -> String {
    logger.info("Tool execution started");
    tokio::time::sleep(Duration::from_millis(50)).await;
    logger.info("Tool processing data");
    tokio::time::sleep(Duration::from_millis(50)).await;
    logger.info("Tool execution completed");
    "Tool with logging executed successfully".into()
}

/// Reports progress 0, 50 and 100 (of 100) when the client asked for progress.
#[tool(read_only)]
async fn test_tool_with_progress(progress: ProgressReporter) -> String {
    for (i, step) in [0.0, 50.0, 100.0].into_iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        progress.report(step, Some(100.0), None).await;
    }
    "Tool with progress executed successfully".into()
}

/// Always fails: the client gets an `isError` result, not a protocol error.
#[tool(read_only)]
async fn test_error_handling() -> Result<String, ToolError> {
    Err(ToolError::new("TEST_ERROR", "This tool intentionally returns an error for testing"))
}

// ---------------------------------------------------------------- server→client requests

/// Asks the client's model to answer `prompt` (sampling).
#[tool]
async fn test_sampling(
    #[arg(description = "The prompt to send to the LLM")] prompt: String,
    peer: Peer,
) -> Result<String, PeerError> {
    let answer = peer.sample(CreateMessageRequest::new(100).user(prompt)).await?;
    Ok(format!("LLM response: {}", answer.text().unwrap_or_default()))
}

fn describe(result: &ElicitResult) -> String {
    let content = result.content.as_ref().map(|c| serde_json::Value::Object(c.clone())).unwrap_or_default();
    format!("action={}, content={content}", result.action.as_str())
}

/// Asks the user for a username and an e-mail address (elicitation).
#[tool]
async fn test_elicitation(
    #[arg(description = "The message to show the user")] message: String,
    peer: Peer,
) -> Result<String, PeerError> {
    let form = ElicitationSchema::new()
        .required("username", FormField::string().description("User's response"))
        .required("email", FormField::string().description("User's email address"));
    let answer = peer.elicit_form(&message, &form).await?;
    Ok(format!("User response: {}", describe(&answer)))
}

/// Asks for a form whose fields all have defaults (SEP-1034).
#[tool]
async fn test_elicitation_sep1034_defaults(peer: Peer) -> Result<String, PeerError> {
    let form = ElicitationSchema::new()
        .optional("name", FormField::string().default("John Doe"))
        .optional("age", FormField::integer().default(30))
        .optional("score", FormField::number().default(95.5))
        .optional("status", FormField::choice(["active", "inactive", "pending"]).default("active"))
        .optional("verified", FormField::boolean().default(true));
    let answer = peer.elicit_form("Please review your profile", &form).await?;
    Ok(format!("Elicitation completed: {}", describe(&answer)))
}

/// Asks for every kind of choice: plain, titled, legacy-titled, multi and titled multi (SEP-1330).
#[tool]
async fn test_elicitation_sep1330_enums(peer: Peer) -> Result<String, PeerError> {
    let form = ElicitationSchema::new()
        .optional("untitledSingle", FormField::choice(["option1", "option2", "option3"]))
        .optional(
            "titledSingle",
            FormField::titled_choice([
                ("value1", "First Option"),
                ("value2", "Second Option"),
                ("value3", "Third Option"),
            ]),
        )
        .optional(
            "legacyEnum",
            FormField::legacy_titled_choice([("opt1", "Option One"), ("opt2", "Option Two"), ("opt3", "Option Three")]),
        )
        .optional("untitledMulti", FormField::multi_choice(["option1", "option2", "option3"]))
        .optional(
            "titledMulti",
            FormField::titled_multi_choice([
                ("value1", "First Choice"),
                ("value2", "Second Choice"),
                ("value3", "Third Choice"),
            ]),
        );
    let answer = peer.elicit_form("Please pick your options", &form).await?;
    Ok(format!("Elicitation completed: {}", describe(&answer)))
}

/// Closes its SSE stream mid-call, then answers: the client resumes the stream with
/// `Last-Event-ID` and receives the result there (SEP-1699 polling).
#[tool(read_only)]
async fn test_reconnection(ctx: RequestContext) -> String {
    ctx.close_sse_stream();
    tokio::time::sleep(Duration::from_millis(100)).await;
    "Reconnection test completed".into()
}

// ---------------------------------------------------------------- a hand-written tool

/// A postal address (named `address` in the schema's `$defs`).
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "address")]
struct Address {
    street: Option<String>,
    city: Option<String>,
}

/// Strict arguments: unknown fields are refused, so the schema says `additionalProperties: false`.
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ProfileArgs {
    name: Option<String>,
    address: Option<Address>,
}

/// Implementing [`Tool`] by hand: the input schema comes from `ProfileArgs` (JSON Schema 2020-12,
/// `$defs` and all), and the arguments are parsed with the same validation `#[tool]` uses.
struct JsonSchemaTool;

impl Tool for JsonSchemaTool {
    fn definition(&self) -> ToolDefinition {
        ToolDefinition::new::<ProfileArgs>("json_schema_2020_12_tool", "Tool with JSON Schema 2020-12 features")
            .read_only(true)
    }

    fn call<'a>(&'a self, req: &'a CallToolRequest) -> BoxFuture<'a, ToolResult> {
        Box::pin(async move {
            let args: ProfileArgs = req.parse_arguments()?;
            let city = args.address.and_then(|a| a.city.or(a.street)).unwrap_or_else(|| "nowhere".into());
            Ok(CallToolResult::text(format!("{} lives in {city}", args.name.unwrap_or_else(|| "Someone".into()))))
        })
    }
}

// ---------------------------------------------------------------- resources and prompts

fn text_prompt(text: impl Into<String>) -> GetPromptResult {
    GetPromptResult { description: None, messages: vec![PromptMessage::user(Content::text(text))] }
}

fn server(revision: Arc<AtomicU64>) -> McpServer {
    McpServer::new("mcp-server-conformance")
        .version(env!("CARGO_PKG_VERSION"))
        .tool(TestSimpleTextTool)
        .tool(TestImageContentTool)
        .tool(TestAudioContentTool)
        .tool(TestEmbeddedResourceTool)
        .tool(TestMultipleContentTypesTool)
        .tool(TestToolWithLoggingTool)
        .tool(TestToolWithProgressTool)
        .tool(TestErrorHandlingTool)
        .tool(TestSamplingTool)
        .tool(TestElicitationTool)
        .tool(TestElicitationSep1034DefaultsTool)
        .tool(TestElicitationSep1330EnumsTool)
        .tool(TestReconnectionTool)
        .tool(JsonSchemaTool)
        .resource(
            Resource::text(
                "test://static-text",
                "static-text",
                "text/plain",
                "This is the content of the static text resource.",
            )
            .description("A static text resource"),
        )
        .resource(
            Resource::new("test://static-binary", "static-binary")
                .description("A static binary resource (a 1×1 PNG)")
                .mime_type("image/png")
                .read(|_ctx| async {
                    Ok(vec![ResourceContents::blob("test://static-binary", "image/png", RED_PIXEL_PNG)])
                }),
        )
        .resource(
            Resource::new(WATCHED, "watched-resource")
                .description("Changes every few seconds; subscribe to hear about it")
                .mime_type("text/plain")
                .read(move |_ctx| {
                    let n = revision.load(Ordering::Relaxed);
                    async move { Ok(vec![ResourceContents::text(WATCHED, "text/plain", format!("Revision {n}"))]) }
                }),
        )
        .resource_template(
            ResourceTemplate::new("test://template/{id}/data", "template-data")
                .description("Data for any id")
                .mime_type("application/json")
                .read(|_ctx, params| async move {
                    let id = params.get("id").cloned().unwrap_or_default();
                    let body =
                        serde_json::json!({ "id": id, "templateTest": true, "data": format!("Data for ID: {id}") });
                    Ok(vec![ResourceContents::text(
                        format!("test://template/{id}/data"),
                        "application/json",
                        body.to_string(),
                    )])
                }),
        )
        .prompt(
            Prompt::new("test_simple_prompt", "A simple prompt without arguments")
                .get(|_ctx, _args| async { Ok(text_prompt("This is a simple prompt for testing.")) }),
        )
        .prompt(
            Prompt::new("test_prompt_with_arguments", "A prompt with two required arguments")
                .argument("arg1", "First test argument", true)
                .argument("arg2", "Second test argument", true)
                .get(|_ctx, args| async move {
                    let (a, b) =
                        (args.get("arg1").cloned().unwrap_or_default(), args.get("arg2").cloned().unwrap_or_default());
                    Ok(text_prompt(format!("Prompt with arguments: arg1='{a}', arg2='{b}'")))
                }),
        )
        .prompt(
            Prompt::new("test_prompt_with_embedded_resource", "A prompt that embeds a resource")
                .argument("resourceUri", "URI of the resource to embed", true)
                .get(|_ctx, args| async move {
                    let uri = args.get("resourceUri").cloned().unwrap_or_default();
                    let resource = ResourceContents::text(uri, "text/plain", "Embedded resource content for testing.");
                    Ok(GetPromptResult {
                        description: None,
                        messages: vec![
                            PromptMessage::user(Content::resource(resource)),
                            PromptMessage::user(Content::text("Please process the embedded resource above.")),
                        ],
                    })
                }),
        )
        .prompt(Prompt::new("test_prompt_with_image", "A prompt with an image").get(|_ctx, _args| async {
            Ok(GetPromptResult {
                description: None,
                messages: vec![
                    PromptMessage::user(Content::image(RED_PIXEL_PNG, "image/png")),
                    PromptMessage::user(Content::text("Please analyze the image above.")),
                ],
            })
        }))
        .completion(|_ctx, req| async move {
            let options = ["paris", "park", "party", "test", "testing"];
            options.iter().filter(|o| o.starts_with(req.value.as_str())).map(|o| o.to_string()).collect()
        })
}

/// Bumps the watched resource's revision and tells subscribers (on their GET streams).
async fn touch_watched_resource(handle: ServerHandle, revision: Arc<AtomicU64>) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    tick.tick().await;
    while !handle.is_shut_down() {
        tick.tick().await;
        revision.fetch_add(1, Ordering::Relaxed);
        handle.notify_resource_updated(WATCHED);
    }
}

/// The value of `--port PORT` (default 3000).
fn port() -> Result<u16, String> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == "--port").map(|i| args.get(i + 1)) {
        None => Ok(3000),
        Some(Some(p)) => p.parse().map_err(|_| format!("--port {p}: not a port number")),
        Some(None) => Err("--port needs a value".into()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::init_logging();
    let port = port()?;
    let revision = Arc::new(AtomicU64::new(1));
    let handle = server(Arc::clone(&revision)).build()?;
    tokio::spawn(touch_watched_resource(handle.clone(), revision));
    handle.serve_http(("127.0.0.1", port)).await?;
    Ok(())
}
