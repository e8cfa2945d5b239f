//! What `#[derive(ToolError)]` expands to for a transparent variant: the wrapped error's own
//! mapping when it has one (`ToolErrorSpec`), else the masked internal error. Picked by autoref
//! specialization, since the wrapped type may or may not implement `ToolErrorSpec`.

use crate::error::{ToolError, ToolErrorSpec};

/// Wraps a reference to the wrapped error for specialization.
#[derive(Debug)]
pub struct SpecProbe<'a, T: ?Sized>(pub &'a T);

/// Tier 1: the wrapped error maps itself.
pub trait WrappedSpec {
    /// The wrapped error's mapping.
    fn __mcp_spec(&self) -> ToolError;
}

impl<T: ToolErrorSpec + ?Sized> WrappedSpec for &SpecProbe<'_, T> {
    fn __mcp_spec(&self) -> ToolError {
        self.0.to_tool_error()
    }
}

/// Tier 2: it does not; unless an exception handler maps it, it is masked.
pub trait SpecOf {
    /// The masked internal error.
    fn __mcp_spec(&self) -> ToolError;
}

impl<T: ?Sized> SpecOf for SpecProbe<'_, T> {
    fn __mcp_spec(&self) -> ToolError {
        ToolError::internal()
    }
}
