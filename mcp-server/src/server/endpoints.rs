//! Endpoint adaptors for resources and prompts (tools adapt in the registry).

use super::prompt::PromptArgs;
use super::resource::TemplateParams;
use super::{Prompt, Resource, ResourceTemplate};
use crate::middleware::{CallOutcome, CallOutput, CallRequest, Endpoint};
use crate::protocol::ReadResourceResult;
use futures_util::future::BoxFuture;

pub(crate) struct StaticResource(pub(crate) Resource);

impl Endpoint for StaticResource {
    fn call<'a>(&'a self, req: &'a CallRequest) -> BoxFuture<'a, CallOutcome> {
        Box::pin(async move {
            let contents = (self.0.read)(req.context().clone()).await?;
            Ok(CallOutput::Resource(ReadResourceResult { contents }))
        })
    }
}

pub(crate) struct TemplateResource(pub(crate) ResourceTemplate, pub(crate) TemplateParams);

impl Endpoint for TemplateResource {
    fn call<'a>(&'a self, req: &'a CallRequest) -> BoxFuture<'a, CallOutcome> {
        Box::pin(async move {
            let contents = (self.0.read)(req.context().clone(), self.1.clone()).await?;
            Ok(CallOutput::Resource(ReadResourceResult { contents }))
        })
    }
}

pub(crate) struct PromptEndpoint(pub(crate) Prompt, pub(crate) PromptArgs);

impl Endpoint for PromptEndpoint {
    fn call<'a>(&'a self, req: &'a CallRequest) -> BoxFuture<'a, CallOutcome> {
        Box::pin(async move { (self.0.get)(req.context().clone(), self.1.clone()).await.map(CallOutput::Prompt) })
    }
}
