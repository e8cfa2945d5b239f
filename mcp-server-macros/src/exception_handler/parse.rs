//! Stage 1 of `#[exception_handler]`: the attribute takes no keys; the item must be a function.

use proc_macro2::TokenStream;
use syn::ItemFn;

use crate::errors::Errors;

/// The right syntax, quoted in error messages.
pub(crate) const SYNTAX: &str =
    "`#[exception_handler] async fn name(ctx: &RequestContext, error: &MyError) -> ToolError { ... }`";

/// Parses the annotated function; keys given to the attribute are recorded as errors.
pub(crate) fn parse(args: TokenStream, item: TokenStream, errors: &mut Errors) -> syn::Result<ItemFn> {
    if !args.is_empty() {
        errors.error(args, "`#[exception_handler]` takes no arguments; write `#[exception_handler]`");
    }
    syn::parse2(item)
        .map_err(|e| syn::Error::new(e.span(), format!("`#[exception_handler]` goes on an `async fn`: {SYNTAX}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn arguments_are_rejected_but_the_function_is_kept() {
        let mut errors = Errors::new();
        let func = parse(
            quote!(x = 1),
            quote!(
                async fn h() {}
            ),
            &mut errors,
        );
        assert!(func.is_ok());
        assert!(!errors.is_empty());
    }

    #[test]
    fn non_functions_are_rejected() {
        let mut errors = Errors::new();
        assert!(parse(
            TokenStream::new(),
            quote!(
                struct S;
            ),
            &mut errors
        )
        .is_err());
    }
}
