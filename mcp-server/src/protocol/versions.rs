//! Protocol revisions this server speaks, and the one place where negotiation happens.

/// 2024-11-05, the first public revision.
pub const V2024_11_05: &str = "2024-11-05";
/// 2025-03-26: streamable HTTP, batches, tool annotations, audio.
pub const V2025_03_26: &str = "2025-03-26";
/// 2025-06-18: structured tool output, elicitation, no batches.
pub const V2025_06_18: &str = "2025-06-18";
/// 2025-11-25: the latest initialize-era revision.
pub const V2025_11_25: &str = "2025-11-25";

/// Every supported revision, oldest first.
pub const SUPPORTED: [&str; 4] = [V2024_11_05, V2025_03_26, V2025_06_18, V2025_11_25];

/// The newest supported revision.
pub const LATEST: &str = V2025_11_25;

/// The revision to answer `initialize` with: the client's if supported, else the latest.
///
/// ```
/// use mcp_server::protocol::versions::{negotiate, LATEST};
/// assert_eq!(negotiate("2025-03-26"), "2025-03-26");
/// assert_eq!(negotiate("1999-01-01"), LATEST);
/// ```
pub fn negotiate(requested: &str) -> &'static str {
    SUPPORTED.iter().copied().find(|v| *v == requested).unwrap_or(LATEST)
}

/// Whether `version` is a supported revision.
pub fn is_supported(version: &str) -> bool {
    SUPPORTED.contains(&version)
}

/// Whether JSON-RPC batches are allowed under `version` (only 2025-03-26 has them).
pub fn allows_batches(version: &str) -> bool {
    version == V2025_03_26
}

/// Whether invalid tool arguments are reported as an `isError` result (always true here: it is
/// what every official client shows the model, and 2025-11-25 made it normative).
pub fn validation_errors_as_results(_version: &str) -> bool {
    true
}
