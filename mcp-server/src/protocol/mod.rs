//! MCP wire types, grouped by area. Field names follow the specification's camelCase.

mod content;
mod elicitation;
mod lifecycle;
mod list;
mod logging;
mod prompts;
mod resources;
mod sampling;
mod tools;
mod versions;

pub use content::{Annotations, Content, EmbeddedResource, ResourceContents, ResourceLink};
pub use elicitation::{ElicitAction, ElicitResult, ElicitationSchema, FormField};
pub use lifecycle::{ClientCapabilities, Implementation, InitializeParams, InitializeResult, ServerCapabilities};
pub use list::{
    ListItem, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListResult, ListToolsResult,
};
pub use logging::LogLevel;
pub use prompts::{GetPromptResult, PromptArgument, PromptInfo, PromptMessage, Role};
pub use resources::{ReadResourceResult, ResourceInfo, ResourceTemplateInfo};
pub use sampling::{CreateMessageRequest, CreateMessageResult, Root, SamplingMessage};
pub use tools::{CallToolResult, ToolAnnotations, ToolInfo};
pub use versions::{ProtocolVersion, UnsupportedVersion};
