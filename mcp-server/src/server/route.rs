//! Routing: a request's method and params (borrowed from its frame) become a target in the current
//! snapshot, before the request is spawned; then, on its task, the typed request runs through its
//! chain and its outcome becomes the answer.

use super::dispatch::{Frame, Reply};
use super::methods::Methods;
use super::registry::Snapshot;
use super::session::Session;
use crate::call::{
    CallToolRequest, Endpoint, Extensions, GetPromptRequest, ListRequest, Next, Outbound, Outcome, PromptArgs,
    ReadResourceRequest, RequestContext, RequestParts, RpcRequest, ToolDefinition,
};
use crate::error::{CallError, FailureKind};
use crate::jsonrpc::{encode_response, ErrorObject, RequestId, INVALID_PARAMS};
use crate::middleware::{layers, Hook};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};
use tokio_util::sync::CancellationToken;

/// A request ready to run: where it goes, in the snapshot it was routed in.
pub(crate) struct Routed {
    snapshot: Arc<Snapshot>,
    method: Cow<'static, str>,
    meta: Option<Map<String, Value>>,
    target: Target,
    pub(crate) cancel: CancellationToken,
}

enum Target {
    Tool { def: Arc<ToolDefinition>, endpoint: Arc<dyn Endpoint<CallToolRequest>>, arguments: Arc<RawValue> },
    Resource { uri: Arc<str>, endpoint: Arc<dyn Endpoint<ReadResourceRequest>> },
    Prompt { name: Arc<str>, arguments: Arc<PromptArgs>, endpoint: Arc<dyn Endpoint<GetPromptRequest>> },
    ListTools(Option<Arc<str>>),
    ListResources(Option<Arc<str>>),
    ListTemplates(Option<Arc<str>>),
    ListPrompts(Option<Arc<str>>),
    Other { method: Arc<str>, params: Option<Arc<RawValue>> },
}

fn invalid_params(message: impl Into<String>) -> ErrorObject {
    ErrorObject::new(INVALID_PARAMS, message)
}

fn params<'a, T: Deserialize<'a>>(params: Option<&'a RawValue>) -> Result<T, ErrorObject> {
    serde_json::from_str(params.map_or("{}", RawValue::get)).map_err(|e| invalid_params(format!("Invalid params: {e}")))
}

fn empty_object() -> Arc<RawValue> {
    static EMPTY: OnceLock<Arc<RawValue>> = OnceLock::new();
    Arc::clone(EMPTY.get_or_init(|| Arc::from(RawValue::from_string("{}".into()).unwrap_or_default())))
}

#[derive(Deserialize)]
struct ToolParams<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    arguments: Option<&'a RawValue>,
    #[serde(rename = "_meta")]
    meta: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
struct UriParams<'a> {
    #[serde(borrow)]
    uri: Cow<'a, str>,
    #[serde(rename = "_meta")]
    meta: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
struct PromptParams<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(default)]
    arguments: Option<Map<String, Value>>,
    #[serde(rename = "_meta")]
    meta: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
struct PageParams<'a> {
    #[serde(borrow)]
    cursor: Option<Cow<'a, str>>,
    #[serde(rename = "_meta")]
    meta: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
struct MetaOnly {
    #[serde(rename = "_meta")]
    meta: Option<Map<String, Value>>,
}

/// Routes a request by its method, reading its params once from the frame.
pub(crate) fn route(session: &Session, method: &str, raw: Option<&RawValue>) -> Result<Routed, ErrorObject> {
    let snapshot = session.server.snapshot.load_full();
    let page = |raw| -> Result<_, ErrorObject> {
        let p: PageParams<'_> = params(raw)?;
        Ok((p.cursor.map(|c| Arc::from(&*c)), p.meta))
    };
    let (method, meta, target): (Cow<'static, str>, _, _) = match method {
        "tools/call" => {
            let p: ToolParams<'_> = params(raw)?;
            let entry =
                snapshot.tools.get(&*p.name).ok_or_else(|| invalid_params(format!("Unknown tool: {}", p.name)))?;
            let arguments = match p.arguments {
                None => empty_object(),
                Some(a) if a.get().starts_with('{') => Arc::from(a.to_owned()),
                Some(_) => return Err(invalid_params("Invalid params: `arguments` must be an object")),
            };
            let target = Target::Tool { def: Arc::clone(&entry.def), endpoint: Arc::clone(&entry.endpoint), arguments };
            ("tools/call".into(), p.meta, target)
        }
        "resources/read" => {
            let p: UriParams<'_> = params(raw)?;
            let Some(endpoint) = snapshot.resource(&p.uri) else {
                return Err(CallError::resource_not_found(&p.uri).to_rpc_error());
            };
            ("resources/read".into(), p.meta, Target::Resource { uri: Arc::from(&*p.uri), endpoint })
        }
        "prompts/get" => {
            let p: PromptParams<'_> = params(raw)?;
            let prompt =
                snapshot.prompts.get(&*p.name).ok_or_else(|| invalid_params(format!("Unknown prompt: {}", p.name)))?;
            let arguments: PromptArgs = p
                .arguments
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, if let Value::String(s) = v { s } else { v.to_string() }))
                .collect();
            if let Some(missing) = prompt.info.arguments.iter().find(|a| a.required && !arguments.contains_key(&a.name))
            {
                return Err(invalid_params(format!(
                    "Missing required argument `{}` for prompt `{}`",
                    missing.name, p.name
                )));
            }
            let target = Target::Prompt {
                name: Arc::from(&*p.name),
                arguments: Arc::new(arguments),
                endpoint: Snapshot::prompt_endpoint(prompt),
            };
            ("prompts/get".into(), p.meta, target)
        }
        "tools/list" => page(raw).map(|(c, m)| ("tools/list".into(), m, Target::ListTools(c)))?,
        "resources/list" => page(raw).map(|(c, m)| ("resources/list".into(), m, Target::ListResources(c)))?,
        "resources/templates/list" => {
            page(raw).map(|(c, m)| ("resources/templates/list".into(), m, Target::ListTemplates(c)))?
        }
        "prompts/list" => page(raw).map(|(c, m)| ("prompts/list".into(), m, Target::ListPrompts(c)))?,
        other => {
            // Read only for `_meta` here; the method's handler reads the rest.
            let meta = serde_json::from_str::<MetaOnly>(raw.map_or("{}", RawValue::get)).ok().and_then(|m| m.meta);
            let method: Arc<str> = Arc::from(other);
            let params = raw.map(|p| Arc::from(p.to_owned()));
            (Cow::Owned(other.to_string()), meta, Target::Other { method, params })
        }
    };
    Ok(Routed { snapshot, method, meta, target, cancel: CancellationToken::new() })
}

