//! Running a request through its chain of layers to the endpoint: [`Next`].

use super::{HookRequest, Outcome};
use crate::error::{CallError, FailureKind, ToolError};
use futures_util::future::BoxFuture;
use futures_util::FutureExt as _;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

/// One step of a chain for requests of type `R` (a middleware, seen through one of its hooks).
pub(crate) trait Layer<R: HookRequest>: Send + Sync + 'static {
    fn handle(&self, req: R, next: Next<R>) -> BoxFuture<'_, Outcome<R>>;
}

/// What a chain ends in: the tool, resource, prompt or method handler.
pub(crate) trait Endpoint<R: HookRequest>: Send + Sync + 'static {
    fn call<'a>(&'a self, req: &'a R) -> BoxFuture<'a, Outcome<R>>;
}

/// The layers of one hook, outermost first.
pub(crate) type Layers<R> = Arc<[Arc<dyn Layer<R>>]>;

/// The rest of the chain. `Clone`, and [`Next::run`] may be called any number of times: not at all
/// (short-circuit), once, or again (retry).
pub struct Next<R: HookRequest> {
    chain: Arc<Chain<R>>,
    index: usize,
}

/// One request's chain: made once per request, so stepping through the chain only touches this
/// request's reference count, never the server-wide ones every core shares.
struct Chain<R: HookRequest> {
    layers: Layers<R>,
    endpoint: Arc<dyn Endpoint<R>>,
}

impl<R: HookRequest> Clone for Next<R> {
    fn clone(&self) -> Self {
        Self { chain: Arc::clone(&self.chain), index: self.index }
    }
}

impl<R: HookRequest> std::fmt::Debug for Next<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Next").field("remaining", &(self.chain.layers.len() - self.index)).finish()
    }
}

impl<R: HookRequest> Next<R> {
    pub(crate) fn start(layers: Layers<R>, endpoint: Arc<dyn Endpoint<R>>) -> Self {
        Self { chain: Arc::new(Chain { layers, endpoint }), index: 0 }
    }

    /// Runs the rest of the chain (and finally the endpoint) for `req`.
    ///
    /// A layer or endpoint further in that panics comes back as an `Err` of
    /// [`FailureKind::Panic`] carrying the masked internal error, so a middleware further out sees
    /// (and can count, report or retry) the failure like any other.
    ///
    /// # Cancellation safety
    ///
    /// Dropping the future stops the rest of the chain wherever it is, as dropping any request's
    /// future does; [`run`](Self::run) may then be called again with a new request.
    pub fn run(&self, req: R) -> BoxFuture<'static, Outcome<R>> {
        Box::pin(self.clone().run_inline(req))
    }

    /// [`run`](Self::run), unboxed and consuming `self`: for the built-in middleware, whose own
    /// future is boxed anyway, so a layer costs one allocation per call rather than two.
    pub(crate) async fn run_inline(self, req: R) -> Outcome<R> {
        match self.chain.layers.get(self.index) {
            Some(layer) => {
                let inner = Self { chain: Arc::clone(&self.chain), index: self.index + 1 };
                // A panic, whether building the layer's future or polling it, is this layer's
                // failure: the layers outside it still see an outcome.
                let handled = std::panic::catch_unwind(AssertUnwindSafe(|| layer.handle(req, inner)));
                let outcome = match handled {
                    Ok(future) => AssertUnwindSafe(future).catch_unwind().await,
                    Err(panic) => Err(panic),
                };
                outcome.unwrap_or_else(|panic| {
                    tracing::error!(layer = self.index, panic = %panic_message(&*panic), "a middleware panicked");
                    Err(CallError::new(FailureKind::Panic, ToolError::internal()))
                })
            }
            None => run_endpoint(&*self.chain.endpoint, req).await,
        }
    }
}

/// Runs the endpoint: a panic becomes the masked internal error, a client cancellation ends it.
async fn run_endpoint<R: HookRequest>(endpoint: &dyn Endpoint<R>, req: R) -> Outcome<R> {
    let cancel = req.context().cancel_token().clone();
    tokio::select! {
        biased;
        r = AssertUnwindSafe(endpoint.call(&req)).catch_unwind() => r.unwrap_or_else(|panic| {
            tracing::error!(method = req.context().method(), panic = %panic_message(&*panic), "endpoint panicked");
            Err(CallError::new(FailureKind::Panic, ToolError::internal()))
        }),
        () = cancel.cancelled() => Err(CallError::cancelled()),
    }
}

/// The text a panic was raised with, when it was a string.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic.downcast_ref::<&str>().copied().or_else(|| panic.downcast_ref::<String>().map(String::as_str)).unwrap_or("")
}
