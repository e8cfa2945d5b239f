//! The endpoint of every request without a hook of its own: `initialize`, `ping`,
//! `completion/complete`, `logging/setLevel`, `resources/subscribe` / `unsubscribe`, and the
//! answer to unknown methods.

use super::completion::{CompletionRef, CompletionRequest};
use super::session::Session;
use crate::call::{Endpoint, Outcome, RpcRequest};
use crate::error::CallError;
use crate::jsonrpc::{ErrorObject, INVALID_REQUEST, METHOD_NOT_FOUND};
use crate::protocol::{InitializeParams, InitializeResult, LogLevel, ProtocolVersion, ServerCapabilities};
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// Handles the session-level methods of one request.
pub(crate) struct Methods {
    session: Arc<Session>,
}

impl Methods {
    pub(crate) fn new(session: Arc<Session>) -> Self {
        Self { session }
    }
}

impl Endpoint<RpcRequest> for Methods {
    fn call<'a>(&'a self, req: &'a RpcRequest) -> BoxFuture<'a, Outcome<RpcRequest>> {
        Box::pin(async move {
            match req.method() {
                "initialize" => self.initialize(req),
                "ping" => Ok(json!({})),
                "completion/complete" => self.complete(req).await,
                "resources/subscribe" => self.subscribe(req, true),
                "resources/unsubscribe" => self.subscribe(req, false),
                "logging/setLevel" => self.set_level(req),
                other => {
                    Err(CallError::protocol(ErrorObject::new(METHOD_NOT_FOUND, format!("Method not found: {other}"))))
                }
            }
        })
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, CallError> {
    serde_json::to_value(v).map_err(|e| CallError::internal().caused_by(e))
}

impl Methods {
    fn initialize(&self, req: &RpcRequest) -> Result<Value, CallError> {
        let p: InitializeParams = req.parse_params()?;
        let s = &self.session;
        let version = ProtocolVersion::negotiate(&p.protocol_version);
        if !s.is_stateless() && !s.negotiate(version) {
            return Err(CallError::protocol(ErrorObject::new(
                INVALID_REQUEST,
                "Invalid Request: the session is already initialized",
            )));
        }
        s.client.introduce(p.client_info, p.capabilities);
        let snapshot = s.server.snapshot.load();
        let has_resources = snapshot.has_resources();
        let capabilities = ServerCapabilities {
            tools: snapshot.has_tools().then(|| json!({ "listChanged": true })),
            resources: has_resources.then(|| json!({ "subscribe": true, "listChanged": true })),
            prompts: snapshot.has_prompts().then(|| json!({ "listChanged": true })),
            logging: Some(json!({})),
            completions: (version.has_completions() && (snapshot.has_prompts() || has_resources)).then(|| json!({})),
        };
        to_value(&InitializeResult {
            protocol_version: version,
            capabilities,
            server_info: s.server.info.clone(),
            instructions: s.server.instructions.clone(),
        })
    }

    fn subscribe(&self, req: &RpcRequest, on: bool) -> Result<Value, CallError> {
        #[derive(Deserialize)]
        struct P {
            uri: String,
        }
        let p: P = req.parse_params()?;
        if on {
            if !self.session.subscribe(&p.uri) {
                let max = super::session::MAX_SUBSCRIPTIONS;
                return Err(CallError::invalid_params(format!("a session may hold at most {max} subscriptions")));
            }
        } else {
            self.session.unsubscribe(&p.uri);
        }
        Ok(json!({}))
    }

    fn set_level(&self, req: &RpcRequest) -> Result<Value, CallError> {
        #[derive(Deserialize)]
        struct P {
            level: LogLevel,
        }
        let p: P = req.parse_params()?;
        self.session.client.set_log_level(p.level);
        Ok(json!({}))
    }

    async fn complete(&self, req: &RpcRequest) -> Result<Value, CallError> {
        const MAX_VALUES: usize = 100;
        let p: CompleteParams = req.parse_params()?;
        let reference = {
            let snapshot = self.session.server.snapshot.load();
            match p.reference {
                RefParam::Prompt { name } if snapshot.prompts.contains_key(&name) => CompletionRef::Prompt(name),
                RefParam::Prompt { name } => return Err(CallError::invalid_params(format!("Unknown prompt: {name}"))),
                RefParam::Resource { uri }
                    if snapshot.templates.iter().any(|t| t.info.uri_template == uri)
                        || snapshot.resources.contains_key(&uri) =>
                {
                    CompletionRef::Resource(uri)
                }
                RefParam::Resource { uri } => {
                    return Err(CallError::invalid_params(format!("Unknown resource template: {uri}")))
                }
            }
        };
        let values = match &self.session.server.completion {
            Some(hook) => {
                let request = CompletionRequest {
                    reference,
                    argument: p.argument.name,
                    value: p.argument.value,
                    context: p.context.map(|c| c.arguments).unwrap_or_default(),
                };
                hook(req.context().clone(), request).await
            }
            None => Vec::new(),
        };
        let total = values.len();
        let shown: Vec<_> = values.into_iter().take(MAX_VALUES).collect();
        Ok(json!({ "completion": { "values": shown, "total": total, "hasMore": total > MAX_VALUES } }))
    }
}

#[derive(Deserialize)]
struct CompleteParams {
    #[serde(rename = "ref")]
    reference: RefParam,
    argument: ArgParam,
    #[serde(default)]
    context: Option<ContextParam>,
}

#[derive(Deserialize)]
#[serde(tag = "type")]
enum RefParam {
    #[serde(rename = "ref/prompt")]
    Prompt { name: String },
    #[serde(rename = "ref/resource")]
    Resource { uri: String },
}

#[derive(Deserialize)]
struct ArgParam {
    name: String,
    #[serde(default)]
    value: String,
}

#[derive(Deserialize)]
struct ContextParam {
    #[serde(default)]
    arguments: HashMap<String, String>,
}
