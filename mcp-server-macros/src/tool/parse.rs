//! Stage 1 of `#[tool]`: read the attribute's keys and the function, and take the helper
//! attributes (`#[arg(...)]`, `#[inject]`) off its parameters.
//!
//! Parsing checks only the *syntax* of each key's value; whether the pieces fit together is
//! [`validate`](super::validate)'s job.

use proc_macro2::TokenStream;
use syn::{Attribute, Expr, FnArg, ItemFn, LitStr, Meta};

use crate::attr::{self, SeenKeys};
use crate::errors::Errors;

/// The keys accepted by `#[tool(...)]`.
const TOOL_KEYS: &[&str] = &[
    "name",
    "title",
    "description",
    "read_only",
    "destructive",
    "idempotent",
    "open_world",
    "auth",
    "roles",
    "scopes",
];

/// The right form of `#[tool(...)]`, quoted in syntax errors.
const TOOL_SYNTAX: &str = "`#[tool(name = \"...\", description = \"...\", read_only, roles = [\"...\"], ...)]`";

/// The right form of `#[arg(...)]`, quoted in syntax errors.
const ARG_SYNTAX: &str = "`#[arg(description = \"...\", default = EXPR, rename = \"...\")]`";

/// The keys accepted by `#[arg(...)]`.
const ARG_KEYS: &[&str] = &["description", "default", "rename"];

/// The keys of `#[tool(...)]`, each `None` when not given.
#[derive(Debug, Default)]
pub(crate) struct ToolArgs {
    /// `name = "..."`: the wire name.
    pub(crate) name: Option<LitStr>,
    /// `title = "..."`: the human-readable title.
    pub(crate) title: Option<LitStr>,
    /// `description = "..."`: overrides the doc comment.
    pub(crate) description: Option<LitStr>,
    /// `read_only`: the `readOnlyHint` annotation.
    pub(crate) read_only: Option<bool>,
    /// `destructive`: the `destructiveHint` annotation.
    pub(crate) destructive: Option<bool>,
    /// `idempotent`: the `idempotentHint` annotation.
    pub(crate) idempotent: Option<bool>,
    /// `open_world`: the `openWorldHint` annotation.
    pub(crate) open_world: Option<bool>,
    /// `auth`: the tool requires an authenticated caller.
    pub(crate) auth: Option<bool>,
    /// `roles = [...]`: roles the caller needs.
    pub(crate) roles: Option<Vec<LitStr>>,
    /// `scopes = [...]`: scopes the caller needs.
    pub(crate) scopes: Option<Vec<LitStr>>,
}

/// The helper attributes found on one parameter.
#[derive(Debug, Default)]
pub(crate) struct ParamAttrs {
    /// The merged keys of the parameter's `#[arg(...)]` attributes, if any.
    pub(crate) arg: Option<ArgAttrs>,
    /// The parameter's `#[inject]` attribute, if any.
    pub(crate) inject: Option<Attribute>,
}

/// The keys of `#[arg(...)]`.
#[derive(Debug)]
pub(crate) struct ArgAttrs {
    /// The (first) attribute, for error spans.
    pub(crate) attr: Attribute,
    /// `description = "..."`.
    pub(crate) description: Option<LitStr>,
    /// `default = EXPR`.
    pub(crate) default: Option<Expr>,
    /// `rename = "..."`.
    pub(crate) rename: Option<LitStr>,
}

/// A parsed `#[tool]` invocation.
#[derive(Debug)]
pub(crate) struct ToolInput {
    /// The attribute's keys.
    pub(crate) args: ToolArgs,
    /// The function, its parameters' helper attributes removed (it is emitted like this).
    pub(crate) func: ItemFn,
    /// The helper attributes of each parameter, index for index with `func.sig.inputs`.
    pub(crate) params: Vec<ParamAttrs>,
}

/// Parses the attribute's tokens and the annotated item.
///
/// Mistakes in keys are recorded in `errors`; only an item that is not a function at all is a
/// hard error.
pub(crate) fn parse(args: TokenStream, item: TokenStream, errors: &mut Errors) -> syn::Result<ToolInput> {
    let mut func: ItemFn = syn::parse2(item).map_err(|e| {
        syn::Error::new(e.span(), "`#[tool]` goes on an `async fn`: `#[tool] async fn name(...) -> T { ... }`")
    })?;
    let args = match attr::parse_args(args, TOOL_SYNTAX) {
        Ok(list) => tool_args(&list, errors),
        Err(error) => {
            errors.push(error);
            ToolArgs::default()
        }
    };
    let params = func.sig.inputs.iter_mut().map(|input| take_param_attrs(input, errors)).collect();
    Ok(ToolInput { args, func, params })
}

/// Reads the keys of `#[tool(...)]`.
fn tool_args(list: &attr::MetaList, errors: &mut Errors) -> ToolArgs {
    let mut args = ToolArgs::default();
    let mut seen = SeenKeys::default();
    for meta in list {
        let key = attr::key(meta);
        if !TOOL_KEYS.contains(&key.as_str()) {
            attr::unknown_key(meta, "tool", TOOL_KEYS, errors);
            continue;
        }
        if !seen.first_time(meta, "tool", errors) {
            continue;
        }
        match key.as_str() {
            "name" => args.name = attr::string(meta, errors),
            "title" => args.title = attr::string(meta, errors),
            "description" => args.description = attr::string(meta, errors),
            "read_only" => args.read_only = attr::flag(meta, errors),
            "destructive" => args.destructive = attr::flag(meta, errors),
            "idempotent" => args.idempotent = attr::flag(meta, errors),
            "open_world" => args.open_world = attr::flag(meta, errors),
            "auth" => args.auth = attr::flag(meta, errors),
            "roles" => args.roles = attr::string_list(meta, errors),
            _ => args.scopes = attr::string_list(meta, errors),
        }
    }
    args
}

