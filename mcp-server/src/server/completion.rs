//! `completion/complete`: argument suggestions for prompts and URI templates.

use crate::call::RequestContext;
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

/// What is being completed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CompletionRef {
    /// An argument of the prompt with this name.
    Prompt(String),
    /// A variable of the resource template with this URI template.
    Resource(String),
}

/// A `completion/complete` request.
#[derive(Debug, Clone)]
pub struct CompletionRequest {
    /// The prompt or template.
    pub reference: CompletionRef,
    /// The argument (or template variable) name.
    pub argument: String,
    /// What the user typed so far.
    pub value: String,
    /// Values of other arguments already given (2025-06-18 `context.arguments`).
    pub context: HashMap<String, String>,
}

pub(crate) type CompletionFn =
    Arc<dyn Fn(RequestContext, CompletionRequest) -> BoxFuture<'static, Vec<String>> + Send + Sync>;

pub(crate) fn completion_fn<F, Fut>(f: F) -> CompletionFn
where
    F: Fn(RequestContext, CompletionRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Vec<String>> + Send + 'static,
{
    Arc::new(move |ctx, req| Box::pin(f(ctx, req)))
}
