//! The seed's "Combining Resilience Features" stack around the payment API, in the seed's order:
//! audit (signed) → webhook on `tool.error` → circuit breaker (built in `payment_api_with`) → auth.

use mcp_server::auth::AuthMiddleware;
use mcp_server::middleware::{AuditMiddleware, WebhookMiddleware};

/// The optional layers around the circuit breaker. The default (all `None`) is the plain
/// resilience example.
#[derive(Default)]
pub(crate) struct SecurityStack {
    /// Outermost: records every call, with the caller identified by the auth layer inside it.
    pub(crate) audit: Option<AuditMiddleware>,
    /// Fires `tool.error` events (a clone is kept by the caller to read its counters).
    pub(crate) webhook: Option<WebhookMiddleware>,
    /// Innermost: authenticates callers (only `auth = true` tools require it).
    pub(crate) auth: Option<AuthMiddleware>,
}

/// The security stack's environment variables (printed at start-up by the binary).
#[allow(dead_code, reason = "tests/payment_api.rs includes this module without the binary")]
pub(crate) const SECURITY_ENV_HELP: &str = concat!(
    "  MCP_AUDIT_KEY=HEX                HMAC key of the signed audit log (default: a random key, a fresh log)\n",
    "  PAYMENT_AUDIT_LOG=PATH           the audit log file (default: in the temp directory)\n",
    "  MCP_JWT_SECRET=SECRET            HS256 secret for bearer tokens, >= 32 bytes (default: a random demo secret)\n",
    "  MCP_AUTH_TOKEN=JWT               the caller's token on stdio, read at start-up (default: anonymous)\n",
    "  PAYMENT_WEBHOOK_URL=URL          where tool.error events go (default: a local receiver printing to stderr)",
);
