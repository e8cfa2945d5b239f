//! Injected parameters.
//!
//! A tool parameter is *injected* (filled from the request, not from the JSON arguments) when its
//! type is one of the runtime's extractors — [`RequestContext`], [`ProgressReporter`],
//! [`CancellationToken`], [`BackgroundTasks`], [`State<T>`], [`Logger`], [`Peer`] — or is marked
//! `#[inject]`. Every other parameter is a JSON argument. Extractors implement [`FromContext`].

mod background;
mod cancel;
mod logger;
mod peer;
mod progress;
mod state;

pub use crate::call::RequestContext;
pub use crate::error::Cancelled;
pub use background::{BackgroundTasks, IntoBackgroundTask, TaskOutcome};
#[doc(hidden)]
pub use background::{ClosureTask, FutureTask};
pub use cancel::CancellationToken;
pub use logger::Logger;
pub use peer::{Peer, PeerError};
pub use progress::ProgressReporter;
pub use state::State;

pub(crate) use background::run_background;

use crate::error::CallError;

/// A value a tool can receive by naming its type as a parameter.
///
/// Implement it for your own types and mark the parameter `#[inject]`.
///
/// ```
/// use mcp_server::{CallError, FromContext, RequestContext};
///
/// struct Caller(String);
///
/// impl FromContext for Caller {
///     fn from_context(ctx: &RequestContext) -> Result<Self, CallError> {
///         Ok(Caller(ctx.client_id().unwrap_or("anonymous").to_string()))
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be injected into a tool",
    label = "not an injectable type",
    note = "injected parameters must implement `mcp_server::FromContext`: RequestContext, ProgressReporter, \
            CancellationToken, BackgroundTasks, State<T>, Logger, Peer, or your own type",
    note = "remove `#[inject]` to make this parameter a JSON argument instead"
)]
pub trait FromContext: Sized {
    /// Builds the value for the current request.
    fn from_context(ctx: &RequestContext) -> Result<Self, CallError>;
}

impl FromContext for RequestContext {
    fn from_context(ctx: &RequestContext) -> Result<Self, CallError> {
        Ok(ctx.clone())
    }
}

impl FromContext for ProgressReporter {
    fn from_context(ctx: &RequestContext) -> Result<Self, CallError> {
        Ok(ctx.progress())
    }
}

impl FromContext for CancellationToken {
    fn from_context(ctx: &RequestContext) -> Result<Self, CallError> {
        Ok(ctx.cancellation())
    }
}

impl FromContext for Logger {
    fn from_context(ctx: &RequestContext) -> Result<Self, CallError> {
        Ok(ctx.logger())
    }
}

impl FromContext for Peer {
    fn from_context(ctx: &RequestContext) -> Result<Self, CallError> {
        Ok(ctx.peer())
    }
}

impl FromContext for BackgroundTasks {
    fn from_context(ctx: &RequestContext) -> Result<Self, CallError> {
        Ok(ctx.background())
    }
}

/// The extractors, reachable from a context (for middleware, resources and prompts, which get a
/// context rather than injected parameters).
impl RequestContext {
    /// The request's cancellation token.
    pub fn cancellation(&self) -> CancellationToken {
        CancellationToken::new(self.cancel_token().clone())
    }

    /// A progress reporter bound to this request's `progressToken`.
    pub fn progress(&self) -> ProgressReporter {
        ProgressReporter::new(self.clone())
    }

    /// A logger that sends `notifications/message` to this client.
    pub fn logger(&self) -> Logger {
        Logger::new(self.clone())
    }

    /// A handle for server→client requests (sampling, elicitation, roots).
    pub fn peer(&self) -> Peer {
        Peer::new(self.clone())
    }

    /// Work to run after this request's response is written.
    pub fn background(&self) -> BackgroundTasks {
        BackgroundTasks::new(self.clone())
    }
}
