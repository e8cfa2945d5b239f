//! Where a request's credentials come from: transport metadata, `_meta`, or the environment.

use super::{CredentialSource, Credentials};
use crate::call::Extensions;
use serde_json::{Map, Value};
use std::fmt;

/// Credentials a network transport extracted from its own request metadata.
///
/// **Contract for transports.** A transport that carries per-request metadata (HTTP, WebSocket,
/// a custom gateway) inserts one `TransportCredentials` into every request's
/// [`Extensions`] — *also when it found no credentials* (`TransportCredentials::default()`).
/// Its presence tells [`AuthMiddleware`](super::AuthMiddleware) that the request came over the
/// network, so process-level credentials (the environment, read at start-up for stdio) never
/// apply to it. Transports fill `bearer` from `Authorization: Bearer …` and `api_key` from their
/// API-key header. The crate's own HTTP transport inserts the request's `http::HeaderMap` instead,
/// which the middleware reads directly (honouring a custom API-key header); either marks the
/// request as networked.
///
/// ```
/// use mcp_server::auth::TransportCredentials;
/// use mcp_server::Extensions;
///
/// let mut ext = Extensions::new();
/// ext.insert(TransportCredentials { bearer: Some("eyJ…".into()), api_key: None });
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TransportCredentials {
    /// The token of an `Authorization: Bearer <token>` header.
    pub bearer: Option<String>,
    /// The value of the API-key header.
    pub api_key: Option<String>,
}

impl fmt::Debug for TransportCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportCredentials")
            .field("bearer", &self.bearer.as_ref().map(|_| "<redacted>"))
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl TransportCredentials {
    fn credentials(&self) -> Option<Credentials> {
        let bearer = self.bearer.as_deref().filter(|s| !s.is_empty());
        let key = self.api_key.as_deref().filter(|s| !s.is_empty());
        bearer
            .map(|t| Credentials::bearer(t, CredentialSource::Transport))
            .or_else(|| key.map(|k| Credentials::api_key(k, CredentialSource::Transport)))
    }
}

/// The token of an `Authorization` value using the `Bearer` scheme (case-insensitive).
pub(crate) fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(char::is_whitespace)?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The configured credential sources, in precedence order.
#[derive(Debug, Clone)]
pub(crate) struct Sources {
    /// Lower-case header name for API keys (HTTP).
    pub(crate) api_key_header: String,
    /// The `_meta` key a gateway fills per request, if enabled.
    pub(crate) meta_key: Option<String>,
    /// Credentials read at start-up (environment) or supplied programmatically.
    pub(crate) process: Option<Credentials>,
}

impl Sources {
    /// The first credentials found: transport metadata, then `_meta`, then process-level
    /// credentials — the last only for requests that did not arrive over a network transport.
    pub(crate) fn find(&self, ext: Option<&Extensions>, meta: Option<&Map<String, Value>>) -> Option<Credentials> {
        let mut networked = false;
        if let Some(ext) = ext {
            if let Some(tc) = ext.get::<TransportCredentials>() {
                networked = true;
                if let Some(c) = tc.credentials() {
                    return Some(c);
                }
            }
            #[cfg(feature = "http")]
            if let Some(headers) = ext.get::<http::HeaderMap>() {
                networked = true;
                if let Some(c) = self.header_credentials(headers) {
                    return Some(c);
                }
            }
        }
        if let Some(c) = self.meta_credentials(meta) {
            return Some(c);
        }
        if networked {
            return None;
        }
        self.process.clone()
    }

    #[cfg(feature = "http")]
    fn header_credentials(&self, headers: &http::HeaderMap) -> Option<Credentials> {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        if let Some(token) = text("authorization").and_then(bearer_token) {
            return Some(Credentials::bearer(token, CredentialSource::Transport));
        }
        let key = text(&self.api_key_header).map(str::trim).filter(|k| !k.is_empty())?;
        Some(Credentials::api_key(key, CredentialSource::Transport))
    }

    /// `_meta[key]`: `"Bearer <token>"` or a bare token.
    fn meta_credentials(&self, meta: Option<&Map<String, Value>>) -> Option<Credentials> {
        let value = meta?.get(self.meta_key.as_deref()?)?.as_str()?.trim();
        let token = bearer_token(value).unwrap_or(value);
        (!token.is_empty()).then(|| Credentials::bearer(token, CredentialSource::Meta))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Secret;
    use serde_json::json;

    fn sources(meta_key: Option<&str>, process: Option<&str>) -> Sources {
        Sources {
            api_key_header: "x-api-key".into(),
            meta_key: meta_key.map(str::to_string),
            process: process.map(|t| Credentials::bearer(t, CredentialSource::Environment)),
        }
    }

    fn meta(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn parses_bearer_headers() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer   abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token("Bearer  "), None);
    }

    #[test]
    fn stdio_uses_the_environment_unless_meta_overrides() {
        let s = sources(Some("example.com/authorization"), Some("env-token"));
        let env = s.find(None, None);
        assert_eq!(
            env.map(|c| (c.secret, c.source)),
            Some((Secret::Bearer("env-token".into()), CredentialSource::Environment))
        );
        let m = meta(json!({"example.com/authorization": "Bearer gw-token"}));
        let c = s.find(None, Some(&m));
        assert_eq!(c.map(|c| (c.secret, c.source)), Some((Secret::Bearer("gw-token".into()), CredentialSource::Meta)));
    }

    #[test]
    fn meta_is_ignored_unless_configured() {
        let s = sources(None, None);
        let m = meta(json!({"authorization": "Bearer gw-token"}));
        assert!(s.find(None, Some(&m)).is_none());
    }

    #[test]
    fn network_requests_never_get_process_credentials() {
        let s = sources(None, Some("env-token"));
        let mut ext = Extensions::new();
        ext.insert(TransportCredentials::default());
        assert!(s.find(Some(&ext), None).is_none());
        ext.insert(TransportCredentials { bearer: None, api_key: Some("k".into()) });
        let c = s.find(Some(&ext), None);
        assert_eq!(c.map(|c| (c.secret, c.source)), Some((Secret::ApiKey("k".into()), CredentialSource::Transport)));
    }

    #[cfg(feature = "http")]
    #[test]
    fn reads_http_headers_with_a_custom_api_key_header() {
        let mut s = sources(None, Some("env-token"));
        s.api_key_header = "x-payment-key".into();
        let mut headers = http::HeaderMap::new();
        let mut ext = Extensions::new();
        ext.insert(headers.clone());
        assert!(s.find(Some(&ext), None).is_none(), "an HTTP request must not inherit the env token");
        headers.insert("x-payment-key", http::HeaderValue::from_static("pk"));
        ext.insert(headers.clone());
        assert_eq!(s.find(Some(&ext), None).map(|c| c.secret), Some(Secret::ApiKey("pk".into())));
        headers.insert("authorization", http::HeaderValue::from_static("Bearer tok"));
        ext.insert(headers);
        assert_eq!(s.find(Some(&ext), None).map(|c| c.secret), Some(Secret::Bearer("tok".into())));
    }
}
