//! Static resources and URI templates.

use super::{Endpoint, Outcome, ReadResourceRequest, RequestContext};
use crate::error::CallError;
use crate::protocol::{ReadResourceResult, ResourceContents, ResourceInfo, ResourceTemplateInfo};
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

/// What a resource reader returns.
pub type ResourceResult = Result<Vec<ResourceContents>, CallError>;

type ReadFn = Arc<dyn Fn(RequestContext) -> BoxFuture<'static, ResourceResult> + Send + Sync>;
type TemplateReadFn = Arc<dyn Fn(RequestContext, TemplateParams) -> BoxFuture<'static, ResourceResult> + Send + Sync>;

/// A resource at a fixed URI.
///
/// ```
/// use mcp_server::{McpServer, Resource};
/// use mcp_server::protocol::ResourceContents;
///
/// let server = McpServer::new("docs")
///     .resource(Resource::text("docs://readme", "readme", "text/plain", "Hello!"))
///     .resource(Resource::new("docs://time", "time").read(|_ctx| async {
///         Ok(vec![ResourceContents::text("docs://time", "text/plain", "now")])
///     }));
/// # let _ = server;
/// ```
#[derive(Clone)]
pub struct Resource {
    pub(crate) info: ResourceInfo,
    pub(crate) read: ReadFn,
}

impl std::fmt::Debug for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resource").field("uri", &self.info.uri).finish_non_exhaustive()
    }
}

impl Resource {
    /// A resource with no contents yet: set a reader with [`Resource::read`].
    pub fn new(uri: impl Into<String>, name: impl Into<String>) -> Self {
        let uri = uri.into();
        let missing = uri.clone();
        Self {
            info: ResourceInfo {
                uri,
                name: name.into(),
                title: None,
                description: None,
                mime_type: None,
                annotations: None,
            },
            read: Arc::new(move |_| {
                let uri = missing.clone();
                Box::pin(async move { Err(CallError::resource_not_found(&uri)) })
            }),
        }
    }

    /// A resource with fixed text contents.
    pub fn text(uri: impl Into<String>, name: impl Into<String>, mime_type: &str, text: impl Into<String>) -> Self {
        let uri = uri.into();
        let contents = ResourceContents::text(uri.clone(), mime_type, text);
        Self::new(uri, name).mime_type(mime_type).read(move |_| {
            let c = contents.clone();
            async move { Ok(vec![c]) }
        })
    }

    /// Sets the reader.
    #[must_use]
    pub fn read<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(RequestContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ResourceResult> + Send + 'static,
    {
        self.read = Arc::new(move |ctx| Box::pin(f(ctx)));
        self
    }

    /// Sets the description.
    #[must_use]
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.info.description = Some(d.into());
        self
    }

    /// Sets the display title.
    #[must_use]
    pub fn title(mut self, t: impl Into<String>) -> Self {
        self.info.title = Some(t.into());
        self
    }

    /// Sets the MIME type.
    #[must_use]
    pub fn mime_type(mut self, m: impl Into<String>) -> Self {
        self.info.mime_type = Some(m.into());
        self
    }

    /// The URI.
    pub fn uri(&self) -> &str {
        &self.info.uri
    }
}

/// Variables captured from a URI template match (`{id}` → value).
pub type TemplateParams = HashMap<String, String>;

/// Resources addressed by an RFC 6570 level-1 URI template such as `test://template/{id}/data`.
///
/// ```
/// use mcp_server::{McpServer, ResourceTemplate};
/// use mcp_server::protocol::ResourceContents;
///
/// let server = McpServer::new("users").resource_template(
///     ResourceTemplate::new("users://{id}/profile", "profile").read(|_ctx, params| async move {
///         let id = params.get("id").cloned().unwrap_or_default();
///         Ok(vec![ResourceContents::text(format!("users://{id}/profile"), "application/json", "{}")])
///     }),
/// );
/// # let _ = server;
/// ```
#[derive(Clone)]
pub struct ResourceTemplate {
    pub(crate) info: ResourceTemplateInfo,
    pub(crate) pattern: Arc<UriPattern>,
    pub(crate) read: TemplateReadFn,
}

impl std::fmt::Debug for ResourceTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceTemplate").field("uri_template", &self.info.uri_template).finish_non_exhaustive()
    }
}

