//! One client's session: the negotiated revision, the requests in flight, subscriptions.

use super::shared::ServerShared;
use crate::call::{ClientLink, Outbound, Services};
use crate::jsonrpc::{ErrorObject, RequestId, INVALID_REQUEST, SERVER_ERROR};
use crate::protocol::ProtocolVersion;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use tokio_util::sync::CancellationToken;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How a transport opens a session.
pub(crate) struct SessionOptions {
    /// The transport's session id (`Mcp-Session-Id`), if it has sessions.
    pub(crate) id: Option<Arc<str>>,
    /// Where notifications unrelated to a request go (list changes, resource updates).
    pub(crate) notify: Outbound,
    /// A stateless session serves single requests without `initialize`, under `version`.
    pub(crate) stateless: Option<ProtocolVersion>,
}

/// The most resources one session may be subscribed to at once: subscriptions are kept in memory
/// and checked on every update, so a client may not grow them without bound.
pub(crate) const MAX_SUBSCRIPTIONS: usize = 1024;

/// One client's state: negotiated revision, client link, in-flight requests, subscriptions.
pub(crate) struct Session {
    pub(crate) key: u64,
    pub(crate) id: Option<Arc<str>>,
    pub(crate) server: Arc<ServerShared>,
    pub(crate) client: Arc<ClientLink>,
    /// What each request of this session gets (the client link among them).
    pub(crate) services: Arc<Services>,
    pub(crate) notify: Outbound,
    pub(crate) cancel: CancellationToken,
    stateless: bool,
    version: OnceLock<ProtocolVersion>,
    initialized: AtomicBool,
    inflight: Mutex<HashMap<RequestId, CancellationToken>>,
    /// Requests whose answer is made but not yet queued: their id is free again, but they still
    /// count against the in-flight limit (a client that does not read keeps them waiting).
    answering: AtomicUsize,
    subscriptions: Mutex<HashSet<String>>,
    idle: tokio::sync::Notify,
    active: AtomicUsize,
}

/// Why a request was not admitted.
pub(crate) enum Refusal {
    /// The id is already in flight.
    DuplicateId,
    /// The session is at its in-flight limit.
    Busy(usize),
}

impl Refusal {
    pub(crate) fn error(&self, id: &RequestId) -> ErrorObject {
        match self {
            Self::DuplicateId => {
                ErrorObject::new(INVALID_REQUEST, format!("Invalid Request: id {id} is already in use"))
            }
            Self::Busy(limit) => busy(*limit),
        }
    }
}

/// The retryable error for a request beyond the session's in-flight limit.
pub(crate) fn busy(limit: usize) -> ErrorObject {
    ErrorObject::new(
        SERVER_ERROR,
        format!("Server busy: this session already has {limit} requests in flight; retry when one has finished"),
    )
    .data(serde_json::json!({ "retryable": true, "maxInFlight": limit }))
}

/// A request's place under the in-flight limit while its answer waits to be queued.
pub(crate) struct AnswerSlot<'a>(&'a Session);

