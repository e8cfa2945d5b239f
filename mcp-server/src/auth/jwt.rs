use super::claims::identity_from_claims;
use super::{AuthError, AuthProvider, Credentials, Identity, Secret};
use futures_util::future::BoxFuture;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use std::time::Duration;

/// The smallest HS256 secret accepted: RFC 7518 §3.2 requires a key at least as long as the hash.
const MIN_HS256_SECRET: usize = 32;

/// The signature algorithms [`JwtAuth`] can be pinned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JwtAlgorithm {
    /// HMAC-SHA256 with a shared secret.
    HS256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (an RSA public key of 2048 bits or more).
    RS256,
    /// ECDSA on P-256 with SHA-256.
    ES256,
}

impl JwtAlgorithm {
    fn jwt(self) -> Algorithm {
        match self {
            Self::HS256 => Algorithm::HS256,
            Self::RS256 => Algorithm::RS256,
            Self::ES256 => Algorithm::ES256,
        }
    }
}

/// A [`JwtAuth`] configuration that cannot work.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JwtConfigError {
    /// The HS256 secret is shorter than 32 bytes.
    #[error("the HS256 secret must be at least {MIN_HS256_SECRET} bytes long (got {0}); generate one with `openssl rand -hex 32`")]
    WeakSecret(usize),
    /// The PEM does not hold a public key of the configured algorithm.
    #[error("the PEM is not a {0:?} public key: {1}")]
    InvalidKey(JwtAlgorithm, String),
    /// The JWKS document is not valid JSON of the form `{"keys": [...]}`.
    #[error("invalid JWKS document: {0}")]
    InvalidJwks(String),
    /// The JWKS document holds no key usable with the configured algorithm.
    #[error("the JWKS document holds no {0:?} signing key")]
    NoUsableKey(JwtAlgorithm),
    /// HS256 needs a secret, not a public key.
    #[error("HS256 is configured with a shared secret: use `JwtAuth::hs256`")]
    SecretAlgorithm,
}

/// Verifies JWT bearer tokens: signature (with the algorithm pinned by configuration, never taken
/// from the token), `exp` (required), `nbf`, and `aud`/`iss` when configured.
///
/// The verified claims map to an [`Identity`]: `client_id` from `client_id`, else `azp`, else
/// `sub`; roles from `roles` (an array or a space-separated string; see
/// [`roles_claim`](Self::roles_claim)); scopes from `scope` (space-separated) or `scp`; tenant
/// from `tenant` or `tid`; all claims are kept in [`Identity::claims`].
///
/// ```
/// use mcp_server::auth::{AuthMiddleware, JwtAuth};
/// use std::time::Duration;
///
/// let jwt = JwtAuth::hs256("0123456789abcdef0123456789abcdef")?
///     .audience("payment-api")
///     .issuer("https://auth.example.com")
///     .leeway(Duration::from_secs(10));
/// let auth = AuthMiddleware::new(jwt);
/// # let _ = auth;
/// # Ok::<(), mcp_server::auth::JwtConfigError>(())
/// ```
pub struct JwtAuth {
    algorithm: JwtAlgorithm,
    /// `(kid, key)`; one entry without a kid for a secret or PEM key.
    keys: Vec<(Option<String>, DecodingKey)>,
    validation: Validation,
    roles_claim: String,
}

impl std::fmt::Debug for JwtAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtAuth")
            .field("algorithm", &self.algorithm)
            .field("keys", &self.keys.len())
            .field("audience", &self.validation.aud)
            .field("issuer", &self.validation.iss)
            .field("leeway_secs", &self.validation.leeway)
            .finish_non_exhaustive()
    }
}

