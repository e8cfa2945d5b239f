//! Stage 3 of `#[exception_handler]`: the companion struct and its `ExceptionHandler` impl.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ext::IdentExt;
use syn::{Ident, ItemFn, Type};

use super::validate::HandlerModel;
use crate::case::pascal_case;

/// The companion struct's name: `handle_not_found` → `HandleNotFoundHandler`.
fn companion_ident(func: &ItemFn) -> Ident {
    let name = pascal_case(&func.sig.ident.unraw().to_string());
    Ident::new(&format!("{name}Handler"), func.sig.ident.span())
}

/// The full expansion of a valid handler.
pub(crate) fn expand(model: &HandlerModel<'_>) -> TokenStream {
    let func = model.func;
    let fn_ident = &func.sig.ident;
    let handler = companion_ident(func);
    let error_ty = model.error_ty;
    let companion = companion_struct(func, &handler);
    quote! {
        #func

        #companion

        const _: () = {
            use ::mcp_server::__private as __mcp;

            impl __mcp::ExceptionHandler for #handler {
                type Error = #error_ty;

                fn handle<'__mcp_a>(
                    &'__mcp_a self,
                    ctx: &'__mcp_a __mcp::RequestContext,
                    exc: &'__mcp_a #error_ty,
                ) -> __mcp::BoxFuture<'__mcp_a, __mcp::ToolError> {
                    ::std::boxed::Box::pin(#fn_ident(ctx, exc))
                }
            }
        };
    }
}

/// The expansion used when validation failed: the function, the companion struct and, when the
/// error type is known, an impl that does not call the function (so registration still compiles).
///
/// A function taking `self` is probably inside an `impl` block, where a struct or a `const` item
/// would only add errors: it is emitted alone.
pub(crate) fn fallback(func: &ItemFn, error_ty: Option<&Type>) -> TokenStream {
    if func.sig.receiver().is_some() {
        return quote!(#func);
    }
    let handler = companion_ident(func);
    let companion = companion_struct(func, &handler);
    let imp = error_ty.map(|error_ty| {
        quote! {
            const _: () = {
                use ::mcp_server::__private as __mcp;

                impl __mcp::ExceptionHandler for #handler {
                    type Error = #error_ty;

                    fn handle<'__mcp_a>(
                        &'__mcp_a self,
                        _ctx: &'__mcp_a __mcp::RequestContext,
                        _exc: &'__mcp_a #error_ty,
                    ) -> __mcp::BoxFuture<'__mcp_a, __mcp::ToolError> {
                        ::std::boxed::Box::pin(async move {
                            __mcp::ToolError::new("INTERNAL_ERROR", "internal error")
                        })
                    }
                }
            };
        }
    });
    quote! {
        #func

        #companion

        #imp
    }
}

/// `pub struct HandleNotFoundHandler;` with its doc and derives.
fn companion_struct(func: &ItemFn, handler: &Ident) -> TokenStream {
    let vis = &func.vis;
    let doc = format!(
        "The exception-handler companion of [`{}`]; register it with `server.exception_handler({handler})`.",
        func.sig.ident
    );
    quote! {
        #[doc = #doc]
        #[derive(::core::clone::Clone, ::core::marker::Copy, ::core::fmt::Debug, ::core::default::Default)]
        #vis struct #handler;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn companion_name() {
        let func: ItemFn = syn::parse_quote!(
            async fn handle_not_found() {}
        );
        assert_eq!(companion_ident(&func).to_string(), "HandleNotFoundHandler");
    }
}
