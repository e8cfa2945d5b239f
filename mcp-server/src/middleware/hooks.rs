//! How the chain reaches a middleware's hooks: one layer list per kind of request, and
//! [`from_fn`], which turns a closure into a middleware for the hook its request type names.

use super::Middleware;
use crate::call::{
    CallToolRequest, GetPromptRequest, HookRequest, Layer, Layers, ListPromptsRequest, ListResourceTemplatesRequest,
    ListResourcesRequest, ListToolsRequest, Next, Outcome, ReadResourceRequest, RpcRequest,
};
use futures_util::future::BoxFuture;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

/// A middleware seen through one of its hooks.
struct Hooked(Arc<dyn Middleware>);

/// Which hook of a [`Middleware`] a request type goes to, and where its layers are kept.
pub(crate) trait Hook: HookRequest {
    fn select(m: &dyn Middleware, req: Self, next: Next<Self>) -> BoxFuture<'_, Outcome<Self>>;
    fn layers(chains: &Chains) -> &Layers<Self>;
}

impl<R: Hook> Layer<R> for Hooked {
    fn handle(&self, req: R, next: Next<R>) -> BoxFuture<'_, Outcome<R>> {
        R::select(&*self.0, req, next)
    }
}

/// The layers of every hook, built once per change of the middleware list.
pub(crate) struct Chains {
    call_tool: Layers<CallToolRequest>,
    read_resource: Layers<ReadResourceRequest>,
    get_prompt: Layers<GetPromptRequest>,
    list_tools: Layers<ListToolsRequest>,
    list_resources: Layers<ListResourcesRequest>,
    list_templates: Layers<ListResourceTemplatesRequest>,
    list_prompts: Layers<ListPromptsRequest>,
    request: Layers<RpcRequest>,
}

/// The layers of request type `R`.
pub(crate) fn layers<R: Hook>(chains: &Chains) -> &Layers<R> {
    R::layers(chains)
}

impl Chains {
    pub(crate) fn new(middleware: &[Arc<dyn Middleware>]) -> Self {
        let hooked: Vec<Arc<Hooked>> = middleware.iter().map(|m| Arc::new(Hooked(Arc::clone(m)))).collect();
        fn of<R: Hook>(hooked: &[Arc<Hooked>]) -> Layers<R> {
            hooked.iter().map(|h| Arc::clone(h) as Arc<dyn Layer<R>>).collect()
        }
        Self {
            call_tool: of(&hooked),
            read_resource: of(&hooked),
            get_prompt: of(&hooked),
            list_tools: of(&hooked),
            list_resources: of(&hooked),
            list_templates: of(&hooked),
            list_prompts: of(&hooked),
            request: of(&hooked),
        }
    }
}

macro_rules! hooks {
    ($($request:ty => $hook:ident, $field:ident;)*) => {
        $(
            impl Hook for $request {
                fn select(m: &dyn Middleware, req: Self, next: Next<Self>) -> BoxFuture<'_, Outcome<Self>> {
                    m.$hook(req, next)
                }
                fn layers(chains: &Chains) -> &Layers<Self> {
                    &chains.$field
                }
            }
        )*

        /// The request types [`from_fn`] accepts: the closure's first parameter picks the hook.
        ///
        /// Implemented by every hook's request type; its methods are an implementation detail.
        pub trait FromFnHook: HookRequest {
            $(
                #[doc(hidden)]
                fn $hook<F, Fut>(f: &F, req: $request, next: Next<$request>) -> BoxFuture<'static, Outcome<$request>>
                where
                    F: Fn(Self, Next<Self>) -> Fut,
                    Fut: Future<Output = Outcome<Self>> + Send + 'static,
                {
                    let _ = f;
                    next.run(req)
                }
            )*
        }

        $(
            impl FromFnHook for $request {
                fn $hook<F, Fut>(f: &F, req: $request, next: Next<$request>) -> BoxFuture<'static, Outcome<$request>>
                where
                    F: Fn(Self, Next<Self>) -> Fut,
                    Fut: Future<Output = Outcome<Self>> + Send + 'static,
                {
                    Box::pin(f(req, next))
                }
            }
        )*

        impl<R, F, Fut> Middleware for FromFn<R, F>
        where
            R: FromFnHook,
            F: Fn(R, Next<R>) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = Outcome<R>> + Send + 'static,
        {
            $(
                fn $hook(&self, req: $request, next: Next<$request>) -> BoxFuture<'_, Outcome<$request>> {
                    R::$hook(&self.f, req, next)
                }
            )*
        }
    };
}

hooks! {
    CallToolRequest => on_call_tool, call_tool;
    ReadResourceRequest => on_read_resource, read_resource;
    GetPromptRequest => on_get_prompt, get_prompt;
    ListToolsRequest => on_list_tools, list_tools;
    ListResourcesRequest => on_list_resources, list_resources;
    ListResourceTemplatesRequest => on_list_resource_templates, list_templates;
    ListPromptsRequest => on_list_prompts, list_prompts;
    RpcRequest => on_request, request;
}

/// A middleware made from a closure: see [`from_fn`].
pub struct FromFn<R, F> {
    f: F,
    _hook: PhantomData<fn(R)>,
}

impl<R, F> std::fmt::Debug for FromFn<R, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FromFn").field("hook", &std::any::type_name::<R>()).finish()
    }
}

/// Makes a middleware from a closure `|req, next| async move { next.run(req).await }`. The type
/// of `req` picks the hook: `CallToolRequest` wraps tool calls, `ReadResourceRequest` resource
/// reads, `ListToolsRequest` the tool listing, `RpcRequest` every other request, and so on; every
/// other kind of request passes the closure by.
///
/// ```
/// use mcp_server::middleware::{from_fn, Next};
/// use mcp_server::{ListToolsRequest, McpServer};
///
/// // Hide the tools whose name starts with `internal_` from the listing.
/// let server = McpServer::new("demo").middleware(from_fn(|req: ListToolsRequest, next: Next<ListToolsRequest>| async move {
///     let mut page = next.run(req).await?;
///     page.retain(|tool| !tool.name.starts_with("internal_"));
///     Ok(page)
/// }));
/// # let _ = server;
/// ```
pub fn from_fn<R, F, Fut>(f: F) -> FromFn<R, F>
where
    R: FromFnHook,
    F: Fn(R, Next<R>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome<R>> + Send + 'static,
{
    FromFn { f, _hook: PhantomData }
}
