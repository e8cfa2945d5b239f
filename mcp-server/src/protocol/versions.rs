//! Protocol revisions this server speaks, and the one place where negotiation happens.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A revision of the MCP specification.
///
/// Revisions are ordered by date, so `version >= ProtocolVersion::V2025_06_18` reads as "has what
/// 2025-06-18 introduced". On the wire (and with [`FromStr`] / [`Display`](fmt::Display)) a
/// revision is its date.
///
/// ```
/// use mcp_server::protocol::ProtocolVersion;
///
/// let v: ProtocolVersion = "2025-03-26".parse()?;
/// assert_eq!(v, ProtocolVersion::V2025_03_26);
/// assert!(v < ProtocolVersion::LATEST);
/// assert_eq!(ProtocolVersion::negotiate("1999-01-01"), ProtocolVersion::LATEST);
/// # Ok::<(), mcp_server::protocol::UnsupportedVersion>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ProtocolVersion {
    /// 2024-11-05, the first public revision.
    V2024_11_05,
    /// 2025-03-26: streamable HTTP, batches, tool annotations, audio.
    V2025_03_26,
    /// 2025-06-18: structured tool output, elicitation, no batches.
    V2025_06_18,
    /// 2025-11-25: the latest initialize-era revision.
    V2025_11_25,
}

/// A revision string this server does not speak.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported protocol version `{0}`")]
pub struct UnsupportedVersion(pub String);

impl ProtocolVersion {
    /// Every supported revision, oldest first.
    pub const ALL: [Self; 4] = [Self::V2024_11_05, Self::V2025_03_26, Self::V2025_06_18, Self::V2025_11_25];

    /// The newest supported revision.
    pub const LATEST: Self = Self::V2025_11_25;

    /// The revision's date, as it appears on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V2024_11_05 => "2024-11-05",
            Self::V2025_03_26 => "2025-03-26",
            Self::V2025_06_18 => "2025-06-18",
            Self::V2025_11_25 => "2025-11-25",
        }
    }

    /// The revision to answer `initialize` with: the client's if supported, else the latest.
    pub fn negotiate(requested: &str) -> Self {
        requested.parse().unwrap_or(Self::LATEST)
    }

    /// Whether JSON-RPC batches are allowed (only 2025-03-26 has them).
    pub fn allows_batches(self) -> bool {
        self == Self::V2025_03_26
    }

    /// Whether the `completions` capability exists (2025-03-26 and later).
    pub fn has_completions(self) -> bool {
        self >= Self::V2025_03_26
    }

    /// Whether SSE streams start with a priming event clients can resume from (2025-11-25).
    pub fn primes_sse_streams(self) -> bool {
        self >= Self::V2025_11_25
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProtocolVersion {
    type Err = UnsupportedVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| UnsupportedVersion(s.to_string()))
    }
}

impl Serialize for ProtocolVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ProtocolVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_orders_and_negotiates() {
        for v in ProtocolVersion::ALL {
            assert_eq!(v.as_str().parse::<ProtocolVersion>(), Ok(v));
            assert_eq!(serde_json::to_string(&v).ok(), Some(format!("\"{v}\"")));
        }
        assert!(ProtocolVersion::ALL.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(ProtocolVersion::negotiate("2025-06-18"), ProtocolVersion::V2025_06_18);
        assert_eq!(ProtocolVersion::negotiate("2026-07-28"), ProtocolVersion::LATEST);
        assert!("2025-06-19".parse::<ProtocolVersion>().is_err());
        assert!(ProtocolVersion::V2025_03_26.allows_batches() && !ProtocolVersion::V2025_06_18.allows_batches());
    }
}
