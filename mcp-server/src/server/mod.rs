//! The server: builder, registry, sessions, and the dispatch point.

mod builder;
mod completion;
mod dispatch;
mod methods;
mod registry;
mod route;
mod session;
mod shared;

pub use builder::McpServer;
pub use completion::{CompletionRef, CompletionRequest};
pub use shared::ServerHandle;

pub(crate) use session::SessionOptions;
#[cfg(feature = "http")]
pub(crate) use session::{busy, Session};
