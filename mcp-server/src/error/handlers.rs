use super::ToolError;
use crate::extract::RequestContext;
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
pub struct ExceptionHandlers {
    handlers: Vec<(TypeId, Arc<dyn ErasedHandler>)>,
}

impl std::fmt::Debug for ExceptionHandlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExceptionHandlers").field("len", &self.handlers.len()).finish()
    }
}

impl ExceptionHandlers {
    /// Registers a handler; a later handler for the same type replaces an earlier one.
    pub fn register<H: ExceptionHandler>(&mut self, handler: H) {
        let key = TypeId::of::<H::Error>();
        self.handlers.retain(|(k, _)| *k != key);
        self.handlers.push((key, Arc::new(Erased(handler))));
    }

    /// Whether no handler is registered.
    pub fn is_empty(&self) -> bool {
        self.handlers.is_empty()
    }

    /// The handler for `err`'s own concrete type, ready to run.
    pub fn find_exact<'a>(
        &'a self,
        ctx: &'a RequestContext,
        err: &'a (dyn StdError + 'static),
    ) -> Option<HandlerCall<'a>> {
        self.handlers.iter().find_map(|(_, h)| h.try_handle(ctx, err)).map(HandlerCall)
    }

    /// The handler for `err`'s concrete type, else for the nearest error along its `source()` chain.
    pub fn find_chain<'a>(
        &'a self,
        ctx: &'a RequestContext,
        err: &'a (dyn StdError + 'static),
    ) -> Option<HandlerCall<'a>> {
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
pub struct HandlerCall<'a>(BoxFuture<'a, ToolError>);

impl std::fmt::Debug for HandlerCall<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HandlerCall")
    }
}

impl HandlerCall<'_> {
    /// Runs the handler; a panic yields the masked internal error.
    pub async fn run(self) -> ToolError {
        run_guarded(self.0).await
    }
}

async fn run_guarded(fut: BoxFuture<'_, ToolError>) -> ToolError {
    match AssertUnwindSafe(fut).catch_unwind().await {
        Ok(mapped) => mapped,
        Err(_) => {
            tracing::error!("an exception handler panicked; answering with the masked internal error");
            ToolError::internal()
        }
    }
}