impl JwtAuth {
    fn with_keys(algorithm: JwtAlgorithm, keys: Vec<(Option<String>, DecodingKey)>) -> Self {
        let mut validation = Validation::new(algorithm.jwt());
        validation.algorithms = vec![algorithm.jwt()];
        validation.set_required_spec_claims(&["exp"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        // Without a configured audience a token's `aud` is not checked (it names another service's
        // audience only when the operator forgot to configure ours: `audience` fixes that).
        validation.validate_aud = false;
        validation.leeway = 30;
        Self { algorithm, keys, validation, roles_claim: "roles".into() }
    }

    /// HS256 with a shared secret (at least 32 bytes).
    pub fn hs256(secret: impl AsRef<[u8]>) -> Result<Self, JwtConfigError> {
        let secret = secret.as_ref();
        if secret.len() < MIN_HS256_SECRET {
            return Err(JwtConfigError::WeakSecret(secret.len()));
        }
        Ok(Self::with_keys(JwtAlgorithm::HS256, vec![(None, DecodingKey::from_secret(secret))]))
    }

    /// RS256 with a PEM public key (`-----BEGIN PUBLIC KEY-----` or `BEGIN RSA PUBLIC KEY`).
    pub fn rs256_pem(pem: impl AsRef<[u8]>) -> Result<Self, JwtConfigError> {
        Self::public_key_pem(JwtAlgorithm::RS256, pem)
    }

    /// ES256 with a PEM public key on P-256.
    pub fn es256_pem(pem: impl AsRef<[u8]>) -> Result<Self, JwtConfigError> {
        Self::public_key_pem(JwtAlgorithm::ES256, pem)
    }

    /// RS256 or ES256 with a PEM public key.
    pub fn public_key_pem(algorithm: JwtAlgorithm, pem: impl AsRef<[u8]>) -> Result<Self, JwtConfigError> {
        let key = match algorithm {
            JwtAlgorithm::HS256 => return Err(JwtConfigError::SecretAlgorithm),
            JwtAlgorithm::RS256 => DecodingKey::from_rsa_pem(pem.as_ref()),
            JwtAlgorithm::ES256 => DecodingKey::from_ec_pem(pem.as_ref()),
        }
        .map_err(|e| JwtConfigError::InvalidKey(algorithm, e.to_string()))?;
        Ok(Self::with_keys(algorithm, vec![(None, key)]))
    }

    /// RS256 or ES256 with the keys of a JWKS document (`{"keys": [...]}` as JSON text).
    ///
    /// A token's `kid` selects the key; a token without `kid` is accepted only when the set
    /// holds exactly one usable key. Keys for other algorithms, curves or uses are ignored.
    pub fn jwks(algorithm: JwtAlgorithm, document: &str) -> Result<Self, JwtConfigError> {
        if algorithm == JwtAlgorithm::HS256 {
            return Err(JwtConfigError::SecretAlgorithm);
        }
        let doc: Value = serde_json::from_str(document).map_err(|e| JwtConfigError::InvalidJwks(e.to_string()))?;
        let entries = doc
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| JwtConfigError::InvalidJwks("expected an object with a `keys` array".into()))?;
        let mut keys = Vec::new();
        for entry in entries {
            // One unsupported key type must not make the whole set unusable.
            let Ok(jwk) = serde_json::from_value::<Jwk>(entry.clone()) else {
                tracing::debug!("JWKS: skipping a key this library cannot parse");
                continue;
            };
            if !usable(&jwk, algorithm) {
                continue;
            }
            let key = DecodingKey::from_jwk(&jwk).map_err(|e| JwtConfigError::InvalidJwks(e.to_string()))?;
            keys.push((jwk.common.key_id.clone(), key));
        }
        if keys.is_empty() {
            return Err(JwtConfigError::NoUsableKey(algorithm));
        }
        Ok(Self::with_keys(algorithm, keys))
    }

    /// Requires `aud` to contain `audience` (call again to accept several).
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        let mut set = self.validation.aud.take().unwrap_or_default();
        set.insert(audience.into());
        self.validation.aud = Some(set);
        self.validation.validate_aud = true;
        self
    }

