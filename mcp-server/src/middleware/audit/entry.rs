//! One audit entry, before the writer numbers and signs it.

use crate::call::RequestContext;
use crate::error::{CallError, FailureKind};
use serde_json::{Map, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What is audited: a tool call, or (when enabled) a resource read or a prompt get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Tool,
    Resource,
    Prompt,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Tool => "tool",
            Self::Resource => "resource",
            Self::Prompt => "prompt",
        }
    }
}

/// What the middleware knows about a finished call.
pub(crate) struct Finished<'a> {
    pub(crate) kind: Kind,
    pub(crate) name: &'a str,
    pub(crate) ctx: &'a RequestContext,
    pub(crate) started: SystemTime,
    pub(crate) elapsed: Duration,
    pub(crate) outcome: Result<(), &'a CallError>,
    pub(crate) args: Option<Value>,
}

/// The entry's fields: `timestamp, tool, client_id, authenticated, request_id, status,
/// duration_ms`, `error_code` on failure, `args` when enabled, and `kind` for resources and prompts.
pub(crate) fn build(f: Finished<'_>) -> Map<String, Value> {
    let mut e = Map::new();
    e.insert("timestamp".into(), rfc3339(f.started).into());
    e.insert("tool".into(), f.name.into());
    if f.kind != Kind::Tool {
        e.insert("kind".into(), f.kind.as_str().into());
    }
    // Read after the call: the auth middleware (inside this one) has recorded the caller by now.
    e.insert("client_id".into(), f.ctx.client_id().map_or(Value::Null, Value::from));
    // Whether `client_id` was verified, or is only the name the client declared at initialize
    // (no credentials, or a layer outside auth — an open circuit — answered first).
    e.insert("authenticated".into(), f.ctx.identity().is_some().into());
    e.insert("request_id".into(), f.ctx.request_id().to_value());
    let status = match f.outcome {
        Ok(_) => "success",
        Err(err) if err.kind() == FailureKind::Cancelled => "cancelled",
        Err(_) => "error",
    };
    e.insert("status".into(), status.into());
    e.insert("duration_ms".into(), u64::try_from(f.elapsed.as_millis()).unwrap_or(u64::MAX).into());
    if let Err(err) = f.outcome {
        e.insert("error_code".into(), err.code().into());
    }
    if let Some(args) = f.args {
        e.insert("args".into(), args);
    }
    e
}

/// `2026-03-05T12:34:56.789Z` (UTC, milliseconds).
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(i64::try_from(days).unwrap_or(i64::MAX));
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, u32::try_from(m).unwrap_or(1), u32::try_from(d).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_timestamps() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_709_812_345_600);
        assert_eq!(rfc3339(t), "2024-03-07T11:52:25.600Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00.000Z");
    }
}
