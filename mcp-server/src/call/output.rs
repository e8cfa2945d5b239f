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
        Some(super::tool::schema_for::<T>())
    }

    fn into_tool_result(self) -> Result<CallToolResult, CallError> {
        structured(&self.0)
    }
}

/// `value` serialized once, for both `structuredContent` and the text block.
fn structured<T: Serialize + ?Sized>(value: &T) -> Result<CallToolResult, CallError> {
    CallToolResult::structured(value).map_err(|e| {
        tracing::error!(error = %e, "tool result failed to serialize");
        CallError::internal().caused_by(e)
    })
}

impl IntoToolResult for Value {
    fn into_tool_result(self) -> Result<CallToolResult, CallError> {
        match self {
            Value::Object(_) => structured(&self),
            Value::String(s) => Ok(CallToolResult::text(s)),
            other => Ok(CallToolResult::text(other.to_string())),
        }
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

/// What a `#[tool]` function may return: `T`, or `Result<T, E>`, where `T: IntoToolResult` and
/// `E` is an error type (`std::error::Error + Send + Sync + 'static`).
///
/// `E` is mapped to the client's error by the exception handlers, then by the error's own
/// [`ToolErrorSpec`](crate::ToolErrorSpec) (`#[derive(ToolError)]`), else masked as
/// `INTERNAL_ERROR`. `String`, `&str`, `Box<dyn Error + Send + Sync>` and `anyhow::Error` do not
/// implement `std::error::Error`: return [`ToolError`](struct@crate::ToolError) to send the model a
/// code and a message, or an error type of your own.
///
/// Any other return type is a compile error on the function's return type:
///
/// ```text
/// error[E0277]: `Result<String, String>` cannot be returned from a `#[tool]` function
///   = note: a tool returns `T` or `Result<T, E>`: `T` is the result (...)
///   = note: for the error type: `String`, `&str`, ... do not implement `std::error::Error`; ...
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a `#[tool]` function",
    label = "not a tool return type",
    note = "a tool returns `T` or `Result<T, E>`: `T` is the result (`String`, `&'static str`, a number, `bool`, \
            `()`, `serde_json::Value`, `Json<T>` for structured output, `Content`, `Vec<Content>`, `CallToolResult`, \
            or a type implementing `mcp_server::IntoToolResult`) and `E` implements \
            `std::error::Error + Send + Sync + 'static`",
    note = "for the error type: `String`, `&str`, `Box<dyn Error + Send + Sync>` and `anyhow::Error` do not implement \
            `std::error::Error`; return `Result<T, mcp_server::ToolError>` with \
            `Err(ToolError::new(\"CODE\", message))` to send the model a code and a message, or an error type of \
            your own: `#[derive(Debug, thiserror::Error, mcp_server::ToolError)]`"
)]
pub trait ToolReturn {
    /// The output schema, for structured (`Json<T>`) results.
    fn output_schema() -> Option<Value>;
}

impl<T: IntoToolResult> ToolReturn for T {
    fn output_schema() -> Option<Value> {
        T::output_schema()
    }
}

impl<T: IntoToolResult, E: std::error::Error + Send + Sync + 'static> ToolReturn for Result<T, E> {
    fn output_schema() -> Option<Value> {
        T::output_schema()
    }
}
