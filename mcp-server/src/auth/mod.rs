//! Authentication: the caller's [`Identity`], providers and the middleware that enforces them.

mod identity;

pub use identity::Identity;
