use super::sources::Sources;
use super::{AccessDenied, AuthError, AuthProvider, CredentialSource, Credentials, Identity};
use crate::call::{
    CallToolRequest, GetPromptRequest, Next, Outcome, ReadResourceRequest, RequestContext, ToolDefinition,
};
use crate::error::{CallError, FailureKind};
use crate::middleware::Middleware;
use futures_util::future::BoxFuture;
use std::sync::Arc;

/// Authenticates callers with an [`AuthProvider`] and enforces `auth = true`, role and scope
/// guards.
///
/// * Calls to tools declared `auth = true` (and, when enabled, every resource read or prompt get)
///   need valid credentials: missing, invalid or expired ones end the call with
///   `AUTHENTICATION_ERROR` ([`FailureKind::Authentication`]); an authenticated caller lacking
///   one of the tool's `roles` or any of its `scopes` gets `ACCESS_DENIED`
///   ([`FailureKind::AccessDenied`]). Both are `retryable: false` and carry no internal detail.
/// * On success the [`Identity`] is passed down the chain (`ctx.identity()`, `ctx.client_id()`)
///   and is also visible to middleware added *before* this one (audit, webhooks) once the inner
///   chain has run.
/// * Calls that need no authentication are identified too when credentials are present (so
///   audit entries name the real caller); bad credentials there are ignored and the call runs
///   anonymously. Turn this off with [`identify_all_calls(false)`](Self::identify_all_calls).
///
/// Credentials come from, in this order: the transport (HTTP `Authorization: Bearer …` or the
/// API-key header, default `x-api-key`; see [`TransportCredentials`](super::TransportCredentials)),
/// the request's `_meta` key when [`meta_key`](Self::meta_key) is set (gateways), and — only for
/// requests that did not come over a network transport (stdio) — credentials read from the
/// environment at start-up ([`credentials_from_env`](Self::credentials_from_env)).
///
/// ```
/// use mcp_server::auth::{ApiKeyAuth, AuthMiddleware};
/// use mcp_server::McpServer;
///
/// let keys = ApiKeyAuth::new().key("sk-ops-1f9c…", "ops-console", &["ops"]);
/// let server = McpServer::new("payment-api")
///     .middleware(AuthMiddleware::new(keys).credentials_from_env("MCP_AUTH_TOKEN"));
/// # let _ = server;
/// ```
///
/// With JWTs (feature `jwt`): `AuthMiddleware::new(JwtAuth::hs256(secret)?.audience("payment-api"))`.
pub struct AuthMiddleware {
    provider: Arc<dyn AuthProvider>,
    sources: Sources,
    protect_resources: bool,
    protect_prompts: bool,
    identify_all: bool,
}

impl std::fmt::Debug for AuthMiddleware {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthMiddleware")
            .field("api_key_header", &self.sources.api_key_header)
            .field("meta_key", &self.sources.meta_key)
            .field("process_credentials", &self.sources.process.as_ref().map(|c| c.source))
            .field("protect_resources", &self.protect_resources)
            .field("protect_prompts", &self.protect_prompts)
            .field("identify_all", &self.identify_all)
            .finish_non_exhaustive()
    }
}

impl AuthMiddleware {
    /// Authenticates with `provider` (`JwtAuth` (feature `jwt`), [`ApiKeyAuth`](super::ApiKeyAuth)
    /// or your own).
    pub fn new(provider: impl AuthProvider) -> Self {
        Self {
            provider: Arc::new(provider),
            sources: Sources { api_key_header: "x-api-key".into(), meta_key: None, process: None },
            protect_resources: false,
            protect_prompts: false,
            identify_all: true,
        }
    }

    /// The HTTP header carrying API keys (default `x-api-key`).
    #[must_use]
    pub fn api_key_header(mut self, name: impl Into<String>) -> Self {
        self.sources.api_key_header = name.into().to_ascii_lowercase();
        self
    }

    /// Also accepts a bearer token per request from `params._meta[key]` (`"Bearer <token>"` or the
    /// bare token), for gateways that multiplex several callers over one stdio connection.
    #[must_use]
    pub fn meta_key(mut self, key: impl Into<String>) -> Self {
        self.sources.meta_key = Some(key.into());
        self
    }

    /// Reads a bearer token from the environment variable `var` **now** (at start-up, as the MCP
    /// specification advises for stdio) and presents it for every request that did not come over
    /// a network transport. HTTP requests never inherit it. An unset or empty variable is ignored.
    #[must_use]
    pub fn credentials_from_env(mut self, var: &str) -> Self {
        match std::env::var(var) {
            Ok(token) if !token.trim().is_empty() => {
                tracing::info!(var, "stdio requests will present the bearer token from the environment");
                self.sources.process = Some(Credentials::bearer(token.trim(), CredentialSource::Environment));
            }
            _ => tracing::debug!(var, "no credentials in the environment"),
        }
        self
    }

    /// Presents `credentials` for every request that did not come over a network transport
    /// (what [`credentials_from_env`](Self::credentials_from_env) does with the environment).
    #[must_use]
    pub fn process_credentials(mut self, credentials: Credentials) -> Self {
        self.sources.process = Some(credentials);
        self
    }

