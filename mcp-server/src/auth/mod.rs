//! Authentication: the caller's [`Identity`], the [`AuthProvider`] trait with `JwtAuth` (feature
//! `jwt`) and [`ApiKeyAuth`], and the [`AuthMiddleware`] that enforces `auth = true` tools and
//! role/scope guards.
//!
//! Where credentials come from, per transport:
//!
//! | Transport | Source |
//! |---|---|
//! | streamable HTTP | `Authorization: Bearer <token>`, or the API-key header (default `x-api-key`) |
//! | stdio | the environment, read once at start-up: [`AuthMiddleware::credentials_from_env`] |
//! | behind a gateway | optionally per request from a `_meta` key: [`AuthMiddleware::meta_key`] |
//! | custom transports | insert [`TransportCredentials`] into each request's extensions |
//!
//! A server with an `auth = true` tool and no authenticating middleware refuses to build
//! ([`BuildError::AuthRequired`](crate::BuildError::AuthRequired)).

mod api_key;
#[cfg(feature = "jwt")]
mod claims;
#[cfg(feature = "jwt")]
mod jwt;
mod middleware;
mod provider;
mod sources;

pub use crate::call::Identity;
pub use api_key::ApiKeyAuth;
#[cfg(feature = "jwt")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
pub use jwt::{JwtAlgorithm, JwtAuth, JwtConfigError};
pub use middleware::AuthMiddleware;
pub use provider::{
    AccessDenied, AuthError, AuthProvider, CredentialSource, Credentials, Secret, ACCESS_DENIED, AUTHENTICATION_ERROR,
};
pub use sources::TransportCredentials;
