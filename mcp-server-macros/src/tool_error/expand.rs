//! Stage 3 of `#[derive(ToolError)]`: the `ToolErrorSpec` impl.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::DeriveInput;

use super::validate::{CaseModel, Coded, Formatted, Mapping};

/// The impl for a valid input.
pub(crate) fn expand(input: &DeriveInput, cases: &[CaseModel<'_>]) -> TokenStream {
    let arms = cases.iter().map(arm);
    let body = if cases.is_empty() { quote!(match *self {}) } else { quote!(match self { #(#arms)* }) };
    wrap(input, &body, wrapped(cases))
}

/// The impl emitted beside errors, so that uses of the type do not cascade into more errors.
pub(crate) fn fallback(input: &DeriveInput) -> TokenStream {
    wrap(input, &quote!(__mcp::ToolError::new("INTERNAL_ERROR", "internal error")), None)
}

/// `impl ToolErrorSpec for T { fn to_tool_error(&self) -> ToolError { #body } #wrapped }`.
fn wrap(input: &DeriveInput, body: &TokenStream, wrapped: Option<TokenStream>) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        const _: () = {
            use ::mcp_server::__private as __mcp;

            #[automatically_derived]
            impl #impl_generics __mcp::ToolErrorSpec for #ident #ty_generics #where_clause {
                // The autoref-specialization borrows of transparent cases are spanned on the
                // user's field type, where clippy would blame them.
                #[allow(clippy::needless_borrow)]
                fn to_tool_error(&self) -> __mcp::ToolError {
                    #[allow(unused_imports)]
                    use __mcp::{SpecOf as _, WrappedSpec as _};
                    #body
                }

                #wrapped
            }
        };
    }
}

/// `fn wrapped(&self)`, returning the field of the transparent cases; `None` (the trait's
/// default) when there is none.
fn wrapped(cases: &[CaseModel<'_>]) -> Option<TokenStream> {
    let arms: Vec<TokenStream> = cases
        .iter()
        .filter_map(|case| match &case.mapping {
            Mapping::Transparent { member, ty } => {
                let path = path(case);
                // Spanned on the field's type: a type that is not an error is reported there.
                let dyn_error = quote_spanned!(ty.span()=> __mcp_wrapped.__mcp_as_dyn_error());
                Some(quote!(#path { #member: __mcp_wrapped, .. } => ::core::option::Option::Some(#dyn_error),))
            }
            Mapping::Coded(_) => None,
        })
        .collect();
    if arms.is_empty() {
        return None;
    }
    let rest = (arms.len() < cases.len()).then(|| quote!(_ => ::core::option::Option::None,));
    Some(quote! {
        fn wrapped(&self) -> ::core::option::Option<&(dyn ::std::error::Error + 'static)> {
            use __mcp::AsDynError as _;
            match self {
                #(#arms)*
                #rest
            }
        }
    })
}

/// `Self::Variant`, or `Self` for a struct.
fn path(case: &CaseModel<'_>) -> TokenStream {
    match case.variant {
        Some(variant) => quote!(Self::#variant),
        None => quote!(Self),
    }
}

/// One match arm: `Self::Variant { a: __tf_a, .. } => ToolError::new(..)...,`, or for a
/// transparent case the wrapped error's own mapping, picked by autoref specialization.
fn arm(case: &CaseModel<'_>) -> TokenStream {
    let path = path(case);
    match &case.mapping {
        Mapping::Coded(coded) => coded_arm(&path, coded),
        Mapping::Transparent { member, ty } => {
            let spec = quote_spanned!(ty.span()=> (&&__mcp::SpecProbe(__mcp_wrapped)).__mcp_spec());
            quote!(#path { #member: __mcp_wrapped, .. } => #spec,)
        }
    }
}

/// The arm of a case with a code of its own.
fn coded_arm(path: &TokenStream, case: &Coded) -> TokenStream {
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
