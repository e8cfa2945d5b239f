//! Exception handlers: the registry that maps a failing tool's error (by type, then along its
//! `source()` chain) to a [`ToolError`], and the one place where a tool's error becomes the
//! [`CallError`] middleware see.

use super::RequestContext;
use crate::error::{CallError, FailureKind, ToolError, ToolErrorSpec};
use futures_util::future::BoxFuture;
use futures_util::FutureExt as _;
use std::any::TypeId;
use std::error::Error as StdError;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

/// Maps one error type to a [`ToolError`]; what `#[exception_handler]` implements.
///
/// The registry looks a failing tool's error up by its concrete type first, then along its
/// `source()` chain: the handler nearest the top (the most specific) wins. A handler that panics
/// yields the masked internal error, never its text.
pub trait ExceptionHandler: Send + Sync + 'static {
    /// The error type handled.
    type Error: StdError + 'static;

    /// Builds the structured error for `exc`.
    fn handle<'a>(&'a self, ctx: &'a RequestContext, exc: &'a Self::Error) -> BoxFuture<'a, ToolError>;
}

trait ErasedHandler: Send + Sync {
    fn try_handle<'a>(
        &'a self,
        ctx: &'a RequestContext,
        err: &'a (dyn StdError + 'static),
    ) -> Option<BoxFuture<'a, ToolError>>;
}

struct Erased<H>(H);

impl<H: ExceptionHandler> ErasedHandler for Erased<H> {
    fn try_handle<'a>(
        &'a self,
        ctx: &'a RequestContext,
        err: &'a (dyn StdError + 'static),
    ) -> Option<BoxFuture<'a, ToolError>> {
        err.downcast_ref::<H::Error>().map(|e| self.0.handle(ctx, e))
    }
}

/// The exception-handler registry (one per server).
#[derive(Clone, Default)]
pub(crate) struct ExceptionHandlers {
    handlers: Vec<(TypeId, Arc<dyn ErasedHandler>)>,
}

impl std::fmt::Debug for ExceptionHandlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExceptionHandlers").field("len", &self.handlers.len()).finish()
    }
}

impl ExceptionHandlers {
    /// Registers a handler; a later handler for the same type replaces an earlier one.
    pub(crate) fn register<H: ExceptionHandler>(&mut self, handler: H) {
        let key = TypeId::of::<H::Error>();
        self.handlers.retain(|(k, _)| *k != key);
        self.handlers.push((key, Arc::new(Erased(handler))));
    }

    /// The handler for `err`'s own concrete type, ready to run.
    fn find_exact<'a>(&'a self, ctx: &'a RequestContext, err: &'a (dyn StdError + 'static)) -> Option<Handling<'a>> {
        self.handlers.iter().find_map(|(_, h)| h.try_handle(ctx, err)).map(Handling)
    }

    /// The handler for `err`'s concrete type, else for the nearest error along its `source()`
    /// chain, ready to run.
    fn find_chain<'a>(&'a self, ctx: &'a RequestContext, err: &'a (dyn StdError + 'static)) -> Option<Handling<'a>> {
        let mut current = Some(err);
        while let Some(e) = current {
            if let Some(call) = self.find_exact(ctx, e) {
                return Some(call);
            }
            current = e.source();
        }
        None
    }
}

/// A matched exception handler, ready to run.
struct Handling<'a>(BoxFuture<'a, ToolError>);

impl Handling<'_> {
    /// Runs the handler; a panic yields the masked internal error.
    async fn run(self) -> ToolError {
        match AssertUnwindSafe(self.0).catch_unwind().await {
            Ok(mapped) => mapped,
            Err(_) => {
                tracing::error!("an exception handler panicked; answering with the masked internal error");
                ToolError::internal()
            }
        }
    }
}

/// Runs `handling`, if there is one.
async fn run(handling: Option<Handling<'_>>) -> Option<ToolError> {
    match handling {
        Some(h) => Some(h.run().await),
        None => None,
    }
}

