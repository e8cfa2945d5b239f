//! Errors: [`ToolError`], what tools build and return (it becomes an `isError` result), and
//! [`CallError`], the one type that carries every other failure through the runtime (a mapped tool
//! error or a JSON-RPC protocol error, classified by [`FailureKind`]); plus [`BuildError`] for a
//! server that cannot be built.

mod call_error;
mod cancelled;
mod tool_error;

pub use call_error::{CallError, FailureKind};
pub use cancelled::Cancelled;
pub use tool_error::{ToolError, ToolErrorSpec, INTERNAL_MESSAGE};

use std::error::Error as StdError;

/// What kind of registration a [`BuildError::Duplicate`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Registration {
    /// A tool.
    Tool,
    /// A static resource.
    Resource,
    /// A resource template.
    ResourceTemplate,
    /// A prompt.
    Prompt,
}

impl std::fmt::Display for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Tool => "tool",
            Self::Resource => "resource",
            Self::ResourceTemplate => "resource template",
            Self::Prompt => "prompt",
        })
    }
}

/// Why a server configuration was refused: by `McpServer::build`, or by a registration made on a
/// running server (the same checks run in both places).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Two tools, prompts, resources or templates share a name (or URI).
    #[error("duplicate {kind} `{name}`: names must be unique")]
    Duplicate {
        /// What is duplicated.
        kind: Registration,
        /// The clashing name.
        name: String,
    },
    /// A tool requires authentication but no authenticating middleware is installed.
    #[error(
        "tool `{tool}` is declared with `auth = true` but the server has no authentication middleware; \
         add one with `server.add_middleware(AuthMiddleware::new(...))` (fail-closed)"
    )]
    AuthRequired {
        /// The tool that needs credentials.
        tool: String,
    },
    /// A middleware rejected the configuration.
    #[error("{middleware}: {source}")]
    Middleware {
        /// Which middleware (its type name).
        middleware: &'static str,
        /// Why.
        #[source]
        source: Box<dyn StdError + Send + Sync + 'static>,
    },
}
