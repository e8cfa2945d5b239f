//! Frame decoding and encoding. Decoding never panics: every malformed frame becomes a
//! [`FrameError`] carrying the JSON-RPC error to send back (or none, for notifications).
//!
//! A frame is decoded once, into a [`Message`] that borrows its method and params from the frame:
//! the transport routes on it, and the dispatcher reads each request's params from it.

use super::{ErrorObject, RequestId, INVALID_REQUEST, PARSE_ERROR};
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// One decoded JSON-RPC message, borrowing from its frame.
#[derive(Debug)]
pub(crate) enum Message<'a> {
    /// A request expecting a response.
    Request { id: RequestId, method: Cow<'a, str>, params: Option<&'a RawValue> },
    /// A notification (no id, never answered).
    Notification { method: Cow<'a, str>, params: Option<&'a RawValue> },
    /// A response to a request this side sent.
    Response { id: RequestId, outcome: Result<&'a RawValue, ErrorObject> },
}

/// A message that could not be decoded, with the error to answer it with.
#[derive(Debug)]
pub(crate) struct FrameError {
    /// The id to answer with (`None` serializes as `null`).
    pub(crate) id: Option<RequestId>,
    /// The error to send.
    pub(crate) error: ErrorObject,
    /// Whether an answer must be sent (false for broken notifications and responses).
    pub(crate) reply: bool,
}

/// The result of decoding one frame.
#[derive(Debug)]
pub(crate) enum Decoded<'a> {
    /// A single message (or the error to answer it with).
    Single(Result<Message<'a>, FrameError>),
    /// A JSON array of messages (a batch).
    Batch(Vec<Result<Message<'a>, FrameError>>),
}

#[cfg(feature = "http")]
impl Decoded<'_> {
    /// Every message of the frame, in order.
    pub(crate) fn messages(&self) -> impl Iterator<Item = &Result<Message<'_>, FrameError>> {
        let (single, batch) = match self {
            Self::Single(m) => (Some(m), None),
            Self::Batch(items) => (None, Some(items.iter())),
        };
        single.into_iter().chain(batch.into_iter().flatten())
    }
}

/// The `id` member, told apart without building a `serde_json::Value`.
#[derive(Default)]
enum IdField {
    #[default]
    Absent,
    Null,
    Valid(RequestId),
    Invalid,
}

struct IdVisitor;

impl<'de> Visitor<'de> for IdVisitor {
    type Value = IdField;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON-RPC id")
    }

    fn visit_i64<E>(self, v: i64) -> Result<IdField, E> {
        Ok(IdField::Valid(RequestId::Number(v.into())))
    }

    fn visit_u64<E>(self, v: u64) -> Result<IdField, E> {
        Ok(IdField::Valid(RequestId::Number(v.into())))
    }

    fn visit_f64<E>(self, _: f64) -> Result<IdField, E> {
        Ok(IdField::Invalid)
    }

    fn visit_bool<E>(self, _: bool) -> Result<IdField, E> {
        Ok(IdField::Invalid)
    }

    fn visit_str<E>(self, v: &str) -> Result<IdField, E> {
        Ok(IdField::Valid(RequestId::String(v.into())))
    }

    fn visit_unit<E>(self) -> Result<IdField, E> {
        Ok(IdField::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<IdField, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(IdField::Invalid)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<IdField, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(IdField::Invalid)
    }
}

impl<'de> Deserialize<'de> for IdField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IdVisitor)
    }
}

/// A string borrowed from the frame unless it has escapes (serde borrows a `Cow` only when it
/// is a field's whole type, not inside an `Option`).
#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

fn optional_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    Ok(Option::<Text<'de>>::deserialize(d)?.map(|t| t.0))
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default, deserialize_with = "optional_text")]
    jsonrpc: Option<Cow<'a, str>>,
    #[serde(default)]
    id: IdField,
    #[serde(borrow, default, deserialize_with = "optional_text")]
    method: Option<Cow<'a, str>>,
    #[serde(borrow)]
    params: Option<&'a RawValue>,
    #[serde(borrow)]
    result: Option<&'a RawValue>,
    error: Option<ErrorObject>,
}

