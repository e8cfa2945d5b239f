use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Name and version of a client or server (`clientInfo` / `serverInfo`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Implementation {
    /// Programmatic name.
    pub name: String,
    /// Version string.
    pub version: String,
    /// Optional display title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Optional description (2025-11-25).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Capabilities a client declared at `initialize` (kept raw: only presence is checked).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientCapabilities {
    /// `roots` capability, if declared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roots: Option<Value>,
    /// `sampling` capability, if declared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sampling: Option<Value>,
    /// `elicitation` capability, if declared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elicitation: Option<Value>,
    /// Anything else the client declared.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `initialize` request params.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitializeParams {
    /// The revision the client asks for.
    pub protocol_version: String,
    /// What the client can do.
    #[serde(default)]
    pub capabilities: ClientCapabilities,
    /// Who the client is.
    pub client_info: Option<Implementation>,
}

/// Server capabilities, derived from what is registered.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerCapabilities {
    /// `{"listChanged": true}` when tools are served.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Value>,
    /// `{"subscribe": true, "listChanged": true}` when resources are served.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<Value>,
    /// `{"listChanged": true}` when prompts are served.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompts: Option<Value>,
    /// `{}`: the server emits log messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging: Option<Value>,
    /// `{}` when prompts or templates can be completed (2025-03-26 and later).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completions: Option<Value>,
}

/// `initialize` result.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InitializeResult {
    /// The negotiated revision.
    pub protocol_version: super::ProtocolVersion,
    /// What the server offers.
    pub capabilities: ServerCapabilities,
    /// The user's server name and version.
    pub server_info: Implementation,
    /// Optional usage hints for the model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
}
