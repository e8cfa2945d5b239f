//! Sampling (`sampling/createMessage`): asking the client's model for a completion, and the
//! client's roots (`roots/list`).

use super::{Content, Role};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// One message of a sampling conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SamplingMessage {
    /// Who speaks.
    pub role: Role,
    /// What is said.
    pub content: Content,
}

/// The params of `sampling/createMessage`.
///
/// ```
/// use mcp_server::protocol::CreateMessageRequest;
///
/// let req = CreateMessageRequest::new(100).user("Summarise this text.").system_prompt("Be brief.");
/// let json = serde_json::to_value(&req).unwrap();
/// assert_eq!(json["maxTokens"], 100);
/// assert_eq!(json["messages"][0]["content"]["text"], "Summarise this text.");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateMessageRequest {
    /// The conversation so far.
    pub messages: Vec<SamplingMessage>,
    /// Upper bound on generated tokens.
    pub max_tokens: u32,
    /// A system prompt the client may use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    /// Sampling temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Sequences that stop generation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stop_sequences: Vec<String>,
    /// Model hints and priorities (`{"hints":[{"name":…}],"speedPriority":…}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_preferences: Option<Value>,
}

impl CreateMessageRequest {
    /// An empty conversation with a token limit.
    pub fn new(max_tokens: u32) -> Self {
        Self {
            messages: Vec::new(),
            max_tokens,
            system_prompt: None,
            temperature: None,
            stop_sequences: Vec::new(),
            model_preferences: None,
        }
    }

    /// Adds a user text message.
    #[must_use]
    pub fn user(mut self, text: impl Into<String>) -> Self {
        self.messages.push(SamplingMessage { role: Role::User, content: Content::text(text) });
        self
    }

    /// Adds an assistant text message.
    #[must_use]
    pub fn assistant(mut self, text: impl Into<String>) -> Self {
        self.messages.push(SamplingMessage { role: Role::Assistant, content: Content::text(text) });
        self
    }

    /// Adds any message (image or audio content, …).
    #[must_use]
    pub fn message(mut self, message: SamplingMessage) -> Self {
        self.messages.push(message);
        self
    }

    /// Sets the system prompt.
    #[must_use]
    pub fn system_prompt(mut self, prompt: impl Into<String>) -> Self {
        self.system_prompt = Some(prompt.into());
        self
    }

    /// Sets the temperature.
    #[must_use]
    pub fn temperature(mut self, t: f64) -> Self {
        self.temperature = Some(t);
        self
    }
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Content>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(Content),
        Many(Vec<Content>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(c) => vec![c],
        OneOrMany::Many(v) => v,
    })
}

/// The client's answer to `sampling/createMessage`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateMessageResult {
    /// Who produced the content (normally the assistant).
    pub role: Role,
    /// The generated content (one block; a list from clients that send several).
    #[serde(deserialize_with = "one_or_many")]
    pub content: Vec<Content>,
    /// The model that produced it.
    #[serde(default)]
    pub model: String,
    /// Why generation stopped (`endTurn`, `maxTokens`, `stopSequence`, …).
    #[serde(default)]
    pub stop_reason: Option<String>,
}

impl CreateMessageResult {
    /// The generated text (text blocks joined), if any.
    pub fn text(&self) -> Option<String> {
        let parts: Vec<&str> = self.content.iter().filter_map(Content::as_text).collect();
        (!parts.is_empty()).then(|| parts.join(""))
    }
}

/// A filesystem root the client exposes (`roots/list`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Root {
    /// A `file://` URI.
    pub uri: String,
    /// A display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn results_with_one_or_many_blocks() {
        let one = json!({"role": "assistant", "content": {"type": "text", "text": "hi"}, "model": "m", "stopReason": "endTurn"});
        let r: Result<CreateMessageResult, _> = serde_json::from_value(one);
        assert_eq!(r.ok().and_then(|r| r.text()), Some("hi".to_string()));
        let many =
            json!({"role": "assistant", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]});
        let r: Result<CreateMessageResult, _> = serde_json::from_value(many);
        assert_eq!(r.ok().and_then(|r| r.text()), Some("ab".to_string()));
    }
}
