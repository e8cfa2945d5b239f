//! Turning a tool's return value into a [`Completion`], picking the error path by type.
//!
//! The `#[tool]` expansion calls `(&&&&&Tagged::new(out)).__mcp_finish()`; method resolution then
//! picks the most specific of five impls (autoref specialization): the runtime's own `CallError`
//! (passed through as it is: a tool may fail exactly as a middleware would), an error type that maps itself
//! (`#[derive(ToolError)]`, [`ToolError`](crate::ToolError)), any other `std::error::Error`
//! (looked up in the exception-handler registry), a plain success value, or, for a return type
//! that is none of these, a fallback that is never run: the expansion's `output_schema::<R>()`
//! has already reported the type with a message that says what a tool may return.

use crate::call::{IntoToolResult, SpecError, ToolFailure, ToolResult};
use crate::error::{CallError, ToolErrorSpec};
use std::cell::Cell;
use std::error::Error as StdError;

/// A tool's return value, wrapped for specialization.
pub struct Tagged<T>(Cell<Option<T>>);

impl<T> std::fmt::Debug for Tagged<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tagged")
    }
}

impl<T> Tagged<T> {
    /// Wraps a return value.
    pub fn new(value: T) -> Self {
        Self(Cell::new(Some(value)))
    }

    fn take(&self) -> Option<T> {
        self.0.take()
    }
}

/// A tool's outcome before exception handlers have run.
pub struct Completion(pub(crate) Result<ToolResult, ToolFailure>);

impl std::fmt::Debug for Completion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Completion")
    }
}

fn done(result: ToolResult) -> Completion {
    Completion(Ok(result))
}

fn consumed() -> Completion {
    tracing::error!("tool result finished twice");
    done(Err(CallError::internal()))
}

/// Specialization tier 0: the runtime's `CallError`, passed through with its kind (a timeout stays a
/// timeout, a protocol error a JSON-RPC error, a cancellation gets no response).
pub trait FinishCallError {
    /// Converts the return value.
    fn __mcp_finish(&self) -> Completion;
}

impl<T: IntoToolResult> FinishCallError for &&&&Tagged<Result<T, CallError>> {
    fn __mcp_finish(&self) -> Completion {
        match self.take() {
            Some(Ok(v)) => done(v.into_tool_result()),
            Some(Err(e)) => done(Err(e)),
            None => consumed(),
        }
    }
}

/// Specialization tier 1: errors that map themselves.
pub trait FinishErrorSpec {
    /// Converts the return value.
    fn __mcp_finish(&self) -> Completion;
}

impl<T: IntoToolResult, E: ToolErrorSpec + StdError + Send + Sync + 'static> FinishErrorSpec
    for &&&Tagged<Result<T, E>>
{
    fn __mcp_finish(&self) -> Completion {
        match self.take() {
            Some(Ok(v)) => done(v.into_tool_result()),
            Some(Err(e)) => {
                let error: Box<dyn SpecError> = Box::new(e);
                Completion(Err(ToolFailure::Mapped { error, type_name: std::any::type_name::<E>() }))
            }
            None => consumed(),
        }
    }
}

/// Specialization tier 2: other errors, mapped by the exception-handler registry.
pub trait FinishError {
    /// Converts the return value.
    fn __mcp_finish(&self) -> Completion;
}

impl<T: IntoToolResult, E: StdError + Send + Sync + 'static> FinishError for &&Tagged<Result<T, E>> {
    fn __mcp_finish(&self) -> Completion {
        match self.take() {
            Some(Ok(v)) => done(v.into_tool_result()),
            Some(Err(e)) => {
                Completion(Err(ToolFailure::Unmapped { error: Box::new(e), type_name: std::any::type_name::<E>() }))
            }
            None => consumed(),
        }
    }
}

/// Specialization tier 3: plain success values.
pub trait FinishOutput {
    /// Converts the return value.
    fn __mcp_finish(&self) -> Completion;
}

impl<T: IntoToolResult> FinishOutput for &Tagged<T> {
    fn __mcp_finish(&self) -> Completion {
        match self.take() {
            Some(v) => done(v.into_tool_result()),
            None => consumed(),
        }
    }
}

/// Specialization tier 4: an unsupported return type, already reported by `output_schema::<R>()`;
/// matching it keeps method resolution from adding a second, less helpful error.
pub trait FinishFallback {
    /// Never called by a program that compiles.
    fn __mcp_finish(&self) -> Completion;
}

impl<T> FinishFallback for Tagged<T> {
    fn __mcp_finish(&self) -> Completion {
        done(Err(CallError::internal()))
    }
}
