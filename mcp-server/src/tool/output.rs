use crate::error::CallError;
use crate::protocol::{CallToolResult, Content};
use serde::Serialize;
use serde_json::Value;

/// A structured tool result: serialized as `structuredContent` (with an `outputSchema` generated
/// from `T`) and, for older clients, as the same JSON in a text block.
///
/// ```
/// use mcp_server::{tool, Json};
///
/// #[derive(serde::Serialize, schemars::JsonSchema)]
/// struct Sum { value: i64 }
///
/// /// Add two numbers.
/// #[tool]
/// async fn add(a: i64, b: i64) -> Json<Sum> {
///     Json(Sum { value: a + b })
/// }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Json<T>(pub T);

/// Converts a tool's success value into a `tools/call` result.
pub trait IntoToolResult {
    /// The output schema, for structured results.
    fn output_schema() -> Option<Value> {
        None
    }

    /// The result to send.
    fn into_tool_result(self) -> Result<CallToolResult, CallError>;
}

impl<T: Serialize + schemars::JsonSchema> IntoToolResult for Json<T> {
    fn output_schema() -> Option<Value> {
        Some(super::definition::schema_for::<T>())
    }

    fn into_tool_result(self) -> Result<CallToolResult, CallError> {
        let value = serde_json::to_value(&self.0).map_err(|e| {
            tracing::error!(error = %e, "tool result failed to serialize");
            CallError::internal()
        })?;
        Ok(structured(value))
    }
}

fn structured(value: Value) -> CallToolResult {
    let text = value.to_string();
    CallToolResult { content: vec![Content::text(text)], structured_content: Some(value), is_error: None }
}

impl IntoToolResult for Value {
    fn into_tool_result(self) -> Result<CallToolResult, CallError> {
        Ok(match self {
            Value::Object(_) => structured(self),
            Value::String(s) => CallToolResult::text(s),
            other => CallToolResult::text(other.to_string()),
        })
    }
}

impl IntoToolResult for CallToolResult {
    fn into_tool_result(self) -> Result<CallToolResult, CallError> {
        Ok(self)
    }
}

impl IntoToolResult for Content {
    fn into_tool_result(self) -> Result<CallToolResult, CallError> {
        Ok(CallToolResult::from_content(vec![self]))
    }
}

impl IntoToolResult for Vec<Content> {
    fn into_tool_result(self) -> Result<CallToolResult, CallError> {
        Ok(CallToolResult::from_content(self))
    }
}

impl IntoToolResult for String {
    fn into_tool_result(self) -> Result<CallToolResult, CallError> {
        Ok(CallToolResult::text(self))
    }
}

impl IntoToolResult for &'static str {
    fn into_tool_result(self) -> Result<CallToolResult, CallError> {
        Ok(CallToolResult::text(self))
    }
}

impl IntoToolResult for () {
    fn into_tool_result(self) -> Result<CallToolResult, CallError> {
        Ok(CallToolResult::default())
    }
}

macro_rules! display_results {
    ($($t:ty),*) => {$(
        impl IntoToolResult for $t {
            fn into_tool_result(self) -> Result<CallToolResult, CallError> {
                Ok(CallToolResult::text(self.to_string()))
            }
        }
    )*};
}
display_results!(bool, i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64);

/// The output schema of a tool's declared return type (`T` or `Result<T, E>`).
pub trait OutputSchema {
    /// `Some` for structured (`Json<T>`) results.
    fn schema() -> Option<Value>;
}

impl<T: IntoToolResult> OutputSchema for T {
    fn schema() -> Option<Value> {
        T::output_schema()
    }
}

impl<T: IntoToolResult, E> OutputSchema for Result<T, E> {
    fn schema() -> Option<Value> {
        T::output_schema()
    }
}

/// The output schema for return type `R` (what the macro calls).
pub fn output_schema_of<R: OutputSchema>() -> Option<Value> {
    R::schema()
}