impl Drop for AnswerSlot<'_> {
    fn drop(&mut self) {
        self.0.answering.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Keeps a session "active" while a request task runs.
pub(crate) struct ActivityGuard(Arc<Session>);

impl Drop for ActivityGuard {
    fn drop(&mut self) {
        if self.0.active.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Session {
    pub(crate) fn new(key: u64, server: Arc<ServerShared>, opts: SessionOptions) -> Self {
        let cancel = server.shutdown.child_token();
        let version = OnceLock::new();
        if let Some(v) = opts.stateless {
            let _ = version.set(v);
        }
        let client = Arc::new(ClientLink::default());
        let services = server.services(Arc::clone(&client));
        Self {
            key,
            id: opts.id,
            server,
            client,
            services,
            notify: opts.notify,
            cancel,
            stateless: opts.stateless.is_some(),
            version,
            initialized: AtomicBool::new(opts.stateless.is_some()),
            inflight: Mutex::new(HashMap::new()),
            answering: AtomicUsize::new(0),
            subscriptions: Mutex::new(HashSet::new()),
            idle: tokio::sync::Notify::new(),
            active: AtomicUsize::new(0),
        }
    }

    /// The revision in force: the negotiated one (before `initialize`: 2025-03-26 semantics).
    pub(crate) fn version(&self) -> ProtocolVersion {
        self.negotiated().unwrap_or(ProtocolVersion::V2025_03_26)
    }

    /// The revision `initialize` negotiated (or a stateless session was opened with).
    pub(crate) fn negotiated(&self) -> Option<ProtocolVersion> {
        self.version.get().copied()
    }

    pub(crate) fn is_stateless(&self) -> bool {
        self.stateless
    }

    /// Records the negotiated revision; false if the session already had one.
    pub(crate) fn negotiate(&self, version: ProtocolVersion) -> bool {
        self.version.set(version).is_ok()
    }

    pub(crate) fn is_initialized(&self) -> bool {
        self.initialized.load(Ordering::Acquire)
    }

    pub(crate) fn mark_initialized(&self) {
        self.initialized.store(true, Ordering::Release);
    }

    /// Whether one more request fits under the in-flight limit right now (a hint for transports
    /// that answer an overloaded session before reading its requests; admission decides).
    #[cfg(feature = "http")]
    pub(crate) fn has_room(&self) -> bool {
        self.in_flight(&lock(&self.inflight)) < self.server.config.max_in_flight
    }

    fn in_flight(&self, ids: &HashMap<RequestId, CancellationToken>) -> usize {
        ids.len() + self.answering.load(Ordering::Acquire)
    }

    /// Registers an in-flight request, unless its id is taken or the session is at its limit.
    pub(crate) fn begin_request(&self, id: &RequestId, token: CancellationToken) -> Result<(), Refusal> {
        let limit = self.server.config.max_in_flight;
        let mut map = lock(&self.inflight);
        if map.contains_key(id) {
            return Err(Refusal::DuplicateId);
        }
        if self.in_flight(&map) >= limit {
            return Err(Refusal::Busy(limit));
        }
        map.insert(id.clone(), token);
        Ok(())
    }

    /// The request `id` has its answer: its id may be used again, while the request keeps its
    /// place under the in-flight limit until the returned slot is dropped (its answer queued).
    pub(crate) fn answered(&self, id: &RequestId) -> AnswerSlot<'_> {
        let mut map = lock(&self.inflight);
        map.remove(id);
        self.answering.fetch_add(1, Ordering::AcqRel);
        AnswerSlot(self)
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

    /// Counts a frame's work as active until the guard drops (taken before the task is spawned,
    /// so a transport reaching EOF right after reading a frame still waits for it).
    pub(crate) fn activity(self: &Arc<Self>) -> ActivityGuard {
        self.active.fetch_add(1, Ordering::AcqRel);
        ActivityGuard(Arc::clone(self))
    }

    /// Waits until no frame's work is active (used when a stream transport reaches EOF, so
    /// requests already read still get their answers).
    ///
    /// # Cancellation safety
    /// Cancellation safe.
    pub(crate) async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.active.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    }

    /// Subscribes to `uri`; `false` when the session already holds [`MAX_SUBSCRIPTIONS`] others.
    pub(crate) fn subscribe(&self, uri: &str) -> bool {
        let mut subscriptions = lock(&self.subscriptions);
        if subscriptions.len() >= MAX_SUBSCRIPTIONS && !subscriptions.contains(uri) {
            return false;
        }
        subscriptions.insert(uri.to_string());
        true
    }

    pub(crate) fn unsubscribe(&self, uri: &str) {
        lock(&self.subscriptions).remove(uri);
    }

    pub(crate) fn is_subscribed(&self, uri: &str) -> bool {
        lock(&self.subscriptions).contains(uri)
    }

    /// Sends a notification on the session's general stream once the session is initialized.
    /// Never waits: a client whose stream is full misses it (and the drop is logged).
    pub(crate) fn notify_initialized<T: Serialize>(&self, method: &str, params: &T) -> bool {
        if !self.is_initialized() {
            return false;
        }
        let sent = self.notify.try_notify(method, params);
        if !sent && !self.notify.is_closed() {
            tracing::debug!(method, "notification dropped: the client's stream is full");
        }
        sent
    }

    /// Cancels everything in flight and drops pending server→client requests.
    pub(crate) fn close(&self) {
        self.cancel.cancel();
        self.client.abandon_requests();
    }
}
