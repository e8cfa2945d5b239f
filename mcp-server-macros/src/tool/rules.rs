//! The two rules `#[tool]` applies to what it reads: which parameters are injected, and which
//! names are valid tool names. Kept apart so that they are easy to find and to pin with tests.
//!
//! The injected-vs-argument rule (also in the crate docs): a parameter is **injected** when its
//! type, or the referent of its `&T` type, has a last path segment named one of
//! [`INJECTED_TYPES`], or when it carries `#[inject]`; every other parameter is a JSON
//! **argument**.

use syn::{GenericArgument, PathArguments, Type};

/// Type names that make a parameter injected (matched on the last path segment).
pub(crate) const INJECTED_TYPES: &[&str] =
    &["RequestContext", "ProgressReporter", "CancellationToken", "BackgroundTasks", "State", "Logger", "Peer"];

/// Whether a type's last path segment is one of [`INJECTED_TYPES`].
pub(crate) fn is_injected_type(ty: &Type) -> bool {
    match ty {
        Type::Paren(inner) => is_injected_type(&inner.elem),
        Type::Group(inner) => is_injected_type(&inner.elem),
        Type::Path(path) => {
            path.path.segments.last().is_some_and(|segment| INJECTED_TYPES.iter().any(|name| segment.ident == name))
        }
        _ => false,
    }
}

/// Whether a type is `Option<T>` (by its last path segment).
pub(crate) fn is_option(ty: &Type) -> bool {
    let Type::Path(path) = ty else { return false };
    path.qself.is_none()
        && path.path.segments.last().is_some_and(|segment| {
            segment.ident == "Option" && matches!(segment.arguments, PathArguments::AngleBracketed(_))
        })
}

/// The first `impl Trait` inside a type, if any.
pub(crate) fn find_impl_trait(ty: &Type) -> Option<&Type> {
    match ty {
        Type::ImplTrait(_) => Some(ty),
        Type::Paren(t) => find_impl_trait(&t.elem),
        Type::Group(t) => find_impl_trait(&t.elem),
        Type::Reference(t) => find_impl_trait(&t.elem),
        Type::Ptr(t) => find_impl_trait(&t.elem),
        Type::Slice(t) => find_impl_trait(&t.elem),
        Type::Array(t) => find_impl_trait(&t.elem),
        Type::Tuple(t) => t.elems.iter().find_map(find_impl_trait),
        Type::Path(t) => t.path.segments.iter().find_map(|segment| match &segment.arguments {
            PathArguments::AngleBracketed(args) => args.args.iter().find_map(|arg| match arg {
                GenericArgument::Type(ty) => find_impl_trait(ty),
                _ => None,
            }),
            _ => None,
        }),
        _ => None,
    }
}

/// Checks the MCP tool-name rule: 1 to 128 characters from `A-Z a-z 0-9 _ - .`; the error is
/// the whole message to show.
pub(crate) fn check_tool_name(name: &str) -> Result<(), String> {
    let allowed = "use 1 to 128 characters from A-Z, a-z, 0-9, `_`, `-` and `.`";
    let count = name.chars().count();
    if count == 0 {
        return Err(format!("the tool name is empty; {allowed}"));
    }
    if count > 128 {
        return Err(format!("invalid tool name `{name}`: it has {count} characters; {allowed}"));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))) {
        return Err(format!("invalid tool name `{name}`: `{c}` is not allowed; {allowed}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_names() {
        assert!(check_tool_name("get_user.v2-beta").is_ok());
        assert!(check_tool_name(&"a".repeat(128)).is_ok());
        assert!(check_tool_name("").is_err());
        assert!(check_tool_name(&"a".repeat(129)).is_err());
        assert!(check_tool_name("has space").is_err());
        assert!(check_tool_name("café").is_err());
    }

    #[test]
    fn injected_rule() {
        let injected = |ty: Type| is_injected_type(&ty);
        assert!(injected(syn::parse_quote!(RequestContext)));
        assert!(injected(syn::parse_quote!(mcp_server::ProgressReporter)));
        assert!(injected(syn::parse_quote!(State<AppState>)));
        assert!(injected(syn::parse_quote!((Logger))));
        assert!(!injected(syn::parse_quote!(String)));
        assert!(!injected(syn::parse_quote!(Option<RequestContext>)));
        assert!(!injected(syn::parse_quote!(&RequestContext)), "references are unwrapped by the caller");
    }

    #[test]
    fn options_and_impl_trait() {
        assert!(is_option(&syn::parse_quote!(Option<u8>)));
        assert!(is_option(&syn::parse_quote!(std::option::Option<u8>)));
        assert!(!is_option(&syn::parse_quote!(Option)));
        assert!(find_impl_trait(&syn::parse_quote!(Result<Vec<impl Serialize>, E>)).is_some());
        assert!(find_impl_trait(&syn::parse_quote!(Result<Vec<u8>, E>)).is_none());
    }
}
