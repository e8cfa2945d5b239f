//! Form elicitation (`elicitation/create`, 2025-06-18; enums and defaults from 2025-11-25): the
//! `requestedSchema` a server sends, and the answer it gets back.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{json, Map, Value};

/// One field of an elicitation form: a primitive JSON Schema (string, number, integer, boolean,
/// or an enum, single- or multi-select), as `elicitation/create` allows.
///
/// ```
/// use mcp_server::protocol::FormField;
/// use serde_json::json;
///
/// let f = FormField::titled_choice([("eu", "Europe"), ("us", "United States")]).default("eu");
/// assert_eq!(f.to_value(), json!({
///     "type": "string",
///     "oneOf": [{"const": "eu", "title": "Europe"}, {"const": "us", "title": "United States"}],
///     "default": "eu"
/// }));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FormField {
    schema: Map<String, Value>,
}

fn options<I, V, T>(options: I) -> Vec<Value>
where
    I: IntoIterator<Item = (V, T)>,
    V: Into<String>,
    T: Into<String>,
{
    options.into_iter().map(|(v, t)| json!({ "const": v.into(), "title": t.into() })).collect()
}

fn strings<I, S>(values: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    values.into_iter().map(Into::into).collect()
}

impl FormField {
    fn of(value: Value) -> Self {
        match value {
            Value::Object(schema) => Self { schema },
            _ => Self { schema: Map::new() },
        }
    }

    /// A text field.
    pub fn string() -> Self {
        Self::of(json!({ "type": "string" }))
    }

    /// A whole-number field.
    pub fn integer() -> Self {
        Self::of(json!({ "type": "integer" }))
    }

    /// A number field.
    pub fn number() -> Self {
        Self::of(json!({ "type": "number" }))
    }

    /// A yes/no field.
    pub fn boolean() -> Self {
        Self::of(json!({ "type": "boolean" }))
    }

    /// Pick one of `values` (shown as they are).
    pub fn choice<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::of(json!({ "type": "string", "enum": strings(values) }))
    }

    /// Pick one of `(value, title)` options: the user sees the titles, the server gets the value.
    pub fn titled_choice<I, V, T>(options_: I) -> Self
    where
        I: IntoIterator<Item = (V, T)>,
        V: Into<String>,
        T: Into<String>,
    {
        Self::of(json!({ "type": "string", "oneOf": options(options_) }))
    }

    /// [`titled_choice`](Self::titled_choice) in the deprecated `enumNames` form, for clients that
    /// predate 2025-11-25.
    pub fn legacy_titled_choice<I, V, T>(options_: I) -> Self
    where
        I: IntoIterator<Item = (V, T)>,
        V: Into<String>,
        T: Into<String>,
    {
        let (values, names): (Vec<String>, Vec<String>) =
            options_.into_iter().map(|(v, t)| (v.into(), t.into())).unzip();
        Self::of(json!({ "type": "string", "enum": values, "enumNames": names }))
    }

    /// Pick any number of `values`.
    pub fn multi_choice<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::of(json!({ "type": "array", "items": { "type": "string", "enum": strings(values) } }))
    }

    /// Pick any number of `(value, title)` options.
    pub fn titled_multi_choice<I, V, T>(options_: I) -> Self
    where
        I: IntoIterator<Item = (V, T)>,
        V: Into<String>,
        T: Into<String>,
    {
        Self::of(json!({ "type": "array", "items": { "anyOf": options(options_) } }))
    }

    /// Sets a schema keyword (`minLength`, `pattern`, `maximum`, …) not covered by a method.
    #[must_use]
    pub fn with(mut self, keyword: &str, value: impl Into<Value>) -> Self {
        self.schema.insert(keyword.to_string(), value.into());
        self
    }

    /// The label shown to the user.
    #[must_use]
    pub fn title(self, title: impl Into<String>) -> Self {
        self.with("title", title.into())
    }

    /// Help text shown with the field.
    #[must_use]
    pub fn description(self, description: impl Into<String>) -> Self {
        self.with("description", description.into())
    }

    /// The pre-filled value (SEP-1034).
    #[must_use]
    pub fn default(self, value: impl Into<Value>) -> Self {
        self.with("default", value)
    }

    /// A string format: `email`, `uri`, `date` or `date-time`.
    #[must_use]
    pub fn format(self, format: &str) -> Self {
        self.with("format", format)
    }

    /// The field's JSON Schema.
    pub fn to_value(&self) -> Value {
        Value::Object(self.schema.clone())
    }
}

