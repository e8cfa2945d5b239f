//! One function per MCP method. Only [`route`] is called from outside.

use super::dispatch::Reply;
use super::session::SessionState;
use super::Outbound;
use crate::error::{CallError, FailureKind};
use crate::extract::{ContextInner, Extensions, RequestContext};
use crate::jsonrpc::{ErrorObject, RequestId, INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND};
use crate::middleware::{run_chain, CallKind, CallOutput, CallRequest, Endpoint};
use crate::protocol::{
    versions, CallToolResult, Content, InitializeParams, InitializeResult, LogLevel, ServerCapabilities,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

pub(crate) struct Call<'a> {
    pub(crate) session: &'a Arc<SessionState>,
    pub(crate) id: &'a RequestId,
    pub(crate) method: &'a str,
    pub(crate) params: Option<&'a RawValue>,
    pub(crate) reply: Outbound,
    pub(crate) ext: Option<Arc<Extensions>>,
    pub(crate) token: CancellationToken,
}

pub(crate) fn invalid_params(msg: impl Into<String>) -> ErrorObject {
    ErrorObject::new(INVALID_PARAMS, msg)
}

impl Call<'_> {
    fn params<T: serde::de::DeserializeOwned>(&self) -> Result<T, ErrorObject> {
        let raw = self.params.map_or("{}", RawValue::get);
        serde_json::from_str(raw).map_err(|e| invalid_params(format!("Invalid params: {e}")))
    }

    fn context(&self, meta: Option<Map<String, Value>>) -> RequestContext {
        RequestContext::new(ContextInner {
            request_id: self.id.clone(),
            method: self.method.into(),
            meta,
            protocol_version: self.session.version(),
            cancel: self.token.clone(),
            reply: self.reply.clone(),
            session: Arc::clone(self.session),
            extensions: self.ext.clone(),
            background: Mutex::new(Vec::new()),
            last_progress: Mutex::new(None),
            authenticated: std::sync::OnceLock::new(),
        })
    }
}

pub(crate) async fn route(cx: Call<'_>) -> Reply {
    let result = match cx.method {
        "initialize" => return initialize(&cx),
        "ping" => return Reply::ok(cx.id, &json!({})),
        _ if !cx.session.is_initialized() && cx.session.protocol_version.get().is_none() => Err(ErrorObject::new(
            INVALID_REQUEST,
            "Invalid Request: the session is not initialized; send `initialize` first",
        )),
        "tools/list" => list(&cx, "tools"),
        "resources/list" => list(&cx, "resources"),
        "resources/templates/list" => list(&cx, "resourceTemplates"),
        "prompts/list" => list(&cx, "prompts"),
        "tools/call" => return call_tool(&cx).await,
        "resources/read" => return read_resource(&cx).await,
        "prompts/get" => return get_prompt(&cx).await,
        "resources/subscribe" | "resources/unsubscribe" => subscribe(&cx),
        "logging/setLevel" => set_level(&cx),
        "completion/complete" => super::complete::complete(&cx).await,
        other => Err(ErrorObject::new(METHOD_NOT_FOUND, format!("Method not found: {other}"))),
    };
    match result {
        Ok(v) => Reply::ok(cx.id, &v),
        Err(e) => Reply::err(cx.id, &e),
    }
}

fn initialize(cx: &Call<'_>) -> Reply {
    let p: InitializeParams = match cx.params() {
        Ok(p) => p,
        Err(e) => return Reply::err(cx.id, &e),
    };
    let s = cx.session;
    if s.protocol_version.get().is_some() && !s.stateless {
        return Reply::err(
            cx.id,
            &ErrorObject::new(INVALID_REQUEST, "Invalid Request: the session is already initialized"),
        );
    }
    let version = versions::negotiate(&p.protocol_version);
    let _ = s.protocol_version.set(version);
    if let Some(info) = p.client_info {
        let _ = s.client_info.set(info);
    }
    let _ = s.client_capabilities.set(p.capabilities);
    let server = &s.server;
    let registry = server.registry.load();
    let has_resources = registry.has_resources();
    let capabilities = ServerCapabilities {
        tools: registry.has_tools().then(|| json!({ "listChanged": true })),
        resources: has_resources.then(|| json!({ "subscribe": true, "listChanged": true })),
        prompts: registry.has_prompts().then(|| json!({ "listChanged": true })),
        logging: Some(json!({})),
        completions: (version != versions::V2024_11_05 && (registry.has_prompts() || has_resources)).then(|| json!({})),
    };
    let result = InitializeResult {
        protocol_version: version,
        capabilities,
        server_info: server.info.clone(),
        instructions: server.instructions.clone(),
    };
    Reply::ok(cx.id, &result)
}