fn invalid(id: Option<RequestId>, why: &str) -> FrameError {
    FrameError { id, error: ErrorObject::new(INVALID_REQUEST, format!("Invalid Request: {why}")), reply: true }
}

fn parse_error(e: &serde_json::Error) -> FrameError {
    FrameError { id: None, error: ErrorObject::new(PARSE_ERROR, format!("Parse error: {e}")), reply: true }
}

fn decode_envelope(raw: &str) -> Result<Message<'_>, FrameError> {
    let env: Envelope<'_> = match serde_json::from_str(raw) {
        Ok(e) => e,
        Err(e) if e.is_data() => return Err(invalid(None, "not a JSON-RPC 2.0 message object")),
        Err(e) => return Err(parse_error(&e)),
    };
    let id = match env.id {
        IdField::Absent => None,
        IdField::Valid(id) => Some(id),
        IdField::Null if env.method.is_none() => {
            // An error response to a frame the peer could not read: nothing to answer.
            return Err(FrameError { reply: false, ..invalid(None, "response with a null id") });
        }
        IdField::Null => return Err(invalid(None, "id must not be null")),
        IdField::Invalid => return Err(invalid(None, "id must be a string or an integer")),
    };
    // A message with a method and no id is a notification: never answered, even when malformed.
    let reply = id.is_some() || env.method.is_none();
    if env.jsonrpc.as_deref() != Some("2.0") {
        return Err(FrameError { reply, ..invalid(id, "\"jsonrpc\" must be \"2.0\"") });
    }
    if let Some(method) = env.method {
        if env.result.is_some() || env.error.is_some() {
            return Err(FrameError { reply, ..invalid(id, "a request carries no result or error") });
        }
        if let Some(p) = env.params {
            if !matches!(p.get().as_bytes().first(), Some(b'{' | b'[')) {
                return Err(FrameError { reply, ..invalid(id, "params must be an object") });
            }
        }
        let params = env.params;
        return Ok(match id {
            Some(id) => Message::Request { id, method, params },
            None => Message::Notification { method, params },
        });
    }
    let Some(id) = id else {
        return Err(FrameError { reply: false, ..invalid(None, "message has neither method nor id") });
    };
    let outcome = match (env.result, env.error) {
        (Some(r), None) => Ok(r),
        (None, Some(e)) => Err(e),
        _ => return Err(FrameError { reply: false, ..invalid(Some(id), "response needs result xor error") }),
    };
    Ok(Message::Response { id, outcome })
}

/// Decodes one transport frame (a single message or a batch).
pub(crate) fn decode(frame: &str) -> Decoded<'_> {
    let trimmed = frame.trim_start();
    if trimmed.starts_with('[') {
        let items: Vec<&RawValue> = match serde_json::from_str(trimmed) {
            Ok(items) => items,
            Err(e) => return Decoded::Single(Err(parse_error(&e))),
        };
        if items.is_empty() {
            return Decoded::Single(Err(invalid(None, "empty batch")));
        }
        return Decoded::Batch(items.into_iter().map(|raw| decode_envelope(raw.get())).collect());
    }
    Decoded::Single(decode_envelope(trimmed))
}

#[derive(Serialize)]
struct ResponseOut<'a, T: Serialize> {
    jsonrpc: &'static str,
    id: &'a RequestId,
    result: &'a T,
}

#[derive(Serialize)]
struct ErrorOut<'a> {
    jsonrpc: &'static str,
    id: Option<&'a RequestId>,
    error: &'a ErrorObject,
}

#[derive(Serialize)]
struct MessageOut<'a, T: Serialize> {
    jsonrpc: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a RequestId>,
    method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<&'a T>,
}

fn to_string_lossless<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|e| {
        tracing::error!(error = %e, "failed to serialize an outgoing message");
        String::from(
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"Internal error: unserializable message"}}"#,
        )
    })
}

