//! Offline verification of a signed audit log.

use super::chain::{canonical, entry_hash, hmac_matches, AuditKey, GENESIS};
use serde_json::{Map, Value};
use std::fmt;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

/// The outcome of [`verify_audit_log`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyReport {
    /// Every entry verifies and the chain is unbroken.
    Ok {
        /// How many entries the log holds.
        entries: u64,
        /// The hash of the last entry (the chain head; `None` for an empty log). Record it
        /// elsewhere (a ticket, a webhook) to detect later truncation of the log's tail, which
        /// a hash chain alone cannot reveal.
        head: Option<String>,
    },
    /// The first entry that does not verify.
    Broken(BrokenEntry),
}

impl VerifyReport {
    /// Whether the log verified.
    pub fn is_ok(&self) -> bool {
        matches!(self, Self::Ok { .. })
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ok { entries, head: Some(head) } => write!(f, "OK: {entries} entries verified, chain head {head}"),
            Self::Ok { entries, head: None } => write!(f, "OK: {entries} entries verified"),
            Self::Broken(b) => write!(f, "{b}"),
        }
    }
}

/// Where and why verification stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenEntry {
    /// The 1-based line number in the file.
    pub line: u64,
    /// The entry's `seq`, when it could be read.
    pub seq: Option<u64>,
    /// What is wrong with it.
    pub reason: BreakReason,
    /// How many entries before it verified.
    pub verified: u64,
}

impl fmt::Display for BrokenEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BROKEN at line {}", self.line)?;
        if let Some(seq) = self.seq {
            write!(f, " (seq {seq})")?;
        }
        write!(f, ": {} ({} entries before it verified)", self.reason, self.verified)
    }
}

/// Why an entry does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BreakReason {
    /// The line is not a JSON object.
    Malformed,
    /// The file ends in the middle of a line.
    Incomplete,
    /// The entry has no `seq`, `prev_hash` or `hmac`.
    Unsigned,
    /// The HMAC does not match: the entry was modified, or forged without the key.
    BadHmac,
    /// The signed content is intact but the line is not the text the writer wrote (keys
    /// duplicated or reordered, whitespace added): what a reader sees may differ from what
    /// was signed.
    NotCanonical,
    /// The sequence number is not the next one: entries were deleted, reordered or duplicated.
    OutOfSequence {
        /// The sequence number this line should carry.
        expected: u64,
        /// The one it carries.
        found: u64,
    },
    /// `prev_hash` does not match the previous entry: an entry before it was replaced.
    ChainBroken,
}

impl fmt::Display for BreakReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => f.write_str("not a JSON object"),
            Self::Incomplete => f.write_str("the last line is incomplete"),
            Self::Unsigned => f.write_str("the entry is not signed (no seq, prev_hash or hmac)"),
            Self::BadHmac => f.write_str("HMAC mismatch: the entry was modified or inserted"),
            Self::NotCanonical => f.write_str("the line is not in its signed form (duplicated keys or reformatting)"),
            Self::OutOfSequence { expected, found } if found > expected => {
                write!(f, "expected seq {expected}, found {found}: entries were deleted or reordered")
            }
            Self::OutOfSequence { expected, found } => {
                write!(f, "expected seq {expected}, found {found}: entries were reordered or duplicated")
            }
            Self::ChainBroken => f.write_str("prev_hash does not match the previous entry: the chain is broken"),
        }
    }
}

/// Verifies a signed audit log written by [`AuditMiddleware`](super::AuditMiddleware): every
/// entry's HMAC, its sequence number and its link to the previous entry. Modified, deleted,
/// reordered and inserted lines are all reported, at the first line where the log stops
/// verifying. Truncation of the log's *tail* is invisible to any hash chain: compare the
/// reported head with one recorded elsewhere.
///
/// Blocking file I/O: from async code call it inside `tokio::task::spawn_blocking`.
///
/// ```no_run
/// use mcp_server::middleware::{verify_audit_log, AuditKey};
/// let key = AuditKey::from_env("MCP_AUDIT_KEY")?.expect("MCP_AUDIT_KEY is set");
/// let report = verify_audit_log("audit.jsonl", &key)?;
/// println!("{report}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify_audit_log(path: impl AsRef<Path>, key: &AuditKey) -> io::Result<VerifyReport> {
    let mut reader = BufReader::new(std::fs::File::open(path)?);
    let mut prev = GENESIS.to_string();
    let mut verified: u64 = 0;
    let mut raw = Vec::new();
    let mut line_no: u64 = 0;
    loop {
        raw.clear();
        if reader.read_until(b'\n', &mut raw)? == 0 {
            let head = (verified > 0).then_some(prev);
            return Ok(VerifyReport::Ok { entries: verified, head });
        }
        line_no += 1;
        let broken = |seq: Option<u64>, reason: BreakReason| {
            Ok(VerifyReport::Broken(BrokenEntry { line: line_no, seq, reason, verified }))
        };
        let Some(line) = raw.strip_suffix(b"\n") else {
            return broken(None, BreakReason::Incomplete);
        };
        let Ok(entry) = serde_json::from_slice::<Map<String, Value>>(line) else {
            return broken(None, BreakReason::Malformed);
        };
        let seq = entry.get("seq").and_then(Value::as_u64);
        let (Some(found), Some(prev_hash), true) =
            (seq, entry.get("prev_hash").and_then(Value::as_str), entry.contains_key("hmac"))
        else {
            return broken(seq, BreakReason::Unsigned);
        };
        if !hmac_matches(key, &entry) {
            return broken(seq, BreakReason::BadHmac);
        }
        // A duplicated key parses as its last value: the signature holds, but a reader taking
        // the first would see something else. The writer only ever writes the canonical form.
        if canonical(&Value::Object(entry.clone())).as_bytes() != line {
            return broken(seq, BreakReason::NotCanonical);
        }
        let expected = verified + 1;
        if found != expected {
            return broken(seq, BreakReason::OutOfSequence { expected, found });
        }
        if prev_hash != prev {
            return broken(seq, BreakReason::ChainBroken);
        }
        prev = entry_hash(&entry);
        verified += 1;
    }
}
