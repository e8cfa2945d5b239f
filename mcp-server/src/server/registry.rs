//! What a running server serves, frozen: the registrations with their `*/list` pages serialized
//! once, and the middleware with their chains. Every change of registrations or middleware builds
//! a new [`Snapshot`] through [`Snapshot::build`], the one place where a configuration is
//! validated, and swaps it in.

use crate::call::{
    CallToolRequest, Endpoint, GetPromptRequest, ListRequest, Outcome, Prompt, ReadResourceRequest, Resource,
    ResourceTemplate, Tool, ToolDefinition, ToolEndpoint,
};
use crate::error::{BuildError, CallError, Registration};
use crate::middleware::{Chains, Middleware};
use crate::protocol::{ListItem, ListResult};
use base64::Engine as _;
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::sync::Arc;

/// The registrations a registry is built from (kept so it can be rebuilt on change).
#[derive(Clone, Default)]
pub(crate) struct Parts {
    pub(crate) tools: Vec<Arc<dyn Tool>>,
    pub(crate) resources: Vec<Resource>,
    pub(crate) templates: Vec<ResourceTemplate>,
    pub(crate) prompts: Vec<Prompt>,
    pub(crate) middleware: Vec<Arc<dyn Middleware>>,
}

/// A registered tool: its definition and its endpoint.
pub(crate) struct ToolEntry {
    pub(crate) def: Arc<ToolDefinition>,
    pub(crate) endpoint: Arc<dyn Endpoint<CallToolRequest>>,
}

/// Everything a request is routed by, and the chains it runs through.
pub(crate) struct Snapshot {
    pub(crate) parts: Parts,
    pub(crate) tools: HashMap<Arc<str>, ToolEntry>,
    pub(crate) resources: HashMap<String, Arc<dyn Endpoint<ReadResourceRequest>>>,
    pub(crate) templates: Vec<Arc<ResourceTemplate>>,
    pub(crate) prompts: HashMap<String, Arc<Prompt>>,
    pub(crate) tool_pages: Arc<Pages<crate::protocol::ToolInfo>>,
    pub(crate) resource_pages: Arc<Pages<crate::protocol::ResourceInfo>>,
    pub(crate) template_pages: Arc<Pages<crate::protocol::ResourceTemplateInfo>>,
    pub(crate) prompt_pages: Arc<Pages<crate::protocol::PromptInfo>>,
    pub(crate) chains: Chains,
}

fn duplicate(kind: Registration, name: impl Into<String>) -> BuildError {
    BuildError::Duplicate { kind, name: name.into() }
}

impl Snapshot {
    /// Builds and validates a configuration: unique names, an authenticating middleware for every
    /// `auth = true` tool (fail-closed), and each middleware's own checks.
    pub(crate) fn build(parts: Parts, page_size: usize) -> Result<Self, BuildError> {
        let mut tools = HashMap::new();
        let mut tool_defs = Vec::new();
        for t in &parts.tools {
            let def = Arc::new(t.definition());
            let name: Arc<str> = Arc::clone(&def.info.name);
            tool_defs.push(Arc::clone(&def));
            let entry = ToolEntry { def, endpoint: Arc::new(ToolEndpoint(Arc::clone(t))) };
            if tools.insert(Arc::clone(&name), entry).is_some() {
                return Err(duplicate(Registration::Tool, &*name));
            }
        }
        let mut resources: HashMap<String, Arc<dyn Endpoint<ReadResourceRequest>>> = HashMap::new();
        for r in &parts.resources {
            if resources.insert(r.info.uri.clone(), Arc::new(r.clone())).is_some() {
                return Err(duplicate(Registration::Resource, &r.info.uri));
            }
        }
        let mut templates = Vec::new();
        for t in &parts.templates {
            if templates.iter().any(|seen: &Arc<ResourceTemplate>| seen.info.uri_template == t.info.uri_template) {
                return Err(duplicate(Registration::ResourceTemplate, &t.info.uri_template));
            }
            templates.push(Arc::new(t.clone()));
        }
        let mut prompts = HashMap::new();
        for p in &parts.prompts {
            if prompts.insert(p.info.name.clone(), Arc::new(p.clone())).is_some() {
                return Err(duplicate(Registration::Prompt, &p.info.name));
            }
        }
        if !parts.middleware.iter().any(|m| m.provides_authentication()) {
            if let Some(t) = tool_defs.iter().find(|d| d.auth) {
                return Err(BuildError::AuthRequired { tool: t.info.name.to_string() });
            }
        }
        for m in &parts.middleware {
            m.validate(&tool_defs)?;
        }
        let page_size = page_size.max(1);
        Ok(Self {
            tool_pages: Pages::build(tool_defs.iter().map(|d| d.info.clone()), page_size),
            resource_pages: Pages::build(parts.resources.iter().map(|r| r.info.clone()), page_size),
            template_pages: Pages::build(parts.templates.iter().map(|t| t.info.clone()), page_size),
            prompt_pages: Pages::build(parts.prompts.iter().map(|p| p.info.clone()), page_size),
            chains: Chains::new(&parts.middleware),
            tools,
            resources,
            templates,
            prompts,
            parts,
        })
    }

