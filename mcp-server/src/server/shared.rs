use super::completion::CompletionFn;
use super::registry::{Parts, Snapshot};
use super::session::{Session, SessionOptions};
use crate::call::{ClientLink, ExceptionHandlers, Extensions, Prompt, Resource, ResourceTemplate, Services, Tool};
use crate::error::BuildError;
use crate::middleware::Middleware;
use crate::protocol::Implementation;
use arc_swap::ArcSwap;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The default per-session in-flight limit.
pub(crate) const DEFAULT_MAX_IN_FLIGHT: usize = 256;

#[derive(Debug, Clone)]
pub(crate) struct ServerConfig {
    pub(crate) page_size: usize,
    pub(crate) max_frame_bytes: usize,
    pub(crate) max_in_flight: usize,
    pub(crate) shutdown_deadline: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            page_size: 100,
            max_frame_bytes: 4 * 1024 * 1024,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            shutdown_deadline: Duration::from_secs(10),
        }
    }
}

pub(crate) struct ServerShared {
    pub(crate) info: Implementation,
    pub(crate) instructions: Option<String>,
    pub(crate) snapshot: ArcSwap<Snapshot>,
    pub(crate) handlers: Arc<ExceptionHandlers>,
    pub(crate) state: Arc<Extensions>,
    pub(crate) completion: Option<CompletionFn>,
    pub(crate) config: ServerConfig,
    pub(crate) tracker: TaskTracker,
    pub(crate) shutdown: CancellationToken,
    /// Cancelled when shutdown begins: transports stop taking new work and end idle streams.
    pub(crate) draining: CancellationToken,
    sessions: Mutex<HashMap<u64, Weak<Session>>>,
    next_session: AtomicU64,
    /// Serializes registration changes (each rebuilds the snapshot from the current one).
    edits: Mutex<()>,
}

/// What `McpServer::build` hands over.
pub(crate) struct ServerParts {
    pub(crate) info: Implementation,
    pub(crate) instructions: Option<String>,
    pub(crate) snapshot: Snapshot,
    pub(crate) handlers: ExceptionHandlers,
    pub(crate) state: Extensions,
    pub(crate) completion: Option<CompletionFn>,
    pub(crate) config: ServerConfig,
}

impl ServerShared {
    pub(crate) fn new(p: ServerParts) -> Self {
        Self {
            info: p.info,
            instructions: p.instructions,
            snapshot: ArcSwap::from_pointee(p.snapshot),
            handlers: Arc::new(p.handlers),
            state: Arc::new(p.state),
            completion: p.completion,
            config: p.config,
            tracker: TaskTracker::new(),
            shutdown: CancellationToken::new(),
            draining: CancellationToken::new(),
            sessions: Mutex::new(HashMap::new()),
            next_session: AtomicU64::new(1),
            edits: Mutex::new(()),
        }
    }

    fn live_sessions(&self) -> Vec<Arc<Session>> {
        let mut map = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        map.retain(|_, w| w.strong_count() > 0);
        map.values().filter_map(Weak::upgrade).collect()
    }

    /// The services the requests of a session with this client get.
    pub(crate) fn services(&self, client: Arc<ClientLink>) -> Arc<Services> {
        Arc::new(Services { client, state: Arc::clone(&self.state), handlers: Arc::clone(&self.handlers) })
    }
}

/// A built, running server: connect transports to it, change registrations, notify clients,
/// shut it down. Cheap to clone.
#[derive(Clone)]
pub struct ServerHandle {
    pub(crate) shared: Arc<ServerShared>,
}

impl std::fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandle").field("name", &self.shared.info.name).finish_non_exhaustive()
    }
}

impl ServerHandle {
    pub(crate) fn from_shared(shared: Arc<ServerShared>) -> Self {
        Self { shared }
    }

    /// The server name (`serverInfo.name`).
    pub fn name(&self) -> &str {
        &self.shared.info.name
    }

    /// Opens a session (transport use).
    pub(crate) fn open_session(&self, opts: SessionOptions) -> Arc<Session> {
        let key = self.shared.next_session.fetch_add(1, Ordering::Relaxed);
        let session = Arc::new(Session::new(key, Arc::clone(&self.shared), opts));
        self.shared.sessions.lock().unwrap_or_else(PoisonError::into_inner).insert(key, Arc::downgrade(&session));
        session
    }

    /// Closes a session: its requests are cancelled and it gets no more notifications.
    pub(crate) fn close_session(&self, session: &Session) {
        session.close();
        self.shared.sessions.lock().unwrap_or_else(PoisonError::into_inner).remove(&session.key);
    }

