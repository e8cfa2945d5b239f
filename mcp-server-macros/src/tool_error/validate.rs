//! Stage 2 of `#[derive(ToolError)]`: give every case a code, resolve the defaults and check the
//! format placeholders against the case's fields.

use syn::ext::IdentExt;
use syn::{Fields, Ident, LitStr};

use super::format::{self, Placeholder};
use super::parse::{Case, ErrorAttrs, ErrorInput, Transparent};
use crate::errors::Errors;

/// One match arm to generate.
#[derive(Debug)]
pub(crate) struct CaseModel<'a> {
    /// The variant's name; `None` for a struct.
    pub(crate) variant: Option<&'a Ident>,
    /// How the case becomes a `ToolError`.
    pub(crate) mapping: Mapping<'a>,
}

/// How one case becomes a `ToolError`.
#[derive(Debug)]
pub(crate) enum Mapping<'a> {
    /// Its own code, message and suggestion.
    Coded(Coded),
    /// The wrapped error's: its exception handlers (at run time), else its own `ToolErrorSpec`,
    /// else the masked internal error.
    Transparent {
        /// The one field, which holds the wrapped error.
        member: syn::Member,
        /// Its type, for spans.
        ty: &'a syn::Type,
    },
}

/// A case with a code of its own.
#[derive(Debug)]
pub(crate) struct Coded {
    /// The fields to bind: `(member, binding)`, e.g. `(a, __tf_a)` or `(0, __tf_0)`.
    pub(crate) bindings: Vec<(syn::Member, Ident)>,
    /// The error code.
    pub(crate) code: LitStr,
    /// Whether the failure is worth retrying.
    pub(crate) retryable: bool,
    /// The message; `None` means the type's `Display`.
    pub(crate) message: Option<Formatted>,
    /// The suggestion, if any.
    pub(crate) suggestion: Option<Formatted>,
}

/// A `message` / `suggestion` string ready for `format!`.
#[derive(Debug)]
pub(crate) struct Formatted {
    /// The rewritten format string (spanned on the original literal).
    pub(crate) format: LitStr,
    /// The bindings it uses, passed as named arguments.
    pub(crate) args: Vec<Ident>,
}

/// Checks every case, recording every problem.
pub(crate) fn validate<'a>(input: &ErrorInput<'a>, errors: &mut Errors) -> Vec<CaseModel<'a>> {
    if let Some(transparent) = input.container.transparent.as_ref().filter(|_| input.is_enum) {
        // thiserror reports its own `#[error(transparent)]` on an enum.
        if !transparent.from_thiserror {
            errors.error(
                &transparent.token,
                "`transparent` goes on a variant that wraps another error, not on the enum: \
                 `#[tool_error(transparent)] Db(#[from] DbError)`",
            );
        }
    }
    input.cases.iter().filter_map(|case| validate_case(input, case, errors)).collect()
}

/// Checks one case against the container defaults.
fn validate_case<'a>(input: &ErrorInput<'a>, case: &Case<'a>, errors: &mut Errors) -> Option<CaseModel<'a>> {
    let own = &case.attrs;
    let defaults = &input.container;
    let name = case.variant.unwrap_or(input.ident);
    // A struct's own attributes are the container's.
    let marks = if input.is_enum { own } else { defaults };
    if let Some(transparent) = &marks.transparent {
        return validate_transparent(case, name, marks, transparent, errors);
    }
    let mut bindings = Vec::new();
    let message = own
        .message
        .as_ref()
        .or(defaults.message.as_ref())
        .and_then(|lit| formatted(lit, name, case.fields, &mut bindings, errors));
    let suggestion = own
        .suggestion
        .as_ref()
        .or(defaults.suggestion.as_ref())
        .and_then(|lit| formatted(lit, name, case.fields, &mut bindings, errors));
    let Some(code) = own.code.as_ref().or(defaults.code.as_ref()) else {
        let message = match case.variant {
            Some(variant) => format!(
                "variant `{variant}` has no error code; add `#[tool_error(code = \"...\")]` to it, \
                 or to the enum as the default"
            ),
            None => {
                format!("`{name}` has no error code; add `#[tool_error(code = \"...\")]` to it")
            }
        };
        errors.error(name, message);
        return None;
    };
    if code.value().trim().is_empty() {
        errors.error(code, "the error code is empty; give a machine-readable code: `code = \"CARD_DECLINED\"`");
    }
    let coded = Coded {
        bindings,
        code: code.clone(),
        retryable: own.retryable.or(defaults.retryable).unwrap_or(false),
        message,
        suggestion,
    };
    Some(CaseModel { variant: case.variant, mapping: Mapping::Coded(coded) })
}

