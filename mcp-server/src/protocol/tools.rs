use super::Content;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use std::sync::Arc;

/// Behaviour hints shown to clients (2025-03-26).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolAnnotations {
    /// Display title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The tool does not modify its environment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_only_hint: Option<bool>,
    /// The tool may perform destructive updates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destructive_hint: Option<bool>,
    /// Repeating a call with the same arguments has no additional effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotent_hint: Option<bool>,
    /// The tool talks to an open world (e.g. the web).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_world_hint: Option<bool>,
}

impl ToolAnnotations {
    pub(crate) fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// A tool as `tools/list` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolInfo {
    /// Unique name.
    pub name: Arc<str>,
    /// Display title (2025-06-18).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What the tool does, for the model.
    pub description: String,
    /// JSON Schema of the arguments.
    pub input_schema: Arc<Value>,
    /// JSON Schema of `structuredContent` (2025-06-18).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Arc<Value>>,
    /// Behaviour hints.
    #[serde(skip_serializing_if = "ToolAnnotations::is_empty")]
    pub annotations: ToolAnnotations,
}

/// The result of `tools/call`.
///
/// `structured_content` holds JSON text as it will be written (see [`CallToolResult::structured`]),
/// so a structured result is serialized once, for both the text block and `structuredContent`.
///
/// ```
/// use mcp_server::protocol::{CallToolResult, Content};
/// let r = CallToolResult::text("done");
/// assert_eq!(serde_json::to_value(&r).unwrap(), serde_json::json!({"content":[{"type":"text","text":"done"}]}));
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallToolResult {
    /// Unstructured content blocks.
    pub content: Vec<Content>,
    /// Structured result matching the tool's output schema, as JSON text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub structured_content: Option<Arc<RawValue>>,
    /// Whether this is a tool-level error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_error: Option<bool>,
}

impl PartialEq for CallToolResult {
    fn eq(&self, other: &Self) -> bool {
        let raw = |r: &Self| r.structured_content.as_ref().map(|v| v.get().to_owned());
        self.content == other.content && raw(self) == raw(other) && self.is_error == other.is_error
    }
}

impl CallToolResult {
    /// A result with one text block.
    pub fn text(text: impl Into<String>) -> Self {
        Self { content: vec![Content::text(text)], ..Self::default() }
    }

    /// A result from content blocks.
    pub fn from_content(content: Vec<Content>) -> Self {
        Self { content, ..Self::default() }
    }

    /// A structured result: `value` serialized once, as `structuredContent` and (for clients that
    /// predate structured output) as the same JSON in a text block.
    ///
    /// ```
    /// use mcp_server::protocol::CallToolResult;
    /// let r = CallToolResult::structured(&serde_json::json!({"sum": 3}))?;
    /// assert_eq!(r.content[0].as_text(), Some(r#"{"sum":3}"#));
    /// assert_eq!(r.structured_value(), Some(serde_json::json!({"sum": 3})));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn structured<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        let raw = serde_json::value::to_raw_value(value)?;
        Ok(Self::from_raw(Arc::from(raw)))
    }

    /// A structured result from JSON text that is already serialized.
    pub fn from_raw(json: Arc<RawValue>) -> Self {
        Self { content: vec![Content::text(json.get())], structured_content: Some(json), is_error: None }
    }

    /// `structuredContent` parsed into a [`Value`].
    pub fn structured_value(&self) -> Option<Value> {
        self.structured_content.as_ref().and_then(|raw| serde_json::from_str(raw.get()).ok())
    }

    /// Whether the result reports an error.
    pub fn is_error(&self) -> bool {
        self.is_error == Some(true)
    }
}
