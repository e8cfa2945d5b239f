use super::{AuthError, AuthProvider, Credentials, Identity};
use futures_util::future::BoxFuture;
use sha2::{Digest, Sha256};
use subtle::{ConditionallySelectable, ConstantTimeEq};

/// Static API keys, each mapped to a client id and roles.
///
/// Keys are kept only as SHA-256 digests and compared in constant time against *every*
/// configured key, so neither the position of a match nor the length of a key leaks through
/// timing. Keys are accepted from the API-key header and as bearer tokens.
///
/// ```
/// use mcp_server::auth::{ApiKeyAuth, AuthMiddleware};
///
/// let keys = ApiKeyAuth::new()
///     .key("sk-live-checkout-8f3a…", "checkout-agent", &["payments"])
///     .key("sk-live-ops-77b1…", "ops-console", &["ops", "payments"]);
/// let auth = AuthMiddleware::new(keys);
/// # let _ = auth;
/// ```
#[derive(Default)]
pub struct ApiKeyAuth {
    keys: Vec<([u8; 32], Identity)>,
}

impl std::fmt::Debug for ApiKeyAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let clients: Vec<_> = self.keys.iter().map(|(_, id)| id.client_id.as_str()).collect();
        f.debug_struct("ApiKeyAuth").field("clients", &clients).finish()
    }
}

impl ApiKeyAuth {
    /// No keys yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key`, owned by `client_id` with `roles`.
    #[must_use]
    pub fn key(self, key: impl AsRef<str>, client_id: impl Into<String>, roles: &[&str]) -> Self {
        let identity = Identity { roles: roles.iter().map(|r| (*r).to_string()).collect(), ..Identity::new(client_id) };
        self.key_identity(key, identity)
    }

    /// Adds `key` mapping to a full identity (scopes, tenant, metadata claims).
    #[must_use]
    pub fn key_identity(mut self, key: impl AsRef<str>, identity: Identity) -> Self {
        self.keys.push((digest(key.as_ref()), identity));
        self
    }

    /// How many keys are configured.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is configured.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The identity owning `key`, if any.
    pub fn lookup(&self, key: &str) -> Option<&Identity> {
        let presented = digest(key);
        // Visit every key and select without branching on secret data.
        let mut index = 0u32;
        let mut any = subtle::Choice::from(0);
        for (i, (stored, _)) in self.keys.iter().enumerate() {
            let hit = stored.ct_eq(&presented);
            index.conditional_assign(&u32::try_from(i).unwrap_or(u32::MAX), hit);
            any |= hit;
        }
        if bool::from(any) {
            self.keys.get(usize::try_from(index).ok()?).map(|(_, id)| id)
        } else {
            None
        }
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

impl AuthProvider for ApiKeyAuth {
    fn authenticate<'a>(&'a self, credentials: &'a Credentials) -> BoxFuture<'a, Result<Identity, AuthError>> {
        Box::pin(async move {
            let key = credentials.secret.expose();
            if key.is_empty() {
                return Err(AuthError::Missing);
            }
            self.lookup(key).cloned().ok_or(AuthError::UnknownApiKey)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::CredentialSource;

    fn keys() -> ApiKeyAuth {
        ApiKeyAuth::new().key("alpha-key", "alpha", &["a"]).key("beta-key", "beta", &["b", "ops"])
    }

    #[test]
    fn finds_each_key_and_nothing_else() {
        let k = keys();
        assert_eq!(k.lookup("alpha-key").map(|i| i.client_id.as_str()), Some("alpha"));
        assert_eq!(k.lookup("beta-key").map(|i| i.roles.clone()), Some(vec!["b".into(), "ops".into()]));
        assert!(k.lookup("beta-ke").is_none());
        assert!(k.lookup("").is_none());
        assert!(ApiKeyAuth::new().lookup("alpha-key").is_none());
    }

    #[tokio::test]
    async fn provider_accepts_header_keys_and_bearer_keys() {
        let k = keys();
        let header = Credentials::api_key("alpha-key", CredentialSource::Transport);
        let bearer = Credentials::bearer("beta-key", CredentialSource::Environment);
        assert_eq!(k.authenticate(&header).await.map(|i| i.client_id), Ok("alpha".into()));
        assert_eq!(k.authenticate(&bearer).await.map(|i| i.client_id), Ok("beta".into()));
        let miss = Credentials::api_key("nope", CredentialSource::Transport);
        assert_eq!(k.authenticate(&miss).await, Err(AuthError::UnknownApiKey));
    }
}