    /// Requires authentication for every `resources/read` (default: no). Health resources are
    /// resources too: probe them over the HTTP probe paths instead.
    #[must_use]
    pub fn require_for_resources(mut self, on: bool) -> Self {
        self.protect_resources = on;
        self
    }

    /// Requires authentication for every `prompts/get` (default: no).
    #[must_use]
    pub fn require_for_prompts(mut self, on: bool) -> Self {
        self.protect_prompts = on;
        self
    }

    /// Whether calls that need no authentication are identified when credentials are present
    /// (default: yes). Invalid credentials on such calls are ignored either way.
    #[must_use]
    pub fn identify_all_calls(mut self, on: bool) -> Self {
        self.identify_all = on;
        self
    }

    /// Establishes the caller of a request to `name`: `Ok` to go on (identified or anonymous),
    /// `Err` when the call needs credentials it does not have, or a guard denies it.
    async fn admit(
        &self,
        ctx: &RequestContext,
        name: &str,
        required: bool,
        tool: Option<&ToolDefinition>,
    ) -> Result<(), CallError> {
        if !required && !self.identify_all {
            return Ok(());
        }
        let Some(credentials) = self.sources.find(ctx.extensions(), ctx.meta()) else {
            return if required { Err(reject(ctx, name, None, AuthError::Missing).await) } else { Ok(()) };
        };
        let identity = match self.provider.authenticate(&credentials).await {
            Ok(identity) => identity,
            Err(e) if required => return Err(reject(ctx, name, Some(credentials.source), e).await),
            Err(e) => {
                tracing::debug!(name, reason = %e, "ignoring invalid credentials on a public call");
                return Ok(());
            }
        };
        if let Some(tool) = tool.filter(|_| required) {
            if let Err(denied) = guard(tool, &identity) {
                tracing::warn!(client_id = %denied.client_id, name, reason = %denied.reason, "access denied");
                return Err(ctx.map_error(denied, FailureKind::AccessDenied).await);
            }
        }
        ctx.set_identity(identity);
        Ok(())
    }
}

async fn reject(ctx: &RequestContext, name: &str, source: Option<CredentialSource>, e: AuthError) -> CallError {
    // The reason stays in the server's logs: the caller only learns AUTHENTICATION_ERROR.
    tracing::warn!(
        name,
        method = ctx.method(),
        source = source.map(CredentialSource::as_str),
        reason = %e,
        "authentication failed"
    );
    ctx.map_error(e, FailureKind::Authentication).await
}

/// Roles: at least one of the tool's; scopes: all of the tool's.
fn guard(tool: &ToolDefinition, identity: &Identity) -> Result<(), AccessDenied> {
    let denied =
        |reason: String| AccessDenied { client_id: identity.client_id.clone(), name: tool.name().into(), reason };
    if !tool.roles.is_empty() && !tool.roles.iter().any(|r| identity.has_role(r)) {
        return Err(denied(format!("needs one of the roles {:?}", tool.roles)));
    }
    if let Some(missing) = tool.scopes.iter().find(|s| !identity.has_scope(s)) {
        return Err(denied(format!("needs the scope `{missing}`")));
    }
    Ok(())
}

impl Middleware for AuthMiddleware {
    fn on_call_tool(
        &self,
        req: CallToolRequest,
        next: Next<CallToolRequest>,
    ) -> BoxFuture<'_, Outcome<CallToolRequest>> {
        Box::pin(async move {
            let tool = req.definition();
            self.admit(req.context(), req.name(), tool.auth, Some(tool)).await?;
            next.run_inline(req).await
        })
    }

    fn on_read_resource(
        &self,
        req: ReadResourceRequest,
        next: Next<ReadResourceRequest>,
    ) -> BoxFuture<'_, Outcome<ReadResourceRequest>> {
        Box::pin(async move {
            self.admit(req.context(), req.uri(), self.protect_resources, None).await?;
            next.run_inline(req).await
        })
    }

    fn on_get_prompt(
        &self,
        req: GetPromptRequest,
        next: Next<GetPromptRequest>,
    ) -> BoxFuture<'_, Outcome<GetPromptRequest>> {
        Box::pin(async move {
            self.admit(req.context(), req.name(), self.protect_prompts, None).await?;
            next.run_inline(req).await
        })
    }

    fn provides_authentication(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::NoArgs;

    #[test]
    fn guards_need_one_role_and_every_scope() {
        let tool = ToolDefinition::new::<NoArgs>("refund", "Refund.").roles(&["ops", "admin"]).scopes(&["pay"]);
        let mut who = Identity::new("alice");
        assert!(guard(&tool, &who).is_err());
        who.roles = vec!["admin".into()];
        assert!(guard(&tool, &who).is_err(), "scope missing");
        who.scopes = vec!["pay".into(), "read".into()];
        assert!(guard(&tool, &who).is_ok());
        let open = ToolDefinition::new::<NoArgs>("ping", "Ping.").auth(true);
        assert!(guard(&open, &Identity::new("anyone")).is_ok());
    }
}