/// Checks a transparent case: exactly one field, and no mapping keys of its own (an enum's
/// defaults do not apply to it).
fn validate_transparent<'a>(
    case: &Case<'a>,
    name: &Ident,
    attrs: &ErrorAttrs,
    transparent: &Transparent,
    errors: &mut Errors,
) -> Option<CaseModel<'a>> {
    let what = if case.variant.is_some() { "variant" } else { "struct" };
    let (marker, instead) = if transparent.from_thiserror {
        ("#[error(transparent)]", "replace `#[error(transparent)]` with a message (`#[error(\"...: {0}\")]`)")
    } else {
        ("transparent", "remove `transparent`")
    };
    for key in &attrs.mapping_keys {
        let key_name = crate::attr::path_name(key);
        errors.error(
            key,
            format!(
                "`{key_name}` cannot be combined with `{marker}`: a transparent {what} reports the mapping of the \
                 error it wraps (its `#[exception_handler]`, else its own `#[derive(ToolError)]`); remove \
                 `{key_name}`, or {instead} to give `{name}` a mapping of its own"
            ),
        );
    }
    let fields: Vec<&syn::Field> = case.fields.iter().collect();
    let field = match fields.as_slice() {
        [field] => *field,
        [] => {
            errors.error(
                name,
                format!(
                    "a transparent {what} wraps exactly one error, and `{name}` has no field; \
                     wrap the error: `{name}(#[from] TheError)`"
                ),
            );
            return None;
        }
        more => {
            errors.error(
                case.fields,
                format!(
                    "a transparent {what} wraps exactly one error, and `{name}` has {} fields; \
                     keep only the wrapped error",
                    more.len()
                ),
            );
            return None;
        }
    };
    if !attrs.mapping_keys.is_empty() {
        return None;
    }
    let member = match &field.ident {
        Some(ident) => syn::Member::Named(ident.clone()),
        None => syn::Member::Unnamed(0.into()),
    };
    Some(CaseModel { variant: case.variant, mapping: Mapping::Transparent { member, ty: &field.ty } })
}

/// Rewrites a format literal, checks its fields exist and adds their bindings.
fn formatted(
    lit: &LitStr,
    case: &Ident,
    fields: &Fields,
    bindings: &mut Vec<(syn::Member, Ident)>,
    errors: &mut Errors,
) -> Option<Formatted> {
    let rewritten = match format::rewrite(&lit.value()) {
        Ok(rewritten) => rewritten,
        Err(problem) => {
            errors.error(lit, problem);
            return None;
        }
    };
    let mut args = Vec::with_capacity(rewritten.fields.len());
    let mut ok = true;
    for placeholder in &rewritten.fields {
        let Some(member) = member(fields, placeholder) else {
            let shown = match placeholder {
                Placeholder::Named(name) => name.clone(),
                Placeholder::Index(index) => index.to_string(),
            };
            errors.error(
                lit,
                format!(
                    "`{{{shown}}}` is not a field of `{case}`; use one of its fields, or `{{0}}` for a tuple field"
                ),
            );
            ok = false;
            continue;
        };
        let binding = Ident::new(&placeholder.binding(), lit.span());
        if !bindings.iter().any(|(_, b)| *b == binding) {
            bindings.push((member, binding.clone()));
        }
        args.push(binding);
    }
    ok.then(|| Formatted { format: LitStr::new(&rewritten.format, lit.span()), args })
}

