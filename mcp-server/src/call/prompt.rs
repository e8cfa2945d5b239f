//! Prompts with arguments.

use super::{Endpoint, GetPromptRequest, Outcome, RequestContext};
use crate::error::CallError;
use crate::protocol::{GetPromptResult, PromptArgument, PromptInfo};
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

/// The arguments a client passed to `prompts/get`.
pub type PromptArgs = HashMap<String, String>;

type GetFn =
    Arc<dyn Fn(RequestContext, PromptArgs) -> BoxFuture<'static, Result<GetPromptResult, CallError>> + Send + Sync>;

/// A prompt template. Missing required arguments are rejected with `-32602` before `get` runs.
///
/// ```
/// use mcp_server::{McpServer, Prompt};
/// use mcp_server::protocol::{Content, GetPromptResult, PromptMessage};
///
/// let server = McpServer::new("prompts").prompt(
///     Prompt::new("greet", "Greet someone by name.")
///         .argument("name", "Who to greet", true)
///         .get(|_ctx, args| async move {
///             let name = args.get("name").cloned().unwrap_or_default();
///             Ok(GetPromptResult {
///                 description: None,
///                 messages: vec![PromptMessage::user(Content::text(format!("Say hello to {name}.")))],
///             })
///         }),
/// );
/// # let _ = server;
/// ```
#[derive(Clone)]
pub struct Prompt {
    pub(crate) info: PromptInfo,
    pub(crate) get: GetFn,
}

impl std::fmt::Debug for Prompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prompt").field("name", &self.info.name).finish_non_exhaustive()
    }
}

impl Prompt {
    /// A prompt with a name and a (required, non-empty) description.
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            info: PromptInfo { name: name.into(), title: None, description: description.into(), arguments: Vec::new() },
            get: Arc::new(|_, _| Box::pin(async { Err(CallError::internal()) })),
        }
    }

    /// Declares an argument.
    #[must_use]
    pub fn argument(mut self, name: impl Into<String>, description: impl Into<String>, required: bool) -> Self {
        self.info.arguments.push(PromptArgument { name: name.into(), description: Some(description.into()), required });
        self
    }

    /// Sets the display title.
    #[must_use]
    pub fn title(mut self, t: impl Into<String>) -> Self {
        self.info.title = Some(t.into());
        self
    }

    /// Sets the function that renders the prompt.
    #[must_use]
    pub fn get<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(RequestContext, PromptArgs) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<GetPromptResult, CallError>> + Send + 'static,
    {
        self.get = Arc::new(move |ctx, args| Box::pin(f(ctx, args)));
        self
    }

    /// The prompt name.
    pub fn name(&self) -> &str {
        &self.info.name
    }
}

impl Endpoint<GetPromptRequest> for Prompt {
    fn call<'a>(&'a self, req: &'a GetPromptRequest) -> BoxFuture<'a, Outcome<GetPromptRequest>> {
        (self.get)(req.context().clone(), req.arguments().clone())
    }
}
