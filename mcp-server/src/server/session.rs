use super::shared::ServerShared;
use super::Outbound;
use crate::jsonrpc::{ErrorObject, RequestId};
use crate::protocol::{ClientCapabilities, Implementation, LogLevel};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

type PeerReply = oneshot::Sender<Result<Value, ErrorObject>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One client's state: negotiated version, client info, in-flight requests, subscriptions.
pub(crate) struct SessionState {
    pub(crate) key: u64,
    pub(crate) id: Option<Arc<str>>,
    pub(crate) server: Arc<ServerShared>,
    pub(crate) protocol_version: OnceLock<&'static str>,
    pub(crate) client_info: OnceLock<Implementation>,
    pub(crate) client_capabilities: OnceLock<ClientCapabilities>,
    pub(crate) notify: Outbound,
    pub(crate) cancel: CancellationToken,
    pub(crate) stateless: bool,
    initialized: AtomicBool,
    log_level: AtomicU8,
    inflight: Mutex<HashMap<RequestId, CancellationToken>>,
    peer_pending: Mutex<HashMap<RequestId, PeerReply>>,
    next_peer_id: AtomicI64,
    subscriptions: Mutex<HashSet<String>>,
    idle: tokio::sync::Notify,
    active: std::sync::atomic::AtomicUsize,
}

/// Keeps a session "active" while a request task runs.
pub(crate) struct ActivityGuard(Arc<SessionState>);

impl Drop for ActivityGuard {
    fn drop(&mut self) {
        if self.0.active.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl SessionState {
    pub(crate) fn new(
        key: u64,
        id: Option<Arc<str>>,
        server: Arc<ServerShared>,
        notify: Outbound,
        stateless: bool,
    ) -> Self {
        let cancel = server.shutdown.child_token();
        Self {
            key,
            id,
            server,
            protocol_version: OnceLock::new(),
            client_info: OnceLock::new(),
            client_capabilities: OnceLock::new(),
            notify,
            cancel,
            stateless,
            initialized: AtomicBool::new(stateless),
            log_level: AtomicU8::new(LogLevel::Info as u8),
            inflight: Mutex::new(HashMap::new()),
            peer_pending: Mutex::new(HashMap::new()),
            next_peer_id: AtomicI64::new(1),
            subscriptions: Mutex::new(HashSet::new()),
            idle: tokio::sync::Notify::new(),
            active: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// The negotiated version (before initialize, and in stateless mode: 2025-03-26 semantics
    /// unless the transport set one).
    pub(crate) fn version(&self) -> &'static str {
        self.protocol_version.get().copied().unwrap_or(crate::protocol::versions::V2025_03_26)
    }

    pub(crate) fn is_initialized(&self) -> bool {
        self.initialized.load(Ordering::Acquire)
    }

    pub(crate) fn mark_initialized(&self) {
        self.initialized.store(true, Ordering::Release);
    }

    pub(crate) fn log_level(&self) -> LogLevel {
        LogLevel::from_u8(self.log_level.load(Ordering::Relaxed))
    }

    pub(crate) fn set_log_level(&self, level: LogLevel) {
        self.log_level.store(level as u8, Ordering::Relaxed);
    }

    /// Registers an in-flight request; false when the id is already in flight.
    pub(crate) fn begin_request(&self, id: &RequestId, token: CancellationToken) -> bool {
        let mut map = lock(&self.inflight);
        if map.contains_key(id) {
            return false;
        }
        map.insert(id.clone(), token);
        true
    }

    pub(crate) fn end_request(&self, id: &RequestId) {
        lock(&self.inflight).remove(id);
    }

    /// Counts a frame's work as active until the guard drops (taken before the task is spawned,
    /// so a transport reaching EOF right after reading a frame still waits for it).
    pub(crate) fn activity(self: &Arc<Self>) -> ActivityGuard {
        self.active.fetch_add(1, Ordering::AcqRel);
        ActivityGuard(Arc::clone(self))
    }

    /// Waits until no frame's work is active (used when a stream transport reaches EOF, so
    /// requests already read still get their answers).
    pub(crate) async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.active.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    }

    /// Cancels an in-flight request (unknown or finished ids are ignored, as the spec allows).
    pub(crate) fn cancel_request(&self, id: &RequestId) -> bool {
        match lock(&self.inflight).get(id) {
            Some(t) => {
                t.cancel();
                true
            }
            None => false,
        }
    }

    pub(crate) fn register_peer_request(&self) -> (RequestId, oneshot::Receiver<Result<Value, ErrorObject>>) {
        let n = self.next_peer_id.fetch_add(1, Ordering::Relaxed);
        let id = RequestId::String(format!("srv-{n}").into());
        let (tx, rx) = oneshot::channel();
        lock(&self.peer_pending).insert(id.clone(), tx);
        (id, rx)
    }

    pub(crate) fn forget_peer_request(&self, id: &RequestId) {
        lock(&self.peer_pending).remove(id);
    }

    /// Delivers the client's answer to a server→client request.
    pub(crate) fn complete_peer_request(&self, id: &RequestId, outcome: Result<Box<RawValue>, ErrorObject>) {
        let Some(tx) = lock(&self.peer_pending).remove(id) else {
            tracing::debug!(%id, "response to an unknown or abandoned server request ignored");
            return;
        };
        let value = outcome.and_then(|raw| {
            serde_json::from_str(raw.get()).map_err(|e| ErrorObject::new(crate::jsonrpc::PARSE_ERROR, e.to_string()))
        });
        let _ = tx.send(value);
    }

    pub(crate) fn subscribe(&self, uri: &str) {
        lock(&self.subscriptions).insert(uri.to_string());
    }

    pub(crate) fn unsubscribe(&self, uri: &str) {
        lock(&self.subscriptions).remove(uri);
    }

    pub(crate) fn is_subscribed(&self, uri: &str) -> bool {
        lock(&self.subscriptions).contains(uri)
    }

    /// Sends a notification on the session's general stream once the session is initialized.
    pub(crate) fn notify_initialized<T: Serialize>(&self, method: &str, params: &T) -> bool {
        self.is_initialized() && self.notify.notify(method, params)
    }

    /// Cancels everything in flight and drops pending server→client requests.
    pub(crate) fn close(&self) {
        self.cancel.cancel();
        lock(&self.peer_pending).clear();
    }
}
