//! `#[tool]`: parse → validate → expand.

mod expand;
mod parse;
mod rules;
mod validate;

use proc_macro2::TokenStream;
use quote::quote;

use crate::errors::Errors;

/// Expands `#[tool(args)] item`; on mistakes, every error plus a fallback expansion.
pub(crate) fn tool(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let input = match parse::parse(args, item.clone(), &mut errors) {
        Ok(input) => input,
        Err(error) => {
            let error = error.to_compile_error();
            return quote!(#error #item);
        }
    };
    let model = validate::validate(&input, &mut errors);
    if errors.is_empty() {
        return expand::expand(&model);
    }
    let fallback = expand::fallback(&input.func);
    let errors = errors.to_compile_errors();
    quote!(#errors #fallback)
}