    /// Requires `iss` to be `issuer` (call again to accept several).
    #[must_use]
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        let mut set = self.validation.iss.take().unwrap_or_default();
        set.insert(issuer.into());
        self.validation.iss = Some(set);
        self
    }

    /// Clock-skew tolerance for `exp` and `nbf` (default 30 s, whole seconds).
    #[must_use]
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.validation.leeway = leeway.as_secs();
        self
    }

    /// The claim holding roles (default `roles`); a dotted path reaches into objects, e.g.
    /// `realm_access.roles` for Keycloak.
    #[must_use]
    pub fn roles_claim(mut self, path: impl Into<String>) -> Self {
        self.roles_claim = path.into();
        self
    }

    /// The pinned algorithm.
    pub fn algorithm(&self) -> JwtAlgorithm {
        self.algorithm
    }

    /// Verifies `token` and maps its claims to an [`Identity`].
    pub fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| map_error(&e))?;
        // Pinned: the token's `alg` must be the configured one (this is what stops `alg: none`
        // and HS256-with-the-public-key confusion); jsonwebtoken checks it again.
        if header.alg != self.algorithm.jwt() {
            return Err(AuthError::InvalidToken(format!("algorithm {:?} is not accepted", header.alg)));
        }
        let key = self.select_key(header.kid.as_deref())?;
        let data = jsonwebtoken::decode::<Value>(token, key, &self.validation).map_err(|e| map_error(&e))?;
        identity_from_claims(data.claims, &self.roles_claim)
    }

    fn select_key(&self, kid: Option<&str>) -> Result<&DecodingKey, AuthError> {
        match (kid, self.keys.as_slice()) {
            // A single configured key (secret, PEM or one-key JWKS) serves every token.
            (_, [(None, key)]) | (None, [(_, key)]) => Ok(key),
            (Some(kid), keys) => {
                keys.iter().find(|(k, _)| k.as_deref() == Some(kid)).map(|(_, key)| key).ok_or(AuthError::UnknownKey)
            }
            (None, _) => Err(AuthError::UnknownKey),
        }
    }
}

/// Whether a JWK may verify tokens signed with `algorithm`.
fn usable(jwk: &Jwk, algorithm: JwtAlgorithm) -> bool {
    if matches!(&jwk.common.public_key_use, Some(u) if *u != PublicKeyUse::Signature) {
        return false;
    }
    let alg_ok = |want: KeyAlgorithm| jwk.common.key_algorithm.is_none_or(|a| a == want);
    match (&jwk.algorithm, algorithm) {
        (AlgorithmParameters::RSA(_), JwtAlgorithm::RS256) => alg_ok(KeyAlgorithm::RS256),
        (AlgorithmParameters::EllipticCurve(p), JwtAlgorithm::ES256) => {
            p.curve == EllipticCurve::P256 && alg_ok(KeyAlgorithm::ES256)
        }
        _ => false,
    }
}

fn map_error(e: &jsonwebtoken::errors::Error) -> AuthError {
    match e.kind() {
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::ImmatureSignature => AuthError::NotYetValid,
        ErrorKind::InvalidAudience => AuthError::InvalidAudience,
        ErrorKind::InvalidIssuer => AuthError::InvalidIssuer,
        ErrorKind::InvalidSignature => AuthError::InvalidSignature,
        ErrorKind::MissingRequiredClaim(c) => AuthError::InvalidToken(format!("the `{c}` claim is required")),
        ErrorKind::InvalidAlgorithm => AuthError::InvalidToken("algorithm not accepted".into()),
        _ => AuthError::InvalidToken(e.to_string()),
    }
}

impl AuthProvider for JwtAuth {
    fn authenticate<'a>(&'a self, credentials: &'a Credentials) -> BoxFuture<'a, Result<Identity, AuthError>> {
        Box::pin(async move {
            match &credentials.secret {
                Secret::Bearer(token) => self.verify(token),
                Secret::ApiKey(_) => Err(AuthError::UnsupportedCredentials),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_secret_is_refused() {
        assert!(matches!(JwtAuth::hs256("short"), Err(JwtConfigError::WeakSecret(5))));
    }

    #[test]
    fn hs256_cannot_take_a_public_key() {
        assert!(matches!(JwtAuth::public_key_pem(JwtAlgorithm::HS256, "x"), Err(JwtConfigError::SecretAlgorithm)));
        assert!(matches!(JwtAuth::jwks(JwtAlgorithm::HS256, "{}"), Err(JwtConfigError::SecretAlgorithm)));
    }

    #[test]
    fn jwks_without_usable_keys_is_refused() {
        let doc = r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"},{"kty":"weird"}]}"#;
        assert!(matches!(JwtAuth::jwks(JwtAlgorithm::RS256, doc), Err(JwtConfigError::NoUsableKey(_))));
        assert!(matches!(JwtAuth::jwks(JwtAlgorithm::RS256, "[]"), Err(JwtConfigError::InvalidJwks(_))));
    }

    #[test]
    fn garbage_is_an_invalid_token() -> Result<(), JwtConfigError> {
        let jwt = JwtAuth::hs256([7u8; 32])?;
        assert!(matches!(jwt.verify("not.a.jwt"), Err(AuthError::InvalidToken(_))));
        assert!(matches!(jwt.verify(""), Err(AuthError::InvalidToken(_))));
        Ok(())
    }
}
