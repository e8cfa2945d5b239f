//! The server: builder, registry, sessions and the dispatch point.

mod builder;
mod complete;
mod completion;
mod dispatch;
mod endpoints;
mod handlers;
mod outbound;
mod prompt;
mod registry;
mod resource;
mod session;
mod shared;

pub use builder::McpServer;
pub use completion::{CompletionRef, CompletionRequest};
pub use prompt::{Prompt, PromptArgs};
pub use resource::{Resource, ResourceResult, ResourceTemplate, TemplateParams};
pub use shared::ServerHandle;

pub(crate) use outbound::{OutFrame, Outbound};
pub(crate) use session::SessionState;
