//! The session store: `Mcp-Session-Id` → session, with its SSE streams.
//!
//! A session is created by `initialize` and lives until the client sends DELETE, it stays idle
//! past the configured timeout, or the server shuts down. Afterwards its id answers 404, which
//! tells the client to initialize again.

use super::config::HttpConfig;
use super::sse::{EventId, StreamLog};
use crate::call::{OutFrame, Outbound};
use crate::server::{ServerHandle, Session, SessionOptions};
use axum::body::Bytes;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;
use tokio::sync::mpsc::Receiver;
use tokio::time::Instant;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The stream that carries server-initiated messages (opened with GET).
pub(crate) const GENERAL_STREAM: u64 = 0;

struct Streams {
    logs: BTreeMap<u64, StreamLog>,
    next_id: u64,
    /// Finished request streams, oldest first (evicted beyond the retention limit).
    finished: VecDeque<u64>,
}

/// Why a GET could not open a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenError {
    /// `Last-Event-ID` names a stream this session does not have (any more).
    UnknownEvent,
}

/// One HTTP session: the protocol session plus its SSE streams.
pub(crate) struct HttpSession {
    pub(crate) id: Arc<str>,
    pub(crate) state: Arc<Session>,
    streams: Mutex<Streams>,
    last_active: Mutex<Instant>,
    busy: AtomicUsize,
    history: usize,
    retained: usize,
}

/// Counts a POST as in progress (the session is not idle) until dropped.
pub(crate) struct Busy(Arc<HttpSession>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
        self.0.touch();
    }
}

impl HttpSession {
    fn touch(&self) {
        *lock(&self.last_active) = Instant::now();
    }

    /// Marks the session busy for the lifetime of the returned guard.
    pub(crate) fn busy(self: &Arc<Self>) -> Busy {
        self.busy.fetch_add(1, Ordering::AcqRel);
        self.touch();
        Busy(Arc::clone(self))
    }

    /// Whether streams of this session start with a priming event (2025-11-25 clients expect one).
    fn priming(&self, retry: Duration) -> Option<Duration> {
        self.state.version().primes_sse_streams().then_some(retry)
    }

    /// Opens a new request stream with a live connection.
    pub(crate) fn open_request_stream(&self, retry: Duration) -> (u64, Receiver<Bytes>) {
        let priming = self.priming(retry);
        let mut s = lock(&self.streams);
        let id = s.next_id;
        s.next_id += 1;
        let mut log = StreamLog::new(id, true, self.history, priming);
        let rx = log.connect();
        s.logs.insert(id, log);
        (id, rx)
    }

    /// Runs `f` on stream `id`, if it still exists.
    pub(crate) fn with_stream<R>(&self, id: u64, f: impl FnOnce(&mut StreamLog) -> R) -> Option<R> {
        lock(&self.streams).logs.get_mut(&id).map(f)
    }

    /// Completes request stream `id` and evicts the oldest finished streams beyond the limit.
    pub(crate) fn finish_stream(&self, id: u64, responded: bool) {
        let mut s = lock(&self.streams);
        if let Some(log) = s.logs.get_mut(&id) {
            log.finish(responded);
        }
        s.finished.push_back(id);
        while s.finished.len() > self.retained {
            if let Some(old) = s.finished.pop_front() {
                s.logs.remove(&old);
            }
        }
    }

    /// Opens the GET stream: with `Last-Event-ID` it resumes the stream that id belongs to;
    /// without, it becomes the session's stream for server-initiated messages. Also says whether
    /// the connection may end at shutdown (false while it carries a request still in progress).
    pub(crate) fn open_get(&self, last_event: Option<&str>) -> Result<(Receiver<Bytes>, bool), OpenError> {
        self.touch();
        let mut s = lock(&self.streams);
        match last_event {
            Some(raw) => {
                let id = EventId::parse(raw).ok_or(OpenError::UnknownEvent)?;
                let log = s.logs.get_mut(&id.stream).ok_or(OpenError::UnknownEvent)?;
                let idle = id.stream == GENERAL_STREAM || log.is_finished();
                Ok((log.resume(Some(id.seq)), idle))
            }
            None => {
                // One GET stream at a time: a new one replaces the old (whose connection may be dead
                // without the server having noticed yet), and the old one ends.
                let log = s.logs.get_mut(&GENERAL_STREAM).ok_or(OpenError::UnknownEvent)?;
                Ok((log.resume(None), true))
            }
        }
    }

