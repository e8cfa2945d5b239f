//! The request as middleware and endpoints see it: one typed request and response per hook
//! ([`CallToolRequest`] → `CallToolResult`, …), the rest of the chain ([`Next`]), the endpoints
//! (the [`Tool`] trait, [`Resource`], [`ResourceTemplate`], [`Prompt`]) and the
//! [`RequestContext`] with its narrow services handle.
//!
//! This module depends only on the wire types and the errors: nothing here can reach the session,
//! the server or a transport.

mod args;
mod chain;
mod client;
mod context;
mod extensions;
mod handlers;
mod identity;
mod outbound;
mod output;
mod prompt;
mod request;
mod resource;
mod tool;

pub use chain::Next;
pub use context::RequestContext;
pub use extensions::Extensions;
pub use handlers::ExceptionHandler;
pub use identity::Identity;
pub use output::{IntoToolResult, Json, ToolReturn};
pub use prompt::{Prompt, PromptArgs};
pub use request::{
    CallToolRequest, GetPromptRequest, HookRequest, ListPromptsRequest, ListRequest, ListResourceTemplatesRequest,
    ListResourcesRequest, ListToolsRequest, Outcome, ReadResourceRequest, RpcRequest,
};
pub use resource::{Resource, ResourceResult, ResourceTemplate, TemplateParams};
pub use tool::{NoArgs, Tool, ToolDefinition, ToolResult};

pub(crate) use chain::{Endpoint, Layer, Layers};
pub(crate) use client::ClientLink;
#[cfg(feature = "http")]
pub(crate) use context::StreamControl;
pub(crate) use context::{BackgroundTask, RequestParts, Services};
pub(crate) use handlers::{ExceptionHandlers, SpecError, ToolFailure};
pub(crate) use outbound::{OutFrame, Outbound};
pub(crate) use tool::ToolEndpoint;
