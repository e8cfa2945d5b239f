//! The requests middleware see, one type per hook, each with its own response type.

use super::args::parse_json;
use super::{PromptArgs, RequestContext, ToolDefinition};
use crate::error::CallError;
use crate::protocol::{
    CallToolResult, GetPromptResult, ListItem, ListResult, PromptInfo, ReadResourceResult, ResourceInfo,
    ResourceTemplateInfo, ToolInfo,
};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::Value;
use std::marker::PhantomData;
use std::sync::Arc;

mod sealed {
    pub trait Sealed {}
}

/// A request that travels down a middleware chain: one of the types below. Its
/// [`Response`](Self::Response) is what the chain answers it with, so a middleware hook returns
/// exactly that type and a wrong answer does not compile.
pub trait HookRequest: Clone + Send + Sync + 'static + sealed::Sealed {
    /// The successful answer.
    type Response: Send + 'static;

    /// The request's context.
    fn context(&self) -> &RequestContext;
}

/// What a chain for request type `R` produces.
pub type Outcome<R> = Result<<R as HookRequest>::Response, CallError>;

/// `tools/call`: the tool, its definition and the raw JSON arguments. Cheap to clone.
#[derive(Clone)]
pub struct CallToolRequest {
    arguments: Arc<RawValue>,
    definition: Arc<ToolDefinition>,
    context: RequestContext,
}

impl std::fmt::Debug for CallToolRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallToolRequest")
            .field("name", &self.name())
            .field("arguments", &self.arguments.get())
            .finish_non_exhaustive()
    }
}

impl CallToolRequest {
    pub(crate) fn new(definition: Arc<ToolDefinition>, arguments: Arc<RawValue>, context: RequestContext) -> Self {
        Self { arguments, definition, context }
    }

    /// The tool's name.
    pub fn name(&self) -> &str {
        &self.definition.info.name
    }

    /// The raw JSON arguments (`{}` when none were sent).
    pub fn arguments(&self) -> &RawValue {
        &self.arguments
    }

    /// Deserializes the arguments into `A`, straight from the frame's JSON. A failure is a
    /// `VALIDATION_ERROR` tool error whose `details.field` names the offending argument: what
    /// `#[tool]` does, for tools written by hand.
    pub fn parse_arguments<A: DeserializeOwned>(&self) -> Result<A, CallError> {
        parse_json(self.arguments.get())
    }

    /// The tool's definition (annotations, `auth`, roles, scopes, schemas).
    pub fn definition(&self) -> &ToolDefinition {
        &self.definition
    }

    /// The request's context.
    pub fn context(&self) -> &RequestContext {
        &self.context
    }
}

/// `resources/read` of a static resource or a resource template. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ReadResourceRequest {
    uri: Arc<str>,
    context: RequestContext,
}

impl ReadResourceRequest {
    pub(crate) fn new(uri: Arc<str>, context: RequestContext) -> Self {
        Self { uri, context }
    }

    /// The URI being read.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The request's context.
    pub fn context(&self) -> &RequestContext {
        &self.context
    }
}

/// `prompts/get`, with the arguments already checked against the prompt's required ones.
#[derive(Debug, Clone)]
pub struct GetPromptRequest {
    name: Arc<str>,
    arguments: Arc<PromptArgs>,
    context: RequestContext,
}

impl GetPromptRequest {
    pub(crate) fn new(name: Arc<str>, arguments: Arc<PromptArgs>, context: RequestContext) -> Self {
        Self { name, arguments, context }
    }

    /// The prompt's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The arguments, as strings.
    pub fn arguments(&self) -> &PromptArgs {
        &self.arguments
    }

    /// The request's context.
    pub fn context(&self) -> &RequestContext {
        &self.context
    }
}

/// A `*/list` request for items of type `T`: [`ListToolsRequest`], [`ListResourcesRequest`],
/// [`ListResourceTemplatesRequest`] or [`ListPromptsRequest`].
pub struct ListRequest<T> {
    cursor: Option<Arc<str>>,
    context: RequestContext,
    _items: PhantomData<fn() -> T>,
}

impl<T> Clone for ListRequest<T> {
    fn clone(&self) -> Self {
        Self { cursor: self.cursor.clone(), context: self.context.clone(), _items: PhantomData }
    }
}

impl<T> std::fmt::Debug for ListRequest<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListRequest").field("cursor", &self.cursor).finish_non_exhaustive()
    }
}

impl<T> ListRequest<T> {
    pub(crate) fn new(cursor: Option<Arc<str>>, context: RequestContext) -> Self {
        Self { cursor, context, _items: PhantomData }
    }

    /// The page asked for (`None`: the first).
    pub fn cursor(&self) -> Option<&str> {
        self.cursor.as_deref()
    }

    /// The request's context.
    pub fn context(&self) -> &RequestContext {
        &self.context
    }
}

/// `tools/list`.
pub type ListToolsRequest = ListRequest<ToolInfo>;
/// `resources/list`.
pub type ListResourcesRequest = ListRequest<ResourceInfo>;
/// `resources/templates/list`.
pub type ListResourceTemplatesRequest = ListRequest<ResourceTemplateInfo>;
/// `prompts/list`.
pub type ListPromptsRequest = ListRequest<PromptInfo>;

/// Any other request (`initialize`, `ping`, `completion/complete`, `logging/setLevel`,
/// `resources/subscribe`, unknown methods, …), with its raw params; answered with a JSON value.
#[derive(Clone)]
pub struct RpcRequest {
    method: Arc<str>,
    params: Option<Arc<RawValue>>,
    context: RequestContext,
}

impl std::fmt::Debug for RpcRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcRequest").field("method", &self.method).finish_non_exhaustive()
    }
}

impl RpcRequest {
    pub(crate) fn new(method: Arc<str>, params: Option<Arc<RawValue>>, context: RequestContext) -> Self {
        Self { method, params, context }
    }

    /// The JSON-RPC method.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The raw params, if any were sent.
    pub fn params(&self) -> Option<&RawValue> {
        self.params.as_deref()
    }

    /// The params deserialized into `P` (absent params read as `{}`); `-32602` if they do not fit.
    pub fn parse_params<P: DeserializeOwned>(&self) -> Result<P, CallError> {
        let raw = self.params.as_deref().map_or("{}", RawValue::get);
        serde_json::from_str(raw).map_err(|e| CallError::invalid_params(format!("Invalid params: {e}")))
    }

    /// The request's context.
    pub fn context(&self) -> &RequestContext {
        &self.context
    }
}

macro_rules! hook_request {
    ($($ty:ty => $response:ty),* $(,)?) => {$(
        impl sealed::Sealed for $ty {}
        impl HookRequest for $ty {
            type Response = $response;
            fn context(&self) -> &RequestContext {
                &self.context
            }
        }
    )*};
}

hook_request!(
    CallToolRequest => CallToolResult,
    ReadResourceRequest => ReadResourceResult,
    GetPromptRequest => GetPromptResult,
    RpcRequest => Value,
);

impl<T: ListItem> sealed::Sealed for ListRequest<T> {}

impl<T: ListItem> HookRequest for ListRequest<T> {
    type Response = ListResult<T>;
    fn context(&self) -> &RequestContext {
        &self.context
    }
}
