//! What the call path queues: one record per call (or two, see [`Parts`]), plain data, and the
//! clock its times come from.

use super::{WebhookErrorInfo, WebhookEvent};
use crate::jsonrpc::RequestId;
use smol_str::SmolStr;
use std::time::{SystemTime, UNIX_EPOCH};

/// When an event happened, on a monotonic clock that reads the CPU's timestamp counter where it
/// is reliable (`quanta`: ~10 ns, against ~35 ns for `SystemTime::now` on the machines we measure
/// on), else the OS monotonic clock. The workers turn it into Unix time with an [`Epoch`] taken
/// when they encode, so wall-clock adjustments are followed and the call path never reads the
/// wall clock.
pub(crate) type Stamp = quanta::Instant;

/// Now, as a [`Stamp`]. The first use calibrates the clock (well under a millisecond), so the
/// middleware's builder calls this once.
pub(crate) fn now() -> Stamp {
    quanta::Instant::now()
}

/// A [`Stamp`] and the Unix time in nanoseconds at that moment: maps any stamp read shortly
/// before (or after) to Unix milliseconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Epoch {
    at: Stamp,
    unix_ns: u64,
}

impl Epoch {
    /// Reads both clocks now.
    pub(crate) fn now() -> Self {
        let at = now();
        let unix_ns =
            SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        Self { at, unix_ns }
    }

    /// An epoch putting `at` at `unix_ms` (for tests).
    #[cfg(test)]
    pub(crate) fn pinned(at: Stamp, unix_ms: u64) -> Self {
        Self { at, unix_ns: unix_ms.saturating_mul(1_000_000) }
    }

    /// Milliseconds since the Unix epoch at `stamp`.
    pub(crate) fn unix_ms(&self, stamp: Stamp) -> u64 {
        let ns = |d: std::time::Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let unix_ns = if stamp >= self.at {
            self.unix_ns.saturating_add(ns(stamp.saturating_duration_since(self.at)))
        } else {
            self.unix_ns.saturating_sub(ns(self.at.saturating_duration_since(stamp)))
        };
        unix_ns / 1_000_000
    }
}

/// Which of a call's events a [`Record`] carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parts {
    /// `tool.call` alone: the call is still running (it yielded), or no outcome event is wanted.
    Call,
    /// The outcome alone, `tool.success` or `tool.error`.
    Outcome(WebhookEvent),
    /// `tool.call` and then its outcome: the call finished before it first yielded, so both
    /// events go into the queue together, in one slot.
    Both(WebhookEvent),
}

/// A call's events as the call path queues them: plain data, no JSON yet.
///
/// Building one costs two short copies: the tool name and client id are copied inline (no
/// allocation up to 23 bytes, and nothing the worker frees or reference-counts belongs to the
/// call path); the request id clones without allocating (an integer, or a reference count).
/// Only a `tool.error` allocates, for its code and message.
pub(crate) struct Record {
    pub(crate) parts: Parts,
    pub(crate) tool: SmolStr,
    pub(crate) request_id: RequestId,
    /// The caller as of these events (the same for both: a call whose caller changed while it
    /// ran, because an auth middleware inside this one set it, is queued as two records).
    pub(crate) client_id: Option<SmolStr>,
    /// When `tool.call` happened (unused without it).
    pub(crate) called_at: Stamp,
    /// When the outcome happened (unused without one).
    pub(crate) finished_at: Stamp,
    /// Boxed: the error is rare and the queue holds its slots inline.
    pub(crate) error: Option<Box<WebhookErrorInfo>>,
}

impl Record {
    /// How many events it carries: 1 or 2.
    pub(crate) fn len(&self) -> usize {
        match self.parts {
            Parts::Both(_) => 2,
            Parts::Call | Parts::Outcome(_) => 1,
        }
    }

    /// Its `i`-th event (in the order they happened) and when.
    pub(crate) fn event(&self, i: usize) -> Option<(WebhookEvent, Stamp)> {
        match (self.parts, i) {
            (Parts::Call | Parts::Both(_), 0) => Some((WebhookEvent::ToolCall, self.called_at)),
            (Parts::Outcome(e), 0) | (Parts::Both(e), 1) => Some((e, self.finished_at)),
            _ => None,
        }
    }

    /// The single event of a one-event record.
    pub(crate) fn only_event(&self) -> Option<WebhookEvent> {
        match self.parts {
            Parts::Call => Some(WebhookEvent::ToolCall),
            Parts::Outcome(e) => Some(e),
            Parts::Both(_) => None,
        }
    }

    /// Takes the `tool.call` out of a two-event record, leaving the outcome: how a batch with room
    /// for one more event takes half of a record.
    pub(crate) fn split_call(&mut self) -> Option<Self> {
        let Parts::Both(outcome) = self.parts else { return None };
        self.parts = Parts::Outcome(outcome);
        Some(Self {
            parts: Parts::Call,
            tool: self.tool.clone(),
            request_id: self.request_id.clone(),
            client_id: self.client_id.clone(),
            called_at: self.called_at,
            finished_at: self.finished_at,
            error: None,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::time::Duration;

    /// A one-event `tool.call` record.
    pub(crate) fn call(request_id: i64) -> Record {
        let at = now();
        Record {
            parts: Parts::Call,
            tool: "t".into(),
            request_id: request_id.into(),
            client_id: None,
            called_at: at,
            finished_at: at,
            error: None,
        }
    }

    #[test]
    fn epochs_map_stamps_to_unix_time() {
        let at = now();
        let e = Epoch::pinned(at, 1_709_812_345_678);
        assert_eq!(e.unix_ms(at), 1_709_812_345_678);
        assert_eq!(e.unix_ms(at + Duration::from_millis(1500)), 1_709_812_347_178);
        let earlier = e.unix_ms(at.checked_sub(Duration::from_millis(8)).unwrap_or(at));
        assert!(earlier == 1_709_812_345_670 || earlier == 1_709_812_345_678, "{earlier}");
        let real = Epoch::now();
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        assert!(u128::from(real.unix_ms(now())).abs_diff(wall) < 1000);
    }

    #[test]
    fn a_two_event_record_splits_into_call_and_outcome() {
        let mut r = Record { parts: Parts::Both(WebhookEvent::ToolSuccess), ..call(7) };
        r.finished_at = r.called_at + Duration::from_millis(3);
        assert_eq!(r.len(), 2);
        assert_eq!(r.event(0).map(|e| e.0), Some(WebhookEvent::ToolCall));
        assert_eq!(r.event(1), Some((WebhookEvent::ToolSuccess, r.finished_at)));
        assert_eq!(r.event(2), None);
        assert_eq!(r.only_event(), None);
        let first = r.split_call();
        assert_eq!(first.as_ref().map(|f| (f.parts, f.len())), Some((Parts::Call, 1)));
        assert_eq!(first.map(|f| f.request_id.to_string()), Some("7".into()));
        assert_eq!(r.parts, Parts::Outcome(WebhookEvent::ToolSuccess));
        assert!(r.split_call().is_none(), "a one-event record does not split");
    }
}
