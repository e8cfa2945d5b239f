//! `#[derive(ToolError)]`: parse → validate → expand.

mod expand;
mod format;
mod parse;
mod validate;

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use crate::errors::Errors;

/// Expands `#[derive(ToolError)]`; on mistakes, every error plus a fallback impl.
pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = Errors::new();
    let parsed = parse::parse(&input, &mut errors);
    let model = validate::validate(&parsed, &mut errors);
    if errors.is_empty() {
        return expand::expand(&input, &model);
    }
    let fallback = expand::fallback(&input);
    let errors = errors.to_compile_errors();
    quote!(#errors #fallback)
}
