//! The immutable registry of tools, resources, templates and prompts, with its `*/list` pages
//! serialized once. Registration changes build a new registry and swap it in.

use super::{Prompt, Resource, ResourceTemplate};
use crate::error::BuildError;
use crate::middleware::{CallOutcome, CallOutput, CallRequest, Endpoint};
use crate::tool::{Tool, ToolDefinition};
use base64::Engine as _;
use futures_util::future::BoxFuture;
use serde::Serialize;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::sync::Arc;

/// The registrations a registry is built from (kept so it can be rebuilt on change).
#[derive(Clone, Default)]
pub(crate) struct Parts {
    pub(crate) tools: Vec<Arc<dyn Tool>>,
    pub(crate) resources: Vec<Resource>,
    pub(crate) templates: Vec<ResourceTemplate>,
    pub(crate) prompts: Vec<Prompt>,
}

pub(crate) struct ToolEntry {
    pub(crate) def: Arc<ToolDefinition>,
    pub(crate) endpoint: Arc<dyn Endpoint>,
}

struct ToolEndpoint(Arc<dyn Tool>);

impl Endpoint for ToolEndpoint {
    fn call<'a>(&'a self, req: &'a CallRequest) -> BoxFuture<'a, CallOutcome> {
        Box::pin(async move { self.0.call(req).await.map(CallOutput::Tool) })
    }
}

pub(crate) struct Registry {
    pub(crate) parts: Parts,
    pub(crate) tools: HashMap<Arc<str>, ToolEntry>,
    pub(crate) resources: HashMap<String, Resource>,
    pub(crate) templates: Vec<ResourceTemplate>,
    pub(crate) prompts: HashMap<String, Prompt>,
    pub(crate) tool_defs: Vec<Arc<ToolDefinition>>,
    pages: HashMap<&'static str, Vec<Box<RawValue>>>,
}

impl Registry {
    pub(crate) fn build(parts: Parts, page_size: usize) -> Result<Self, BuildError> {
        let mut tools = HashMap::new();
        let mut tool_defs = Vec::new();
        for t in &parts.tools {
            let def = Arc::new(t.definition());
            let name: Arc<str> = Arc::clone(&def.info.name);
            tool_defs.push(Arc::clone(&def));
            let entry = ToolEntry { def, endpoint: Arc::new(ToolEndpoint(Arc::clone(t))) };
            if tools.insert(Arc::clone(&name), entry).is_some() {
                return Err(BuildError::Duplicate { kind: "tool", name: name.to_string() });
            }
        }
        let mut resources = HashMap::new();
        for r in &parts.resources {
            if resources.insert(r.info.uri.clone(), r.clone()).is_some() {
                return Err(BuildError::Duplicate { kind: "resource", name: r.info.uri.clone() });
            }
        }
        let mut prompts = HashMap::new();
        for p in &parts.prompts {
            if prompts.insert(p.info.name.clone(), p.clone()).is_some() {
                return Err(BuildError::Duplicate { kind: "prompt", name: p.info.name.clone() });
            }
        }
        let page_size = page_size.max(1);
        let mut pages = HashMap::new();
        let infos: Vec<_> = tool_defs.iter().map(|d| &d.info).collect();
        pages.insert("tools", paginate("tools", &infos, page_size));
        let res: Vec<_> = parts.resources.iter().map(|r| &r.info).collect();
        pages.insert("resources", paginate("resources", &res, page_size));
        let tpl: Vec<_> = parts.templates.iter().map(|t| &t.info).collect();
        pages.insert("resourceTemplates", paginate("resourceTemplates", &tpl, page_size));
        let pr: Vec<_> = parts.prompts.iter().map(|p| &p.info).collect();
        pages.insert("prompts", paginate("prompts", &pr, page_size));
        let templates = parts.templates.clone();
        Ok(Self { parts, tools, resources, templates, prompts, tool_defs, pages })
    }

    /// The pre-serialized page for `cursor` of list `key`; `None` for a bad cursor.
    pub(crate) fn page(&self, key: &str, cursor: Option<&str>) -> Option<&RawValue> {
        let pages = self.pages.get(key)?;
        let index = match cursor {
            None => 0,
            Some(c) => decode_cursor(c)?,
        };
        pages.get(index).map(|b| &**b)
    }

    pub(crate) fn has_tools(&self) -> bool {
        !self.parts.tools.is_empty()
    }

    pub(crate) fn has_resources(&self) -> bool {
        !self.parts.resources.is_empty() || !self.parts.templates.is_empty()
    }

    pub(crate) fn has_prompts(&self) -> bool {
        !self.parts.prompts.is_empty()
    }
}

fn encode_cursor(index: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("page:{index}"))
}

fn decode_cursor(c: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(c).ok()?;
    let s = std::str::from_utf8(&bytes).ok()?;
    s.strip_prefix("page:")?.parse().ok().filter(|i| *i > 0)
}

fn paginate<T: Serialize>(key: &str, items: &[&T], page_size: usize) -> Vec<Box<RawValue>> {
    let chunks: Vec<&[&T]> = if items.is_empty() { vec![&[]] } else { items.chunks(page_size).collect() };
    let n = chunks.len();
    chunks
        .into_iter()
        .enumerate()
        .filter_map(|(i, chunk)| {
            let mut map = serde_json::Map::new();
            map.insert(key.to_string(), serde_json::to_value(chunk).ok()?);
            if i + 1 < n {
                map.insert("nextCursor".into(), encode_cursor(i + 1).into());
            }
            serde_json::value::to_raw_value(&map).ok()
        })
        .collect()
}
