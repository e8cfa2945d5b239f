//! Verified token claims → [`Identity`].

use super::{AuthError, Identity};
use serde_json::Value;

/// Maps verified claims to an identity (see [`JwtAuth`](super::JwtAuth) for the rules).
pub(crate) fn identity_from_claims(claims: Value, roles_claim: &str) -> Result<Identity, AuthError> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    let client_id = text("client_id")
        .or_else(|| text("azp"))
        .or_else(|| text("sub"))
        .ok_or_else(|| AuthError::InvalidToken("the token names no caller (`client_id`, `azp` or `sub`)".into()))?;
    let roles = lookup(&claims, roles_claim).map(string_list).unwrap_or_default();
    let scopes = claims.get("scope").or_else(|| claims.get("scp")).map(string_list).unwrap_or_default();
    Ok(Identity {
        client_id,
        subject: text("sub"),
        roles,
        scopes,
        tenant: text("tenant").or_else(|| text("tid")),
        claims,
    })
}

/// Follows a dotted path (`realm_access.roles`) through nested objects.
fn lookup<'a>(claims: &'a Value, path: &str) -> Option<&'a Value> {
    claims.get(path).or_else(|| path.split('.').try_fold(claims, |v, part| v.get(part)))
}

/// An array of strings, or one space-separated string (the OAuth `scope` form).
fn string_list(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => s.split_whitespace().map(str::to_string).collect(),
        Value::Array(items) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_the_usual_claims() -> Result<(), AuthError> {
        let id = identity_from_claims(
            json!({"sub":"u1","azp":"checkout","roles":["ops"],"scope":"read write","tid":"acme"}),
            "roles",
        )?;
        assert_eq!(id.client_id, "checkout");
        assert_eq!(id.subject.as_deref(), Some("u1"));
        assert_eq!(id.roles, ["ops"]);
        assert_eq!(id.scopes, ["read", "write"]);
        assert_eq!(id.tenant.as_deref(), Some("acme"));
        Ok(())
    }

    #[test]
    fn client_id_wins_and_nested_roles_resolve() -> Result<(), AuthError> {
        let id = identity_from_claims(
            json!({"sub":"u1","client_id":"agent","realm_access":{"roles":["a","b"]},"scp":["x"]}),
            "realm_access.roles",
        )?;
        assert_eq!(id.client_id, "agent");
        assert_eq!(id.roles, ["a", "b"]);
        assert_eq!(id.scopes, ["x"]);
        Ok(())
    }

    #[test]
    fn a_token_without_caller_is_invalid() {
        assert!(matches!(identity_from_claims(json!({"exp": 1}), "roles"), Err(AuthError::InvalidToken(_))));
    }
}
