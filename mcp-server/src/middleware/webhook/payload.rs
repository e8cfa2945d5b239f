//! What a webhook carries: the event kinds and the JSON body.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// A tool-call event a [`WebhookMiddleware`](super::WebhookMiddleware) can report.
///
/// On the wire (and with [`FromStr`]) the events are `tool.call`, `tool.success` and `tool.error`.
///
/// ```
/// use mcp_server::middleware::WebhookEvent;
/// let e: WebhookEvent = "tool.error".parse().unwrap();
/// assert_eq!(e, WebhookEvent::ToolError);
/// assert_eq!(e.as_str(), "tool.error");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum WebhookEvent {
    /// Before every tool execution (queued as the call starts).
    #[serde(rename = "tool.call")]
    ToolCall,
    /// After a successful execution.
    #[serde(rename = "tool.success")]
    ToolSuccess,
    /// After a failed execution (any failure except a client cancellation).
    #[serde(rename = "tool.error")]
    ToolError,
}

impl WebhookEvent {
    /// All three events.
    pub const ALL: [Self; 3] = [Self::ToolCall, Self::ToolSuccess, Self::ToolError];

    /// The wire name: `tool.call`, `tool.success` or `tool.error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ToolCall => "tool.call",
            Self::ToolSuccess => "tool.success",
            Self::ToolError => "tool.error",
        }
    }

    /// A bit for the event set kept by the middleware.
    pub(crate) fn bit(self) -> u8 {
        match self {
            Self::ToolCall => 1,
            Self::ToolSuccess => 2,
            Self::ToolError => 4,
        }
    }
}

impl fmt::Display for WebhookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error [`WebhookEvent`]'s `FromStr` returns for an unknown name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown webhook event `{0}`: expected `tool.call`, `tool.success` or `tool.error`")]
pub struct UnknownWebhookEvent(pub String);

impl FromStr for WebhookEvent {
    type Err = UnknownWebhookEvent;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|e| e.as_str() == s).ok_or_else(|| UnknownWebhookEvent(s.to_string()))
    }
}

/// The `error` member of a `tool.error` payload: the *mapped* error the client saw, never the
/// raw internal text (an unhandled failure reads `INTERNAL_ERROR` / "An internal error occurred.").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookErrorInfo {
    /// The wire code, e.g. `CARD_DECLINED`.
    pub code: String,
    /// The wire message, e.g. `Card declined`.
    pub message: String,
    /// Whether the client may retry.
    pub retryable: bool,
}

/// The JSON body of one webhook request.
///
/// ```json
/// {
///   "event": "tool.error",
///   "tool": "charge_card",
///   "client_id": "checkout-agent",
///   "request_id": "f6e5d4",
///   "timestamp": 1709812345.6,
///   "error": { "code": "CARD_DECLINED", "message": "Card declined", "retryable": false }
/// }
/// ```
///
/// `client_id` is the authenticated client id when an auth middleware runs *outside* the webhook
/// middleware, else the `clientInfo.name` sent at initialize, else `null`. `request_id` is the
/// JSON-RPC id as a string. `timestamp` is seconds since the Unix epoch (millisecond precision).
/// `error` is present only on `tool.error`.
///
/// With [batched delivery](super::WebhookBuilder::batch) the body is instead a JSON array of these
/// objects, oldest first (an array even when it holds one event); decode it as
/// `Vec<WebhookPayload>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookPayload {
    /// Which event this is.
    pub event: WebhookEvent,
    /// The tool name.
    pub tool: Arc<str>,
    /// The caller, if known.
    pub client_id: Option<String>,
    /// The JSON-RPC request id, as a string.
    pub request_id: String,
    /// When the event happened, in seconds since the Unix epoch.
    pub timestamp: f64,
    /// The mapped error (`tool.error` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<WebhookErrorInfo>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_by_name() {
        for e in WebhookEvent::ALL {
            assert_eq!(e.as_str().parse::<WebhookEvent>(), Ok(e));
            assert_eq!(serde_json::to_value(e).ok(), Some(serde_json::json!(e.as_str())));
        }
        assert!("tool.done".parse::<WebhookEvent>().is_err());
    }

    #[test]
    fn payload_omits_error_unless_set() {
        let mut p = WebhookPayload {
            event: WebhookEvent::ToolSuccess,
            tool: "echo".into(),
            client_id: None,
            request_id: "7".into(),
            timestamp: 1.5,
            error: None,
        };
        let v = serde_json::to_value(&p).unwrap_or_default();
        assert_eq!(
            v,
            serde_json::json!({"event":"tool.success","tool":"echo","client_id":null,"request_id":"7","timestamp":1.5})
        );
        p.error = Some(WebhookErrorInfo { code: "X".into(), message: "y".into(), retryable: true });
        let v = serde_json::to_value(&p).unwrap_or_default();
        assert_eq!(v["error"], serde_json::json!({"code":"X","message":"y","retryable":true}));
    }
}
