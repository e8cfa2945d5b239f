use super::completion::CompletionFn;
use super::registry::{Parts, Registry};
use super::session::SessionState;
use super::{Outbound, Prompt, Resource, ResourceTemplate};
use crate::error::{BuildError, ExceptionHandlers};
use crate::extract::Extensions;
use crate::middleware::Middleware;
use crate::protocol::Implementation;
use crate::tool::Tool;
use arc_swap::ArcSwap;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

#[derive(Debug, Clone)]
pub(crate) struct ServerConfig {
    pub(crate) page_size: usize,
    pub(crate) max_frame_bytes: usize,
    pub(crate) shutdown_deadline: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self { page_size: 100, max_frame_bytes: 4 * 1024 * 1024, shutdown_deadline: Duration::from_secs(10) }
    }
}

pub(crate) struct ServerShared {
    pub(crate) info: Implementation,
    pub(crate) instructions: Option<String>,
    pub(crate) registry: ArcSwap<Registry>,
    pub(crate) chain: Arc<[Arc<dyn Middleware>]>,
    pub(crate) handlers: ExceptionHandlers,
    pub(crate) state: Extensions,
    pub(crate) completion: Option<CompletionFn>,
    pub(crate) config: ServerConfig,
    pub(crate) tracker: TaskTracker,
    pub(crate) shutdown: CancellationToken,
    /// Cancelled when shutdown begins: transports stop taking new work and end idle streams.
    pub(crate) draining: CancellationToken,
    sessions: Mutex<HashMap<u64, Weak<SessionState>>>,
    next_session: AtomicU64,
    registry_edit: Mutex<()>,
}

impl ServerShared {
    #[expect(clippy::too_many_arguments, reason = "internal constructor fed by the builder")]
    pub(crate) fn new(
        info: Implementation,
        instructions: Option<String>,
        registry: Registry,
        chain: Arc<[Arc<dyn Middleware>]>,
        handlers: ExceptionHandlers,
        state: Extensions,
        completion: Option<CompletionFn>,
        config: ServerConfig,
    ) -> Self {
        Self {
            info,
            instructions,
            registry: ArcSwap::from_pointee(registry),
            chain,
            handlers,
            state,
            completion,
            config,
            tracker: TaskTracker::new(),
            shutdown: CancellationToken::new(),
            draining: CancellationToken::new(),
            sessions: Mutex::new(HashMap::new()),
            next_session: AtomicU64::new(1),
            registry_edit: Mutex::new(()),
        }
    }

    fn live_sessions(&self) -> Vec<Arc<SessionState>> {
        let mut map = self.sessions.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.retain(|_, w| w.strong_count() > 0);
        map.values().filter_map(Weak::upgrade).collect()
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

    /// Opens a session whose unrelated notifications go to `notify` (transport use).
    pub(crate) fn open_session(&self, id: Option<Arc<str>>, notify: Outbound, stateless: bool) -> Arc<SessionState> {
        let key = self.shared.next_session.fetch_add(1, Ordering::Relaxed);
        let session = Arc::new(SessionState::new(key, id, Arc::clone(&self.shared), notify, stateless));
        self.shared
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, Arc::downgrade(&session));
        session
    }

    pub(crate) fn close_session(&self, session: &SessionState) {
        session.close();
        self.shared.sessions.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&session.key);
    }

    fn edit(&self, method: &str, f: impl FnOnce(&mut Parts)) -> Result<(), BuildError> {
        let _guard = self.shared.registry_edit.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut parts = self.shared.registry.load().parts.clone();
        f(&mut parts);
        let registry = Registry::build(parts, self.shared.config.page_size)?;
        self.shared.registry.store(Arc::new(registry));
        for s in self.shared.live_sessions() {
            s.notify_initialized(method, &serde_json::json!({}));
        }
        Ok(())
    }

    /// Adds a tool at run time and sends `notifications/tools/list_changed` to every session.
    pub fn add_tool(&self, tool: impl Tool) -> Result<(), BuildError> {
        self.edit("notifications/tools/list_changed", |p| p.tools.push(Arc::new(tool)))
    }

    /// Removes a tool at run time (and notifies).
    pub fn remove_tool(&self, name: &str) -> Result<(), BuildError> {
        self.edit("notifications/tools/list_changed", |p| p.tools.retain(|t| &*t.definition().info.name != name))
    }

    /// Adds a resource at run time and sends `notifications/resources/list_changed`.
    pub fn add_resource(&self, resource: Resource) -> Result<(), BuildError> {
        self.edit("notifications/resources/list_changed", |p| p.resources.push(resource))
    }

    /// Adds a resource template at run time and sends `notifications/resources/list_changed`.
    pub fn add_resource_template(&self, template: ResourceTemplate) -> Result<(), BuildError> {
        self.edit("notifications/resources/list_changed", |p| p.templates.push(template))
    }

    /// Removes a resource at run time (and notifies).
    pub fn remove_resource(&self, uri: &str) -> Result<(), BuildError> {
        self.edit("notifications/resources/list_changed", |p| p.resources.retain(|r| r.info.uri != uri))
    }

    /// Adds a prompt at run time and sends `notifications/prompts/list_changed`.
    pub fn add_prompt(&self, prompt: Prompt) -> Result<(), BuildError> {
        self.edit("notifications/prompts/list_changed", |p| p.prompts.push(prompt))
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
    pub async fn shutdown(&self) {
        self.shared.draining.cancel();
        let deadline = self.shared.config.shutdown_deadline;
        self.shared.tracker.close();
        let drained = tokio::time::timeout(deadline, self.shared.tracker.wait()).await.is_ok();
        if !drained {
            tracing::warn!(?deadline, "background tasks still running at the shutdown deadline");
        }
        self.shared.shutdown.cancel();
        for m in self.shared.chain.iter() {
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