/// An error that maps itself ([`ToolErrorSpec`]), kept as a trait object so that both its mapping
/// and its `std::error::Error` side stay reachable.
pub(crate) trait SpecError: ToolErrorSpec + StdError + Send + Sync + 'static {
    fn as_error(&self) -> &(dyn StdError + 'static);
    fn into_error(self: Box<Self>) -> Box<dyn StdError + Send + Sync + 'static>;
}

impl<E: ToolErrorSpec + StdError + Send + Sync + 'static> SpecError for E {
    fn as_error(&self) -> &(dyn StdError + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn StdError + Send + Sync + 'static> {
        self
    }
}

/// A tool's error, before the exception handlers have seen it. `type_name` names the error's type
/// in the log if it ends up masked.
pub(crate) enum ToolFailure {
    /// An error that knows its own mapping (a registered handler for its type still wins).
    Mapped { error: Box<dyn SpecError>, type_name: &'static str },
    /// An error for the exception-handler registry.
    Unmapped { error: Box<dyn StdError + Send + Sync + 'static>, type_name: &'static str },
}

impl RequestContext {
    /// Maps an error raised by a middleware (e.g. `CircuitOpenError`) through the server's
    /// exception handlers — a user handler for its type wins — else through its own mapping.
    /// The failure keeps `kind`, whatever the handler answers, and `err` as its source.
    ///
    /// # Cancellation safety
    /// Cancellation safe: it only runs the handler.
    pub async fn map_error<E>(&self, err: E, kind: FailureKind) -> CallError
    where
        E: ToolErrorSpec + StdError + Send + Sync + 'static,
    {
        let mapped = match run(self.services().handlers.find_exact(self, &err)).await {
            Some(mapped) => mapped,
            None => err.to_tool_error(),
        };
        CallError::new(kind, mapped).caused_by(err)
    }

    /// Turns the error of tool `tool` into the failure middleware see. Unhandled errors become the
    /// masked `INTERNAL_ERROR`, and the log names their type and message (at `warn`).
    pub(crate) async fn map_tool_failure(&self, tool: &str, failure: ToolFailure) -> CallError {
        let handlers = &self.services().handlers;
        match failure {
            ToolFailure::Mapped { error, type_name } => {
                if error.as_error().is::<crate::error::Cancelled>() {
                    return CallError::cancelled();
                }
                let handling = handlers
                    .find_exact(self, error.as_error())
                    .or_else(|| error.wrapped().and_then(|inner| handlers.find_chain(self, inner)));
                let mapped = run(handling).await;
                let mapped = mapped.unwrap_or_else(|| error.to_tool_error());
                if mapped.code == "INTERNAL_ERROR" {
                    log_masked(tool, error.as_error(), type_name);
                }
                CallError::tool(mapped).caused_by_boxed(error.into_error())
            }
            ToolFailure::Unmapped { error, type_name } => match run(handlers.find_chain(self, &*error)).await {
                Some(mapped) => CallError::tool(mapped).caused_by_boxed(error),
                None => {
                    log_masked(tool, &*error, type_name);
                    CallError::internal().caused_by_boxed(error)
                }
            },
        }
    }
}

/// The masked error's cause stays in the server's log, where the operator can see it: its static
/// type, its message, its `Debug` form (which names the variant and the error a wrapper enum holds)
/// and its `source()` chain.
fn log_masked(tool: &str, error: &(dyn StdError + 'static), type_name: &str) {
    tracing::warn!(
        tool,
        error.type = type_name,
        error.message = %error,
        error.debug = ?error,
        error.source = ?source_chain(error),
        "tool error masked as INTERNAL_ERROR (map it with #[exception_handler] or #[derive(ToolError)])"
    );
}

/// The messages of `error`'s sources, outermost first, joined by `: `.
fn source_chain(error: &(dyn StdError + 'static)) -> Option<String> {
    let mut source = error.source();
    let mut chain = source?.to_string();
    while let Some(next) = source.and_then(StdError::source) {
        chain = format!("{chain}: {next}");
        source = Some(next);
    }
    Some(chain)
}
