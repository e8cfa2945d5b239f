//! Paths the macros expand to. Not public API: may change in any release.

mod finish;
mod transparent;

pub use crate::call::{
    CallToolRequest, ExceptionHandler, RequestContext, Tool, ToolDefinition, ToolResult, ToolReturn,
};
pub use crate::error::{CallError, ToolError, ToolErrorSpec};
pub use crate::extract::FromContext;
pub use finish::{Completion, FinishCallError, FinishError, FinishErrorSpec, FinishFallback, FinishOutput, Tagged};
pub use futures_util::future::BoxFuture;
pub use schemars;
pub use serde;
pub use serde_json;
pub use transparent::{AsDynError, SpecOf, SpecProbe, WrappedSpec};

/// Extracts an injected parameter.
pub fn extract<T: FromContext>(req: &CallToolRequest) -> Result<T, CallError> {
    T::from_context(req.context())
}

/// Parses the call's arguments into the generated arguments struct.
pub fn parse_args<A: serde::de::DeserializeOwned>(req: &CallToolRequest) -> Result<A, CallError> {
    req.parse_arguments()
}

/// The output schema of return type `R`; also where an unsupported return type is reported.
pub fn output_schema<R: ToolReturn>() -> Option<serde_json::Value> {
    R::output_schema()
}

/// Runs the exception handlers on a failed completion (at the endpoint, so middleware see the
/// mapped error).
///
/// # Cancellation safety
/// Cancellation safe: it only runs the handler.
pub async fn complete(req: &CallToolRequest, completion: Completion) -> ToolResult {
    match completion.0 {
        Ok(result) => result,
        Err(failure) => Err(req.context().map_tool_failure(req.name(), failure).await),
    }
}