/// The field a placeholder refers to, if it exists.
fn member(fields: &Fields, placeholder: &Placeholder) -> Option<syn::Member> {
    match (fields, placeholder) {
        (Fields::Named(named), Placeholder::Named(name)) => named
            .named
            .iter()
            .filter_map(|field| field.ident.as_ref())
            .find(|ident| ident.unraw() == name)
            .map(|ident| syn::Member::Named(ident.clone())),
        (Fields::Unnamed(unnamed), Placeholder::Index(index)) => {
            (*index < unnamed.unnamed.len()).then(|| syn::Member::Unnamed((*index).into()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tool_error::parse::parse;
    use syn::DeriveInput;

    fn check(input: &DeriveInput) -> (usize, Vec<String>) {
        let mut errors = Errors::new();
        let parsed = parse(input, &mut errors);
        let cases = validate(&parsed, &mut errors).len();
        (cases, errors.combined().into_iter().flatten().map(|e| e.to_string()).collect())
    }

    #[test]
    fn variants_inherit_the_container_code() {
        let input: DeriveInput = syn::parse_quote! {
            #[tool_error(code = "DEFAULT")]
            enum E { A, #[tool_error(code = "B", message = "b {x} {x:?}")] B { x: u8 }, C(u8) }
        };
        let mut errors = Errors::new();
        let parsed = parse(&input, &mut errors);
        let cases = validate(&parsed, &mut errors);
        assert!(errors.is_empty());
        let coded: Vec<&Coded> = cases
            .iter()
            .filter_map(|c| match &c.mapping {
                Mapping::Coded(coded) => Some(coded),
                Mapping::Transparent { .. } => None,
            })
            .collect();
        let codes: Vec<String> = coded.iter().map(|c| c.code.value()).collect();
        assert_eq!(codes, ["DEFAULT", "B", "DEFAULT"]);
        assert_eq!(coded[1].bindings.len(), 1);
        assert_eq!(coded[1].message.as_ref().map(|m| m.format.value()).as_deref(), Some("b {__tf_x} {__tf_x:?}"));
    }

    #[test]
    fn a_variant_without_a_code_is_an_error() {
        let input: DeriveInput = syn::parse_quote! {
            enum E { #[tool_error(code = "A")] A, B }
        };
        let (cases, errors) = check(&input);
        assert_eq!(cases, 1);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("variant `B` has no error code"));
    }

    #[test]
    fn placeholders_must_name_fields() {
        let input: DeriveInput = syn::parse_quote! {
            #[tool_error(code = "X", message = "{missing} {1}", suggestion = "{}")]
            struct S(u8);
        };
        let (_, errors) = check(&input);
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert!(errors[0].starts_with("`{missing}` is not a field of `S`"));
        assert!(errors[1].starts_with("`{1}` is not a field of `S`"));
        assert!(errors[2].starts_with("`{}` must name a field"));
    }

    #[test]
    fn transparent_variants_need_no_code() {
        let input: DeriveInput = syn::parse_quote! {
            enum E {
                #[error(transparent)] Db(#[from] DbError),
                #[tool_error(transparent)] Io { source: std::io::Error },
                #[error("bad")] #[tool_error(code = "BAD")] Bad,
            }
        };
        let mut errors = Errors::new();
        let parsed = parse(&input, &mut errors);
        let cases = validate(&parsed, &mut errors);
        assert!(errors.is_empty());
        let members: Vec<String> = cases
            .iter()
            .map(|c| match &c.mapping {
                Mapping::Transparent { member, .. } => quote::quote!(#member).to_string(),
                Mapping::Coded(coded) => coded.code.value(),
            })
            .collect();
        assert_eq!(members, ["0", "source", "BAD"]);
    }

    #[test]
    fn a_transparent_struct_wraps_its_field() {
        let input: DeriveInput = syn::parse_quote! {
            #[error(transparent)]
            struct Wrapper(Box<dyn std::error::Error + Send + Sync>);
        };
        let (cases, errors) = check(&input);
        assert_eq!((cases, errors.len()), (1, 0), "{errors:#?}");
    }

    #[test]
    fn transparent_takes_one_field_and_no_mapping_keys() {
        let input: DeriveInput = syn::parse_quote! {
            #[tool_error(code = "APP", retryable)]
            enum E {
                #[error(transparent)] Unit,
                #[tool_error(transparent)] Two(A, B),
                #[error(transparent)] #[tool_error(code = "X", retryable, message = "m", suggestion = "s")] Keyed(A),
                Inherits(A),
            }
        };
        let (cases, errors) = check(&input);
        assert_eq!(cases, 1, "only `Inherits` is valid");
        assert_eq!(errors.len(), 6, "{errors:#?}");
        assert!(errors[0].starts_with("a transparent variant wraps exactly one error, and `Unit` has no field"));
        assert!(errors[1].starts_with("a transparent variant wraps exactly one error, and `Two` has 2 fields"));
        assert!(errors[2].starts_with("`code` cannot be combined with `#[error(transparent)]`"));
        assert!(errors[3].starts_with("`retryable` cannot be combined"));
        assert!(errors[4].starts_with("`message` cannot be combined"));
        assert!(errors[5].starts_with("`suggestion` cannot be combined"));
    }

    #[test]
    fn transparent_goes_on_a_variant() {
        let input: DeriveInput = syn::parse_quote! {
            #[tool_error(transparent)]
            enum E { #[tool_error(code = "A")] A }
        };
        let (_, errors) = check(&input);
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert!(errors[0].starts_with("`transparent` goes on a variant"));
        // thiserror reports its own attribute on an enum.
        let input: DeriveInput = syn::parse_quote! {
            #[error(transparent)]
            enum E { #[tool_error(code = "A")] A }
        };
        assert!(check(&input).1.is_empty());
    }
}
