//! The event as the call path queues it, and its JSON encoding (done by the workers).

use super::{WebhookErrorInfo, WebhookEvent};
use crate::jsonrpc::RequestId;
use serde::Serialize;
use smol_str::SmolStr;

/// One event as queued on the call path: plain data, no JSON yet.
///
/// Building it costs a clock read and a few short copies: the tool name and client id are copied
/// inline (no allocation up to 23 bytes, and nothing the worker frees or reference-counts
/// belongs to the call path), the request id clones without allocating (an integer, or a
/// reference count). Only a `tool.error` allocates, for its code and message. Serializing and
/// signing happen in the workers, off the call path.
pub(crate) struct QueuedEvent {
    pub(crate) event: WebhookEvent,
    pub(crate) tool: SmolStr,
    pub(crate) request_id: RequestId,
    pub(crate) client_id: Option<SmolStr>,
    /// Milliseconds since the Unix epoch.
    pub(crate) unix_ms: u64,
    /// Boxed: the error is rare and the queue holds its slots inline.
    pub(crate) error: Option<Box<WebhookErrorInfo>>,
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl QueuedEvent {
    /// Appends this event as the JSON object [`WebhookPayload`](super::WebhookPayload) serializes
    /// to: the same keys in the same order, byte for byte (the tests hold it to that).
    ///
    /// This runs for every event, so the keys and punctuation, which are constants, are written
    /// as they are, strings that need no escaping are copied, and integer ids and the timestamp
    /// are written from integers; anything else (escapes, the error) goes through serde_json.
    /// The caller reserves room for the whole body.
    fn write_json(&self, out: &mut Vec<u8>) {
        // Whole constant prefixes: fixed-length copies the compiler writes inline.
        out.extend_from_slice(match self.event {
            WebhookEvent::ToolCall => b"{\"event\":\"tool.call\",\"tool\":",
            WebhookEvent::ToolSuccess => b"{\"event\":\"tool.success\",\"tool\":",
            WebhookEvent::ToolError => b"{\"event\":\"tool.error\",\"tool\":",
        });
        write_str(out, &self.tool);
        out.extend_from_slice(b",\"client_id\":");
        match &self.client_id {
            Some(id) => write_str(out, id),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"request_id\":");
        match &self.request_id {
            RequestId::String(id) => write_str(out, id),
            // A number's JSON digits need no escaping: quoted, they are its string form.
            RequestId::Number(n) => {
                out.push(b'"');
                match (n.as_u64(), n.as_i64()) {
                    (Some(u), _) => out.extend_from_slice(itoa::Buffer::new().format(u).as_bytes()),
                    (None, Some(i)) => out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes()),
                    _ => value(out, n),
                }
                out.push(b'"');
            }
        }
        out.extend_from_slice(b",\"timestamp\":");
        write_timestamp(out, self.unix_ms);
        if let Some(e) = &self.error {
            out.extend_from_slice(b",\"error\":");
            value(out, &**e);
        }
        out.push(b'}');
    }
}

/// Writes `v` as serde_json does. Writing to a `Vec` cannot fail, and strings and numbers
/// always serialize.
fn value(out: &mut Vec<u8>, v: &(impl Serialize + ?Sized)) {
    let _ = serde_json::to_writer(out, v);
}

/// A JSON string: copied as it is when nothing in it needs escaping (tool names and ids almost
/// never do), else escaped by serde_json. The bytes serde_json escapes are `"`, `\\` and the
/// control characters below 0x20, nothing else.
fn write_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        value(out, s);
    }
}

/// Below this many milliseconds (the year 2286) a timestamp takes the fast path.
const FAST_TIMESTAMP_MS: u64 = 10_000_000_000_000;