/// The `requestedSchema` of a form elicitation: a flat object of [`FormField`]s.
///
/// ```
/// use mcp_server::protocol::{ElicitationSchema, FormField};
///
/// let schema = ElicitationSchema::new()
///     .required("email", FormField::string().format("email").title("E-mail"))
///     .optional("newsletter", FormField::boolean().default(false));
/// assert_eq!(schema.to_value()["required"], serde_json::json!(["email"]));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ElicitationSchema {
    properties: Map<String, Value>,
    required: Vec<String>,
}

impl ElicitationSchema {
    /// An empty form.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a field the user must fill in.
    #[must_use]
    pub fn required(mut self, name: impl Into<String>, field: FormField) -> Self {
        let name = name.into();
        self.required.retain(|n| *n != name);
        self.required.push(name.clone());
        self.properties.insert(name, field.to_value());
        self
    }

    /// Adds a field the user may leave empty.
    #[must_use]
    pub fn optional(mut self, name: impl Into<String>, field: FormField) -> Self {
        let name = name.into();
        self.required.retain(|n| *n != name);
        self.properties.insert(name, field.to_value());
        self
    }

    /// The JSON Schema object.
    pub fn to_value(&self) -> Value {
        let mut schema = json!({ "type": "object", "properties": self.properties });
        if !self.required.is_empty() {
            schema["required"] = json!(self.required);
        }
        schema
    }
}

impl Serialize for ElicitationSchema {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

/// What the user did with the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ElicitAction {
    /// Submitted it (`content` holds the values).
    Accept,
    /// Explicitly refused.
    Decline,
    /// Dismissed it without choosing.
    Cancel,
}

impl ElicitAction {
    /// `accept`, `decline` or `cancel`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::Decline => "decline",
            Self::Cancel => "cancel",
        }
    }
}

/// The answer to `elicitation/create`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElicitResult {
    /// What the user did.
    pub action: ElicitAction,
    /// The submitted values (on `accept`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Map<String, Value>>,
}

impl ElicitResult {
    /// Whether the user submitted the form.
    pub fn is_accepted(&self) -> bool {
        self.action == ElicitAction::Accept
    }

    /// The submitted value of `field`, converted to `T` (`None` if absent or of another type).
    pub fn get<T: DeserializeOwned>(&self, field: &str) -> Option<T> {
        let value = self.content.as_ref()?.get(field)?;
        serde_json::from_value(value.clone()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_variants_and_defaults() {
        let s = ElicitationSchema::new()
            .optional("a", FormField::choice(["x", "y"]))
            .optional("b", FormField::legacy_titled_choice([("x", "X"), ("y", "Y")]))
            .optional("c", FormField::multi_choice(["x"]))
            .optional("d", FormField::titled_multi_choice([("x", "X")]))
            .required("e", FormField::number().default(95.5))
            .to_value();
        assert_eq!(s["properties"]["a"], json!({"type": "string", "enum": ["x", "y"]}));
        assert_eq!(s["properties"]["b"]["enumNames"], json!(["X", "Y"]));
        assert_eq!(s["properties"]["c"], json!({"type": "array", "items": {"type": "string", "enum": ["x"]}}));
        assert_eq!(s["properties"]["d"]["items"]["anyOf"][0], json!({"const": "x", "title": "X"}));
        assert_eq!(s["properties"]["e"]["default"], json!(95.5));
        assert_eq!(s["required"], json!(["e"]));
    }

    #[test]
    fn results() {
        let cancelled = ElicitResult { action: ElicitAction::Cancel, content: None };
        let r: ElicitResult =
            serde_json::from_value(json!({"action": "accept", "content": {"n": 3}})).unwrap_or(cancelled);
        assert!(r.is_accepted());
        assert_eq!(r.get::<u32>("n"), Some(3));
        assert_eq!(r.get::<String>("n"), None);
    }
}
