//! Helpers shared by the attribute parsers: `key`, `key = value` lists and typed values.
//!
//! Every helper reports mistakes into [`Errors`] on the offending token and returns `None`, so the
//! caller can keep parsing the remaining keys.

use std::collections::HashSet;

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprLit, Lit, LitBool, LitStr, Meta, Token};

use crate::errors::Errors;

/// A comma-separated list of `key`, `key = value` and `key(...)` items.
pub(crate) type MetaList = Punctuated<Meta, Token![,]>;

/// Parses the tokens inside an attribute macro's parentheses (`#[tool(...)]`); a syntax error
/// is reported where `syn` found it, followed by `syntax` (the attribute's right form).
pub(crate) fn parse_args(tokens: TokenStream, syntax: &str) -> syn::Result<MetaList> {
    MetaList::parse_terminated.parse2(tokens).map_err(|error| with_syntax(&error, syntax))
}

/// Parses the list inside a helper attribute: `#[arg(...)]`; a bare `#[arg]` is an empty list.
/// Errors end with `syntax`, the attribute's right form.
pub(crate) fn parse_attr(attr: &Attribute, syntax: &str) -> syn::Result<MetaList> {
    match &attr.meta {
        Meta::Path(_) => Ok(MetaList::new()),
        Meta::List(list) => {
            list.parse_args_with(MetaList::parse_terminated).map_err(|error| with_syntax(&error, syntax))
        }
        Meta::NameValue(nv) => Err(syn::Error::new_spanned(nv, format!("expected a parenthesized list: {syntax}"))),
    }
}

/// A parse error with the right syntax appended to its message.
fn with_syntax(error: &syn::Error, syntax: &str) -> syn::Error {
    syn::Error::new(error.span(), format!("{error}; the syntax is {syntax}"))
}

/// The key of an item, as written (`read_only`, `serde::rename`).
pub(crate) fn key(meta: &Meta) -> String {
    path_name(meta.path())
}

/// A path as written, without spaces (`a::b`).
pub(crate) fn path_name(path: &syn::Path) -> String {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    segments.join("::")
}

/// Remembers which keys of one attribute were already given.
#[derive(Debug, Default)]
pub(crate) struct SeenKeys {
    /// The keys seen so far.
    seen: HashSet<String>,
}

impl SeenKeys {
    /// Records `meta`'s key; reports an error on it and returns `false` when it was given before.
    pub(crate) fn first_time(&mut self, meta: &Meta, attr: &str, errors: &mut Errors) -> bool {
        let key = key(meta);
        if self.seen.insert(key.clone()) {
            return true;
        }
        errors.error(meta.path(), format!("duplicate `{key}` in `#[{attr}]`; give each key at most once"));
        false
    }
}

/// The value of `key = value`, or an error on `meta` showing `key = example`.
pub(crate) fn value<'m>(meta: &'m Meta, example: &str, errors: &mut Errors) -> Option<&'m Expr> {
    match meta {
        Meta::NameValue(nv) => Some(&nv.value),
        Meta::Path(path) => {
            let key = path_name(path);
            errors.error(meta, format!("`{key}` needs a value: `{key} = {example}`"));
            None
        }
        Meta::List(list) => {
            let key = path_name(&list.path);
            errors.error(meta, format!("expected `{key} = {example}`, not `{key}(...)`"));
            None
        }
    }
}

/// A string value: `key = "..."`.
pub(crate) fn string(meta: &Meta, errors: &mut Errors) -> Option<LitStr> {
    let key = key(meta);
    match value(meta, "\"...\"", errors)? {
        Expr::Lit(ExprLit { lit: Lit::Str(lit), .. }) => Some(lit.clone()),
        other => {
            errors.error(other, format!("expected a string literal: `{key} = \"...\"`"));
            None
        }
    }
}

/// A flag: bare `key` (true) or `key = true` / `key = false`.
pub(crate) fn flag(meta: &Meta, errors: &mut Errors) -> Option<bool> {
    let key = key(meta);
    match meta {
        Meta::Path(_) => Some(true),
        Meta::List(_) => {
            errors.error(meta, format!("expected `{key}` or `{key} = true/false`, not `{key}(...)`"));
            None
        }
        Meta::NameValue(nv) => match &nv.value {
            Expr::Lit(ExprLit { lit: Lit::Bool(LitBool { value, .. }), .. }) => Some(*value),
            other => {
                errors.error(other, format!("expected `true` or `false`: `{key} = true`, or just `{key}`"));
                None
            }
        },
    }
}

/// A list of strings: `key = ["a", "b"]`.
pub(crate) fn string_list(meta: &Meta, errors: &mut Errors) -> Option<Vec<LitStr>> {
    let key = key(meta);
    let syntax = format!("`{key} = [\"a\", \"b\"]`");
    let value = value(meta, "[\"a\", \"b\"]", errors)?;
    let Expr::Array(array) = value else {
        errors.error(value, format!("expected a list of string literals: {syntax}"));
        return None;
    };
    let mut items = Vec::with_capacity(array.elems.len());
    let mut ok = true;
    for elem in &array.elems {
        match elem {
            Expr::Lit(ExprLit { lit: Lit::Str(lit), .. }) => items.push(lit.clone()),
            other => {
                errors.error(other, format!("expected a string literal in the list: {syntax}"));
                ok = false;
            }
        }
    }
    ok.then_some(items)
}

/// Reports an unknown key, listing the valid ones.
pub(crate) fn unknown_key(meta: &Meta, attr: &str, valid: &[&str], errors: &mut Errors) {
    errors.error(
        meta.path(),
        format!("unknown key `{}` in `#[{attr}]`; valid keys are: {}", key(meta), valid.join(", ")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn metas(tokens: TokenStream) -> Vec<Meta> {
        parse_args(tokens, "`#[test(...)]`").map(|list| list.into_iter().collect()).unwrap_or_default()
    }

    #[test]
    fn flags_accept_bare_and_bool() {
        let mut errors = Errors::new();
        let list = metas(quote!(a, b = true, c = false, d = 1));
        let values: Vec<Option<bool>> = list.iter().map(|m| flag(m, &mut errors)).collect();
        assert_eq!(values, [Some(true), Some(true), Some(false), None]);
        assert!(!errors.is_empty());
    }

    #[test]
    fn strings_and_lists() {
        let mut errors = Errors::new();
        let list = metas(quote!(name = "x", roles = ["a", "b"], bad = 1, bad_list = ["a", 2]));
        assert_eq!(string(&list[0], &mut errors).map(|s| s.value()), Some("x".into()));
        let roles = string_list(&list[1], &mut errors).unwrap_or_default();
        assert_eq!(roles.iter().map(LitStr::value).collect::<Vec<_>>(), ["a", "b"]);
        assert!(errors.is_empty());
        assert!(string(&list[2], &mut errors).is_none());
        assert!(string_list(&list[3], &mut errors).is_none());
        assert!(string(&list[1], &mut errors).is_none());
        assert!(!errors.is_empty());
    }

    #[test]
    fn duplicates_are_reported() {
        let mut errors = Errors::new();
        let mut seen = SeenKeys::default();
        let list = metas(quote!(a, a = false, b));
        let firsts: Vec<bool> = list.iter().map(|m| seen.first_time(m, "tool", &mut errors)).collect();
        assert_eq!(firsts, [true, false, true]);
        assert!(!errors.is_empty());
    }
}
