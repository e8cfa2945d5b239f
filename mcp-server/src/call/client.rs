//! What a request knows of the client at the other end: who it is, what it declared, the log level
//! it asked for, and the server→client requests waiting for its answers. The session keeps one
//! and hands it to each of its requests; nothing else of the session is reachable from a request.

use crate::jsonrpc::{ErrorObject, RequestId, PARSE_ERROR};
use crate::protocol::{ClientCapabilities, Implementation, LogLevel};
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU8, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use tokio::sync::oneshot;

/// The client's answer to a server→client request.
pub(crate) type PeerAnswer = Result<Value, ErrorObject>;

/// One client, as its session's requests see it.
#[derive(Debug)]
pub(crate) struct ClientLink {
    info: OnceLock<Implementation>,
    capabilities: OnceLock<ClientCapabilities>,
    log_level: AtomicU8,
    pending: Mutex<HashMap<RequestId, oneshot::Sender<PeerAnswer>>>,
    next_request: AtomicI64,
}

impl Default for ClientLink {
    fn default() -> Self {
        Self {
            info: OnceLock::new(),
            capabilities: OnceLock::new(),
            log_level: AtomicU8::new(LogLevel::Info as u8),
            pending: Mutex::new(HashMap::new()),
            next_request: AtomicI64::new(1),
        }
    }
}

impl ClientLink {
    fn pending(&self) -> MutexGuard<'_, HashMap<RequestId, oneshot::Sender<PeerAnswer>>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records what the client said about itself at `initialize` (first write wins).
    pub(crate) fn introduce(&self, info: Option<Implementation>, capabilities: ClientCapabilities) {
        if let Some(info) = info {
            let _ = self.info.set(info);
        }
        let _ = self.capabilities.set(capabilities);
    }

    /// The `clientInfo` sent at initialize.
    pub(crate) fn info(&self) -> Option<&Implementation> {
        self.info.get()
    }

    /// The capabilities the client declared.
    pub(crate) fn capabilities(&self) -> Option<&ClientCapabilities> {
        self.capabilities.get()
    }

    /// The least severe level the client wants to receive.
    pub(crate) fn log_level(&self) -> LogLevel {
        LogLevel::from_u8(self.log_level.load(Ordering::Relaxed))
    }

    pub(crate) fn set_log_level(&self, level: LogLevel) {
        self.log_level.store(level as u8, Ordering::Relaxed);
    }

    /// A fresh id for a server→client request, and the receiver of the client's answer.
    pub(crate) fn register_request(&self) -> (RequestId, oneshot::Receiver<PeerAnswer>) {
        let n = self.next_request.fetch_add(1, Ordering::Relaxed);
        let id = RequestId::String(format!("srv-{n}").into());
        let (tx, rx) = oneshot::channel();
        self.pending().insert(id.clone(), tx);
        (id, rx)
    }

    /// Stops waiting for an answer to `id` (timed out, or the caller gave up).
    pub(crate) fn forget_request(&self, id: &RequestId) {
        self.pending().remove(id);
    }

    /// Delivers the client's answer to a server→client request.
    pub(crate) fn complete_request(&self, id: &RequestId, outcome: Result<&RawValue, ErrorObject>) {
        let Some(tx) = self.pending().remove(id) else {
            tracing::debug!(%id, "response to an unknown or abandoned server request ignored");
            return;
        };
        let answer = outcome
            .and_then(|raw| serde_json::from_str(raw.get()).map_err(|e| ErrorObject::new(PARSE_ERROR, e.to_string())));
        let _ = tx.send(answer);
    }

    /// Drops every pending server→client request (the session closed): their callers see `Closed`.
    pub(crate) fn abandon_requests(&self) {
        self.pending().clear();
    }
}
