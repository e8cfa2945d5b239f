use crate::error::{CallError, FailureKind, ToolErrorSpec};
use crate::extract::RequestContext;
use crate::protocol::{CallToolResult, GetPromptResult, ReadResourceResult};
use crate::tool::ToolDefinition;
use serde_json::value::RawValue;
use std::sync::Arc;

/// Which kind of endpoint a call targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallKind {
    /// `tools/call`.
    Tool,
    /// `resources/read`.
    Resource,
    /// `prompts/get`.
    Prompt,
}

impl CallKind {
    /// `tool`, `resource` or `prompt`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tool => "tool",
            Self::Resource => "resource",
            Self::Prompt => "prompt",
        }
    }
}

/// A call travelling down the middleware chain. Cheap to clone.
#[derive(Clone)]
pub struct CallRequest {
    pub(crate) kind: CallKind,
    pub(crate) name: Arc<str>,
    pub(crate) arguments: Arc<RawValue>,
    pub(crate) ctx: RequestContext,
    pub(crate) tool: Option<Arc<ToolDefinition>>,
}

impl std::fmt::Debug for CallRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallRequest")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("arguments", &self.arguments.get())
            .finish_non_exhaustive()
    }
}

impl CallRequest {
    /// Tool, resource or prompt.
    pub fn kind(&self) -> CallKind {
        self.kind
    }

    /// The tool name, resource URI or prompt name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The raw JSON arguments (`{}` when none were sent).
    pub fn arguments(&self) -> &RawValue {
        &self.arguments
    }

    /// The request context.
    pub fn context(&self) -> &RequestContext {
        &self.ctx
    }

    /// The tool's definition (for `tools/call`).
    pub fn tool(&self) -> Option<&ToolDefinition> {
        self.tool.as_deref()
    }

    /// Maps an error raised by a middleware (e.g. `CircuitOpenError`) through the server's
    /// exception handlers — a user handler for its type wins — else through its own mapping.
    /// The failure keeps `kind`, whatever the handler answers.
    pub async fn map_error<E>(&self, err: E, kind: FailureKind) -> CallError
    where
        E: ToolErrorSpec + std::error::Error + Send + Sync + 'static,
    {
        let handlers = &self.ctx.inner.session.server.handlers;
        let call = handlers.find_exact(&self.ctx, &err);
        match call {
            Some(c) => CallError::new(kind, c.run().await),
            None => CallError::new(kind, err.to_tool_error()),
        }
    }

    /// The same call with another context (e.g. one carrying an authenticated identity).
    #[must_use]
    pub fn with_context(mut self, ctx: RequestContext) -> Self {
        self.ctx = ctx;
        self
    }
}

/// A successful call's output.
#[derive(Debug, Clone)]
pub enum CallOutput {
    /// A `tools/call` result.
    Tool(CallToolResult),
    /// A `resources/read` result.
    Resource(ReadResourceResult),
    /// A `prompts/get` result.
    Prompt(GetPromptResult),
}

/// What the chain returns.
pub type CallOutcome = Result<CallOutput, CallError>;
