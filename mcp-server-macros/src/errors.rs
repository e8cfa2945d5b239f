//! Error collection shared by every macro (the serde_derive `Ctxt` habit).
//!
//! Each stage pushes every mistake it finds instead of returning at the first one, so a user
//! sees all of them in one compile. The entry point then emits them together with a fallback
//! expansion that keeps the rest of the crate compiling without cascading errors.

use std::fmt::Display;

use proc_macro2::TokenStream;
use quote::ToTokens;

/// The errors found so far while expanding one macro invocation.
#[derive(Debug, Default)]
pub(crate) struct Errors {
    /// Every error, in the order it was found.
    list: Vec<syn::Error>,
}

impl Errors {
    /// An empty collection.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Records an error spanning `tokens`.
    pub(crate) fn error(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.list.push(syn::Error::new_spanned(tokens, message));
    }

    /// Records an already built error (for example a `syn` parse error).
    pub(crate) fn push(&mut self, error: syn::Error) {
        self.list.push(error);
    }

    /// Whether nothing has been recorded.
    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Every recorded error as `compile_error!` invocations.
    pub(crate) fn to_compile_errors(&self) -> TokenStream {
        self.list.iter().map(syn::Error::to_compile_error).collect()
    }

    /// Every recorded error combined into one, or `None` when there is none.
    #[cfg(test)]
    pub(crate) fn combined(self) -> Option<syn::Error> {
        let mut errors = self.list.into_iter();
        let mut first = errors.next()?;
        for error in errors {
            first.combine(error);
        }
        Some(first)
    }
}

#[cfg(test)]
mod tests {
    use super::Errors;
    use proc_macro2::Span;

    #[test]
    fn combines_every_error() {
        let mut errors = Errors::new();
        assert!(errors.is_empty());
        errors.push(syn::Error::new(Span::call_site(), "first"));
        errors.error(quote::quote!(x), "second");
        assert!(!errors.is_empty());
        let messages: Vec<String> = errors
            .combined()
            .into_iter()
            .flat_map(|e| e.into_iter().map(|e| e.to_string()).collect::<Vec<_>>())
            .collect();
        assert_eq!(messages, ["first", "second"]);
    }

    #[test]
    fn empty_has_no_combined_error() {
        assert!(Errors::new().combined().is_none());
        assert!(Errors::new().to_compile_errors().is_empty());
    }
}