#[derive(Deserialize, Default)]
struct Paged {
    cursor: Option<String>,
}

fn list(cx: &Call<'_>, key: &str) -> Result<Value, ErrorObject> {
    let p: Paged = cx.params()?;
    let registry = cx.session.server.registry.load();
    let page =
        registry.page(key, p.cursor.as_deref()).ok_or_else(|| invalid_params("Invalid params: unknown cursor"))?;
    serde_json::from_str(page.get()).map_err(|e| ErrorObject::new(INTERNAL_ERROR, e.to_string()))
}

#[derive(Deserialize)]
struct CallParams {
    name: String,
    arguments: Option<Box<RawValue>>,
    #[serde(rename = "_meta")]
    meta: Option<Map<String, Value>>,
}

async fn call_tool(cx: &Call<'_>) -> Reply {
    let p: CallParams = match cx.params() {
        Ok(p) => p,
        Err(e) => return Reply::err(cx.id, &e),
    };
    let registry = cx.session.server.registry.load();
    let Some(entry) = registry.tools.get(p.name.as_str()) else {
        return Reply::err(cx.id, &invalid_params(format!("Unknown tool: {}", p.name)));
    };
    let arguments: Arc<RawValue> = match p.arguments {
        Some(a) if a.get().trim_start().starts_with('{') => Arc::from(a),
        Some(a) if a.get().trim() == "null" => empty_object(),
        None => empty_object(),
        Some(_) => return Reply::err(cx.id, &invalid_params("Invalid params: `arguments` must be an object")),
    };
    let ctx = cx.context(p.meta);
    let req = CallRequest {
        kind: CallKind::Tool,
        name: Arc::clone(&entry.def.info.name),
        arguments,
        ctx: ctx.clone(),
        tool: Some(Arc::clone(&entry.def)),
    };
    let outcome = run_chain(Arc::clone(&cx.session.server.chain), Arc::clone(&entry.endpoint), req).await;
    let background = ctx.take_background();
    let result = match outcome {
        Ok(CallOutput::Tool(r)) => r,
        Ok(_) => error_result(&CallError::internal()),
        Err(e) if e.kind == FailureKind::Cancelled || ctx.is_cancelled() => return Reply::none(),
        Err(e) if e.kind == FailureKind::Protocol => {
            let obj = e.protocol.unwrap_or_else(|| ErrorObject::new(INTERNAL_ERROR, e.error.message));
            return Reply::err(cx.id, &obj);
        }
        Err(e) => error_result(&e),
    };
    if ctx.is_cancelled() {
        return Reply::none();
    }
    Reply { background, ..Reply::ok(cx.id, &result) }
}

fn empty_object() -> Arc<RawValue> {
    static EMPTY: std::sync::OnceLock<Arc<RawValue>> = std::sync::OnceLock::new();
    Arc::clone(
        EMPTY.get_or_init(|| Arc::from(RawValue::from_string("{}".into()).unwrap_or_else(|_| unreachable_raw()))),
    )
}

fn unreachable_raw() -> Box<RawValue> {
    // `{}` always parses; this keeps the code free of unwrap.
    serde_json::value::to_raw_value(&json!({})).unwrap_or_default()
}

/// The wire form of a failed tool call.
pub(crate) fn error_result(e: &CallError) -> CallToolResult {
    let wire = e.error.to_wire();
    CallToolResult {
        content: vec![Content::text(wire.to_string())],
        structured_content: Some(wire),
        is_error: Some(true),
    }
}

fn call_error_to_rpc(e: CallError) -> ErrorObject {
    match e.protocol {
        Some(obj) => obj,
        None => ErrorObject::new(INTERNAL_ERROR, e.error.message.clone()).with_data(e.error.to_wire()),
    }
}

#[derive(Deserialize)]
struct UriParams {
    uri: String,
    #[serde(rename = "_meta")]
    meta: Option<Map<String, Value>>,
}