    /// Appends a message to the GET stream (kept for the next GET when none is open).
    pub(crate) fn push_general(&self, json: &str) {
        if let Some(log) = lock(&self.streams).logs.get_mut(&GENERAL_STREAM) {
            log.push(json);
        }
    }

    /// Ends every stream's connection (the session is over).
    fn end_streams(&self) {
        for log in lock(&self.streams).logs.values_mut() {
            log.finish(false);
        }
    }

    fn is_idle(&self, now: Instant, timeout: Duration) -> bool {
        self.busy.load(Ordering::Acquire) == 0
            && now.duration_since(*lock(&self.last_active)) >= timeout
            && !lock(&self.streams).logs.values().any(StreamLog::has_live)
    }
}

/// Why a session could not be created.
#[derive(Debug)]
pub(crate) struct StoreFull;

/// All sessions of one HTTP endpoint.
#[derive(Default)]
pub(crate) struct SessionStore {
    map: Mutex<HashMap<Arc<str>, Arc<HttpSession>>>,
}

impl SessionStore {
    /// Creates a session with a fresh random id and starts forwarding its server-initiated
    /// messages to its GET stream.
    pub(crate) fn create(&self, handle: &ServerHandle, config: &HttpConfig) -> Result<Arc<HttpSession>, StoreFull> {
        self.sweep(handle, config.session_idle_timeout);
        if lock(&self.map).len() >= config.max_sessions {
            return Err(StoreFull);
        }
        let id: Arc<str> = uuid::Uuid::new_v4().simple().to_string().into();
        let (notify, rx) = Outbound::new();
        let state = handle.open_session(SessionOptions { id: Some(Arc::clone(&id)), notify, stateless: None });
        let mut logs = BTreeMap::new();
        logs.insert(GENERAL_STREAM, StreamLog::new(GENERAL_STREAM, true, config.sse_history, None));
        let session = Arc::new(HttpSession {
            id: Arc::clone(&id),
            state,
            streams: Mutex::new(Streams { logs, next_id: GENERAL_STREAM + 1, finished: VecDeque::new() }),
            last_active: Mutex::new(Instant::now()),
            busy: AtomicUsize::new(0),
            history: config.sse_history,
            retained: config.retained_streams,
        });
        tokio::spawn(forward_general(Arc::downgrade(&session), rx));
        lock(&self.map).insert(id, Arc::clone(&session));
        Ok(session)
    }

    /// The session with this id.
    pub(crate) fn get(&self, id: &str) -> Option<Arc<HttpSession>> {
        lock(&self.map).get(id).cloned()
    }

    /// Removes and closes a session (DELETE, failed initialize).
    pub(crate) fn remove(&self, handle: &ServerHandle, id: &str) -> bool {
        let Some(session) = lock(&self.map).remove(id) else { return false };
        close(handle, &session);
        true
    }

    /// Closes sessions idle for longer than `timeout`.
    pub(crate) fn sweep(&self, handle: &ServerHandle, timeout: Duration) {
        let now = Instant::now();
        let expired: Vec<_> = {
            let mut map = lock(&self.map);
            let ids: Vec<_> = map.iter().filter(|(_, s)| s.is_idle(now, timeout)).map(|(k, _)| Arc::clone(k)).collect();
            ids.iter().filter_map(|k| map.remove(k)).collect()
        };
        for s in expired {
            tracing::debug!(session = %s.id, "closing idle session");
            close(handle, &s);
        }
    }

    /// Closes every session (server shutdown).
    pub(crate) fn close_all(&self, handle: &ServerHandle) {
        let all: Vec<_> = lock(&self.map).drain().map(|(_, s)| s).collect();
        for s in all {
            close(handle, &s);
        }
    }
}

fn close(handle: &ServerHandle, session: &HttpSession) {
    handle.close_session(&session.state);
    session.end_streams();
}

/// Moves the session's server-initiated messages (list changes, resource updates) to its GET
/// stream until the session closes.
async fn forward_general(session: Weak<HttpSession>, mut rx: Receiver<OutFrame>) {
    let Some(cancel) = session.upgrade().map(|s| s.state.cancel.clone()) else { return };
    loop {
        let frame = tokio::select! {
            f = rx.recv() => f,
            () = cancel.cancelled() => return,
        };
        let Some(frame) = frame else { return };
        let Some(session) = session.upgrade() else { return };
        match frame {
            OutFrame::Message(text) => session.push_general(&text),
            OutFrame::Response { text, written, .. } => {
                session.push_general(&text);
                if let Some(w) = written {
                    let _ = w.send(());
                }
            }
            OutFrame::NoResponse(_) | OutFrame::CloseStream => {}
        }
    }
}
