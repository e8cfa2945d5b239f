//! Stage 3 of `#[tool]`: generate the companion struct and its `Tool` impl.
//!
//! The user's function is emitted as parsed (helper attributes removed). Everything else lives in
//! a `const _: () = { ... };` block and names runtime items only through
//! `::mcp_server::__private` (aliased `__mcp`). Nothing generated here can panic.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Ident, ItemFn, LitStr};

use super::validate::{Argument, Param, ToolModel};
use crate::case::pascal_case;

/// The companion struct's name: `get_employee` → `GetEmployeeTool`.
pub(crate) fn companion_ident(func: &ItemFn) -> Ident {
    let name = pascal_case(&func.sig.ident.unraw().to_string());
    Ident::new(&format!("{name}Tool"), func.sig.ident.span())
}

/// The full expansion of a valid tool.
pub(crate) fn expand(model: &ToolModel<'_>) -> TokenStream {
    let func = model.func;
    let fn_ident = &func.sig.ident;
    let tool = companion_ident(func);
    let args_ident = args_ident(func);

    let fields = model.params.iter().filter_map(|param| match param {
        Param::Argument(arg) => Some(field(arg)),
        Param::Injected(_) => None,
    });
    let defaults = model.params.iter().filter_map(|param| match param {
        Param::Argument(arg) => default_fn(arg),
        Param::Injected(_) => None,
    });

    let name = LitStr::new(&model.name, Span::call_site());
    let description = LitStr::new(&model.description, Span::call_site());
    let title = model.title.iter().map(|title| quote!(.title(#title)));
    let flags = model.flags.iter().map(|(method, value)| {
        let method = Ident::new(method, Span::call_site());
        quote!(.#method(#value))
    });
    let roles = model.roles.iter().map(|roles| quote!(.roles(&[#(#roles),*])));
    let scopes = model.scopes.iter().map(|scopes| quote!(.scopes(&[#(#scopes),*])));
    let output = &model.output;
    let output_schema = quote_spanned!(output.span()=> __mcp::output_schema::<#output>());

    let mut extractions = Vec::new();
    let mut call_args = Vec::new();
    for (index, param) in model.params.iter().enumerate() {
        match param {
            Param::Argument(arg) => {
                let ident = arg.ident;
                call_args.push(quote!(__args.#ident));
            }
            Param::Injected(injected) => {
                let local = format_ident!("__mcp_injected_{index}");
                let ty = injected.ty;
                let binding = match injected.reference {
                    Some(true) => quote!(mut #local),
                    _ => quote!(#local),
                };
                // Spanned on the type so that a type without `FromContext` is reported there.
                let extract = quote_spanned!(ty.span()=> __mcp::extract::<#ty>);
                extractions.push(quote!(let #binding = #extract(__mcp_req)?;));
                call_args.push(match injected.reference {
                    Some(true) => quote!(&mut #local),
                    Some(false) => quote!(&#local),
                    None => quote!(#local),
                });
            }
        }
    }
    // Spanned on the return type so that an unsupported output is reported there; `__out` keeps
    // the call-site span of its `let`.
    let out = Ident::new("__out", Span::call_site());
    let finish = quote_spanned!(output.span()=> (&&&&&__mcp::Tagged::new(#out)).__mcp_finish());

    let companion = companion_struct(func, &tool);
    quote! {
        #func

        #companion

        const _: () = {
            use ::mcp_server::__private as __mcp;

            #[derive(__mcp::serde::Deserialize, __mcp::schemars::JsonSchema)]
            #[serde(crate = "::mcp_server::__private::serde")]
            #[schemars(crate = "::mcp_server::__private::schemars")]
            struct #args_ident {
                #(#fields,)*
            }

            #(#defaults)*

            impl __mcp::Tool for #tool {
                fn definition(&self) -> __mcp::ToolDefinition {
                    __mcp::ToolDefinition::new::<#args_ident>(#name, #description)
                        #(#title)*
                        #(#flags)*
                        #(#roles)*
                        #(#scopes)*
                        .output_schema(#output_schema)
                }

                fn call<'__mcp_a>(
                    &'__mcp_a self,
                    __mcp_req: &'__mcp_a __mcp::CallToolRequest,
                ) -> __mcp::BoxFuture<'__mcp_a, __mcp::ToolResult> {
                    ::std::boxed::Box::pin(async move {
                        #[allow(unused_imports)]
                        use __mcp::{FinishCallError as _, FinishErrorSpec as _, FinishError as _, FinishOutput as _, FinishFallback as _};
                        let __args: #args_ident = __mcp::parse_args(__mcp_req)?;
                        #(#extractions)*
                        let #out = #fn_ident(#(#call_args),*).await;
                        // A statement of its own: the `Tagged` temporary must not live across
                        // the `.await` below (it is not `Sync`, and the future must be `Send`).
                        // The autoref-specialization borrows are spanned on the user's return
                        // type; for `&'static str` clippy would blame them on the user's `&`.
                        #[allow(clippy::needless_borrow)]
                        let __completion = #finish;
                        __mcp::complete(__mcp_req, __completion).await
                    })
                }
            }
        };
    }
}

/// The expansion used when validation failed: the function, the companion struct and a `Tool`
/// impl that does not call the function, so that code registering the tool keeps compiling and
/// only the real errors are shown.
///
/// A function taking `self` is probably inside an `impl` block, where a struct or a `const` item
/// would only add errors: it is emitted alone.
pub(crate) fn fallback(func: &ItemFn) -> TokenStream {
    if func.sig.receiver().is_some() {
        return quote!(#func);
    }
    let tool = companion_ident(func);
    let args_ident = args_ident(func);
    let name = func.sig.ident.unraw().to_string();
    let companion = companion_struct(func, &tool);
    quote! {
        #func

        #companion

        const _: () = {
            use ::mcp_server::__private as __mcp;

            #[derive(__mcp::serde::Deserialize, __mcp::schemars::JsonSchema)]
            #[serde(crate = "::mcp_server::__private::serde")]
            #[schemars(crate = "::mcp_server::__private::schemars")]
            struct #args_ident {}

            impl __mcp::Tool for #tool {
                fn definition(&self) -> __mcp::ToolDefinition {
                    __mcp::ToolDefinition::new::<#args_ident>(#name, "")
                }

                fn call<'__mcp_a>(
                    &'__mcp_a self,
                    __mcp_req: &'__mcp_a __mcp::CallToolRequest,
                ) -> __mcp::BoxFuture<'__mcp_a, __mcp::ToolResult> {
                    ::std::boxed::Box::pin(async move {
                        #[allow(unused_imports)]
                        use __mcp::{FinishCallError as _, FinishErrorSpec as _, FinishError as _, FinishOutput as _, FinishFallback as _};
                        let __completion = (&&&&&__mcp::Tagged::new(())).__mcp_finish();
                        __mcp::complete(__mcp_req, __completion).await
                    })
                }
            }
        };
    }
}

/// `pub struct EchoTool;` with its doc and derives.
fn companion_struct(func: &ItemFn, tool: &Ident) -> TokenStream {
    let vis = &func.vis;
    let doc = format!("The MCP tool companion of [`{}`]; register it with `server.tool({tool})`.", func.sig.ident);
    quote! {
        #[doc = #doc]
        #[derive(::core::clone::Clone, ::core::marker::Copy, ::core::fmt::Debug, ::core::default::Default)]
        #vis struct #tool;
    }
}

/// The hidden arguments struct's name: `echo` → `__EchoArgs`.
fn args_ident(func: &ItemFn) -> Ident {
    format_ident!("__{}Args", pascal_case(&func.sig.ident.unraw().to_string()))
}

/// The name of the function returning an argument's default.
fn default_fn_ident(arg: &Argument<'_>) -> Ident {
    format_ident!("__mcp_default_{}", arg.ident.unraw())
}

/// One field of the arguments struct, spanned on the parameter's type so that a type that is
/// not `Deserialize + JsonSchema` is reported at the parameter.
fn field(arg: &Argument<'_>) -> TokenStream {
    let ident = arg.ident;
    let ty = arg.ty;
    let description = arg.description.iter().map(|text| quote!(#[schemars(description = #text)]));
    let rename = arg.rename.iter().map(|name| quote!(#[serde(rename = #name)]));
    let default = if arg.default.is_some() {
        let path = default_fn_ident(arg).to_string();
        Some(quote!(#[serde(default = #path)]))
    } else if arg.optional {
        Some(quote!(#[serde(default)]))
    } else {
        None
    };
    quote_spanned! {ty.span()=>
        #(#description)*
        #(#rename)*
        #default
        #ident: #ty
    }
}

/// `fn __mcp_default_x() -> T { Into::<T>::into(EXPR) }` for `#[arg(default = EXPR)]`.
///
/// An unsuffixed numeric literal is used as is (wrapped in `Some` for an `Option<T>` argument):
/// through `Into` it would fall back to `i32` / `f64`, and `u32: From<i32>` does not exist.
fn default_fn(arg: &Argument<'_>) -> Option<TokenStream> {
    let expr = arg.default?;
    let ty = arg.ty;
    let ident = default_fn_ident(arg);
    let body = match (is_numeric_literal(expr), arg.optional) {
        (true, false) => quote_spanned!(expr.span()=> #expr),
        (true, true) => quote_spanned!(expr.span()=> ::core::option::Option::Some(#expr)),
        (false, _) => quote_spanned!(expr.span()=> ::core::convert::Into::<#ty>::into(#expr)),
    };
    Some(quote_spanned! {expr.span()=>
        fn #ident() -> #ty {
            #body
        }
    })
}

/// Whether an expression is an unsuffixed numeric literal such as `10`, `-1` or `(2.5)`.
fn is_numeric_literal(expr: &syn::Expr) -> bool {
    match expr {
        syn::Expr::Lit(l) => match &l.lit {
            syn::Lit::Int(int) => int.suffix().is_empty(),
            syn::Lit::Float(float) => float.suffix().is_empty(),
            _ => false,
        },
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => is_numeric_literal(&u.expr),
        syn::Expr::Paren(p) => is_numeric_literal(&p.expr),
        syn::Expr::Group(g) => is_numeric_literal(&g.expr),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn companion_names() {
        let func: ItemFn = syn::parse_quote!(
            async fn get_employee() {}
        );
        assert_eq!(companion_ident(&func).to_string(), "GetEmployeeTool");
        assert_eq!(args_ident(&func).to_string(), "__GetEmployeeArgs");
        let func: ItemFn = syn::parse_quote!(
            async fn r#type() {}
        );
        assert_eq!(companion_ident(&func).to_string(), "TypeTool");
    }

    #[test]
    fn numeric_literals() {
        let numeric = |expr: syn::Expr| is_numeric_literal(&expr);
        assert!(numeric(syn::parse_quote!(10)));
        assert!(numeric(syn::parse_quote!(-2.5)));
        assert!(numeric(syn::parse_quote!((3))));
        assert!(!numeric(syn::parse_quote!(10_u8)), "a suffixed literal goes through `Into`");
        assert!(!numeric(syn::parse_quote!("en")));
        assert!(!numeric(syn::parse_quote!(LIMIT)));
    }
}
