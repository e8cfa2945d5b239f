//! Tool arguments: deserialized straight from the frame's raw JSON, with failures that name the
//! offending field.

use crate::error::{CallError, FailureKind, ToolError};
use serde::de::DeserializeOwned;

/// Deserializes `raw` into `A`. A failure becomes an `isError` result with code
/// `VALIDATION_ERROR` whose `details.field` names the offending field.
pub(crate) fn parse_json<A: DeserializeOwned>(raw: &str) -> Result<A, CallError> {
    // Hot path: plain serde_json. Path tracking costs allocations per field, so it only runs
    // again to explain a failure.
    if let Ok(args) = serde_json::from_str(raw) {
        return Ok(args);
    }
    let mut de = serde_json::Deserializer::from_str(raw);
    serde_path_to_error::deserialize::<_, A>(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.to_string();
        // A missing field is reported at its parent's path: name the field itself.
        let at_root = path == "." || path.is_empty();
        let field = match missing_field(&msg) {
            Some(missing) if at_root => Some(missing.to_string()),
            Some(missing) => Some(format!("{path}.{missing}")),
            None => (!at_root).then_some(path),
        };
        let message = match &field {
            Some(f) => format!("Invalid argument `{f}`: {}", strip_position(&msg)),
            None => format!("Invalid arguments: {}", strip_position(&msg)),
        };
        CallError::new(FailureKind::Validation, ToolError::validation(field.as_deref(), message))
    })
}

fn missing_field(msg: &str) -> Option<&str> {
    let rest = msg.strip_prefix("missing field `")?;
    rest.split('`').next()
}

fn strip_position(msg: &str) -> &str {
    msg.rfind(" at line ").map_or(msg, |i| &msg[..i])
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[expect(dead_code, reason = "fields only exercise deserialization")]
    struct A {
        text: String,
        n: i64,
    }

    #[derive(serde::Deserialize, Debug)]
    #[expect(dead_code, reason = "fields only exercise deserialization")]
    struct B {
        a: A,
    }

    #[test]
    fn names_the_field() {
        let e = parse_json::<A>(r#"{"text":"x"}"#).unwrap_err();
        assert_eq!(e.code(), "VALIDATION_ERROR");
        assert_eq!(e.tool_error().details, Some(serde_json::json!({"field":"n"})));
        let e = parse_json::<B>(r#"{"a":{"text":"x"}}"#).unwrap_err();
        assert_eq!(e.tool_error().details, Some(serde_json::json!({"field":"a.n"})));
        let e = parse_json::<A>(r#"{"text":"x","n":"nope"}"#).unwrap_err();
        assert_eq!(e.tool_error().details, Some(serde_json::json!({"field":"n"})));
        assert!(e.message().starts_with("Invalid argument `n`: invalid type"), "{}", e.message());
    }
}
