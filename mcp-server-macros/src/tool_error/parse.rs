//! Stage 1 of `#[derive(ToolError)]`: read the `#[tool_error(...)]` attributes of the type and of
//! each variant.

use syn::{Attribute, Data, DeriveInput, Fields, Ident, LitStr};

use crate::attr::{self, SeenKeys};
use crate::errors::Errors;

/// The right form of `#[tool_error(...)]`, quoted in syntax errors.
const SYNTAX: &str = "`#[tool_error(code = \"...\", retryable, message = \"...\", suggestion = \"...\")]`";

/// The keys accepted by `#[tool_error(...)]`.
const KEYS: &[&str] = &["code", "retryable", "message", "suggestion"];

/// The keys of the `#[tool_error(...)]` attributes on one item, each `None` when not given.
#[derive(Debug, Default, Clone)]
pub(crate) struct ErrorAttrs {
    /// `code = "..."`: the machine-readable error code.
    pub(crate) code: Option<LitStr>,
    /// `retryable` / `retryable = bool`.
    pub(crate) retryable: Option<bool>,
    /// `message = "..."`: overrides `Display`.
    pub(crate) message: Option<LitStr>,
    /// `suggestion = "..."`: a hint for the model.
    pub(crate) suggestion: Option<LitStr>,
}

/// One case of the error: a variant, or the struct itself.
#[derive(Debug)]
pub(crate) struct Case<'a> {
    /// The variant's name; `None` for a struct.
    pub(crate) variant: Option<&'a Ident>,
    /// The case's fields.
    pub(crate) fields: &'a Fields,
    /// The case's own attributes (for a struct, the container's).
    pub(crate) attrs: ErrorAttrs,
}

/// A parsed derive input.
#[derive(Debug)]
pub(crate) struct ErrorInput<'a> {
    /// The type's name.
    pub(crate) ident: &'a Ident,
    /// The container attributes (defaults for every variant of an enum).
    pub(crate) container: ErrorAttrs,
    /// The cases; one for a struct.
    pub(crate) cases: Vec<Case<'a>>,
}

/// Reads every `#[tool_error]` attribute; unsupported shapes and misplaced attributes are errors.
pub(crate) fn parse<'a>(input: &'a DeriveInput, errors: &mut Errors) -> ErrorInput<'a> {
    let container = attrs(&input.attrs, errors);
    let cases = match &input.data {
        Data::Struct(data) => {
            reject_field_attrs(&data.fields, errors);
            vec![Case { variant: None, fields: &data.fields, attrs: ErrorAttrs::default() }]
        }
        Data::Enum(data) => data
            .variants
            .iter()
            .map(|variant| {
                reject_field_attrs(&variant.fields, errors);
                Case { variant: Some(&variant.ident), fields: &variant.fields, attrs: attrs(&variant.attrs, errors) }
            })
            .collect(),
        Data::Union(data) => {
            errors.error(data.union_token, "`#[derive(ToolError)]` supports structs and enums, not unions");
            Vec::new()
        }
    };
    ErrorInput { ident: &input.ident, container, cases }
}

/// Merges the keys of every `#[tool_error(...)]` in `attrs`.
fn attrs(attrs: &[Attribute], errors: &mut Errors) -> ErrorAttrs {
    let mut out = ErrorAttrs::default();
    let mut seen = SeenKeys::default();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("tool_error")) {
        let list = match attr::parse_attr(attr, SYNTAX) {
            Ok(list) => list,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        for meta in &list {
            let key = attr::key(meta);
            if !KEYS.contains(&key.as_str()) {
                attr::unknown_key(meta, "tool_error", KEYS, errors);
                continue;
            }
            if !seen.first_time(meta, "tool_error", errors) {
                continue;
            }
            match key.as_str() {
                "code" => out.code = attr::string(meta, errors),
                "retryable" => out.retryable = attr::flag(meta, errors),
                "message" => out.message = attr::string(meta, errors),
                _ => out.suggestion = attr::string(meta, errors),
            }
        }
    }
    out
}

/// Reports `#[tool_error]` on fields, where it means nothing.
fn reject_field_attrs(fields: &Fields, errors: &mut Errors) {
    for attr in fields.iter().flat_map(|field| &field.attrs) {
        if attr.path().is_ident("tool_error") {
            errors.error(attr, "`#[tool_error]` goes on the type or on a variant, not on a field");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_container_and_variant_keys() {
        let input: DeriveInput = syn::parse_quote! {
            #[tool_error(code = "PAYMENT", retryable)]
            enum E {
                #[tool_error(code = "DECLINED", retryable = false, suggestion = "use another card")]
                Declined { last4: String },
                #[tool_error(message = "timeout after {0}s")]
                Timeout(u64),
            }
        };
        let mut errors = Errors::new();
        let parsed = parse(&input, &mut errors);
        assert!(errors.is_empty());
        assert_eq!(parsed.container.code.as_ref().map(LitStr::value).as_deref(), Some("PAYMENT"));
        assert_eq!(parsed.container.retryable, Some(true));
        assert_eq!(parsed.cases.len(), 2);
        assert_eq!(parsed.cases[0].attrs.retryable, Some(false));
        assert!(parsed.cases[0].attrs.suggestion.is_some());
        assert!(parsed.cases[1].attrs.message.is_some());
    }

    #[test]
    fn reports_unknown_duplicate_and_misplaced() {
        let input: DeriveInput = syn::parse_quote! {
            #[tool_error(code = "A", cod = "B")]
            #[tool_error(code = "C", retryable = "yes")]
            struct S { #[tool_error(code = "D")] field: u8 }
        };
        let mut errors = Errors::new();
        let _ = parse(&input, &mut errors);
        let messages: Vec<String> = errors.combined().into_iter().flatten().map(|e| e.to_string()).collect();
        assert_eq!(messages.len(), 4, "{messages:#?}");
        assert!(messages[0].starts_with("unknown key `cod`"));
        assert!(messages[1].starts_with("duplicate `code`"));
        assert!(messages[2].starts_with("expected `true` or `false`"));
        assert!(messages[3].starts_with("`#[tool_error]` goes on the type or on a variant"));
    }
}
