use super::background::BgTask;
use super::{CancellationToken, Extensions, Logger, Peer, ProgressReporter};
use crate::auth::Identity;
use crate::jsonrpc::RequestId;
use crate::protocol::{ClientCapabilities, Implementation};
use crate::server::{Outbound, ServerHandle, SessionState};
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex, OnceLock};

pub(crate) struct ContextInner {
    pub(crate) request_id: RequestId,
    pub(crate) method: Arc<str>,
    pub(crate) meta: Option<Map<String, Value>>,
    pub(crate) protocol_version: &'static str,
    pub(crate) cancel: tokio_util::sync::CancellationToken,
    pub(crate) reply: Outbound,
    pub(crate) session: Arc<SessionState>,
    pub(crate) extensions: Option<Arc<Extensions>>,
    pub(crate) background: Mutex<Vec<BgTask>>,
    pub(crate) last_progress: Mutex<Option<f64>>,
    /// The identity an auth middleware established for this request, shared by every copy of the
    /// context, so middleware *outside* auth (audit, webhooks) see the real caller once the inner
    /// chain has run. First write wins.
    pub(crate) authenticated: OnceLock<Arc<Identity>>,
}

/// Everything known about the request being served: ids, `_meta`, the negotiated protocol
/// version, the caller, and handles for progress, cancellation, logging and server→client requests.
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
    pub(crate) inner: Arc<ContextInner>,
    identity: Option<Arc<Identity>>,
}

impl std::fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestContext")
            .field("request_id", &self.inner.request_id)
            .field("method", &self.inner.method)
            .field("protocol_version", &self.inner.protocol_version)
            .field("client_id", &self.client_id())
            .finish_non_exhaustive()
    }
}

impl RequestContext {
    pub(crate) fn new(inner: ContextInner) -> Self {
        Self { inner: Arc::new(inner), identity: None }
    }

    /// The JSON-RPC id of this request.
    pub fn request_id(&self) -> &RequestId {
        &self.inner.request_id
    }

    /// The JSON-RPC method (`tools/call`, `resources/read`, …).
    pub fn method(&self) -> &str {
        &self.inner.method
    }

    /// The request's `params._meta`, if any.
    pub fn meta(&self) -> Option<&Map<String, Value>> {
        self.inner.meta.as_ref()
    }

    /// The `progressToken` the client sent, with its JSON type intact.
    pub fn progress_token(&self) -> Option<&Value> {
        self.meta().and_then(|m| m.get("progressToken")).filter(|v| v.is_string() || v.is_number())
    }

    /// The protocol revision in force for this request.
    pub fn protocol_version(&self) -> &'static str {
        self.inner.protocol_version
    }

    /// The transport session id (`Mcp-Session-Id` on HTTP), if the transport has sessions.
    pub fn session_id(&self) -> Option<&str> {
        self.inner.session.id.as_deref()
    }

    /// The authenticated identity, when an auth middleware established one.
    ///
    /// Middleware that sit *outside* the auth middleware (audit, webhooks) see it too once the
    /// inner chain has run: the identity is recorded in a slot shared by every copy of this
    /// request's context. Before auth has run it is `None`.
    pub fn identity(&self) -> Option<&Identity> {
        self.identity.as_deref().or_else(|| self.inner.authenticated.get().map(|id| &**id))
    }

    /// A copy of this context carrying `identity` (what auth middleware pass down the chain).
    ///
    /// The first identity set for a request is also recorded for middleware outside the auth
    /// middleware (see [`identity`](Self::identity)).
    #[must_use]
    pub fn with_identity(&self, identity: Identity) -> Self {
        let identity = Arc::new(identity);
        // A second identity for the same request (a retried chain) keeps the first in the slot.
        let _ = self.inner.authenticated.set(Arc::clone(&identity));
        Self { inner: Arc::clone(&self.inner), identity: Some(identity) }
    }

    /// The caller: the authenticated client id, else the `clientInfo.name` sent at initialize.
    pub fn client_id(&self) -> Option<&str> {
        match self.identity() {
            Some(id) => Some(id.client_id.as_str()),
            None => self.inner.session.client_info.get().map(|c| c.name.as_str()),
        }
    }

    /// The `clientInfo` sent at initialize.
    pub fn client_info(&self) -> Option<&Implementation> {
        self.inner.session.client_info.get()
    }

    /// The capabilities the client declared.
    pub fn client_capabilities(&self) -> Option<&ClientCapabilities> {
        self.inner.session.client_capabilities.get()
    }

    /// Values the transport attached (e.g. `http::HeaderMap` on HTTP).
    pub fn extensions(&self) -> Option<&Extensions> {
        self.inner.extensions.as_deref()
    }

    /// Closes the SSE stream carrying this request's messages, after the messages already sent,
    /// without ending the request (SSE polling, SEP-1699): the client reconnects with
    /// `Last-Event-ID` after the stream's `retry` delay and receives everything sent meanwhile,
    /// the response included. Use it to free a connection during long work. Returns false where
    /// there is no such stream (stdio, in-memory, JSON responses, stateless HTTP).
    pub fn close_sse_stream(&self) -> bool {
        let closable = self.extensions().and_then(|e| e.get::<crate::transport::StreamControl>()).is_some();
        closable && self.inner.reply.close_stream()
    }

    /// The request's cancellation token.
    pub fn cancellation(&self) -> CancellationToken {
        CancellationToken::new(self.inner.cancel.clone())
    }

    /// Whether the client cancelled this request.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancel.is_cancelled()
    }

    /// A progress reporter bound to this request's `progressToken`.
    pub fn progress(&self) -> ProgressReporter {
        ProgressReporter::new(self.clone())
    }

    /// A logger that sends `notifications/message` to this client.
    pub fn logger(&self) -> Logger {
        Logger::new(self.clone())
    }

    /// A handle for server→client requests (sampling, elicitation, roots).
    pub fn peer(&self) -> Peer {
        Peer::new(self.clone())
    }

    /// The running server (to notify resource updates, change registrations, …).
    pub fn server(&self) -> ServerHandle {
        ServerHandle::from_shared(Arc::clone(&self.inner.session.server))
    }

    /// Shared state registered with `McpServer::state`.
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.inner.session.server.state.get_arc::<T>()
    }

    pub(crate) fn take_background(&self) -> Vec<BgTask> {
        match self.inner.background.lock() {
            Ok(mut g) => std::mem::take(&mut *g),
            Err(p) => std::mem::take(&mut *p.into_inner()),
        }
    }
}