async fn read_resource(cx: &Call<'_>) -> Reply {
    let p: UriParams = match cx.params() {
        Ok(p) => p,
        Err(e) => return Reply::err(cx.id, &e),
    };
    let registry = cx.session.server.registry.load();
    let endpoint: Arc<dyn Endpoint> = if let Some(r) = registry.resources.get(&p.uri) {
        Arc::new(super::endpoints::StaticResource(r.clone()))
    } else if let Some((t, params)) = registry.templates.iter().find_map(|t| t.pattern.matches(&p.uri).map(|m| (t, m)))
    {
        Arc::new(super::endpoints::TemplateResource(t.clone(), params))
    } else {
        return Reply::err(cx.id, &call_error_to_rpc(CallError::resource_not_found(&p.uri)));
    };
    let ctx = cx.context(p.meta);
    let req = CallRequest {
        kind: CallKind::Resource,
        name: p.uri.into(),
        arguments: empty_object(),
        ctx: ctx.clone(),
        tool: None,
    };
    finish_rpc(cx, &ctx, run_chain(Arc::clone(&cx.session.server.chain), endpoint, req).await)
}

fn finish_rpc(cx: &Call<'_>, ctx: &RequestContext, outcome: Result<CallOutput, CallError>) -> Reply {
    let background = ctx.take_background();
    let reply = match outcome {
        Err(e) if e.kind == FailureKind::Cancelled || ctx.is_cancelled() => return Reply::none(),
        Ok(CallOutput::Resource(r)) => Reply::ok(cx.id, &r),
        Ok(CallOutput::Prompt(r)) => Reply::ok(cx.id, &r),
        Ok(CallOutput::Tool(r)) => Reply::ok(cx.id, &r),
        Err(e) => Reply::err(cx.id, &call_error_to_rpc(e)),
    };
    Reply { background, ..reply }
}

#[derive(Deserialize)]
struct PromptParams {
    name: String,
    #[serde(default)]
    arguments: Option<Map<String, Value>>,
    #[serde(rename = "_meta")]
    meta: Option<Map<String, Value>>,
}

async fn get_prompt(cx: &Call<'_>) -> Reply {
    let p: PromptParams = match cx.params() {
        Ok(p) => p,
        Err(e) => return Reply::err(cx.id, &e),
    };
    let registry = cx.session.server.registry.load();
    let Some(prompt) = registry.prompts.get(&p.name) else {
        return Reply::err(cx.id, &invalid_params(format!("Unknown prompt: {}", p.name)));
    };
    let mut args = std::collections::HashMap::new();
    for (k, v) in p.arguments.unwrap_or_default() {
        let s = match v {
            Value::String(s) => s,
            other => other.to_string(),
        };
        args.insert(k, s);
    }
    if let Some(missing) = prompt.info.arguments.iter().find(|a| a.required && !args.contains_key(&a.name)) {
        return Reply::err(
            cx.id,
            &invalid_params(format!("Missing required argument `{}` for prompt `{}`", missing.name, p.name)),
        );
    }
    let raw = serde_json::value::to_raw_value(&args).map(Arc::from).unwrap_or_else(|_| empty_object());
    let endpoint: Arc<dyn Endpoint> = Arc::new(super::endpoints::PromptEndpoint(prompt.clone(), args));
    let ctx = cx.context(p.meta);
    let req = CallRequest { kind: CallKind::Prompt, name: p.name.into(), arguments: raw, ctx: ctx.clone(), tool: None };
    finish_rpc(cx, &ctx, run_chain(Arc::clone(&cx.session.server.chain), endpoint, req).await)
}

fn subscribe(cx: &Call<'_>) -> Result<Value, ErrorObject> {
    let p: UriParams = cx.params()?;
    if cx.method == "resources/subscribe" {
        cx.session.subscribe(&p.uri);
    } else {
        cx.session.unsubscribe(&p.uri);
    }
    Ok(json!({}))
}

fn set_level(cx: &Call<'_>) -> Result<Value, ErrorObject> {
    #[derive(Deserialize)]
    struct P {
        level: LogLevel,
    }
    let p: P = cx.params()?;
    cx.session.set_log_level(p.level);
    Ok(json!({}))
}

impl Call<'_> {
    pub(crate) fn request_context(&self) -> RequestContext {
        self.context(None)
    }

    pub(crate) fn params_public<T: serde::de::DeserializeOwned>(&self) -> Result<T, ErrorObject> {
        self.params()
    }
}
