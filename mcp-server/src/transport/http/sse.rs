//! Server-sent events: encoding, event ids, per-stream replay history and the response body.
//!
//! Every SSE stream of a session (the GET stream is stream 0, each POST that answers with SSE gets
//! the next number) keeps a bounded history of its encoded events. Event ids are
//! `<stream>-<sequence>`, so a client that reconnects with `Last-Event-ID` names both the stream and
//! the position: the server replays what came after it and keeps delivering that stream's events
//! on the new connection (SEP-1699). A stream on a 2025-11-25 session starts with a priming event
//! (an id, empty data and a `retry` hint) so even a stream closed before its first message can be
//! resumed.

use axum::body::Bytes;
use futures_util::Stream;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::mpsc::{self, Receiver, Sender};
use tokio_util::sync::WaitForCancellationFutureOwned;

/// The comment line sent to keep idle connections open through proxies.
const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";

/// Events a connection may have in flight towards its client, at least: a resumable stream allows
/// as many as its history holds. A client that falls further behind is disconnected: it resumes
/// from the history with `Last-Event-ID`, and the server never buffers more than that for it.
pub(crate) const LIVE_CAPACITY: usize = 64;

/// Identifies one event of one stream of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EventId {
    pub(crate) stream: u64,
    pub(crate) seq: u64,
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.stream, self.seq)
    }
}

impl EventId {
    /// Parses a `Last-Event-ID` value; `None` for ids this server did not issue.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let (stream, seq) = s.trim().split_once('-')?;
        Some(Self { stream: stream.parse().ok()?, seq: seq.parse().ok()? })
    }
}

/// Encodes one event. `data` may span lines: each becomes its own `data:` field.
pub(crate) fn encode_event(id: Option<EventId>, retry: Option<Duration>, data: &str) -> Bytes {
    let mut out = String::with_capacity(data.len() + 32);
    if let Some(id) = id {
        out.push_str("id: ");
        out.push_str(&id.to_string());
        out.push('\n');
    }
    if let Some(retry) = retry {
        out.push_str("retry: ");
        out.push_str(&retry.as_millis().to_string());
        out.push('\n');
    }
    if data.is_empty() {
        out.push_str("data: \n");
    }
    for line in data.split('\n') {
        if line.is_empty() {
            continue;
        }
        out.push_str("data: ");
        out.push_str(line.strip_suffix('\r').unwrap_or(line));
        out.push('\n');
    }
    out.push('\n');
    Bytes::from(out)
}

struct Event {
    seq: u64,
    bytes: Bytes,
    /// Whether the event was handed to a live connection when it was pushed.
    sent: bool,
}

/// One SSE stream: its bounded history and the connection currently receiving it, if any.
pub(crate) struct StreamLog {
    id: u64,
    resumable: bool,
    events: VecDeque<Event>,
    next_seq: u64,
    cap: usize,
    live: Option<Sender<Bytes>>,
    finished: bool,
    responded: bool,
}

impl StreamLog {
    /// A stream with a live connection. Resumable streams number their events and keep `cap`
    /// of them; `priming` writes the priming event first.
    pub(crate) fn new(id: u64, resumable: bool, cap: usize, priming: Option<Duration>) -> Self {
        let mut log = Self {
            id,
            resumable,
            events: VecDeque::new(),
            next_seq: 0,
            cap: cap.max(1),
            live: None,
            finished: false,
            responded: false,
        };
        if let (true, Some(retry)) = (resumable, priming) {
            log.push_encoded(|id| encode_event(Some(id), Some(retry), ""));
        }
        log
    }

    /// Opens a live connection for a new stream (nothing to replay yet but a priming event).
    pub(crate) fn connect(&mut self) -> Receiver<Bytes> {
        let (tx, rx) = mpsc::channel(self.live_capacity());
        for e in &mut self.events {
            e.sent = tx.try_send(e.bytes.clone()).is_ok();
        }
        self.live = Some(tx);
        rx
    }

    fn push_encoded(&mut self, encode: impl FnOnce(EventId) -> Bytes) {
        let id = EventId { stream: self.id, seq: self.next_seq };
        self.next_seq += 1;
        let bytes = encode(id);
        let sent = match &self.live {
            Some(tx) => match tx.try_send(bytes.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::debug!(
                        stream = self.id,
                        "SSE client too slow: disconnecting it (it resumes from the history)"
                    );
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            },
            None => false,
        };
        if !sent {
            self.live = None;
        }
        if self.resumable {
            if self.events.len() == self.cap {
                self.events.pop_front();
            }
            self.events.push_back(Event { seq: id.seq, bytes, sent });
        }
    }

    /// How far a live connection may fall behind before it is disconnected: as far as the history
    /// reaches, so a disconnected client can still resume everything it missed.
    fn live_capacity(&self) -> usize {
        self.cap.max(LIVE_CAPACITY)
    }

    /// Appends a JSON-RPC message (delivered live if a connection is attached).
    pub(crate) fn push(&mut self, json: &str) {
        let resumable = self.resumable;
        self.push_encoded(|id| encode_event(resumable.then_some(id), None, json));
    }

    /// Marks the response as written: the stream is complete and its connection ends.
    pub(crate) fn finish(&mut self, responded: bool) {
        self.finished = true;
        self.responded |= responded;
        self.live = None;
    }

    /// Ends the live connection without finishing the stream (the client resumes with GET).
    pub(crate) fn disconnect(&mut self) -> bool {
        self.live.take().is_some()
    }

    /// Whether a connection is attached and still open.
    pub(crate) fn has_live(&self) -> bool {
        self.live.as_ref().is_some_and(|tx| !tx.is_closed())
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.finished
    }

