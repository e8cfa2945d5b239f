//! What `#[derive(ToolError)]` expands to for a transparent variant: the wrapped error's own
//! mapping when it has one (`ToolErrorSpec`), else the masked internal error, picked by autoref
//! specialization since the wrapped type may or may not implement `ToolErrorSpec`
//! (`(&&SpecProbe(field)).__mcp_spec()`); and the wrapped error as a `&dyn Error` for
//! `ToolErrorSpec::wrapped`.

use crate::error::{ToolError, ToolErrorSpec};
use std::error::Error as StdError;

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

/// The wrapped error as a trait object. Called with method syntax, so that auto-deref reaches
/// the error inside a `Box<dyn Error + Send + Sync>` (or an `anyhow::Error`), which are not
/// `std::error::Error` themselves; the handlers then see the boxed error's concrete type.
pub trait AsDynError {
    /// `self` as `&dyn Error`.
    fn __mcp_as_dyn_error(&self) -> &(dyn StdError + 'static);
}

impl<T: StdError + 'static> AsDynError for T {
    fn __mcp_as_dyn_error(&self) -> &(dyn StdError + 'static) {
        self
    }
}

impl AsDynError for dyn StdError + 'static {
    fn __mcp_as_dyn_error(&self) -> &(dyn StdError + 'static) {
        self
    }
}

impl AsDynError for dyn StdError + Send + 'static {
    fn __mcp_as_dyn_error(&self) -> &(dyn StdError + 'static) {
        self
    }
}

impl AsDynError for dyn StdError + Send + Sync + 'static {
    fn __mcp_as_dyn_error(&self) -> &(dyn StdError + 'static) {
        self
    }
}