/// Encodes a success response.
pub(crate) fn encode_response<T: Serialize>(id: &RequestId, result: &T) -> String {
    to_string_lossless(&ResponseOut { jsonrpc: "2.0", id, result })
}

/// Encodes an error response (`id: null` when the request id was unreadable).
pub(crate) fn encode_error(id: Option<&RequestId>, error: &ErrorObject) -> String {
    to_string_lossless(&ErrorOut { jsonrpc: "2.0", id, error })
}

/// Encodes a notification.
pub(crate) fn encode_notification<T: Serialize>(method: &str, params: Option<&T>) -> String {
    to_string_lossless(&MessageOut { jsonrpc: "2.0", id: None, method, params })
}

/// Encodes a request (server → client).
pub(crate) fn encode_request<T: Serialize>(id: &RequestId, method: &str, params: Option<&T>) -> String {
    to_string_lossless(&MessageOut { jsonrpc: "2.0", id: Some(id), method, params })
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    fn single(s: &str) -> Result<Message<'_>, FrameError> {
        match decode(s) {
            Decoded::Single(r) => r,
            Decoded::Batch(_) => unreachable!("expected a single message"),
        }
    }

    #[test]
    fn rejects_null_ids_and_bad_versions() {
        assert_eq!(single(r#"{"jsonrpc":"2.0","id":null,"method":"x"}"#).unwrap_err().error.code, -32600);
        assert_eq!(single(r#"{"jsonrpc":"1.0","id":1,"method":"x"}"#).unwrap_err().error.code, -32600);
        assert_eq!(single(r#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#).unwrap_err().error.code, -32600);
        assert_eq!(single(r#"{"jsonrpc":"2.0","id":{"a":[1]},"method":"x"}"#).unwrap_err().error.code, -32600);
        assert_eq!(single("[1,").unwrap_err().error.code, -32700);
        assert_eq!(single("[]").unwrap_err().error.code, -32600);
        assert_eq!(single("42").unwrap_err().error.code, -32600);
    }

    #[test]
    fn malformed_notifications_and_null_id_responses_are_not_answered() {
        assert!(!single(r#"{"jsonrpc":"2.0","method":"x","params":5}"#).unwrap_err().reply);
        assert!(!single(r#"{"method":"x"}"#).unwrap_err().reply);
        assert!(!single(r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}"#).unwrap_err().reply);
        assert!(single(r#"{"jsonrpc":"2.0","id":null,"method":"x"}"#).unwrap_err().reply);
        assert!(single(r#"{"jsonrpc":"2.0","id":1,"method":"x","params":5}"#).unwrap_err().reply);
    }

    #[test]
    fn borrows_method_and_params_and_keeps_the_id_type() {
        let frame = r#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x"}}"#;
        let Ok(Message::Request { id, method, params }) = single(frame) else { unreachable!("a request") };
        assert!(matches!(method, Cow::Borrowed("tools/call")));
        assert_eq!(params.map(RawValue::get), Some(r#"{"name":"x"}"#));
        assert_eq!(encode_response(&id, &serde_json::json!({})), r#"{"jsonrpc":"2.0","id":"a","result":{}}"#);
        let Ok(Message::Request { id, .. }) = single(r#"{"jsonrpc":"2.0","id":18446744073709551615,"method":"m"}"#)
        else {
            unreachable!("a request")
        };
        assert_eq!(id.to_string(), "18446744073709551615");
    }

    #[test]
    fn batch_of_mixed_messages() {
        let decoded = decode(r#"[{"jsonrpc":"2.0","id":1,"method":"a"},{"bad":true}]"#);
        let Decoded::Batch(items) = &decoded else { unreachable!("expected a batch") };
        assert!(items[0].is_ok());
        assert!(items[1].is_err());
        #[cfg(feature = "http")]
        assert_eq!(decoded.messages().count(), 2);
    }
}
