//! Paths the macros expand to. Not public API: may change in any release.

pub use crate::error::{ExceptionHandler, ToolError, ToolErrorSpec};
pub use crate::extract::{FromContext, RequestContext};
pub use crate::middleware::CallRequest;
pub use crate::tool::{
    complete, output_schema_of, parse_args, Completion, FinishError, FinishErrorSpec, FinishOutput, Tagged, Tool,
    ToolDefinition, ToolResult,
};
pub use futures_util::future::BoxFuture;
pub use schemars;
pub use serde;
pub use serde_json;

/// Extracts an injected parameter.
pub fn extract<T: FromContext>(req: &CallRequest) -> Result<T, crate::error::CallError> {
    T::from_context(req.context())
}
