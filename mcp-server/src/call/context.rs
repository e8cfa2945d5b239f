use super::client::ClientLink;
use super::handlers::ExceptionHandlers;
use super::{Extensions, Identity, Outbound};
use crate::jsonrpc::RequestId;
use crate::protocol::{ClientCapabilities, Implementation, ProtocolVersion};
use futures_util::future::BoxFuture;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use tokio_util::sync::CancellationToken;

/// Work queued with `BackgroundTasks`, run after the response is written.
pub(crate) type BackgroundTask = BoxFuture<'static, Result<(), String>>;

/// Marks a request whose transport stream can be closed mid-request (HTTP SSE with resumption):
/// a transport puts it in the request's extensions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StreamControl;

/// The services a request may use: the client link, shared state and the exception handlers.
/// Never the session or the server itself. One per session, shared by its requests (one
/// reference count to touch per request, not one per service).
pub(crate) struct Services {
    pub(crate) client: Arc<ClientLink>,
    pub(crate) state: Arc<Extensions>,
    pub(crate) handlers: Arc<ExceptionHandlers>,
}

/// Everything the dispatcher knows about one request when it starts.
pub(crate) struct RequestParts {
    pub(crate) id: RequestId,
    pub(crate) method: Cow<'static, str>,
    pub(crate) meta: Option<Map<String, Value>>,
    pub(crate) version: ProtocolVersion,
    pub(crate) session_id: Option<Arc<str>>,
    pub(crate) cancel: CancellationToken,
    pub(crate) reply: Outbound,
    pub(crate) extensions: Option<Arc<Extensions>>,
    pub(crate) services: Arc<Services>,
}

struct Inner {
    parts: RequestParts,
    background: Mutex<Vec<BackgroundTask>>,
    last_progress: Mutex<Option<f64>>,
    /// Set by an auth middleware and shared by every copy of the context, so middleware *outside*
    /// auth (audit, webhooks) see the real caller once the inner chain has run. First write wins.
    identity: OnceLock<Identity>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Everything known about the request being served: ids, `_meta`, the protocol revision, the
/// caller, and handles for progress, cancellation, logging and server→client requests.
///
/// Cheap to clone (one `Arc`). Inject it into a tool by naming it as a parameter:
///
/// ```
/// use mcp_server::{tool, RequestContext};
///
/// /// Who am I?
/// #[tool]
/// async fn whoami(ctx: RequestContext) -> String {
///     ctx.client_id().unwrap_or("anonymous").to_string()
/// }
/// ```
#[derive(Clone)]
pub struct RequestContext {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestContext")
            .field("request_id", self.request_id())
            .field("method", &self.method())
            .field("protocol_version", &self.protocol_version())
            .field("client_id", &self.client_id())
            .finish_non_exhaustive()
    }
}

impl RequestContext {
    pub(crate) fn new(parts: RequestParts) -> Self {
        let inner = Inner {
            parts,
            background: Mutex::new(Vec::new()),
            last_progress: Mutex::new(None),
            identity: OnceLock::new(),
        };
        Self { inner: Arc::new(inner) }
    }

    fn parts(&self) -> &RequestParts {
        &self.inner.parts
    }

    pub(crate) fn services(&self) -> &Services {
        &self.parts().services
    }

    pub(crate) fn client(&self) -> &ClientLink {
        &self.parts().services.client
    }

    /// The stream this request's messages (progress, logs, server→client requests) travel on.
    pub(crate) fn reply(&self) -> &Outbound {
        &self.parts().reply
    }

    pub(crate) fn cancel_token(&self) -> &CancellationToken {
        &self.parts().cancel
    }

    /// The JSON-RPC id of this request.
    pub fn request_id(&self) -> &RequestId {
        &self.parts().id
    }

    /// The JSON-RPC method (`tools/call`, `resources/read`, …).
    pub fn method(&self) -> &str {
        &self.parts().method
    }

    /// The request's `params._meta`, if any.
    pub fn meta(&self) -> Option<&Map<String, Value>> {
        self.parts().meta.as_ref()
    }

    /// The `progressToken` the client sent, with its JSON type intact.
    pub fn progress_token(&self) -> Option<&Value> {
        self.meta().and_then(|m| m.get("progressToken")).filter(|v| v.is_string() || v.is_number())
    }

    /// The protocol revision in force for this request.
    pub fn protocol_version(&self) -> ProtocolVersion {
        self.parts().version
    }

    /// The transport session id (`Mcp-Session-Id` on HTTP), if the transport has sessions.
    pub fn session_id(&self) -> Option<&str> {
        self.parts().session_id.as_deref()
    }

    /// The authenticated identity, once an auth middleware established one.
    ///
    /// Middleware that sit *outside* the auth middleware (audit, webhooks) see it too once the
    /// inner chain has run: the identity is recorded in a slot shared by every copy of this
    /// request's context. Before auth has run it is `None`.
    pub fn identity(&self) -> Option<&Identity> {
        self.inner.identity.get()
    }

    /// Records the authenticated caller of this request (what an auth middleware does). The first
    /// identity set for a request stays: returns false, and changes nothing, if one was set
    /// already (a retried chain authenticating again, or code trying to replace the caller).
    pub fn set_identity(&self, identity: Identity) -> bool {
        self.inner.identity.set(identity).is_ok()
    }

    /// The caller: the authenticated client id, else the `clientInfo.name` sent at initialize.
    pub fn client_id(&self) -> Option<&str> {
        match self.identity() {
            Some(id) => Some(id.client_id.as_str()),
            None => self.client_info().map(|c| c.name.as_str()),
        }
    }

    /// The `clientInfo` sent at initialize.
    pub fn client_info(&self) -> Option<&Implementation> {
        self.client().info()
    }

    /// The capabilities the client declared.
    pub fn client_capabilities(&self) -> Option<&ClientCapabilities> {
        self.client().capabilities()
    }

    /// Values the transport attached (e.g. `http::HeaderMap` on HTTP).
    pub fn extensions(&self) -> Option<&Extensions> {
        self.parts().extensions.as_deref()
    }

    /// Closes the SSE stream carrying this request's messages, after the messages already sent,
    /// without ending the request (SSE polling, SEP-1699): the client reconnects with
    /// `Last-Event-ID` after the stream's `retry` delay and receives everything sent meanwhile,
    /// the response included. Use it to free a connection during long work. Returns false where
    /// there is no such stream (stdio, in-memory, JSON responses, stateless HTTP), and when the
    /// request's outgoing queue is full (its client is reading slowly; try again later).
    pub fn close_sse_stream(&self) -> bool {
        let closable = self.extensions().and_then(|e| e.get::<StreamControl>()).is_some();
        closable && self.reply().close_stream()
    }

    /// Whether the client cancelled this request (or its session ended).
    pub fn is_cancelled(&self) -> bool {
        self.cancel_token().is_cancelled()
    }

    /// Shared state registered with `McpServer::state`.
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.services().state.get_arc::<T>()
    }

    pub(crate) fn push_background(&self, task: BackgroundTask) {
        lock(&self.inner.background).push(task);
    }

    pub(crate) fn take_background(&self) -> Vec<BackgroundTask> {
        std::mem::take(&mut *lock(&self.inner.background))
    }

    /// Records `progress` as the latest value sent; false when it does not increase.
    pub(crate) fn advance_progress(&self, progress: f64) -> bool {
        let mut last = lock(&self.inner.last_progress);
        if last.is_some_and(|l| progress <= l) {
            return false;
        }
        *last = Some(progress);
        true
    }
}