    /// Applies `change` to the registrations, validates the result exactly as
    /// [`McpServer::build`](crate::McpServer::build) does, swaps it in and sends `notify` (a
    /// `list_changed` notification) to every session. On error nothing changes.
    fn edit(&self, notify: Option<&str>, change: impl FnOnce(&mut Parts)) -> Result<(), BuildError> {
        let _one_at_a_time = self.shared.edits.lock().unwrap_or_else(PoisonError::into_inner);
        let mut parts = self.shared.snapshot.load().parts.clone();
        change(&mut parts);
        let snapshot = Snapshot::build(parts, self.shared.config.page_size)?;
        self.shared.snapshot.store(Arc::new(snapshot));
        if let Some(method) = notify {
            for s in self.shared.live_sessions() {
                s.notify_initialized(method, &serde_json::json!({}));
            }
        }
        Ok(())
    }

    /// Adds a tool at run time and sends `notifications/tools/list_changed` to every session.
    ///
    /// The tool goes through the same checks as at build: a duplicate name, or `auth = true`
    /// without an authenticating middleware, is refused (and the server is left unchanged).
    pub fn add_tool(&self, tool: impl Tool) -> Result<(), BuildError> {
        self.edit(Some("notifications/tools/list_changed"), |p| p.tools.push(Arc::new(tool)))
    }

    /// Removes a tool at run time (and notifies).
    pub fn remove_tool(&self, name: &str) -> Result<(), BuildError> {
        self.edit(Some("notifications/tools/list_changed"), |p| {
            p.tools.retain(|t| &*t.definition().info.name != name);
        })
    }

    /// Adds a resource at run time and sends `notifications/resources/list_changed`.
    pub fn add_resource(&self, resource: Resource) -> Result<(), BuildError> {
        self.edit(Some("notifications/resources/list_changed"), |p| p.resources.push(resource))
    }

    /// Adds a resource template at run time and sends `notifications/resources/list_changed`.
    pub fn add_resource_template(&self, template: ResourceTemplate) -> Result<(), BuildError> {
        self.edit(Some("notifications/resources/list_changed"), |p| p.templates.push(template))
    }

    /// Removes a resource at run time (and notifies).
    pub fn remove_resource(&self, uri: &str) -> Result<(), BuildError> {
        self.edit(Some("notifications/resources/list_changed"), |p| p.resources.retain(|r| r.info.uri != uri))
    }

    /// Adds a prompt at run time and sends `notifications/prompts/list_changed`.
    pub fn add_prompt(&self, prompt: Prompt) -> Result<(), BuildError> {
        self.edit(Some("notifications/prompts/list_changed"), |p| p.prompts.push(prompt))
    }

    /// Adds a middleware at run time, innermost (after every middleware added before). It is
    /// validated as at build, applies to requests that start from now on, and is shut down with
    /// the server.
    pub fn add_middleware(&self, middleware: impl Middleware) -> Result<(), BuildError> {
        self.edit(None, |p| p.middleware.push(Arc::new(middleware)))
    }

    /// Sends `notifications/resources/updated` to every session subscribed to `uri`.
    /// Returns how many sessions were notified.
    pub fn notify_resource_updated(&self, uri: &str) -> usize {
        let params = serde_json::json!({ "uri": uri });
        self.shared
            .live_sessions()
            .iter()
            .filter(|s| s.is_subscribed(uri))
            .filter(|s| s.notify_initialized("notifications/resources/updated", &params))
            .count()
    }

    /// Stops accepting work, cancels in-flight requests, then drains background tasks and
    /// middleware (webhook queues, audit writer) within the configured deadline.
    ///
    /// # Cancellation safety
    /// Dropping the future stops waiting; what it already started (cancelling requests, closing
    /// the task tracker) stays done, and middleware not yet shut down are not.
    pub async fn shutdown(&self) {
        self.shared.draining.cancel();
        let deadline = self.shared.config.shutdown_deadline;
        self.shared.tracker.close();
        let drained = tokio::time::timeout(deadline, self.shared.tracker.wait()).await.is_ok();
        if !drained {
            tracing::warn!(?deadline, "background tasks still running at the shutdown deadline");
        }
        self.shared.shutdown.cancel();
        let middleware = self.shared.snapshot.load().parts.middleware.clone();
        for m in middleware {
            if tokio::time::timeout(deadline, m.shutdown()).await.is_err() {
                tracing::warn!("a middleware did not finish shutting down within the deadline");
            }
        }
    }

    /// Whether shutdown has started.
    pub fn is_shut_down(&self) -> bool {
        self.shared.shutdown.is_cancelled()
    }
}
