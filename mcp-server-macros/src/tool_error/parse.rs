//! Stage 1 of `#[derive(ToolError)]`: read the `#[tool_error(...)]` attributes of the type and of
//! each variant.

use syn::{Attribute, Data, DeriveInput, Fields, Ident, LitStr, Meta};

use crate::attr::{self, SeenKeys};
use crate::errors::Errors;

/// The right form of `#[tool_error(...)]`, quoted in syntax errors.
const SYNTAX: &str = "`#[tool_error(code = \"...\", retryable, message = \"...\", suggestion = \"...\")]` \
                      or `#[tool_error(transparent)]`";

/// The keys accepted by `#[tool_error(...)]`.
const KEYS: &[&str] = &["code", "retryable", "message", "suggestion", "transparent"];

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
    /// `transparent`, or thiserror's `#[error(transparent)]`: the item wraps one error and reports
    /// that error's mapping.
    pub(crate) transparent: Option<Transparent>,
    /// The mapping keys given (`code`, `retryable`, `message`, `suggestion`), as written: a
    /// transparent item may not have any.
    pub(crate) mapping_keys: Vec<syn::Path>,
}

/// Where an item was marked transparent.
#[derive(Debug, Clone)]
pub(crate) struct Transparent {
    /// The `transparent` token, for spans.
    pub(crate) token: Ident,
    /// Whether it came from thiserror's `#[error(transparent)]` (which thiserror checks itself)
    /// rather than `#[tool_error(transparent)]`.
    pub(crate) from_thiserror: bool,
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
    /// Whether the type is an enum (its container attributes are then defaults for the variants).
    pub(crate) is_enum: bool,
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
    ErrorInput { ident: &input.ident, is_enum: matches!(input.data, Data::Enum(_)), container, cases }
}

/// Merges the keys of every `#[tool_error(...)]` in `attrs`, and notes thiserror's
/// `#[error(transparent)]`.
fn attrs(attrs: &[Attribute], errors: &mut Errors) -> ErrorAttrs {
    let mut out = ErrorAttrs { transparent: attrs.iter().find_map(thiserror_transparent), ..ErrorAttrs::default() };
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
            if key == "transparent" {
                if let Some(token) = bare(meta, errors) {
                    // `#[error(transparent)]` as well is fine: both say the same thing.
                    out.transparent.get_or_insert(Transparent { token, from_thiserror: false });
                }
                continue;
            }
            out.mapping_keys.push(meta.path().clone());
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

/// The token of a bare `transparent` key; an error for `transparent = ...` or `transparent(...)`.
fn bare(meta: &Meta, errors: &mut Errors) -> Option<Ident> {
    match meta {
        Meta::Path(path) => path.get_ident().cloned(),
        _ => {
            errors.error(meta, "`transparent` takes no value: `#[tool_error(transparent)]`");
            None
        }
    }
}

/// The `transparent` of thiserror's `#[error(transparent)]`, if `attr` is that.
fn thiserror_transparent(attr: &Attribute) -> Option<Transparent> {
    let Meta::List(list) = &attr.meta else { return None };
    if !list.path.is_ident("error") {
        return None;
    }
    let token: Ident = syn::parse2(list.tokens.clone()).ok()?;
    (token == "transparent").then_some(Transparent { token, from_thiserror: true })
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

    #[test]
    fn reads_transparent_from_both_attributes() {
        let input: DeriveInput = syn::parse_quote! {
            enum E {
                #[error(transparent)] A(X),
                #[tool_error(transparent)] B(X),
                #[error("c: {0}")] C(X),
                #[error(transparent)] #[tool_error(transparent, code = "D")] D(X),
            }
        };
        let mut errors = Errors::new();
        let parsed = parse(&input, &mut errors);
        assert!(errors.is_empty());
        let marks: Vec<Option<bool>> =
            parsed.cases.iter().map(|c| c.attrs.transparent.as_ref().map(|t| t.from_thiserror)).collect();
        assert_eq!(marks, [Some(true), Some(false), None, Some(true)]);
        let keys: Vec<usize> = parsed.cases.iter().map(|c| c.attrs.mapping_keys.len()).collect();
        assert_eq!(keys, [0, 0, 0, 1]);
    }

    #[test]
    fn transparent_takes_no_value() {
        let input: DeriveInput = syn::parse_quote! {
            enum E { #[tool_error(transparent = true)] A(X), #[tool_error(transparent, transparent)] B(X) }
        };
        let mut errors = Errors::new();
        let parsed = parse(&input, &mut errors);
        let messages: Vec<String> = errors.combined().into_iter().flatten().map(|e| e.to_string()).collect();
        assert_eq!(messages.len(), 2, "{messages:#?}");
        assert!(messages[0].starts_with("`transparent` takes no value"));
        assert!(messages[1].starts_with("duplicate `transparent`"));
        assert!(parsed.cases[0].attrs.transparent.is_none());
    }
}
