//! Every way a parameter can be classified: optional, defaulted and renamed arguments, doc-comment
//! descriptions, and each injected type (by name, by reference, by `#[inject]`).

use mcp_server::{
    tool, BackgroundTasks, CallError, CancellationToken, FromContext, Logger, ProgressReporter,
    RequestContext, State, Tool,
};

struct Config {
    greeting: String,
}

struct Caller(String);

impl FromContext for Caller {
    fn from_context(ctx: &RequestContext) -> Result<Self, CallError> {
        Ok(Caller(ctx.client_id().unwrap_or("anonymous").to_owned()))
    }
}

const DEFAULT_LIMIT: u32 = 10;

/// Search the catalog.
///
/// Results are sorted by relevance.
///
/// # Arguments
///
/// * `query` - What to look for.
/// - `limit`: How many results
///   to return at most.
/// * `ctx` - Injected, so ignored here.
#[tool(name = "catalog.search")]
#[allow(clippy::too_many_arguments)]
async fn search<'a>(
    query: String,
    #[arg(default = DEFAULT_LIMIT)] limit: u32,
    #[arg(default = 20)] page_size: Option<u16>,
    #[arg(default = -0.5)] bias: f32,
    #[arg(rename = "pageToken", description = "Where to continue")] page_token: Option<String>,
    #[arg(default = "en")] r#type: String,
    mut tags: Vec<String>,
    ctx: &'a RequestContext,
    progress: ProgressReporter,
    _: CancellationToken,
    background: BackgroundTasks,
    logger: &Logger,
    peer: mcp_server::Peer,
    config: State<Config>,
    #[inject] caller: Caller,
    #[inject] caller_ref: &Caller,
) -> String {
    tags.push(caller.0.clone());
    let _ = (ctx, progress, background, logger, peer, caller_ref);
    format!("{} {query} {limit} {page_size:?} {bias} {page_token:?} {} {tags:?}", config.greeting, r#type)
}

/// No arguments at all.
#[tool]
async fn ping() {}

fn main() {
    let definition = SearchTool.definition();
    let info = &definition.info;
    assert_eq!(&*info.name, "catalog.search");
    assert_eq!(info.description, "Search the catalog.\n\nResults are sorted by relevance.");
    let schema = serde_json::to_value(&*info.input_schema).expect("schema");
    let properties = schema["properties"].as_object().expect("properties");
    let mut names: Vec<&str> = properties.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["bias", "limit", "pageToken", "page_size", "query", "tags", "type"]);
    assert_eq!(schema["required"], serde_json::json!(["query", "tags"]));
    assert_eq!(properties["query"]["description"], "What to look for.");
    assert_eq!(properties["limit"]["description"], "How many results to return at most.");
    assert_eq!(properties["limit"]["default"], 10);
    assert_eq!(properties["type"]["default"], "en");
    assert_eq!(properties["page_size"]["default"], 20);
    assert_eq!(properties["bias"]["default"], -0.5);
    assert_eq!(properties["pageToken"]["description"], "Where to continue");

    let ping = PingTool.definition();
    let schema = serde_json::to_value(&*ping.info.input_schema).expect("schema");
    assert_eq!(schema["type"], "object");
    assert!(schema.get("required").is_none());

    let _ = Config { greeting: String::new() }.greeting;
}
