//! `#[exception_handler]`: parse → validate → expand.

mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;
use quote::quote;

use crate::errors::Errors;

/// Expands `#[exception_handler] item`; on mistakes, every error plus a fallback expansion.
pub(crate) fn exception_handler(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let func = match parse::parse(args, item.clone(), &mut errors) {
        Ok(func) => func,
        Err(error) => {
            let error = error.to_compile_error();
            return quote!(#error #item);
        }
    };
    let model = validate::validate(&func, &mut errors);
    if errors.is_empty() {
        if let Some(model) = &model {
            return expand::expand(model);
        }
    }
    let fallback = expand::fallback(&func, model.as_ref().map(|m| m.error_ty));
    let errors = errors.to_compile_errors();
    quote!(#errors #fallback)
}
