//! Stage 2 of `#[derive(ToolError)]`: give every case a code, resolve the defaults and check the
//! format placeholders against the case's fields.

use syn::ext::IdentExt;
use syn::{Fields, Ident, LitStr};

use super::format::{self, Placeholder};
use super::parse::{Case, ErrorInput};
use crate::errors::Errors;

/// One match arm to generate.
#[derive(Debug)]
pub(crate) struct CaseModel<'a> {
    /// The variant's name; `None` for a struct.
    pub(crate) variant: Option<&'a Ident>,
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
    input.cases.iter().filter_map(|case| validate_case(input, case, errors)).collect()
}

/// Checks one case against the container defaults.
fn validate_case<'a>(input: &ErrorInput<'a>, case: &Case<'a>, errors: &mut Errors) -> Option<CaseModel<'a>> {
    let own = &case.attrs;
    let defaults = &input.container;
    let name = case.variant.unwrap_or(input.ident);
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
    Some(CaseModel {
        variant: case.variant,
        bindings,
        code: code.clone(),
        retryable: own.retryable.or(defaults.retryable).unwrap_or(false),
        message,
        suggestion,
    })
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
        let codes: Vec<String> = cases.iter().map(|c| c.code.value()).collect();
        assert_eq!(codes, ["DEFAULT", "B", "DEFAULT"]);
        assert_eq!(cases[1].bindings.len(), 1);
        assert_eq!(cases[1].message.as_ref().map(|m| m.format.value()).as_deref(), Some("b {__tf_x} {__tf_x:?}"));
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
}
