use super::{CallOutcome, CallRequest, Middleware};
use crate::error::{CallError, FailureKind, ToolError};
use futures_util::future::BoxFuture;
use futures_util::FutureExt as _;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

/// The innermost handler: a tool, resource or prompt.
pub(crate) trait Endpoint: Send + Sync + 'static {
    fn call<'a>(&'a self, req: &'a CallRequest) -> BoxFuture<'a, CallOutcome>;
}

/// The rest of the chain. `Clone`, and [`Next::run`] may be called any number of times.
#[derive(Clone)]
pub struct Next {
    chain: Arc<RequestChain>,
    index: usize,
}

/// One request's chain: made once per request, so stepping through the chain only touches
/// this request's reference count, never the server-wide ones every core shares (each of
/// those is a cache line travelling between cores, several times per layer).
struct RequestChain {
    middleware: Arc<[Arc<dyn Middleware>]>,
    endpoint: Arc<dyn Endpoint>,
}

impl std::fmt::Debug for Next {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Next").field("remaining", &(self.chain.middleware.len() - self.index)).finish()
    }
}

impl Next {
    /// Runs the rest of the chain (and finally the endpoint) for `req`.
    pub fn run(&self, req: CallRequest) -> BoxFuture<'static, CallOutcome> {
        Box::pin(self.clone().run_inline(req))
    }

    /// [`run`](Self::run), unboxed and consuming `self`: for the built-in middleware, whose own
    /// future is boxed anyway, so a layer costs one allocation per call rather than two (and no
    /// reference-count round trip).
    pub(crate) async fn run_inline(self, req: CallRequest) -> CallOutcome {
        match self.chain.middleware.get(self.index) {
            Some(m) => {
                let inner = Next { chain: Arc::clone(&self.chain), index: self.index + 1 };
                m.handle(req, inner).await
            }
            None => run_endpoint(&*self.chain.endpoint, &req).await,
        }
    }
}

/// Runs the endpoint: a panic becomes the masked internal error, a client cancellation ends it.
async fn run_endpoint(endpoint: &dyn Endpoint, req: &CallRequest) -> CallOutcome {
    let cancel = req.ctx.inner.cancel.clone();
    tokio::select! {
        biased;
        r = AssertUnwindSafe(endpoint.call(req)).catch_unwind() => r.unwrap_or_else(|panic| {
            let msg = panic.downcast_ref::<&str>().map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned()).unwrap_or_default();
            tracing::error!(name = req.name(), kind = req.kind.as_str(), panic = %msg, "endpoint panicked");
            Err(CallError::new(FailureKind::Panic, ToolError::internal()))
        }),
        () = cancel.cancelled() => Err(CallError::cancelled()),
    }
}

/// Runs `req` through `chain` to `endpoint`.
pub(crate) fn run_chain(
    chain: Arc<[Arc<dyn Middleware>]>,
    endpoint: Arc<dyn Endpoint>,
    req: CallRequest,
) -> BoxFuture<'static, CallOutcome> {
    Next { chain: Arc::new(RequestChain { middleware: chain, endpoint }), index: 0 }.run(req)
}

/// A middleware made from a closure `|req, next| async move { next.run(req).await }`.
pub struct FromFn<F>(F);

impl<F> std::fmt::Debug for FromFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FromFn")
    }
}

/// Makes a middleware from a closure.
pub fn from_fn<F, Fut>(f: F) -> FromFn<F>
where
    F: Fn(CallRequest, Next) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = CallOutcome> + Send + 'static,
{
    FromFn(f)
}

impl<F, Fut> Middleware for FromFn<F>
where
    F: Fn(CallRequest, Next) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = CallOutcome> + Send + 'static,
{
    fn handle(&self, req: CallRequest, next: Next) -> BoxFuture<'_, CallOutcome> {
        Box::pin((self.0)(req, next))
    }
}
