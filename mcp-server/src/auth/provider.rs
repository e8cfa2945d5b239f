use super::Identity;
use crate::error::{ToolError, ToolErrorSpec};
use futures_util::future::BoxFuture;
use std::fmt;
use std::sync::Arc;

/// The wire code of every authentication failure.
pub const AUTHENTICATION_ERROR: &str = "AUTHENTICATION_ERROR";
/// The wire code of a failed role or scope guard.
pub const ACCESS_DENIED: &str = "ACCESS_DENIED";

/// What kind of secret the caller presented.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Secret {
    /// A bearer token (`Authorization: Bearer …`), usually a JWT.
    Bearer(String),
    /// An API key (`x-api-key: …` or a configured header).
    ApiKey(String),
}

impl Secret {
    /// The secret's text.
    pub fn expose(&self) -> &str {
        match self {
            Self::Bearer(s) | Self::ApiKey(s) => s,
        }
    }
}

impl fmt::Debug for Secret {
    // Never print the secret itself: debug output ends up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Self::ApiKey(_) => f.write_str("ApiKey(<redacted>)"),
        }
    }
}

/// Where credentials came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CredentialSource {
    /// Transport headers (`Authorization`, the API-key header) of this request.
    Transport,
    /// A key of the request's `params._meta` (set by a trusted gateway).
    Meta,
    /// The process environment, read once at start-up (stdio).
    Environment,
    /// Supplied programmatically (tests, embedding).
    Static,
}

impl CredentialSource {
    /// `transport`, `meta`, `environment` or `static`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Transport => "transport",
            Self::Meta => "meta",
            Self::Environment => "environment",
            Self::Static => "static",
        }
    }
}

/// Credentials presented by a caller, and where they came from.
///
/// ```
/// use mcp_server::auth::{Credentials, CredentialSource, Secret};
/// let c = Credentials::bearer("eyJ…", CredentialSource::Transport);
/// assert!(matches!(c.secret, Secret::Bearer(_)));
/// assert_eq!(format!("{c:?}"), "Credentials { secret: Bearer(<redacted>), source: Transport }");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The secret itself.
    pub secret: Secret,
    /// Where it came from.
    pub source: CredentialSource,
}

impl Credentials {
    /// A bearer token.
    pub fn bearer(token: impl Into<String>, source: CredentialSource) -> Self {
        Self { secret: Secret::Bearer(token.into()), source }
    }

    /// An API key.
    pub fn api_key(key: impl Into<String>, source: CredentialSource) -> Self {
        Self { secret: Secret::ApiKey(key.into()), source }
    }
}

/// Why authentication failed. The reason is for logs and tests only: on the wire every variant
/// becomes the same `AUTHENTICATION_ERROR`, so a caller learns nothing about what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No credentials were presented.
    #[error("no credentials were presented")]
    Missing,
    /// The provider does not accept this kind of credential (e.g. an API key for a JWT provider).
    #[error("credentials of this kind are not accepted")]
    UnsupportedCredentials,
    /// The token is malformed, or uses an algorithm other than the configured one.
    #[error("invalid token: {0}")]
    InvalidToken(String),
    /// The signature does not verify.
    #[error("invalid token signature")]
    InvalidSignature,
    /// The token has expired (`exp`), or has no `exp`.
    #[error("token expired")]
    Expired,
    /// The token is not valid yet (`nbf`).
    #[error("token not yet valid")]
    NotYetValid,
    /// The token's audience (`aud`) is not the configured one.
    #[error("wrong token audience")]
    InvalidAudience,
    /// The token's issuer (`iss`) is not the configured one.
    #[error("wrong token issuer")]
    InvalidIssuer,
    /// No key matches the token (`kid` not in the JWKS).
    #[error("no key matches the token")]
    UnknownKey,
    /// The API key is not known.
    #[error("unknown API key")]
    UnknownApiKey,
    /// The provider could not decide (a backend was unreachable, …).
    #[error("authentication provider failure: {0}")]
    Provider(String),
}

impl ToolErrorSpec for AuthError {
    fn to_tool_error(&self) -> ToolError {
        ToolError::new(AUTHENTICATION_ERROR, "Authentication failed: credentials are missing, invalid or expired.")
            .suggestion("Present valid credentials (see the server's documentation).")
    }
}

/// Why a guard denied an authenticated caller. On the wire: `ACCESS_DENIED`, without naming
/// the roles or scopes that were missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("caller `{client_id}` may not call `{name}`: {reason}")]
pub struct AccessDenied {
    /// The authenticated caller.
    pub client_id: String,
    /// The tool, resource or prompt.
    pub name: String,
    /// What was missing (for logs).
    pub reason: String,
}

impl ToolErrorSpec for AccessDenied {
    fn to_tool_error(&self) -> ToolError {
        ToolError::new(ACCESS_DENIED, "Access denied: the caller is not permitted to perform this action.")
    }
}

/// Turns credentials into an [`Identity`].
///
/// Implement it to plug in any scheme (OAuth introspection, mTLS-derived identities, …);
/// `JwtAuth` (feature `jwt`) and [`ApiKeyAuth`](super::ApiKeyAuth) are built in.
///
/// ```
/// use futures_util::future::BoxFuture;
/// use mcp_server::auth::{AuthError, AuthProvider, Credentials, Identity};
///
/// struct OneUser;
///
/// impl AuthProvider for OneUser {
///     fn authenticate<'a>(&'a self, c: &'a Credentials) -> BoxFuture<'a, Result<Identity, AuthError>> {
///         Box::pin(async move {
///             match c.secret.expose() {
///                 "letmein" => Ok(Identity::new("alice")),
///                 _ => Err(AuthError::UnknownApiKey),
///             }
///         })
///     }
/// }
/// ```
pub trait AuthProvider: Send + Sync + 'static {
    /// Verifies `credentials` and returns who presented them.
    ///
    /// # Cancellation safety
    /// Dropping the future abandons the check; a provider must keep no partial state.
    fn authenticate<'a>(&'a self, credentials: &'a Credentials) -> BoxFuture<'a, Result<Identity, AuthError>>;
}

impl<P: AuthProvider + ?Sized> AuthProvider for Arc<P> {
    fn authenticate<'a>(&'a self, credentials: &'a Credentials) -> BoxFuture<'a, Result<Identity, AuthError>> {
        (**self).authenticate(credentials)
    }
}

impl<P: AuthProvider + ?Sized> AuthProvider for Box<P> {
    fn authenticate<'a>(&'a self, credentials: &'a Credentials) -> BoxFuture<'a, Result<Identity, AuthError>> {
        (**self).authenticate(credentials)
    }
}
