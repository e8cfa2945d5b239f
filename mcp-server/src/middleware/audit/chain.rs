//! The hash chain: canonical JSON, the HMAC key, entry signatures and entry hashes.

use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::fmt;

/// `prev_hash` of the first entry of a log.
pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The shortest accepted audit key.
const MIN_KEY_BYTES: usize = 16;

/// The HMAC-SHA256 key that signs audit entries.
///
/// Text keys are read as hex when they are an even number of hex digits (`openssl rand -hex 32`
/// prints one), else as raw UTF-8 bytes; either way at least 16 bytes are required.
///
/// ```
/// use mcp_server::middleware::AuditKey;
/// let key = AuditKey::parse("8d1f0c4b2a7e9d3f6b5a4c2e1f0d9b8a7c6e5d4f3a2b1c0d9e8f7a6b5c4d3e2f")?;
/// assert_eq!(key.as_bytes().len(), 32);
/// assert!(AuditKey::parse("too-short").is_err());
/// # Ok::<(), mcp_server::middleware::AuditKeyError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AuditKey(Vec<u8>);

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuditKey(<redacted>)")
    }
}

/// An unusable audit key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuditKeyError {
    /// Fewer than 16 bytes.
    #[error(
        "the audit key must be at least {MIN_KEY_BYTES} bytes (got {0}); generate one with `openssl rand -hex 32`"
    )]
    TooShort(usize),
    /// The environment variable is set but not valid Unicode.
    #[error("the environment variable {0} is not valid UTF-8")]
    NotUnicode(String),
}

impl AuditKey {
    /// A key from raw bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, AuditKeyError> {
        let bytes = bytes.into();
        if bytes.len() < MIN_KEY_BYTES {
            return Err(AuditKeyError::TooShort(bytes.len()));
        }
        Ok(Self(bytes))
    }

    /// A key from text: hex when it is an even number of hex digits, else the raw bytes.
    pub fn parse(text: &str) -> Result<Self, AuditKeyError> {
        let text = text.trim();
        match hex::decode(text) {
            Ok(bytes) if !text.is_empty() => Self::new(bytes),
            _ => Self::new(text.as_bytes()),
        }
    }

    /// The key in the environment variable `var`, if it is set and not empty.
    pub fn from_env(var: &str) -> Result<Option<Self>, AuditKeyError> {
        match std::env::var(var) {
            Ok(v) if v.trim().is_empty() => Ok(None),
            Ok(v) => Self::parse(&v).map(Some),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(AuditKeyError::NotUnicode(var.into())),
        }
    }

    /// A fresh random key of 32 bytes from the operating system's generator, for demos and tests
    /// whose log needs to verify only while the process runs. Print it with
    /// [`to_hex`](Self::to_hex) to verify the log later.
    pub fn generate() -> Self {
        // Two v4 UUIDs: 244 bits from the OS CSPRNG (uuid uses getrandom), without another dependency.
        let mut bytes = Vec::with_capacity(32);
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self(bytes)
    }

    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The key as lower-case hex (what `MCP_AUDIT_KEY` accepts).
    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
        <Hmac<Sha256> as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
    }
}

/// Compact JSON with object keys in sorted order, independent of serde_json's map features.
pub(crate) fn canonical(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(k) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The HMAC of an entry: over its canonical form without the `hmac` field.
pub(crate) fn entry_hmac(key: &AuditKey, entry: &Map<String, Value>) -> String {
    let mut mac = key.mac();
    mac.update(canonical_without_hmac(entry).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `entry`'s `hmac` field is right (compared in constant time).
pub(crate) fn hmac_matches(key: &AuditKey, entry: &Map<String, Value>) -> bool {
    let Some(Ok(claimed)) = entry.get("hmac").and_then(Value::as_str).map(hex::decode) else {
        return false;
    };
    let mut mac = key.mac();
    mac.update(canonical_without_hmac(entry).as_bytes());
    mac.verify_slice(&claimed).is_ok()
}

fn canonical_without_hmac(entry: &Map<String, Value>) -> String {
    let mut unsigned = entry.clone();
    unsigned.remove("hmac");
    canonical(&Value::Object(unsigned))
}

/// What the next entry's `prev_hash` must be: SHA-256 of this entry's canonical form (with `hmac`).
pub(crate) fn entry_hash(entry: &Map<String, Value>) -> String {
    hex::encode(Sha256::digest(canonical(&Value::Object(entry.clone())).as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_sorts_keys_recursively() {
        let v = json!({"b": 1, "a": {"z": [true, null, "x"], "y": 1.5}});
        assert_eq!(canonical(&v), r#"{"a":{"y":1.5,"z":[true,null,"x"]},"b":1}"#);
    }

    #[test]
    fn hmac_ignores_its_own_field_and_catches_changes() -> Result<(), AuditKeyError> {
        let key = AuditKey::new([1u8; 32])?;
        let mut e = json!({"tool": "t", "seq": 1}).as_object().cloned().unwrap_or_default();
        let mac = entry_hmac(&key, &e);
        e.insert("hmac".into(), mac.into());
        assert!(hmac_matches(&key, &e));
        e.insert("tool".into(), "u".into());
        assert!(!hmac_matches(&key, &e));
        assert!(!hmac_matches(&AuditKey::new([2u8; 32])?, &e));
        Ok(())
    }

    #[test]
    fn keys_parse_as_hex_or_raw() {
        assert_eq!(AuditKey::parse(&"ab".repeat(16)).map(|k| k.as_bytes().len()), Ok(16));
        assert_eq!(AuditKey::parse("correct horse battery staple").map(|k| k.as_bytes().len()), Ok(28));
        assert_eq!(AuditKey::parse("abcd"), Err(AuditKeyError::TooShort(2)), "hex: 2 bytes");
        assert_eq!(AuditKey::generate().to_hex().len(), 64);
        assert_ne!(AuditKey::generate(), AuditKey::generate());
    }
}
