use super::{FromContext, RequestContext};
use crate::error::CallError;
use std::ops::Deref;
use std::sync::Arc;

/// Shared state registered once with `McpServer::state(value)` and injected into tools.
///
/// ```
/// use mcp_server::{tool, McpServer, State};
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// #[derive(Default)]
/// struct Counter {
///     hits: AtomicU64,
/// }
///
/// /// Count calls.
/// #[tool]
/// async fn hit(counter: State<Counter>) -> String {
///     // `counter.0` would be `State`'s own `Arc<Counter>`: reach fields by name (or deref).
///     (counter.hits.fetch_add(1, Ordering::Relaxed) + 1).to_string()
/// }
///
/// let server = McpServer::new("counter").state(Counter::default()).tool(HitTool);
/// ```
#[derive(Debug)]
pub struct State<T>(pub Arc<T>);

impl<T> Clone for State<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T> Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Send + Sync + 'static> FromContext for State<T> {
    fn from_context(ctx: &RequestContext) -> Result<Self, CallError> {
        ctx.state::<T>().map(State).ok_or_else(|| {
            tracing::error!(
                state = std::any::type_name::<T>(),
                "State<T> requested but never registered with McpServer::state"
            );
            CallError::internal()
        })
    }
}
