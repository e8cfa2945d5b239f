//! The JSON the workers send: each event as the object [`WebhookPayload`](super::WebhookPayload)
//! serializes to, byte for byte, and batches as arrays of them in time order.

use super::record::{Epoch, Record, Stamp};
use super::WebhookEvent;
use crate::jsonrpc::RequestId;
use serde::Serialize;
use std::ops::Range;

/// Writes events as JSON objects: the same keys in the same order as
/// [`WebhookPayload`](super::WebhookPayload)'s serde form, byte for byte (the tests hold it to that).
///
/// This runs for every event, so the keys and punctuation, which are constants, are written
/// as they are, strings that need no escaping are copied, and integer ids and the timestamp
/// are written from integers; anything else (escapes, the error) goes through serde_json. What
/// the previous event shares with this one (its record's id, for the two events of one call;
/// its tool and caller, for most events of a batch; its millisecond, for most events of a busy
/// second) is copied from the body rather than written again. The caller reserves room for the
/// whole body.
struct Writer<'r> {
    epoch: &'r Epoch,
    /// The last record written, and where its `tool`…`request_id` values are in the body.
    record: Option<(&'r Record, Range<usize>)>,
    /// The last tool and caller written, and where `"tool","client_id":"caller","request_id":`
    /// (from the tool's value to the id's key) is in the body: most events of a batch share them.
    names: Option<(&'r Record, Range<usize>)>,
    /// The last timestamp written (Unix ms), and where it is in the body.
    stamp: Option<(u64, Range<usize>)>,
}

impl<'r> Writer<'r> {
    fn new(epoch: &'r Epoch) -> Self {
        Self { epoch, record: None, names: None, stamp: None }
    }

    /// Appends event `event` of `rec`, which happened `at`.
    fn event(&mut self, out: &mut Vec<u8>, rec: &'r Record, event: WebhookEvent, at: Stamp) {
        // Whole constant prefixes: fixed-length copies the compiler writes inline.
        out.extend_from_slice(match event {
            WebhookEvent::ToolCall => b"{\"event\":\"tool.call\",\"tool\":",
            WebhookEvent::ToolSuccess => b"{\"event\":\"tool.success\",\"tool\":",
            WebhookEvent::ToolError => b"{\"event\":\"tool.error\",\"tool\":",
        });
        match &self.record {
            Some((last, range)) if std::ptr::eq(*last, rec) => out.extend_from_within(range.clone()),
            _ => {
                let start = out.len();
                match &self.names {
                    Some((last, range)) if last.tool == rec.tool && last.client_id == rec.client_id => {
                        out.extend_from_within(range.clone());
                    }
                    _ => {
                        write_names(out, rec);
                        self.names = Some((rec, start..out.len()));
                    }
                }
                write_request_id(out, &rec.request_id);
                self.record = Some((rec, start..out.len()));
            }
        }
        out.extend_from_slice(b",\"timestamp\":");
        let unix_ms = self.epoch.unix_ms(at);
        match &self.stamp {
            Some((last, range)) if *last == unix_ms => out.extend_from_within(range.clone()),
            _ => {
                let start = out.len();
                write_timestamp(out, unix_ms);
                self.stamp = Some((unix_ms, start..out.len()));
            }
        }
        if event == WebhookEvent::ToolError {
            if let Some(e) = &rec.error {
                out.extend_from_slice(b",\"error\":");
                value(out, &**e);
            }
        }
        out.push(b'}');
    }
}

/// From the tool's value to the request id's key: `"echo","client_id":"agent","request_id":`.
fn write_names(out: &mut Vec<u8>, rec: &Record) {
    write_str(out, &rec.tool);
    out.extend_from_slice(b",\"client_id\":");
    match &rec.client_id {
        Some(id) => write_str(out, id),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"request_id\":");
}

/// The request id as a JSON string.
fn write_request_id(out: &mut Vec<u8>, id: &RequestId) {
    match id {
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

/// Calls `emit` for every event of `records`, oldest first, and within one nanosecond in the order
/// they were queued. `runs` holds the indices where the runs `records` is made of start, each
/// taken from one queue shard (an empty `runs` means one run). A shard that one thread fills
/// holds its events in time order, so the usual case is a merge of sorted runs; a run out of
/// order (threads sharing a shard) makes it a sort. With `tool.call` stamped before the call
/// runs and its outcome after, a call's `tool.call` always comes before its outcome.
fn in_time_order<'r>(records: &'r [Record], runs: &[usize], mut emit: impl FnMut(&'r Record, WebhookEvent, Stamp)) {
    let events = |from: usize, to: usize| {
        records[from..to].iter().flat_map(|r| (0..r.len()).filter_map(move |i| r.event(i).map(|(e, at)| (r, e, at))))
    };
    let mut bounds = Vec::with_capacity(runs.len() + 2);
    bounds.push(0);
    bounds.extend(runs.iter().copied().filter(|&start| start > 0 && start < records.len()));
    bounds.push(records.len());
    bounds.dedup();
    if !bounds.windows(2).all(|w| events(w[0], w[1]).map(|(_, _, at)| at).is_sorted()) {
        let mut keys: Vec<(Stamp, usize, usize)> = (0..records.len())
            .flat_map(|r| (0..records[r].len()).map(move |part| (r, part)))
            .filter_map(|(r, part)| records[r].event(part).map(|(_, at)| (at, r, part)))
            .collect();
        keys.sort_unstable();
        for (_, r, part) in keys {
            if let Some((event, at)) = records[r].event(part) {
                emit(&records[r], event, at);
            }
        }
        return;
    }
    if bounds.len() <= 2 {
        return events(0, records.len()).for_each(|(r, e, at)| emit(r, e, at));
    }
    // The next event of each run not yet used up.
    struct Cursor {
        next: usize,
        end: usize,
        part: usize,
    }
    let mut cursors: Vec<Cursor> = bounds.windows(2).map(|w| Cursor { next: w[0], end: w[1], part: 0 }).collect();
    let at = |c: &Cursor| records[c.next].event(c.part).map(|(_, at)| at);
    // Few runs (about one per shard a take visited): the oldest head is found by looking at each.
    while let Some((i, _)) = cursors.iter().enumerate().min_by_key(|(_, c)| at(c)) {
        let c = &mut cursors[i];
        let rec = &records[c.next];
        if let Some((event, at)) = rec.event(c.part) {
            emit(rec, event, at);
        }
        c.part += 1;
        if c.part >= rec.len() {
            (c.next, c.part) = (c.next + 1, 0);
            if c.next == c.end {
                cursors.remove(i);
            }
        }
    }
}

/// Appends the request body to `body`: one event as a JSON object, or (batched delivery) every
/// event of `records` as a JSON array of those objects, oldest first (see [`in_time_order`]).
/// `epoch` maps the events' stamps to Unix time.
pub(crate) fn encode(records: &[Record], runs: &[usize], batched: bool, epoch: &Epoch, body: &mut Vec<u8>) {
    let events: usize = records.iter().map(Record::len).sum();
    // About 110 bytes per event without an error: usually no reallocation.
    body.reserve(160 * events + 2);
    let mut writer = Writer::new(epoch);
    if let ([one], 1, false) = (records, events, batched) {
        if let Some((event, at)) = one.event(0) {
            return writer.event(body, one, event, at);
        }
    }
    body.push(b'[');
    let first = body.len();
    in_time_order(records, runs, |rec, event, at| {
        if body.len() > first {
            body.push(b',');
        }
        writer.event(body, rec, event, at);
    });
    body.push(b']');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::middleware::webhook::record::{now, Parts};
    use crate::middleware::webhook::{WebhookErrorInfo, WebhookPayload};
    use std::time::Duration;

    const MS: u64 = 1_709_812_345_678;

    fn event(error: bool) -> Record {
        let at = now();
        Record {
            parts: Parts::Outcome(if error { WebhookEvent::ToolError } else { WebhookEvent::ToolSuccess }),
            tool: "charge_card".into(),
            request_id: RequestId::from(42),
            client_id: Some("agent \"7\"".into()),
            called_at: at,
            finished_at: at,
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
    fn reference(e: &Record, unix_ms: u64) -> Vec<u8> {
        #[expect(clippy::cast_precision_loss, reason = "exact for any realistic epoch milliseconds")]
        let timestamp = unix_ms as f64 / 1000.0;
        let event = e.only_event().unwrap_or(WebhookEvent::ToolCall);
        let p = WebhookPayload {
            event,
            tool: e.tool.as_str().into(),
            client_id: e.client_id.as_deref().map(String::from),
            request_id: e.request_id.to_string(),
            timestamp,
            error: e.error.as_deref().filter(|_| event == WebhookEvent::ToolError).cloned(),
        };
        serde_json::to_vec(&p).unwrap_or_default()
    }

    fn encode(events: &[Record], runs: &[usize], batched: bool, epoch: &Epoch) -> Vec<u8> {
        let mut body = Vec::new();
        super::encode(events, runs, batched, epoch, &mut body);
        body
    }

    fn assert_same_at(e: &Record, unix_ms: u64) {
        let epoch = Epoch::pinned(e.finished_at, unix_ms);
        let ours = encode(std::slice::from_ref(e), &[], false, &epoch);
        assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&reference(e, unix_ms)));
        let typed: Result<WebhookPayload, _> = serde_json::from_slice(&ours);
        assert!(typed.is_ok(), "{typed:?}");
    }

    fn assert_same(e: &Record) {
        assert_same_at(e, MS);
    }

    #[test]
    fn encodes_byte_for_byte_like_the_public_payload() {
        for error in [false, true] {
            assert_same(&event(error));
        }
        // The error belongs to the outcome only.
        assert_same(&Record { parts: Parts::Call, ..event(true) });
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
        let e = event(false);
        for base in [0, 1_000, 1_709_812_345_000, 4_102_444_800_000, FAST_TIMESTAMP_MS - 1000, FAST_TIMESTAMP_MS] {
            for frac in 0..1000 {
                assert_same_at(&e, base + frac);
            }
        }
        // Spread over the fast range: a multiplicative sequence touches every digit position.
        let mut ms = 1u64;
        while ms < FAST_TIMESTAMP_MS {
            assert_same_at(&e, ms);
            ms = ms * 7 + 13;
        }
    }

    #[test]
    fn batches_are_arrays_even_of_one() {
        let ok = event(false);
        let failed = Record { finished_at: ok.finished_at, ..event(true) };
        let epoch = Epoch::pinned(ok.finished_at, MS);
        let v: serde_json::Value =
            serde_json::from_slice(&encode(std::slice::from_ref(&ok), &[], true, &epoch)).unwrap_or_default();
        assert_eq!(v.as_array().map(Vec::len), Some(1));
        let mut expected = b"[".to_vec();
        expected.extend(reference(&ok, MS));
        expected.push(b',');
        expected.extend(reference(&failed, MS));
        expected.push(b']');
        assert_eq!(encode(&[ok, failed], &[], true, &epoch), expected);
    }

    #[test]
    fn what_events_share_is_copied_only_when_it_is_the_same() {
        let base = event(false);
        let with = |tool: &str, client: Option<&str>, id: RequestId| Record {
            tool: tool.into(),
            client_id: client.map(Into::into),
            request_id: id,
            finished_at: base.finished_at,
            ..event(false)
        };
        let records = [
            with("echo", Some("a"), 1.into()),
            with("echo", Some("a"), 2.into()),
            with("echo", Some("b"), 2.into()),
            with("echo", None, "x".into()),
            with("add", None, "x".into()),
            with("echo\"q", None, 3.into()),
            with("echo\"q", None, 3.into()),
        ];
        let epoch = Epoch::pinned(base.finished_at, MS);
        let mut expected = b"[".to_vec();
        for (i, r) in records.iter().enumerate() {
            if i > 0 {
                expected.push(b',');
            }
            expected.extend(reference(r, MS));
        }
        expected.push(b']');
        let ours = encode(&records, &[], true, &epoch);
        assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&expected));
    }

    #[test]
    fn a_two_event_record_is_two_objects() {
        let mut both = Record { parts: Parts::Both(WebhookEvent::ToolError), ..event(true) };
        both.finished_at = both.called_at + Duration::from_millis(5);
        let epoch = Epoch::pinned(both.called_at, MS);
        let v: Vec<WebhookPayload> =
            serde_json::from_slice(&encode(std::slice::from_ref(&both), &[], true, &epoch)).unwrap_or_default();
        assert_eq!(v.len(), 2);
        assert_eq!((v[0].event, v[0].error.is_none()), (WebhookEvent::ToolCall, true));
        assert_eq!(
            (v[1].event, v[1].error.as_ref().map(|e| e.code.as_str())),
            (WebhookEvent::ToolError, Some("CARD_DECLINED"))
        );
        assert!((v[1].timestamp - v[0].timestamp - 0.005).abs() < 1e-6, "{v:?}");
        assert_eq!(v[0].request_id, v[1].request_id);
    }

    /// A record of call `id` started `after` `base` and taking `took` (for a two-event record).
    fn started(base: Stamp, parts: Parts, after: Duration, took: Duration, id: i64) -> Record {
        let t = base + after;
        Record { parts, called_at: t, finished_at: t + took, request_id: id.into(), ..event(false) }
    }

    #[test]
    fn a_run_out_of_order_is_sorted() {
        let base = now();
        let at = |parts, us, id| started(base, parts, Duration::from_micros(us), Duration::from_micros(1), id);
        let ok = WebhookEvent::ToolSuccess;
        // Two threads shared the second shard: a later stamp was queued before an earlier one.
        let records =
            [at(Parts::Outcome(ok), 20, 1), at(Parts::Call, 30, 3), at(Parts::Call, 10, 1), at(Parts::Both(ok), 25, 2)];
        let mut seen = Vec::new();
        in_time_order(&records, &[0, 1], |r, e, _| seen.push((r.request_id.to_string(), e)));
        let call = WebhookEvent::ToolCall;
        let expected = [("1", call), ("1", ok), ("2", call), ("2", ok), ("3", call)];
        assert_eq!(seen, expected.map(|(id, e)| (id.to_string(), e)));
    }

    #[test]
    fn batches_go_in_time_order_calls_first() {
        let base = now();
        let at = |parts, ms, id| started(base, parts, Duration::from_millis(ms), Duration::from_micros(10), id);
        let ok = WebhookEvent::ToolSuccess;
        // Two runs, as taken from two shards: each in order, together not. Call 1 started on the
        // first thread and finished on the second; call 3 finished at once (one record).
        let records = [
            at(Parts::Call, 5, 1),
            at(Parts::Call, 7, 2),
            at(Parts::Both(ok), 3, 3),
            at(Parts::Outcome(ok), 5, 1),
            at(Parts::Outcome(ok), 8, 2),
        ];
        let epoch = Epoch::pinned(base, MS);
        let v: Vec<WebhookPayload> =
            serde_json::from_slice(&encode(&records, &[0, 2], true, &epoch)).unwrap_or_default();
        let seen: Vec<(&str, &str)> = v.iter().map(|e| (e.request_id.as_str(), e.event.as_str())).collect();
        let expected = [
            ("3", "tool.call"),
            ("3", "tool.success"),
            ("1", "tool.call"),
            ("1", "tool.success"),
            ("2", "tool.call"),
            ("2", "tool.success"),
        ];
        assert_eq!(seen, expected);
        assert!(v.windows(2).all(|w| w[0].timestamp <= w[1].timestamp), "{v:?}");
    }
}
