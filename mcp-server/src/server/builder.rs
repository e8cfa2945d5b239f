use super::completion::{completion_fn, CompletionFn, CompletionRequest};
use super::registry::{Parts, Snapshot};
use super::shared::{ServerConfig, ServerParts, ServerShared};
use super::ServerHandle;
use crate::call::{
    ExceptionHandler, ExceptionHandlers, Extensions, Prompt, RequestContext, Resource, ResourceTemplate, Tool,
};
use crate::error::BuildError;
use crate::health::HealthCheck;
use crate::middleware::Middleware;
use crate::protocol::Implementation;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// Builds an MCP server: tools, resources, prompts, middleware, exception handlers, state.
///
/// Every method has a chaining form (`server.tool(t)`) and an in-place form
/// (`server.add_tool(t)`), so both the builder style and the seed's style read naturally.
///
/// ```
/// use mcp_server::{tool, McpServer};
///
/// /// Echo the text back.
/// #[tool]
/// async fn echo(text: String) -> String {
///     text
/// }
///
/// let server = McpServer::new("hello").version("1.0.0").tool(EchoTool);
/// let handle = server.build().expect("valid server");
/// assert_eq!(handle.name(), "hello");
/// ```
pub struct McpServer {
    info: Implementation,
    instructions: Option<String>,
    parts: Parts,
    handlers: ExceptionHandlers,
    state: Extensions,
    completion: Option<CompletionFn>,
    config: ServerConfig,
}

impl std::fmt::Debug for McpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpServer").field("name", &self.info.name).finish_non_exhaustive()
    }
}

macro_rules! both_forms {
    ($(#[$doc:meta])* $chain:ident, $add:ident, $arg:ident: $ty:ty => |$s:ident| $body:expr) => {
        $(#[$doc])*
        #[must_use]
        pub fn $chain(mut self, $arg: $ty) -> Self {
            self.$add($arg);
            self
        }
        $(#[$doc])*
        pub fn $add(&mut self, $arg: $ty) -> &mut Self {
            let $s = &mut *self;
            $body;
            self
        }
    };
}

impl McpServer {
    /// A server named `name` (what clients see as `serverInfo.name`), version `0.1.0`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            info: Implementation { name: name.into(), version: "0.1.0".into(), title: None, description: None },
            instructions: None,
            parts: Parts::default(),
            handlers: ExceptionHandlers::default(),
            state: Extensions::new(),
            completion: None,
            config: ServerConfig::default(),
        }
    }

    /// Sets `serverInfo.version` (use `env!("CARGO_PKG_VERSION")` for your crate's).
    #[must_use]
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.info.version = version.into();
        self
    }

    /// Sets `serverInfo.title`.
    #[must_use]
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.info.title = Some(title.into());
        self
    }

    /// Sets the `instructions` returned at initialize.
    #[must_use]
    pub fn instructions(mut self, text: impl Into<String>) -> Self {
        self.instructions = Some(text.into());
        self
    }

    both_forms!(
        /// Registers a tool (`EchoTool` for `#[tool] async fn echo`).
        tool, add_tool, tool: impl Tool => |s| s.parts.tools.push(Arc::new(tool))
    );
    both_forms!(
        /// Registers a static resource.
        resource, add_resource, resource: Resource => |s| s.parts.resources.push(resource)
    );
    both_forms!(
        /// Registers a resource template.
        resource_template, add_resource_template, template: ResourceTemplate => |s| s.parts.templates.push(template)
    );
    both_forms!(
        /// Registers a prompt.
        prompt, add_prompt, prompt: Prompt => |s| s.parts.prompts.push(prompt)
    );
    both_forms!(
        /// Adds a middleware. The first added is the outermost.
        middleware, add_middleware, middleware: impl Middleware => |s| s.parts.middleware.push(Arc::new(middleware))
    );
    both_forms!(
        /// Registers an exception handler (`HandleNotFoundHandler` for `#[exception_handler] async fn handle_not_found`).
        exception_handler, add_exception_handler, handler: impl ExceptionHandler => |s| s.handlers.register(handler)
    );

    /// Registers shared state, injected into tools as `State<T>`.
    #[must_use]
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.state.insert(value);
        self
    }

    /// Registers shared state you keep a handle to: tools receive the same `Arc` as `State<T>`.
    ///
    /// ```
    /// use mcp_server::McpServer;
    /// use std::sync::{atomic::AtomicBool, Arc};
    ///
    /// let maintenance = Arc::new(AtomicBool::new(false));
    /// let server = McpServer::new("svc").shared_state(Arc::clone(&maintenance));
    /// # let _ = server;
    /// ```
    #[must_use]
    pub fn shared_state<T: Send + Sync + 'static>(mut self, value: Arc<T>) -> Self {
        self.state.insert_arc(value);
        self
    }

    /// Registers shared state in place (the `&mut` form of [`McpServer::state`]).
    pub fn add_state<T: Send + Sync + 'static>(&mut self, value: T) -> &mut Self {
        self.state.insert(value);
        self
    }

    /// Shared state registered so far, by type.
    pub fn get_state<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.state.get::<T>()
    }

    /// Sets the `completion/complete` hook (default: no suggestions).
    #[must_use]
    pub fn completion<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(RequestContext, CompletionRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Vec<String>> + Send + 'static,
    {
        self.completion = Some(completion_fn(f));
        self
    }

    /// Items per `*/list` page (default 100).
    #[must_use]
    pub fn page_size(mut self, n: usize) -> Self {
        self.config.page_size = n.max(1);
        self
    }

    /// Largest accepted frame in bytes (default 4 MiB); larger frames get an error, the session lives.
    #[must_use]
    pub fn max_frame_bytes(mut self, n: usize) -> Self {
        self.config.max_frame_bytes = n;
        self
    }

    /// Most requests one session may have in flight at once (default 256). A request beyond it
    /// is answered at once with a retryable JSON-RPC error (`-32000`, `data.retryable: true`;
    /// over HTTP with status 429), never queued.
    #[must_use]
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.config.max_in_flight = n.max(1);
        self
    }

    /// How long shutdown waits for background tasks and middleware flushes (default 10 s).
    #[must_use]
    pub fn shutdown_deadline(mut self, d: Duration) -> Self {
        self.config.shutdown_deadline = d;
        self
    }

    /// Validates the configuration and freezes it into a running [`ServerHandle`].
    ///
    /// Fails closed: a tool declared `auth = true` without an authenticating middleware is an
    /// error. Registrations made later on the running server go through the same checks.
    pub fn build(self) -> Result<ServerHandle, BuildError> {
        let snapshot = Snapshot::build(self.parts, self.config.page_size)?;
        let shared = ServerShared::new(ServerParts {
            info: self.info,
            instructions: self.instructions,
            snapshot,
            handlers: self.handlers,
            state: self.state,
            completion: self.completion,
            config: self.config,
        });
        Ok(ServerHandle::from_shared(Arc::new(shared)))
    }
}

impl HealthCheck {
    /// Registers `health://live` and `health://ready` (JSON) on `server`, and stores a clone of
    /// this handle as server state (`server.get_state::<HealthCheck>()`) for the HTTP probes.
    ///
    /// Resources never pass through the circuit breaker, so an open circuit cannot hide health.
    pub fn register_resources(&self, server: &mut McpServer) {
        for resource in self.resources() {
            server.add_resource(resource);
        }
        server.add_state(self.clone());
    }
}
