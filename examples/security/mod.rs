//! Security set-up shared by the examples (`payment_api`, `hr_api`): keys and tokens come from the
//! environment, or — so that every example starts with no set-up at all — are generated at
//! start-up and announced on stderr together with the variables that replace them.
//!
//! | Variable | Meaning | Without it |
//! |---|---|---|
//! | `MCP_JWT_SECRET` | HS256 secret the server verifies tokens with (≥ 32 bytes) | a random demo secret |
//! | `MCP_AUTH_TOKEN` | the caller's bearer token on stdio (read once at start-up) | anonymous; a demo token is printed |
//! | `MCP_AUDIT_KEY` | HMAC key of the signed audit log (hex) | a random key and a fresh log file per run |
#![allow(dead_code, reason = "each example uses a different subset of these helpers")]

use mcp_server::auth::{AuthMiddleware, JwtAuth};
use mcp_server::middleware::{AuditKey, AuditMiddleware, AUDIT_KEY_ENV};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The variable holding the HS256 secret.
pub(crate) const JWT_SECRET_ENV: &str = "MCP_JWT_SECRET";
/// The variable holding the caller's token on stdio.
pub(crate) const AUTH_TOKEN_ENV: &str = "MCP_AUTH_TOKEN";
/// The `iss` of the examples' tokens.
pub(crate) const ISSUER: &str = "mcp-server-examples";

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// A demo secret: 32 random bytes, as hex (any ≥ 32-byte secret works).
fn random_secret() -> String {
    AuditKey::generate().to_hex()
}

/// JWT auth for `audience` (HS256, issuer [`ISSUER`]), with the stdio token from
/// `MCP_AUTH_TOKEN`. Announces on stderr where the secret comes from and, unless a token is set,
/// prints a demo token (valid 1 h, client id `demo-agent`, `roles`).
pub(crate) fn jwt_auth(example: &str, audience: &str, roles: &[&str]) -> Result<AuthMiddleware, String> {
    let (secret, generated) = match env(JWT_SECRET_ENV) {
        Some(s) => (s, false),
        None => (random_secret(), true),
    };
    let origin = if generated { "a demo secret generated now" } else { "the secret from MCP_JWT_SECRET" };
    eprintln!("{example}: JWT auth: HS256 with {origin}, audience {audience}, issuer {ISSUER}");
    let jwt = JwtAuth::hs256(&secret).map_err(|e| format!("{JWT_SECRET_ENV}: {e}"))?.audience(audience).issuer(ISSUER);
    if env(AUTH_TOKEN_ENV).is_some() {
        eprintln!("{example}: stdio calls present the token from {AUTH_TOKEN_ENV}");
    } else {
        let token = demo_token(&secret, audience, "demo-agent", roles, Duration::from_secs(3600))?;
        let keep = if generated { format!("{JWT_SECRET_ENV}={secret} ") } else { String::new() };
        eprintln!("{example}: stdio calls are anonymous. A demo token (1 h, client_id demo-agent, roles {roles:?}):");
        eprintln!("{example}:   over HTTP: Authorization: Bearer {token}");
        eprintln!("{example}:   over stdio, restart with: export {keep}{AUTH_TOKEN_ENV}={token}");
    }
    Ok(AuthMiddleware::new(jwt).credentials_from_env(AUTH_TOKEN_ENV))
}

/// Mints an HS256 token as an identity provider would (the examples' stand-in for one).
pub(crate) fn demo_token(
    secret: &str,
    audience: &str,
    client_id: &str,
    roles: &[&str],
    valid_for: Duration,
) -> Result<String, String> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_err(|e| e.to_string())?.as_secs();
    let claims = serde_json::json!({
        "sub": "demo-user", "client_id": client_id, "aud": audience, "iss": ISSUER,
        "iat": now, "exp": now + valid_for.as_secs(), "roles": roles,
    });
    let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).map_err(|e| e.to_string())
}

/// A signed `AuditMiddleware`. The key comes from `MCP_AUDIT_KEY`; without it a random key is
/// generated and the log goes to a fresh file (a log must be resumed with the key it was written
/// with). The path comes from `path_env`, else a file in the temp directory.
pub(crate) fn signed_audit(example: &str, path_env: &str) -> Result<AuditMiddleware, String> {
    let configured = AuditKey::from_env(AUDIT_KEY_ENV).map_err(|e| format!("{AUDIT_KEY_ENV}: {e}"))?;
    let ephemeral = configured.is_none();
    let key = configured.unwrap_or_else(AuditKey::generate);
    let path = env(path_env).map_or_else(
        || {
            let name = if ephemeral {
                let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
                format!("{example}-audit-{secs}-{}.jsonl", std::process::id())
            } else {
                format!("{example}-audit.jsonl")
            };
            std::env::temp_dir().join(name)
        },
        PathBuf::from,
    );
    eprintln!("{example}: signed audit log: {} (set {path_env} to move it)", path.display());
    if ephemeral {
        eprintln!("{example}:   signed with a key generated now; to keep it: export {AUDIT_KEY_ENV}={}", key.to_hex());
        eprintln!(
            "{example}:   verify: {AUDIT_KEY_ENV}={} cargo run --example audit_verify -- {}",
            key.to_hex(),
            path.display()
        );
    } else {
        eprintln!(
            "{example}:   signed with the key from {AUDIT_KEY_ENV}; verify: cargo run --example audit_verify -- {}",
            path.display()
        );
    }
    Ok(AuditMiddleware::new(path).signed(true).key(key))
}
