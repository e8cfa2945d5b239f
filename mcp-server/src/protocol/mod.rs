//! MCP wire types, grouped by area. Field names follow the specification's camelCase.

mod content;
mod lifecycle;
mod logging;
mod prompts;
mod resources;
mod tools;
pub mod versions;

pub use content::{Annotations, Content, EmbeddedResource, ResourceContents, ResourceLink};
pub use lifecycle::{ClientCapabilities, Implementation, InitializeParams, InitializeResult, ServerCapabilities};
pub use logging::LogLevel;
pub use prompts::{GetPromptResult, PromptArgument, PromptInfo, PromptMessage, Role};
pub use resources::{ReadResourceResult, ResourceInfo, ResourceTemplateInfo};
pub use tools::{CallToolResult, ToolAnnotations, ToolInfo};
