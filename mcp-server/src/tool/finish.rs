//! Turning a tool's return value into a [`ToolResult`], picking the error path by type.
//!
//! The `#[tool]` expansion calls `(&&&Tagged::new(out)).__mcp_finish()`; method resolution then
//! picks the most specific of three impls (autoref specialization): an error type that maps itself
//! (`#[derive(ToolError)]`, [`ToolError`]), any other `std::error::Error` (looked up in the
//! exception-handler registry), or a plain success value.

use super::{IntoToolResult, ToolResult};
use crate::error::{CallError, ToolError, ToolErrorSpec};
use crate::extract::Cancelled;
use crate::middleware::CallRequest;
use std::cell::Cell;
use std::error::Error as StdError;

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

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
#[derive(Debug)]
pub enum Completion {
    /// Final.
    Done(ToolResult),
    /// An error that carries its own mapping (a registered handler for its type still wins).
    Mapped {
        /// The original error.
        error: BoxError,
        /// Its own mapping.
        mapped: ToolError,
    },
    /// An error for the exception-handler registry.
    Unmapped(BoxError),
}

fn consumed() -> Completion {
    tracing::error!("tool result finished twice");
    Completion::Done(Err(CallError::internal()))
}

/// Specialization tier 1: errors that map themselves.
pub trait FinishErrorSpec {
    /// Converts the return value.
    fn __mcp_finish(&self) -> Completion;
}

impl<T: IntoToolResult, E: ToolErrorSpec + StdError + Send + Sync + 'static> FinishErrorSpec
    for &&Tagged<Result<T, E>>
{
    fn __mcp_finish(&self) -> Completion {
        match self.take() {
            Some(Ok(v)) => Completion::Done(v.into_tool_result()),
            Some(Err(e)) => Completion::Mapped { mapped: e.to_tool_error(), error: Box::new(e) },
            None => consumed(),
        }
    }
}

/// Specialization tier 2: other errors, mapped by the exception-handler registry.
pub trait FinishError {
    /// Converts the return value.
    fn __mcp_finish(&self) -> Completion;
}

impl<T: IntoToolResult, E: StdError + Send + Sync + 'static> FinishError for &Tagged<Result<T, E>> {
    fn __mcp_finish(&self) -> Completion {
        match self.take() {
            Some(Ok(v)) => Completion::Done(v.into_tool_result()),
            Some(Err(e)) => Completion::Unmapped(Box::new(e)),
            None => consumed(),
        }
    }
}

/// Specialization tier 3: plain success values.
pub trait FinishOutput {
    /// Converts the return value.
    fn __mcp_finish(&self) -> Completion;
}

impl<T: IntoToolResult> FinishOutput for Tagged<T> {
    fn __mcp_finish(&self) -> Completion {
        match self.take() {
            Some(v) => Completion::Done(v.into_tool_result()),
            None => consumed(),
        }
    }
}

/// Runs the exception-handler registry on a failed completion (at the endpoint, so middleware see
/// the mapped error). Unhandled errors become the masked `INTERNAL_ERROR`; details go to tracing.
pub async fn complete(req: &CallRequest, completion: Completion) -> ToolResult {
    let handlers = &req.context().inner.session.server.handlers;
    match completion {
        Completion::Done(r) => r,
        Completion::Mapped { error, mapped } => {
            if error.is::<Cancelled>() {
                return Err(CallError::cancelled());
            }
            let call = handlers.find_exact(req.context(), &*error);
            match call {
                Some(c) => Err(CallError::tool(c.run().await)),
                None => Err(CallError::tool(mapped)),
            }
        }
        Completion::Unmapped(error) => match handlers.find_chain(req.context(), &*error) {
            Some(c) => Err(CallError::tool(c.run().await)),
            None => {
                tracing::error!(tool = req.name(), error = %error, source = ?error.source().map(ToString::to_string),
                    "unhandled tool error (masked as INTERNAL_ERROR)");
                Err(CallError::internal())
            }
        },
    }
}
