//! Frame decoding and encoding. Decoding never panics: every malformed frame becomes a
//! [`FrameError`] carrying the JSON-RPC error to send back (or none, for notifications).

use super::{ErrorObject, RequestId, INVALID_REQUEST, PARSE_ERROR};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

/// One decoded JSON-RPC message.
#[derive(Debug)]
pub struct Incoming {
    /// What the message is.
    pub kind: IncomingKind,
}

/// The three message shapes a peer can send.
#[derive(Debug)]
pub enum IncomingKind {
    /// A request expecting a response.
    Request {
        /// The request id.
        id: RequestId,
        /// The method name.
        method: String,
        /// Raw params, if any.
        params: Option<Box<RawValue>>,
    },
    /// A notification (no id, never answered).
    Notification {
        /// The method name.
        method: String,
        /// Raw params, if any.
        params: Option<Box<RawValue>>,
    },
    /// A response to a request this side sent.
    Response {
        /// The id of the request it answers.
        id: RequestId,
        /// The result or the error.
        outcome: Result<Box<RawValue>, ErrorObject>,
    },
}

/// A message that could not be decoded, with the error to answer it with.
#[derive(Debug)]
pub struct FrameError {
    /// The id to answer with (`None` serializes as `null`).
    pub id: Option<RequestId>,
    /// The error to send.
    pub error: ErrorObject,
    /// Whether an answer must be sent (false for broken notifications and responses).
    pub reply: bool,
}

/// The result of decoding one frame.
#[derive(Debug)]
pub enum Decoded {
    /// A single message (or the error to answer it with).
    Single(Result<Incoming, FrameError>),
    /// A JSON array of messages (a batch).
    Batch(Vec<Result<Incoming, FrameError>>),
}

#[derive(Default)]
enum IdField {
    #[default]
    Absent,
    Null,
    Valid(RequestId),
    Invalid,
}

impl<'de> Deserialize<'de> for IdField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Ok(match v {
            Value::Null => Self::Null,
            other => RequestId::from_value(&other).map_or(Self::Invalid, Self::Valid),
        })
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    /// Borrowed from the frame when it has no escapes: it is only compared.
    #[serde(borrow)]
    jsonrpc: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    id: IdField,
    method: Option<String>,
    params: Option<Box<RawValue>>,
    result: Option<Box<RawValue>>,
    error: Option<ErrorObject>,
}

fn invalid(id: Option<RequestId>, why: &str) -> FrameError {
    FrameError { id, error: ErrorObject::new(INVALID_REQUEST, format!("Invalid Request: {why}")), reply: true }
}

fn decode_envelope(raw: &str) -> Result<Incoming, FrameError> {
    let env: Envelope<'_> = match serde_json::from_str(raw) {
        Ok(e) => e,
        Err(e) if e.is_data() => return Err(invalid(None, "not a JSON-RPC 2.0 message object")),
        Err(e) => {
            return Err(FrameError {
                id: None,
                error: ErrorObject::new(PARSE_ERROR, format!("Parse error: {e}")),
                reply: true,
            })
        }
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
        if let Some(p) = &env.params {
            if !matches!(p.get().trim_start().as_bytes().first(), Some(b'{' | b'[')) {
                return Err(FrameError { reply, ..invalid(id, "params must be an object") });
            }
        }
        let params = env.params;
        return Ok(Incoming {
            kind: match id {
                Some(id) => IncomingKind::Request { id, method, params },
                None => IncomingKind::Notification { method, params },
            },
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
    Ok(Incoming { kind: IncomingKind::Response { id, outcome } })
}

/// Decodes one transport frame (a single message or a batch).
///
/// ```
/// use mcp_server::jsonrpc::{decode_frame, Decoded, IncomingKind};
/// let Decoded::Single(Ok(msg)) = decode_frame(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#) else { panic!() };
/// assert!(matches!(msg.kind, IncomingKind::Request { .. }));
/// let Decoded::Single(Err(e)) = decode_frame("{oops") else { panic!() };
/// assert_eq!(e.error.code, -32700);
/// ```
pub fn decode_frame(frame: &str) -> Decoded {
    let trimmed = frame.trim_start();
    if trimmed.starts_with('[') {
        let items: Vec<Box<RawValue>> = match serde_json::from_str(trimmed) {
            Ok(items) => items,
            Err(e) => {
                return Decoded::Single(Err(FrameError {
                    id: None,
                    error: ErrorObject::new(PARSE_ERROR, format!("Parse error: {e}")),
                    reply: true,
                }))
            }
        };
        if items.is_empty() {
            return Decoded::Single(Err(invalid(None, "empty batch")));
        }
        return Decoded::Batch(items.iter().map(|raw| decode_envelope(raw.get())).collect());
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
pub fn encode_response<T: Serialize>(id: &RequestId, result: &T) -> String {
    to_string_lossless(&ResponseOut { jsonrpc: "2.0", id, result })
}

/// Encodes an error response (`id: null` when the request id was unreadable).
pub fn encode_error(id: Option<&RequestId>, error: &ErrorObject) -> String {
    to_string_lossless(&ErrorOut { jsonrpc: "2.0", id, error })
}

/// Encodes a notification.
pub fn encode_notification<T: Serialize>(method: &str, params: Option<&T>) -> String {
    to_string_lossless(&MessageOut { jsonrpc: "2.0", id: None, method, params })
}

/// Encodes a request (server → client).
pub fn encode_request<T: Serialize>(id: &RequestId, method: &str, params: Option<&T>) -> String {
    to_string_lossless(&MessageOut { jsonrpc: "2.0", id: Some(id), method, params })
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    fn single(s: &str) -> Result<Incoming, FrameError> {
        match decode_frame(s) {
            Decoded::Single(r) => r,
            Decoded::Batch(_) => unreachable!("expected a single message"),
        }
    }

    #[test]
    fn rejects_null_ids_and_bad_versions() {
        assert_eq!(single(r#"{"jsonrpc":"2.0","id":null,"method":"x"}"#).unwrap_err().error.code, -32600);
        assert_eq!(single(r#"{"jsonrpc":"1.0","id":1,"method":"x"}"#).unwrap_err().error.code, -32600);
        assert_eq!(single(r#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#).unwrap_err().error.code, -32600);
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
    fn keeps_id_type() {
        let Ok(Incoming { kind: IncomingKind::Request { id, .. } }) =
            single(r#"{"jsonrpc":"2.0","id":"a","method":"ping"}"#)
        else {
            unreachable!("expected a request")
        };
        assert_eq!(encode_response(&id, &serde_json::json!({})), r#"{"jsonrpc":"2.0","id":"a","result":{}}"#);
    }

    #[test]
    fn batch_of_mixed_messages() {
        let Decoded::Batch(items) = decode_frame(r#"[{"jsonrpc":"2.0","id":1,"method":"a"},{"bad":true}]"#) else {
            unreachable!("expected a batch")
        };
        assert!(items[0].is_ok());
        assert!(items[1].is_err());
    }
}