    /// The endpoint serving `uri`: a static resource, else the first template matching it.
    pub(crate) fn resource(&self, uri: &str) -> Option<Arc<dyn Endpoint<ReadResourceRequest>>> {
        if let Some(r) = self.resources.get(uri) {
            return Some(Arc::clone(r));
        }
        let template = self.templates.iter().find(|t| t.pattern.matches(uri).is_some())?;
        Some(Arc::clone(template) as Arc<dyn Endpoint<ReadResourceRequest>>)
    }

    pub(crate) fn prompt_endpoint(prompt: &Arc<Prompt>) -> Arc<dyn Endpoint<GetPromptRequest>> {
        Arc::clone(prompt) as Arc<dyn Endpoint<GetPromptRequest>>
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

/// The pages of one `*/list` method, each serialized once.
pub(crate) struct Pages<T> {
    pages: Vec<ListResult<T>>,
}

impl<T: ListItem> Pages<T> {
    fn build(items: impl Iterator<Item = T>, page_size: usize) -> Arc<Self> {
        Arc::new(Self::new(items.collect(), page_size))
    }

    fn new(items: Vec<T>, page_size: usize) -> Self {
        let chunks: Vec<&[T]> = if items.is_empty() { vec![&[]] } else { items.chunks(page_size).collect() };
        let n = chunks.len();
        let pages = chunks
            .into_iter()
            .enumerate()
            .map(|(i, chunk)| ListResult::new(chunk.to_vec(), (i + 1 < n).then(|| encode_cursor(i + 1))).encoded())
            .collect();
        Self { pages }
    }

    /// The page at `cursor`; `None` for a cursor this server did not issue.
    fn page(&self, cursor: Option<&str>) -> Option<&ListResult<T>> {
        let index = match cursor {
            None => 0,
            Some(c) => decode_cursor(c)?,
        };
        self.pages.get(index)
    }
}

impl<T: ListItem> Endpoint<ListRequest<T>> for Pages<T> {
    fn call<'a>(&'a self, req: &'a ListRequest<T>) -> BoxFuture<'a, Outcome<ListRequest<T>>> {
        let page =
            self.page(req.cursor()).cloned().ok_or_else(|| CallError::invalid_params("Invalid params: unknown cursor"));
        Box::pin(std::future::ready(page))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::PromptInfo;

    #[test]
    fn pages_and_cursors() {
        let prompt =
            |n: usize| PromptInfo { name: format!("p{n}"), title: None, description: "d".into(), arguments: vec![] };
        let pages = Pages::new((0..5).map(prompt).collect(), 2);
        let first = pages.page(None).map(|p| (p.items().len(), p.next_cursor().map(str::to_string)));
        let Some((2, Some(cursor))) = first else { panic!("first page: {first:?}") };
        assert_eq!(pages.page(Some(&cursor)).map(|p| p.items()[0].name.clone()), Some("p2".into()));
        assert!(pages.page(Some("bogus")).is_none());
        assert!(pages.page(Some(&encode_cursor(0))).is_none(), "page 0 has no cursor");
        assert!(Pages::<PromptInfo>::new(vec![], 2).page(None).is_some_and(|p| p.items().is_empty()));
    }
}
