//! `#[derive(ToolError)]`: container defaults, per-variant overrides, placeholders.

use mcp_server::{ToolError, ToolErrorSpec};

#[derive(Debug, thiserror::Error, ToolError)]
#[tool_error(code = "PAYMENT_FAILED", suggestion = "Contact support.")]
enum PaymentError {
    #[error("card ending {last4} was declined")]
    #[tool_error(
        code = "CARD_DECLINED",
        message = "The card ending {last4} was declined ({reason:?}).",
        suggestion = "Ask for a card other than {last4}; {{braces}} stay."
    )]
    Declined { last4: String, reason: String },
    #[error("provider timed out after {0}s")]
    #[tool_error(code = "PROVIDER_TIMEOUT", retryable)]
    Timeout(u64),
    #[error("unknown: {0}")]
    Unknown(String),
}

#[derive(Debug, thiserror::Error, ToolError)]
#[error("rate limited")]
#[tool_error(code = "RATE_LIMITED", retryable = true, message = "Slow down for {seconds}s.")]
struct RateLimited<T: std::fmt::Debug> {
    seconds: u64,
    extra: T,
}

#[derive(Debug, thiserror::Error, ToolError)]
#[tool_error(code = "NEVER")]
enum Never {}

fn main() {
    let e = PaymentError::Declined { last4: "4242".into(), reason: "funds".into() }.to_tool_error();
    assert_eq!(e.code, "CARD_DECLINED");
    assert_eq!(e.message, "The card ending 4242 was declined (\"funds\").");
    assert_eq!(e.suggestion.as_deref(), Some("Ask for a card other than 4242; {braces} stay."));
    assert!(!e.retryable);

    let e = PaymentError::Timeout(30).to_tool_error();
    assert_eq!((e.code.as_str(), e.message.as_str(), e.retryable), ("PROVIDER_TIMEOUT", "provider timed out after 30s", true));
    assert_eq!(e.suggestion.as_deref(), Some("Contact support."));

    let e = PaymentError::Unknown("x".into()).to_tool_error();
    assert_eq!((e.code.as_str(), e.message.as_str()), ("PAYMENT_FAILED", "unknown: x"));

    let e = RateLimited { seconds: 5, extra: () }.to_tool_error();
    assert_eq!((e.code.as_str(), e.message.as_str(), e.retryable), ("RATE_LIMITED", "Slow down for 5s.", true));
    assert!(e.suggestion.is_none());

    let _ = |never: &Never| never.to_tool_error();
}