/// Runs `req` through the layers of its hook in `snapshot`, to `endpoint`. A panicking
/// middleware or endpoint is caught where it panics (see [`Next::run`]), so the request still gets
/// its answer and leaves the in-flight table.
async fn chain<R: Hook>(snapshot: &Snapshot, endpoint: Arc<dyn Endpoint<R>>, req: R) -> Outcome<R> {
    Next::start(Arc::clone(layers::<R>(&snapshot.chains)), endpoint).run_inline(req).await
}

impl Session {
    /// Runs one admitted request to its answer (the caller takes it out of the in-flight table).
    pub(crate) async fn run(
        self: &Arc<Self>,
        id: RequestId,
        routed: Routed,
        reply: &Outbound,
        extensions: Option<Arc<Extensions>>,
    ) -> Reply {
        let Routed { snapshot, method, meta, target, cancel } = routed;
        let ctx = RequestContext::new(RequestParts {
            id: id.clone(),
            method,
            meta,
            version: self.version(),
            session_id: self.id.clone(),
            cancel,
            reply: reply.clone(),
            extensions,
            services: Arc::clone(&self.services),
        });
        let s = &*snapshot;
        let frame = match target {
            Target::Tool { def, endpoint, arguments } => {
                let outcome = chain(s, endpoint, CallToolRequest::new(def, arguments, ctx.clone())).await;
                answer_tool(&ctx, &id, outcome)
            }
            Target::Resource { uri, endpoint } => {
                answer(&ctx, &id, chain(s, endpoint, ReadResourceRequest::new(uri, ctx.clone())).await)
            }
            Target::Prompt { name, arguments, endpoint } => {
                answer(&ctx, &id, chain(s, endpoint, GetPromptRequest::new(name, arguments, ctx.clone())).await)
            }
            Target::ListTools(c) => {
                answer(&ctx, &id, chain(s, s.tool_pages.clone(), ListRequest::new(c, ctx.clone())).await)
            }
            Target::ListResources(c) => {
                answer(&ctx, &id, chain(s, s.resource_pages.clone(), ListRequest::new(c, ctx.clone())).await)
            }
            Target::ListTemplates(c) => {
                answer(&ctx, &id, chain(s, s.template_pages.clone(), ListRequest::new(c, ctx.clone())).await)
            }
            Target::ListPrompts(c) => {
                answer(&ctx, &id, chain(s, s.prompt_pages.clone(), ListRequest::new(c, ctx.clone())).await)
            }
            Target::Other { method, params } => {
                let methods = Arc::new(Methods::new(Arc::clone(self)));
                answer(&ctx, &id, chain(s, methods, RpcRequest::new(method, params, ctx.clone())).await)
            }
        };
        // A request the client cancelled gets no response, so its background tasks never run.
        let background = if frame.is_some() { ctx.take_background() } else { Vec::new() };
        Reply { frame, background }
    }
}

/// Whether the request ended by cancellation (it then gets no response).
fn cancelled(ctx: &RequestContext, e: Option<&CallError>) -> bool {
    ctx.is_cancelled() || e.is_some_and(|e| e.kind() == FailureKind::Cancelled)
}

fn result<T: serde::Serialize>(id: &RequestId, result: &T) -> Frame {
    Frame { text: encode_response(id, result), ok: true }
}

/// The answer to `tools/call`: the result; a tool-level failure as an `isError` result; a
/// protocol failure as a JSON-RPC error.
fn answer_tool(ctx: &RequestContext, id: &RequestId, outcome: Outcome<CallToolRequest>) -> Option<Frame> {
    if cancelled(ctx, outcome.as_ref().err()) {
        return None;
    }
    Some(match outcome {
        Ok(r) => result(id, &r),
        Err(e) => match e.rpc_error() {
            Some(rpc) => Frame::error(id, rpc),
            None => result(id, &e.tool_error().to_result()),
        },
    })
}

/// The answer to any other request: its result, or a JSON-RPC error.
fn answer<T: serde::Serialize>(ctx: &RequestContext, id: &RequestId, outcome: Result<T, CallError>) -> Option<Frame> {
    if cancelled(ctx, outcome.as_ref().err()) {
        return None;
    }
    Some(match outcome {
        Ok(r) => result(id, &r),
        Err(e) => Frame::error(id, &e.to_rpc_error()),
    })
}