/// Seconds since the epoch as the JSON number serde_json writes for `unix_ms as f64 / 1000.0`
/// (shortest round-trip form), without formatting a float. Below [`FAST_TIMESTAMP_MS`] two
/// different millisecond counts are different doubles, far closer together than 0.001, so the
/// shortest decimal naming the double is the seconds, a point and the milliseconds without
/// trailing zeros (`.0` for a whole second). Larger values go through serde_json.
fn write_timestamp(out: &mut Vec<u8>, unix_ms: u64) {
    if unix_ms >= FAST_TIMESTAMP_MS {
        #[expect(clippy::cast_precision_loss, reason = "exact for any epoch milliseconds below 2^53")]
        return value(out, &(unix_ms as f64 / 1000.0));
    }
    out.extend_from_slice(itoa::Buffer::new().format(unix_ms / 1000).as_bytes());
    // The milliseconds as three digits and a point, trailing zeros dropped (one kept).
    let millis = unix_ms % 1000;
    let digit = |d: u64| b'0' + u8::try_from(d % 10).unwrap_or(0);
    let frac = [b'.', digit(millis / 100), digit(millis / 10), digit(millis)];
    let keep = match (millis % 100, millis % 10) {
        (0, _) => 2,
        (_, 0) => 3,
        _ => 4,
    };
    out.extend_from_slice(&frac[..keep]);
}

/// The order to send a batch in: by time, and within one millisecond a call's `tool.call` before
/// its outcome. Sorts one packed integer per event (milliseconds since the batch's oldest event,
/// then the rank, then the index), not the events themselves, which are larger.
pub(crate) fn time_order(events: &[QueuedEvent], order: &mut Vec<usize>) {
    order.clear();
    let oldest = events.iter().map(|e| e.unix_ms).min().unwrap_or(0);
    let rank = |e: &QueuedEvent| u64::from(e.event != WebhookEvent::ToolCall);
    let mut keys: Vec<u64> = Vec::with_capacity(events.len());
    match u32::try_from(events.len()) {
        Ok(_) => {
            for (i, e) in (0u64..).zip(events) {
                // 31 bits of milliseconds (24 days) are plenty for events queued together.
                let ms = (e.unix_ms - oldest).min((1 << 31) - 1);
                keys.push(ms << 33 | rank(e) << 32 | i);
            }
            keys.sort_unstable();
            order.extend(keys.iter().filter_map(|k| usize::try_from(k & 0xffff_ffff).ok()));
        }
        // Four billion events in one batch: not worth a fast path.
        Err(_) => {
            order.extend(0..events.len());
            order.sort_by_key(|&i| (events[i].unix_ms, rank(&events[i])));
        }
    }
}

