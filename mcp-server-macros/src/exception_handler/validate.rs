//! Stage 2 of `#[exception_handler]`: check the signature
//! `async fn name(ctx: &RequestContext, error: &MyError) -> ToolError` and find `MyError`.

use syn::{FnArg, GenericParam, ItemFn, ReturnType, Type};

use super::parse::SYNTAX;
use crate::errors::Errors;

/// A handler ready to expand.
#[derive(Debug)]
pub(crate) struct HandlerModel<'a> {
    /// The user's function.
    pub(crate) func: &'a ItemFn,
    /// The handled error type: the referent of the second parameter.
    pub(crate) error_ty: &'a Type,
}

/// Checks the handler's signature, recording every problem. Returns the model when the error
/// type could be found (even if other problems were recorded, for the fallback).
pub(crate) fn validate<'a>(func: &'a ItemFn, errors: &mut Errors) -> Option<HandlerModel<'a>> {
    let sig = &func.sig;
    if sig.asyncness.is_none() {
        errors.error(sig.fn_token, format!("an exception handler must be an `async fn`; add `async`: {SYNTAX}"));
    }
    for param in &sig.generics.params {
        if !matches!(param, GenericParam::Lifetime(_)) {
            errors.error(param, "an exception handler can't be generic; name the error type it handles");
        }
    }
    if let ReturnType::Default = sig.output {
        errors.push(syn::Error::new(
            sig.paren_token.span.close(),
            format!("an exception handler returns the `ToolError` to send; add `-> ToolError`: {SYNTAX}"),
        ));
    }

    let mut typed = Vec::with_capacity(2);
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(receiver) => errors
                .error(receiver, format!("an exception handler can't take `self`; write a free function: {SYNTAX}")),
            FnArg::Typed(pat_type) => typed.push(pat_type),
        }
    }
    if sig.inputs.len() != 2 {
        errors.push(syn::Error::new(
            sig.paren_token.span.join(),
            format!(
                "an exception handler takes exactly two parameters, the request context and the error, \
                 not {}: {SYNTAX}",
                sig.inputs.len()
            ),
        ));
    }
    if let [ctx, ..] = typed.as_slice() {
        if !matches!(&*ctx.ty, Type::Reference(r) if r.mutability.is_none()) {
            errors.error(
                ctx,
                format!("the first parameter must be a shared reference to the request context, `ctx: &RequestContext`: {SYNTAX}"),
            );
        }
    }
    let error = typed.get(1)?;
    match &*error.ty {
        Type::Reference(r) if r.mutability.is_none() => Some(HandlerModel { func, error_ty: &r.elem }),
        _ => {
            errors.error(
                error,
                format!("the second parameter must be a shared reference to the handled error type, `error: &MyError`: {SYNTAX}"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn check(func: ItemFn) -> (Option<String>, Vec<String>) {
        let mut errors = Errors::new();
        let ty = validate(&func, &mut errors).map(|m| {
            let ty = m.error_ty;
            quote!(#ty).to_string()
        });
        let messages = errors.combined().into_iter().flatten().map(|e| e.to_string()).collect();
        (ty, messages)
    }

    #[test]
    fn accepts_the_documented_signature() {
        let (ty, errors) = check(syn::parse_quote!(
            async fn h(ctx: &RequestContext, e: &NotFound) -> ToolError {
                todo!()
            }
        ));
        assert_eq!(ty.as_deref(), Some("NotFound"));
        assert!(errors.is_empty());
    }

    #[test]
    fn reports_each_problem() {
        let (ty, errors) = check(syn::parse_quote!(
            fn h<T>(ctx: RequestContext) {}
        ));
        assert_eq!(ty, None);
        let starts = [
            "an exception handler must be an `async fn`",
            "an exception handler can't be generic",
            "an exception handler returns the `ToolError`",
            "an exception handler takes exactly two parameters",
            "the first parameter must be a shared reference",
        ];
        assert_eq!(errors.len(), starts.len(), "{errors:#?}");
        for (message, start) in errors.iter().zip(starts) {
            assert!(message.starts_with(start), "{message:?}");
        }
    }

    #[test]
    fn the_error_must_be_borrowed() {
        let (ty, errors) = check(syn::parse_quote!(
            async fn h(c: &Ctx, e: NotFound) -> ToolError {}
        ));
        assert_eq!(ty, None);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("the second parameter must be a shared reference"));
    }
}
