//! Tools: the [`Tool`] trait the `#[tool]` macro implements, and what `tools/list` shows of a tool.

use super::{CallToolRequest, Endpoint, Outcome};
use crate::error::CallError;
use crate::protocol::{CallToolResult, ToolAnnotations, ToolInfo};
use futures_util::future::BoxFuture;
use serde_json::Value;
use std::sync::Arc;

/// What a tool call produces: a result, or a failure already mapped to its wire form.
pub type ToolResult = Result<CallToolResult, CallError>;

/// A callable tool. `#[tool]` implements it on a companion type (`EchoTool` for `fn echo`);
/// implement it by hand for tools built at run time.
///
/// ```
/// use mcp_server::{CallToolRequest, NoArgs, Tool, ToolDefinition, ToolResult};
/// use mcp_server::protocol::CallToolResult;
/// use futures_util::future::BoxFuture;
///
/// struct Version;
///
/// impl Tool for Version {
///     fn definition(&self) -> ToolDefinition {
///         ToolDefinition::new::<NoArgs>("version", "The server version.").read_only(true)
///     }
///     fn call<'a>(&'a self, _req: &'a CallToolRequest) -> BoxFuture<'a, ToolResult> {
///         Box::pin(async { Ok(CallToolResult::text("1.0.0")) })
///     }
/// }
/// ```
pub trait Tool: Send + Sync + 'static {
    /// Name, description, schemas and annotations (called once, at registration).
    fn definition(&self) -> ToolDefinition;

    /// Runs the tool for one request (parse its arguments with
    /// [`CallToolRequest::parse_arguments`]).
    ///
    /// # Cancellation safety
    /// The future is dropped when the client cancels the request or the session ends.
    fn call<'a>(&'a self, req: &'a CallToolRequest) -> BoxFuture<'a, ToolResult>;
}

/// An empty argument set, for hand-written tools that take no arguments.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct NoArgs {}

/// A registered tool, as the end of its chain.
pub(crate) struct ToolEndpoint(pub(crate) Arc<dyn Tool>);

impl Endpoint<CallToolRequest> for ToolEndpoint {
    fn call<'a>(&'a self, req: &'a CallToolRequest) -> BoxFuture<'a, Outcome<CallToolRequest>> {
        self.0.call(req)
    }
}

/// Everything `tools/list` shows about a tool, plus its access rules.
///
/// ```
/// use mcp_server::{NoArgs, ToolDefinition};
///
/// let def = ToolDefinition::new::<NoArgs>("refund", "Refund a payment.")
///     .title("Refund")
///     .destructive(true)
///     .roles(&["payments-admin"]);
/// assert!(def.auth, "a role requirement implies authentication");
/// assert_eq!(def.name(), "refund");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ToolDefinition {
    /// The wire form.
    pub info: ToolInfo,
    /// Whether the caller must be authenticated.
    pub auth: bool,
    /// Roles of which the caller needs at least one (empty: any).
    pub roles: Vec<String>,
    /// Scopes the caller needs all of (empty: none).
    pub scopes: Vec<String>,
}

impl ToolDefinition {
    /// A definition whose input schema is generated from `A` (JSON Schema 2020-12).
    pub fn new<A: schemars::JsonSchema>(name: &str, description: &str) -> Self {
        Self::with_input_schema(name, description, schema_for::<A>())
    }

    /// A definition with a hand-written input schema.
    pub fn with_input_schema(name: &str, description: &str, input_schema: Value) -> Self {
        Self {
            info: ToolInfo {
                name: name.into(),
                title: None,
                description: description.to_string(),
                input_schema: Arc::new(input_schema),
                output_schema: None,
                annotations: ToolAnnotations::default(),
            },
            auth: false,
            roles: Vec::new(),
            scopes: Vec::new(),
        }
    }

    /// The tool name.
    pub fn name(&self) -> &str {
        &self.info.name
    }

    /// Sets the display title (`title` and `annotations.title`).
    #[must_use]
    pub fn title(mut self, title: &str) -> Self {
        self.info.title = Some(title.to_string());
        self.info.annotations.title = Some(title.to_string());
        self
    }

    /// Sets `readOnlyHint`.
    #[must_use]
    pub fn read_only(mut self, v: bool) -> Self {
        self.info.annotations.read_only_hint = Some(v);
        self
    }

    /// Sets `destructiveHint`.
    #[must_use]
    pub fn destructive(mut self, v: bool) -> Self {
        self.info.annotations.destructive_hint = Some(v);
        self
    }

    /// Sets `idempotentHint`.
    #[must_use]
    pub fn idempotent(mut self, v: bool) -> Self {
        self.info.annotations.idempotent_hint = Some(v);
        self
    }

    /// Sets `openWorldHint`.
    #[must_use]
    pub fn open_world(mut self, v: bool) -> Self {
        self.info.annotations.open_world_hint = Some(v);
        self
    }

    /// Requires an authenticated caller.
    #[must_use]
    pub fn auth(mut self, v: bool) -> Self {
        self.auth = v;
        self
    }

    /// Requires one of `roles` (implies `auth`).
    #[must_use]
    pub fn roles(mut self, roles: &[&str]) -> Self {
        self.roles = roles.iter().map(|r| (*r).to_string()).collect();
        self.auth |= !self.roles.is_empty();
        self
    }

    /// Requires all of `scopes` (implies `auth`).
    #[must_use]
    pub fn scopes(mut self, scopes: &[&str]) -> Self {
        self.scopes = scopes.iter().map(|s| (*s).to_string()).collect();
        self.auth |= !self.scopes.is_empty();
        self
    }

    /// Sets the output schema (the macro passes the one of a `Json<T>` return type).
    #[must_use]
    pub fn output_schema(mut self, schema: Option<Value>) -> Self {
        self.info.output_schema = schema.map(Arc::new);
        self
    }
}

/// A JSON Schema 2020-12 for `T`, without the generated root `title`.
pub(crate) fn schema_for<T: schemars::JsonSchema>() -> Value {
    let mut schema = schemars::SchemaGenerator::default().into_root_schema_for::<T>().to_value();
    if let Value::Object(map) = &mut schema {
        map.remove("title");
        if !map.contains_key("type") {
            map.insert("type".into(), Value::from("object"));
        }
        let empty = map.get("properties").and_then(Value::as_object).is_none_or(|p| p.is_empty());
        if empty {
            map.entry("properties").or_insert_with(|| Value::Object(Default::default()));
        }
    }
    schema
}