/// Appends the request body to `body`: one event as a JSON object, or (batched delivery) any
/// number of events as a JSON array of those objects, in `order` (indices into `events`; empty:
/// as they are).
pub(crate) fn encode(events: &[QueuedEvent], order: &[usize], batched: bool, body: &mut Vec<u8>) {
    // About 110 bytes per event without an error: usually no reallocation.
    body.reserve(160 * events.len() + 2);
    if let [one] = events {
        if !batched {
            return one.write_json(body);
        }
    }
    body.push(b'[');
    let first = body.len();
    let mut write = |e: &QueuedEvent| {
        if body.len() > first {
            body.push(b',');
        }
        e.write_json(body);
    };
    if order.is_empty() {
        events.iter().for_each(&mut write);
    } else {
        order.iter().filter_map(|&i| events.get(i)).for_each(&mut write);
    }
    body.push(b']');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::middleware::WebhookPayload;

    fn event(error: bool) -> QueuedEvent {
        QueuedEvent {
            event: if error { WebhookEvent::ToolError } else { WebhookEvent::ToolSuccess },
            tool: "charge_card".into(),
            request_id: RequestId::from(42),
            client_id: Some("agent \"7\"".into()),
            unix_ms: 1_709_812_345_678,
            error: error.then(|| {
                Box::new(WebhookErrorInfo {
                    code: "CARD_DECLINED".into(),
                    message: "Card declined".into(),
                    retryable: false,
                })
            }),
        }
    }

    /// What serde_json writes for the public type holding the same data.
    fn reference(e: &QueuedEvent) -> Vec<u8> {
        #[expect(clippy::cast_precision_loss, reason = "exact for any realistic epoch milliseconds")]
        let timestamp = e.unix_ms as f64 / 1000.0;
        let p = WebhookPayload {
            event: e.event,
            tool: e.tool.as_str().into(),
            client_id: e.client_id.as_deref().map(String::from),
            request_id: e.request_id.to_string(),
            timestamp,
            error: e.error.as_deref().cloned(),
        };
        serde_json::to_vec(&p).unwrap_or_default()
    }

    fn encode(events: &[QueuedEvent], order: &[usize], batched: bool) -> Vec<u8> {
        let mut body = Vec::new();
        super::encode(events, order, batched, &mut body);
        body
    }

    fn assert_same(e: &QueuedEvent) {
        let ours = encode(std::slice::from_ref(e), &[], false);
        assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&reference(e)));
        let typed: Result<WebhookPayload, _> = serde_json::from_slice(&ours);
        assert!(typed.is_ok(), "{typed:?}");
    }

    #[test]
    fn encodes_byte_for_byte_like_the_public_payload() {
        for error in [false, true] {
            assert_same(&event(error));
        }
        let awkward =
            ["", "plain", "quote \" backslash \\ slash /", "tab\tnew\nline\u{1}", "caf\u{e9} \u{1f600}", "\u{7f}"];
        for text in awkward {
            let mut e = event(true);
            e.tool = text.into();
            e.client_id = Some(text.into());
            e.request_id = RequestId::from(text);
            if let Some(err) = &mut e.error {
                err.code = text.into();
                err.message = text.into();
                err.retryable = true;
            }
            assert_same(&e);
        }
        let ids = [
            RequestId::from(0),
            RequestId::from(-7),
            RequestId::from(i64::MIN),
            RequestId::from(i64::MAX),
            RequestId::Number(u64::MAX.into()),
            RequestId::Number(1_000_000_007_u64.into()),
        ];
        for id in ids {
            let mut e = event(false);
            e.request_id = id;
            e.client_id = None;
            assert_same(&e);
        }
    }

    #[test]
    fn timestamps_match_serde_f64_formatting() {
        let mut e = event(false);
        for base in [0, 1_000, 1_709_812_345_000, 4_102_444_800_000, FAST_TIMESTAMP_MS - 1000, FAST_TIMESTAMP_MS] {
            for frac in 0..1000 {
                e.unix_ms = base + frac;
                assert_same(&e);
            }
        }
        // Spread over the fast range: a multiplicative sequence touches every digit position.
        let mut ms = 1u64;
        while ms < FAST_TIMESTAMP_MS {
            e.unix_ms = ms;
            assert_same(&e);
            ms = ms * 7 + 13;
        }
    }

    #[test]
    fn batches_are_arrays_even_of_one() {
        let v: serde_json::Value = serde_json::from_slice(&encode(&[event(false)], &[], true)).unwrap_or_default();
        assert_eq!(v.as_array().map(Vec::len), Some(1));
        let body = encode(&[event(false), event(true)], &[], true);
        let mut expected = b"[".to_vec();
        expected.extend(reference(&event(false)));
        expected.push(b',');
        expected.extend(reference(&event(true)));
        expected.push(b']');
        assert_eq!(body, expected);
    }

    #[test]
    fn batches_go_in_time_order_calls_first() {
        let at = |kind, unix_ms, id: i64| QueuedEvent { event: kind, unix_ms, request_id: id.into(), ..event(false) };
        // As taken from two shards: each in order, together not.
        let events = [
            at(WebhookEvent::ToolCall, 5, 1),
            at(WebhookEvent::ToolSuccess, 7, 2),
            at(WebhookEvent::ToolSuccess, 5, 1),
            at(WebhookEvent::ToolCall, 7, 2),
            at(WebhookEvent::ToolCall, 3, 3),
        ];
        let mut order = Vec::new();
        time_order(&events, &mut order);
        assert_eq!(order, [4, 0, 2, 3, 1]);
        let v: serde_json::Value = serde_json::from_slice(&encode(&events, &order, true)).unwrap_or_default();
        let seen: Vec<(String, String)> = v
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                (e["request_id"].as_str().unwrap_or_default().into(), e["event"].as_str().unwrap_or_default().into())
            })
            .collect();
        let expected =
            [("3", "tool.call"), ("1", "tool.call"), ("1", "tool.success"), ("2", "tool.call"), ("2", "tool.success")];
        assert_eq!(seen, expected.map(|(a, b)| (a.to_string(), b.to_string())));
    }

    #[test]
    fn unix_ms_is_recent() {
        assert!(unix_ms() > 1_700_000_000_000);
    }
}
