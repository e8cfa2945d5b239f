//! [`CircuitOpenError`]: what an open circuit rejects a call with.

use crate::error::{ToolError, ToolErrorSpec};
use std::time::Duration;

/// The error an open circuit rejects a call with: on the wire `CIRCUIT_OPEN`, `retryable: true`,
/// `details: {"tool", "retry_after_seconds"}`, unless an exception handler for this type replaces it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("circuit open for tool `{tool}`: retry in {}s", self.retry_after_secs())]
pub struct CircuitOpenError {
    /// The tool whose circuit is open.
    pub tool: String,
    /// How long until the circuit lets a probe call through.
    pub retry_after: Duration,
}

impl CircuitOpenError {
    /// [`retry_after`](Self::retry_after) in whole seconds, rounded up (what the wire reports).
    pub fn retry_after_secs(&self) -> u64 {
        let d = self.retry_after;
        d.as_secs() + u64::from(d.subsec_nanos() > 0)
    }
}

impl ToolErrorSpec for CircuitOpenError {
    fn to_tool_error(&self) -> ToolError {
        let secs = self.retry_after_secs();
        ToolError::new(
            "CIRCUIT_OPEN",
            format!("Tool `{}` is temporarily unavailable: its circuit is open after repeated failures.", self.tool),
        )
        .retryable(true)
        .suggestion(format!("Retry in {secs}s."))
        .details(serde_json::json!({ "tool": self.tool, "retry_after_seconds": secs }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up() {
        let e = |ms| CircuitOpenError { tool: "t".into(), retry_after: Duration::from_millis(ms) };
        assert_eq!((e(0).retry_after_secs(), e(1).retry_after_secs(), e(2000).retry_after_secs()), (0, 1, 2));
        assert_eq!(e(1500).to_string(), "circuit open for tool `t`: retry in 2s");
    }
}
