use serde_json::Value;

/// Who is calling, as established by an authentication provider.
///
/// It lands in [`RequestContext`](crate::RequestContext), so `ctx.client_id()` in webhooks and
/// audit entries is the real caller.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Identity {
    /// Stable client identifier (API-key owner, JWT `client_id`/`azp`, or `sub`).
    pub client_id: String,
    /// The token subject (`sub`), if any.
    pub subject: Option<String>,
    /// Roles granted to the caller.
    pub roles: Vec<String>,
    /// OAuth scopes granted to the caller.
    pub scopes: Vec<String>,
    /// Tenant, for multi-tenant servers.
    pub tenant: Option<String>,
    /// All verified claims (JWT) or key metadata.
    pub claims: Value,
}

impl Identity {
    /// An identity with just a client id.
    pub fn new(client_id: impl Into<String>) -> Self {
        Self { client_id: client_id.into(), ..Self::default() }
    }

    /// Whether the caller holds `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Whether the caller holds `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}