    /// Attaches a new connection: replays the events after `after` (or, for `None`, the events no
    /// connection received), then delivers new ones. Returns the receiver and whether the
    /// connection should stay open afterwards.
    pub(crate) fn resume(&mut self, after: Option<u64>) -> Receiver<Bytes> {
        let wanted = |e: &Event| match after {
            Some(seq) => e.seq > seq,
            None => !e.sent,
        };
        // Room for the whole replay (at most the history) plus the usual headroom.
        let replay = self.events.iter().filter(|e| wanted(e)).count();
        let (tx, rx) = mpsc::channel(self.live_capacity() + replay);
        for e in &mut self.events {
            if wanted(e) {
                e.sent = tx.try_send(e.bytes.clone()).is_ok();
            }
        }
        // A complete stream holding its response has nothing more to say, whether the response was
        // just replayed or the client already had it. Otherwise the connection stays open (and
        // idle) rather than ending at once, which would make clients reconnect in a loop for a
        // stream that will never answer (a cancelled request).
        if !(self.finished && self.responded) {
            self.live = Some(tx);
        }
        rx
    }
}

/// A response body that streams encoded events, with keep-alive comments while idle. It ends
/// when the stream's connection is closed by the server, or when `stop` fires.
pub(crate) struct SseBody {
    rx: Receiver<Bytes>,
    keep_alive: Option<tokio::time::Interval>,
    stop: Option<Pin<Box<WaitForCancellationFutureOwned>>>,
}

impl SseBody {
    pub(crate) fn new(
        rx: Receiver<Bytes>,
        keep_alive: Option<Duration>,
        stop: Option<tokio_util::sync::CancellationToken>,
    ) -> Self {
        let keep_alive = keep_alive.map(|period| {
            let mut i = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            i
        });
        Self { rx, keep_alive, stop: stop.map(|t| Box::pin(t.cancelled_owned())) }
    }
}

impl Stream for SseBody {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let Some(stop) = &mut this.stop {
            if stop.as_mut().poll(cx).is_ready() {
                return Poll::Ready(None);
            }
        }
        match this.rx.poll_recv(cx) {
            Poll::Ready(Some(bytes)) => {
                if let Some(ka) = &mut this.keep_alive {
                    ka.reset();
                }
                return Poll::Ready(Some(Ok(bytes)));
            }
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => {}
        }
        if let Some(ka) = &mut this.keep_alive {
            if ka.poll_tick(cx).is_ready() {
                return Poll::Ready(Some(Ok(Bytes::from_static(KEEP_ALIVE))));
            }
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(b: &Bytes) -> String {
        String::from_utf8_lossy(b).into_owned()
    }

    #[test]
    fn event_encoding() {
        let id = EventId { stream: 3, seq: 7 };
        assert_eq!(text(&encode_event(Some(id), None, "{}")), "id: 3-7\ndata: {}\n\n");
        let p = encode_event(Some(id), Some(Duration::from_millis(500)), "");
        assert_eq!(text(&p), "id: 3-7\nretry: 500\ndata: \n\n");
        assert_eq!(text(&encode_event(None, None, "a\nb")), "data: a\ndata: b\n\n");
        assert_eq!(EventId::parse("3-7"), Some(id));
        assert_eq!(EventId::parse("x-7"), None);
        assert_eq!(EventId::parse("37"), None);
    }

    #[test]
    fn replay_after_disconnect() {
        let mut log = StreamLog::new(2, true, 8, Some(Duration::from_secs(1)));
        let mut rx = log.connect();
        assert!(text(&rx.try_recv().unwrap_or_default()).starts_with("id: 2-0\nretry: 1000"));
        log.push("{\"a\":1}");
        assert!(log.disconnect());
        drop(rx);
        log.push("{\"a\":2}");
        log.finish(true);
        let mut rx = log.resume(Some(1));
        assert_eq!(text(&rx.try_recv().unwrap_or_default()), "id: 2-2\ndata: {\"a\":2}\n\n");
        assert!(rx.try_recv().is_err(), "the stream is complete, so the connection ended");
        assert!(!log.has_live());
    }

    #[test]
    fn resuming_past_the_response_of_a_finished_stream_ends_at_once() {
        let mut log = StreamLog::new(4, true, 8, None);
        let mut rx = log.connect();
        log.push("{\"result\":{}}");
        log.finish(true);
        assert!(rx.try_recv().is_ok());
        let mut again = log.resume(Some(1));
        assert!(matches!(again.try_recv(), Err(mpsc::error::TryRecvError::Disconnected)), "nothing to wait for");
        let mut cancelled = StreamLog::new(5, true, 8, None);
        cancelled.finish(false);
        let _rx = cancelled.resume(None);
        assert!(cancelled.has_live(), "a stream that never answered stays open rather than looping reconnects");
    }

    #[test]
    fn history_is_bounded_and_undelivered_events_replay() {
        let mut log = StreamLog::new(0, true, 2, None);
        for i in 0..5 {
            log.push(&i.to_string());
        }
        let mut rx = log.resume(None);
        assert_eq!(text(&rx.try_recv().unwrap_or_default()), "id: 0-3\ndata: 3\n\n");
        assert_eq!(text(&rx.try_recv().unwrap_or_default()), "id: 0-4\ndata: 4\n\n");
        assert!(log.has_live(), "an unfinished stream keeps delivering");
        log.push("5");
        assert_eq!(text(&rx.try_recv().unwrap_or_default()), "id: 0-5\ndata: 5\n\n");
    }

    #[test]
    fn unresumable_streams_have_no_ids() {
        let mut log = StreamLog::new(1, false, 8, Some(Duration::from_secs(1)));
        let mut rx = log.connect();
        log.push("{}");
        assert_eq!(text(&rx.try_recv().unwrap_or_default()), "data: {}\n\n");
    }
}