impl ResourceTemplate {
    /// A template; set its reader with [`ResourceTemplate::read`].
    pub fn new(uri_template: impl Into<String>, name: impl Into<String>) -> Self {
        let uri_template = uri_template.into();
        Self {
            pattern: Arc::new(UriPattern::parse(&uri_template)),
            info: ResourceTemplateInfo {
                uri_template,
                name: name.into(),
                title: None,
                description: None,
                mime_type: None,
            },
            read: Arc::new(|_, _| Box::pin(async { Err(CallError::internal()) })),
        }
    }

    /// Sets the reader, called with the captured variables.
    #[must_use]
    pub fn read<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(RequestContext, TemplateParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ResourceResult> + Send + 'static,
    {
        self.read = Arc::new(move |ctx, p| Box::pin(f(ctx, p)));
        self
    }

    /// Sets the description.
    #[must_use]
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.info.description = Some(d.into());
        self
    }

    /// Sets the display title.
    #[must_use]
    pub fn title(mut self, t: impl Into<String>) -> Self {
        self.info.title = Some(t.into());
        self
    }

    /// Sets the MIME type.
    #[must_use]
    pub fn mime_type(mut self, m: impl Into<String>) -> Self {
        self.info.mime_type = Some(m.into());
        self
    }

    /// The variable names of the template, in order.
    pub fn variables(&self) -> Vec<&str> {
        self.pattern.parts.iter().filter_map(|p| if let Part::Var(v) = p { Some(v.as_str()) } else { None }).collect()
    }
}

impl Endpoint<ReadResourceRequest> for Resource {
    fn call<'a>(&'a self, req: &'a ReadResourceRequest) -> BoxFuture<'a, Outcome<ReadResourceRequest>> {
        Box::pin(async move {
            let contents = (self.read)(req.context().clone()).await?;
            Ok(ReadResourceResult { contents })
        })
    }
}

impl Endpoint<ReadResourceRequest> for ResourceTemplate {
    fn call<'a>(&'a self, req: &'a ReadResourceRequest) -> BoxFuture<'a, Outcome<ReadResourceRequest>> {
        Box::pin(async move {
            // The registry routed the URI here because it matched; match again for its variables.
            let params = self.pattern.matches(req.uri()).ok_or_else(|| CallError::resource_not_found(req.uri()))?;
            let contents = (self.read)(req.context().clone(), params).await?;
            Ok(ReadResourceResult { contents })
        })
    }
}

#[derive(Debug)]
enum Part {
    Lit(String),
    Var(String),
}

/// A parsed level-1 URI template.
#[derive(Debug)]
pub(crate) struct UriPattern {
    parts: Vec<Part>,
}

impl UriPattern {
    fn parse(t: &str) -> Self {
        let mut parts = Vec::new();
        let mut rest = t;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else { break };
            if open > 0 {
                parts.push(Part::Lit(rest[..open].to_string()));
            }
            parts.push(Part::Var(rest[open + 1..open + close].to_string()));
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Lit(rest.to_string()));
        }
        Self { parts }
    }

    /// Matches `uri`, capturing variables (a variable never spans a `/`).
    pub(crate) fn matches(&self, uri: &str) -> Option<TemplateParams> {
        let mut params = TemplateParams::new();
        let mut rest = uri;
        let mut i = 0;
        while i < self.parts.len() {
            match &self.parts[i] {
                Part::Lit(l) => rest = rest.strip_prefix(l.as_str())?,
                Part::Var(name) => {
                    let end = match self.parts.get(i + 1) {
                        Some(Part::Lit(next)) => rest.find(next.as_str())?,
                        _ => rest.len(),
                    };
                    let value = &rest[..end];
                    if value.is_empty() || value.contains('/') {
                        return None;
                    }
                    params.insert(name.clone(), value.to_string());
                    rest = &rest[end..];
                }
            }
            i += 1;
        }
        rest.is_empty().then_some(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_matching() {
        let p = UriPattern::parse("test://template/{id}/data");
        assert_eq!(p.matches("test://template/42/data").and_then(|m| m.get("id").cloned()), Some("42".into()));
        assert!(p.matches("test://template/42/other").is_none());
        assert!(p.matches("test://template//data").is_none());
        assert!(p.matches("test://template/a/b/data").is_none());
        let q = UriPattern::parse("x://{a}-{b}");
        let m = q.matches("x://1-2").unwrap_or_default();
        assert_eq!((m["a"].as_str(), m["b"].as_str()), ("1", "2"));
    }
}