/// Removes `#[arg]` and `#[inject]` from a parameter and reads them.
fn take_param_attrs(input: &mut FnArg, errors: &mut Errors) -> ParamAttrs {
    let attrs = match input {
        FnArg::Typed(pat_type) => &mut pat_type.attrs,
        FnArg::Receiver(receiver) => &mut receiver.attrs,
    };
    let mut out = ParamAttrs::default();
    let mut seen = SeenKeys::default();
    let mut kept = Vec::with_capacity(attrs.len());
    for attr in attrs.drain(..) {
        if attr.path().is_ident("inject") {
            if !matches!(attr.meta, Meta::Path(_)) {
                errors.error(&attr.meta, "`#[inject]` takes no arguments: write `#[inject]`");
            } else if out.inject.is_some() {
                errors.error(&attr, "duplicate `#[inject]`; give it once");
            }
            out.inject.get_or_insert(attr);
        } else if attr.path().is_ident("arg") {
            read_arg_attr(attr, &mut out, &mut seen, errors);
        } else {
            kept.push(attr);
        }
    }
    *attrs = kept;
    out
}

/// Reads one `#[arg(...)]` into `out`, merging with earlier ones.
fn read_arg_attr(attr: Attribute, out: &mut ParamAttrs, seen: &mut SeenKeys, errors: &mut Errors) {
    let list = match attr::parse_attr(&attr, ARG_SYNTAX) {
        Ok(list) => list,
        Err(error) => {
            errors.push(error);
            attr::MetaList::new()
        }
    };
    let arg = out.arg.get_or_insert_with(|| ArgAttrs { attr, description: None, default: None, rename: None });
    for meta in &list {
        let key = attr::key(meta);
        if !ARG_KEYS.contains(&key.as_str()) {
            attr::unknown_key(meta, "arg", ARG_KEYS, errors);
            continue;
        }
        if !seen.first_time(meta, "arg", errors) {
            continue;
        }
        match key.as_str() {
            "description" => arg.description = attr::string(meta, errors),
            "rename" => arg.rename = attr::string(meta, errors),
            _ => arg.default = default_value(meta, errors),
        }
    }
}

/// The expression of `default = EXPR`.
fn default_value(meta: &Meta, errors: &mut Errors) -> Option<Expr> {
    match meta {
        Meta::NameValue(nv) => Some(nv.value.clone()),
        _ => {
            errors.error(
                meta,
                "`default` needs a value, the expression to use when the argument is missing: `default = 10`",
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse_ok(args: TokenStream, item: TokenStream) -> (ToolInput, Errors) {
        let mut errors = Errors::new();
        let input = parse(args, item, &mut errors).expect("a function");
        (input, errors)
    }

    #[test]
    fn reads_every_key() {
        let (input, errors) = parse_ok(
            quote!(
                name = "n",
                title = "T",
                description = "D",
                read_only,
                destructive = false,
                idempotent = true,
                open_world,
                auth,
                roles = ["a"],
                scopes = ["s", "t"]
            ),
            quote!(
                async fn f() {}
            ),
        );
        assert!(errors.is_empty());
        let a = input.args;
        assert_eq!(a.name.map(|l| l.value()).as_deref(), Some("n"));
        assert_eq!(a.title.map(|l| l.value()).as_deref(), Some("T"));
        assert_eq!(a.description.map(|l| l.value()).as_deref(), Some("D"));
        assert_eq!(
            (a.read_only, a.destructive, a.idempotent, a.open_world),
            (Some(true), Some(false), Some(true), Some(true))
        );
        assert_eq!(a.auth, Some(true));
        assert_eq!(a.roles.map(|r| r.len()), Some(1));
        assert_eq!(a.scopes.map(|r| r.len()), Some(2));
    }

    #[test]
    fn collects_unknown_and_duplicate_keys() {
        let (_, errors) = parse_ok(
            quote!(nme = "x", read_only, read_only, name = 1),
            quote!(
                async fn f() {}
            ),
        );
        let messages: Vec<String> = errors.combined().into_iter().flatten().map(|e| e.to_string()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].starts_with("unknown key `nme`"));
        assert!(messages[1].starts_with("duplicate `read_only`"));
        assert!(messages[2].starts_with("expected a string literal"));
    }

    #[test]
    fn strips_helper_attributes_only() {
        let (input, errors) = parse_ok(
            TokenStream::new(),
            quote!(
                async fn f(
                    #[arg(description = "d", default = 3, rename = "n")]
                    #[allow(unused)]
                    a: u8,
                    #[inject] b: X,
                ) {
                }
            ),
        );
        assert!(errors.is_empty());
        let inputs: Vec<String> = input.func.sig.inputs.iter().map(|i| quote!(#i).to_string()).collect();
        assert_eq!(inputs, [quote!(#[allow(unused)] a: u8).to_string(), quote!(b: X).to_string()]);
        let arg = input.params[0].arg.as_ref().expect("#[arg]");
        assert_eq!(arg.description.as_ref().map(LitStr::value).as_deref(), Some("d"));
        assert!(arg.default.is_some());
        assert_eq!(arg.rename.as_ref().map(LitStr::value).as_deref(), Some("n"));
        assert!(input.params[1].inject.is_some());
    }

    #[test]
    fn default_without_value_is_an_error() {
        let (input, errors) = parse_ok(
            TokenStream::new(),
            quote!(
                async fn f(#[arg(default)] a: u8) {}
            ),
        );
        assert!(!errors.is_empty());
        assert!(input.params[0].arg.as_ref().is_some_and(|a| a.default.is_none()));
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
