//! `*/list` results: one page of tools, resources, templates or prompts.

use super::{PromptInfo, ResourceInfo, ResourceTemplateInfo, ToolInfo};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use std::sync::Arc;

/// An item of a `*/list` result: names the array it is listed in.
pub trait ListItem: Clone + Serialize + Send + Sync + 'static {
    /// The result's array member: `tools`, `resources`, `resourceTemplates` or `prompts`.
    const KEY: &'static str;
}

impl ListItem for ToolInfo {
    const KEY: &'static str = "tools";
}

impl ListItem for ResourceInfo {
    const KEY: &'static str = "resources";
}

impl ListItem for ResourceTemplateInfo {
    const KEY: &'static str = "resourceTemplates";
}

impl ListItem for PromptInfo {
    const KEY: &'static str = "prompts";
}

/// One page of a `*/list` result: its items and the cursor of the next page.
///
/// The server builds every page once, when registrations change, and keeps its JSON: a page that
/// no middleware changed is written out from those bytes. Changing the items (for example a
/// middleware hiding the tools a caller may not use) drops them, and the page is serialized anew.
///
/// ```
/// use mcp_server::protocol::{ListResult, PromptInfo};
///
/// let prompt = |name: &str| PromptInfo { name: name.into(), title: None, description: "d".into(), arguments: vec![] };
/// let mut page = ListResult::new(vec![prompt("greet"), prompt("internal")], None);
/// page.retain(|p| p.name != "internal");
/// assert_eq!(serde_json::to_value(&page).unwrap(), serde_json::json!({"prompts": [
///     {"name": "greet", "description": "d", "arguments": []}
/// ]}));
/// ```
#[derive(Debug, Clone)]
pub struct ListResult<T> {
    items: Arc<[T]>,
    next_cursor: Option<String>,
    /// The page as first serialized, while the items are unchanged.
    encoded: Option<Arc<RawValue>>,
}

/// One page of `tools/list`.
pub type ListToolsResult = ListResult<ToolInfo>;
/// One page of `resources/list`.
pub type ListResourcesResult = ListResult<ResourceInfo>;
/// One page of `resources/templates/list`.
pub type ListResourceTemplatesResult = ListResult<ResourceTemplateInfo>;
/// One page of `prompts/list`.
pub type ListPromptsResult = ListResult<PromptInfo>;

impl<T: ListItem> ListResult<T> {
    /// A page of `items`, followed by the page at `next_cursor` (if any).
    pub fn new(items: impl Into<Arc<[T]>>, next_cursor: Option<String>) -> Self {
        Self { items: items.into(), next_cursor, encoded: None }
    }

    /// The same page, with its JSON kept for every later answer (what the server's registry does).
    pub(crate) fn encoded(mut self) -> Self {
        self.encoded = serde_json::value::to_raw_value(&self).ok().map(Arc::from);
        self
    }

    /// The items of this page.
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// The cursor of the next page (`nextCursor`).
    pub fn next_cursor(&self) -> Option<&str> {
        self.next_cursor.as_deref()
    }

    /// Keeps the items for which `keep` returns true (called once per item, in order).
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        let verdicts: Vec<bool> = self.items.iter().map(&mut keep).collect();
        if verdicts.iter().all(|k| *k) {
            return;
        }
        let kept: Vec<T> = self.items.iter().zip(verdicts).filter(|(_, k)| *k).map(|(i, _)| i.clone()).collect();
        self.set_items(kept);
    }

    /// Replaces the items.
    pub fn set_items(&mut self, items: impl Into<Arc<[T]>>) {
        self.items = items.into();
        self.encoded = None;
    }
}

impl<T: ListItem> Serialize for ListResult<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if let Some(raw) = &self.encoded {
            return raw.serialize(s);
        }
        let mut map = s.serialize_map(None)?;
        map.serialize_entry(T::KEY, &*self.items)?;
        if let Some(cursor) = &self.next_cursor {
            map.serialize_entry("nextCursor", cursor)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt(name: &str) -> PromptInfo {
        PromptInfo { name: name.into(), title: None, description: "d".into(), arguments: vec![] }
    }

    #[test]
    fn cached_bytes_until_changed() {
        let page = ListResult::new(vec![prompt("a"), prompt("b")], Some("c2".into())).encoded();
        let cached = serde_json::to_string(&page).unwrap_or_default();
        assert_eq!(
            cached,
            r#"{"prompts":[{"name":"a","description":"d","arguments":[]},{"name":"b","description":"d","arguments":[]}],"nextCursor":"c2"}"#
        );
        let mut changed = page.clone();
        changed.retain(|_| true);
        assert!(changed.encoded.is_some(), "keeping everything keeps the bytes");
        changed.retain(|p| p.name == "b");
        assert!(changed.encoded.is_none());
        assert_eq!(
            serde_json::to_string(&changed).unwrap_or_default(),
            r#"{"prompts":[{"name":"b","description":"d","arguments":[]}],"nextCursor":"c2"}"#
        );
    }

    #[test]
    fn retain_asks_once_per_item() {
        let mut page = ListResult::new(vec![prompt("a"), prompt("b"), prompt("c")], None);
        let mut asked = Vec::new();
        let mut first = true;
        // A predicate with a side effect (or that answers differently twice) must be asked once.
        page.retain(|p| {
            asked.push(p.name.clone());
            std::mem::replace(&mut first, false)
        });
        assert_eq!(asked, ["a", "b", "c"]);
        assert_eq!(page.items().iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["a"]);
    }
}
