//! Stage 3 of `#[derive(ToolError)]`: the `ToolErrorSpec` impl.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use super::validate::{CaseModel, Formatted};

/// The impl for a valid input.
pub(crate) fn expand(input: &DeriveInput, cases: &[CaseModel<'_>]) -> TokenStream {
    let arms = cases.iter().map(arm);
    let body = if cases.is_empty() { quote!(match *self {}) } else { quote!(match self { #(#arms)* }) };
    wrap(input, &body)
}

/// The impl emitted beside errors, so that uses of the type do not cascade into more errors.
pub(crate) fn fallback(input: &DeriveInput) -> TokenStream {
    wrap(input, &quote!(__mcp::ToolError::new("INTERNAL_ERROR", "internal error")))
}

/// `impl ToolErrorSpec for T { fn to_tool_error(&self) -> ToolError { #body } }`.
fn wrap(input: &DeriveInput, body: &TokenStream) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        const _: () = {
            use ::mcp_server::__private as __mcp;

            #[automatically_derived]
            impl #impl_generics __mcp::ToolErrorSpec for #ident #ty_generics #where_clause {
                fn to_tool_error(&self) -> __mcp::ToolError {
                    #body
                }
            }
        };
    }
}

/// One match arm: `Self::Variant { a: __tf_a, .. } => ToolError::new(..)...,`.
fn arm(case: &CaseModel<'_>) -> TokenStream {
    let path = match case.variant {
        Some(variant) => quote!(Self::#variant),
        None => quote!(Self),
    };
    let bindings = case.bindings.iter().map(|(member, binding)| quote!(#member: #binding,));
    let code = &case.code;
    let retryable = case.retryable;
    let message = match &case.message {
        Some(message) => format(message),
        None => quote!(::std::string::ToString::to_string(self)),
    };
    let suggestion = case.suggestion.as_ref().map(|s| {
        let s = format(s);
        quote!(.suggestion(#s))
    });
    quote! {
        #path { #(#bindings)* .. } => __mcp::ToolError::new(#code, #message)
            .retryable(#retryable)
            #suggestion,
    }
}

/// `format!("...", __tf_a = __tf_a)`, or the plain literal when it has no braces at all.
fn format(formatted: &Formatted) -> TokenStream {
    let format = &formatted.format;
    let value = format.value();
    if !value.contains(['{', '}']) {
        return quote!(#format);
    }
    let args = &formatted.args;
    quote!(::std::format!(#format, #(#args = #args),*))
}
