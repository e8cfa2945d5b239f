//! `completion/complete`.

use super::completion::{CompletionRef, CompletionRequest};
use super::handlers::{invalid_params as invalid_params_error, Call};
use crate::jsonrpc::ErrorObject;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

#[derive(Deserialize)]
struct Params {
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

const MAX_VALUES: usize = 100;

pub(crate) async fn complete(cx: &Call<'_>) -> Result<Value, ErrorObject> {
    let p: Params = cx.params_public()?;
    let registry = cx.session.server.registry.load();
    let reference = match p.reference {
        RefParam::Prompt { name } => {
            if !registry.prompts.contains_key(&name) {
                return Err(invalid_params_error(format!("Unknown prompt: {name}")));
            }
            CompletionRef::Prompt(name)
        }
        RefParam::Resource { uri } => {
            if !registry.templates.iter().any(|t| t.info.uri_template == uri) && !registry.resources.contains_key(&uri)
            {
                return Err(invalid_params_error(format!("Unknown resource template: {uri}")));
            }
            CompletionRef::Resource(uri)
        }
    };
    let values = match &cx.session.server.completion {
        Some(hook) => {
            let req = CompletionRequest {
                reference,
                argument: p.argument.name,
                value: p.argument.value,
                context: p.context.map(|c| c.arguments).unwrap_or_default(),
            };
            hook(cx.request_context(), req).await
        }
        None => Vec::new(),
    };
    let total = values.len();
    let shown: Vec<_> = values.into_iter().take(MAX_VALUES).collect();
    Ok(json!({ "completion": { "values": shown, "total": total, "hasMore": total > MAX_VALUES } }))
}
