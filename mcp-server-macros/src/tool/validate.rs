//! Stage 2 of `#[tool]`: check the parsed pieces and decide, parameter by parameter, what is a
//! JSON argument and what is injected.
//!
//! The rules themselves (injected types, valid names) live in [`rules`](super::rules).

use std::collections::{HashMap, HashSet};

use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{Expr, FnArg, GenericParam, Ident, ItemFn, LitStr, Pat, ReturnType, Type};

use super::parse::{ParamAttrs, ToolInput};
use super::rules::{check_tool_name, find_impl_trait, is_injected_type, is_option, INJECTED_TYPES};
use crate::docs;
use crate::errors::Errors;

/// A tool ready to expand.
#[derive(Debug)]
pub(crate) struct ToolModel<'a> {
    /// The user's function (helper attributes already removed).
    pub(crate) func: &'a ItemFn,
    /// The wire name.
    pub(crate) name: String,
    /// The description (never empty once validation passed).
    pub(crate) description: String,
    /// `title = "..."`.
    pub(crate) title: Option<String>,
    /// Builder calls for the boolean keys: `(method, value)`, e.g. `("read_only", true)`.
    pub(crate) flags: Vec<(&'static str, bool)>,
    /// `roles = [...]`.
    pub(crate) roles: Option<Vec<String>>,
    /// `scopes = [...]`.
    pub(crate) scopes: Option<Vec<String>>,
    /// The parameters, in declaration order.
    pub(crate) params: Vec<Param<'a>>,
    /// The declared return type (`()` when there is none).
    pub(crate) output: Type,
}

/// One parameter of a tool.
#[derive(Debug)]
pub(crate) enum Param<'a> {
    /// A JSON argument, deserialized from the call's `arguments`.
    Argument(Argument<'a>),
    /// A value extracted from the request context.
    Injected(Injected<'a>),
}

/// A JSON argument.
#[derive(Debug)]
pub(crate) struct Argument<'a> {
    /// The parameter's name (also the field name of the arguments struct).
    pub(crate) ident: &'a Ident,
    /// The parameter's (owned) type.
    pub(crate) ty: &'a Type,
    /// Its description: `#[arg(description)]`, else the doc comment's `# Arguments` entry.
    pub(crate) description: Option<String>,
    /// `#[arg(default = EXPR)]`.
    pub(crate) default: Option<&'a Expr>,
    /// `#[arg(rename = "...")]`.
    pub(crate) rename: Option<&'a LitStr>,
    /// Whether the type is `Option<T>`.
    pub(crate) optional: bool,
}

/// An injected parameter.
#[derive(Debug)]
pub(crate) struct Injected<'a> {
    /// The type to extract (the referent when the parameter is a reference).
    pub(crate) ty: &'a Type,
    /// `Some(is_mut)` when the parameter is `&T` / `&mut T`.
    pub(crate) reference: Option<bool>,
}

/// Checks a parsed tool, recording every problem; returns the model when the pieces were usable.
pub(crate) fn validate<'a>(input: &'a ToolInput, errors: &mut Errors) -> ToolModel<'a> {
    let func = &input.func;
    let sig = &func.sig;
    if sig.asyncness.is_none() {
        errors.error(sig.fn_token, "a tool must be an `async fn`; add `async`: `async fn name(...)`");
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.error(unsafety, "a tool can't be an `unsafe fn`; remove `unsafe`");
    }
    for param in &sig.generics.params {
        match param {
            GenericParam::Lifetime(_) => {}
            GenericParam::Type(ty) => errors.error(
                ty,
                "a tool can't have type parameters: each argument needs one JSON schema; use a concrete type",
            ),
            GenericParam::Const(c) => errors.error(c, "a tool can't have const parameters; use a concrete value"),
        }
    }

    let doc_lines = docs::doc_lines(&func.attrs);
    let doc = docs::parse(&doc_lines.iter().map(|line| line.text.as_str()).collect::<Vec<_>>());
    let doc_args: HashMap<&str, &str> = doc.arguments.iter().map(|a| (a.name.as_str(), a.text.as_str())).collect();

    let params: Vec<Param<'a>> = sig
        .inputs
        .iter()
        .zip(&input.params)
        .filter_map(|(input, attrs)| param(input, attrs, &doc_args, errors))
        .collect();

    let known: HashSet<String> = sig.inputs.iter().filter_map(param_name).collect();
    for entry in &doc.arguments {
        if !known.contains(&entry.name) {
            let attr = doc_lines.get(entry.line).map(|line| line.attr);
            errors.error(
                attr,
                format!(
                    "the doc comment's `# Arguments` section names `{}`, which is not a parameter of this tool",
                    entry.name
                ),
            );
        }
    }
    check_wire_names(&params, errors);

    let args = &input.args;
    let name = match &args.name {
        Some(lit) => checked_name(lit.value(), lit, "", errors),
        None => {
            checked_name(sig.ident.unraw().to_string(), &sig.ident, "; set `name = \"...\"` in `#[tool(...)]`", errors)
        }
    };
    let description = match &args.description {
        Some(lit) => {
            let value = lit.value().trim().to_owned();
            if value.is_empty() {
                errors.error(lit, "the description is empty; describe what the tool does: `description = \"...\"`");
            }
            value
        }
        None => {
            if doc.description.is_empty() {
                errors.error(
                    &sig.ident,
                    "a tool needs a description; add a `///` doc comment or `#[tool(description = \"...\")]`",
                );
            }
            doc.description
        }
    };

    let output = match &sig.output {
        ReturnType::Default => syn::parse_quote!(()),
        ReturnType::Type(_, ty) => {
            if let Some(impl_trait) = find_impl_trait(ty) {
                errors.error(
                    impl_trait,
                    "a tool can't return `impl Trait`: the output schema needs a concrete type; name the type",
                );
            }
            (**ty).clone()
        }
    };

    let flags = [
        ("read_only", args.read_only),
        ("destructive", args.destructive),
        ("idempotent", args.idempotent),
        ("open_world", args.open_world),
        ("auth", args.auth),
    ]
    .into_iter()
    .filter_map(|(method, value)| value.map(|value| (method, value)))
    .collect();
    let strings = |list: &Option<Vec<LitStr>>| list.as_ref().map(|l| l.iter().map(LitStr::value).collect());

    ToolModel {
        func,
        name,
        description,
        title: args.title.as_ref().map(LitStr::value),
        flags,
        roles: strings(&args.roles),
        scopes: strings(&args.scopes),
        params,
        output,
    }
}

/// Classifies and checks one parameter.
fn param<'a>(
    input: &'a FnArg,
    attrs: &'a ParamAttrs,
    doc_args: &HashMap<&str, &str>,
    errors: &mut Errors,
) -> Option<Param<'a>> {
    let pat_type = match input {
        FnArg::Receiver(receiver) => {
            errors.error(
                receiver,
                "a tool can't take `self`; write a free `async fn` and inject shared state with `State<T>`",
            );
            return None;
        }
        FnArg::Typed(pat_type) => pat_type,
    };
    let ty = &*pat_type.ty;
    let (referent, reference) = match ty {
        Type::Reference(r) => (&*r.elem, Some(r)),
        other => (other, None),
    };
    let injected = attrs.inject.is_some() || is_injected_type(referent);
    let ident = match &*pat_type.pat {
        Pat::Ident(pat) if pat.subpat.is_none() => Some(&pat.ident),
        Pat::Wild(_) if injected => None,
        other => {
            errors.error(
                other,
                "a tool parameter must be a plain name: `name: Type` (its name is the JSON argument's name)",
            );
            return None;
        }
    };

    if injected {
        if let Some(arg) = &attrs.arg {
            errors.error(
                &arg.attr,
                "`#[arg]` on an injected parameter: it is not a JSON argument; remove `#[arg]` \
                 (to make it an argument, import the type under another name)",
            );
        }
        if let Some(impl_trait) = find_impl_trait(referent) {
            errors.error(impl_trait, "an injected parameter can't be `impl Trait`; name the type");
        }
        let reference = reference.map(|r| r.mutability.is_some());
        return Some(Param::Injected(Injected { ty: referent, reference }));
    }

    if let Some(reference) = reference {
        errors.error(
            reference.and_token,
            format!(
                "a tool argument must be owned: take `String`, not `&str` (arguments are deserialized from JSON); \
                 only injected parameters may be references, i.e. those marked `#[inject]` or whose type is one of {}",
                INJECTED_TYPES.join(", ")
            ),
        );
        return None;
    }
    if let Some(impl_trait) = find_impl_trait(ty) {
        errors.error(impl_trait, "a tool argument can't be `impl Trait`: it needs one JSON schema; name the type");
        return None;
    }
    let ident = ident?;
    let arg = attrs.arg.as_ref();
    let description = arg
        .and_then(|a| a.description.as_ref())
        .map(LitStr::value)
        .or_else(|| doc_args.get(ident.unraw().to_string().as_str()).map(|text| (*text).to_owned()))
        .filter(|text| !text.is_empty());
    Some(Param::Argument(Argument {
        ident,
        ty,
        description,
        default: arg.and_then(|a| a.default.as_ref()),
        rename: arg.and_then(|a| a.rename.as_ref()),
        optional: is_option(ty),
    }))
}

/// The name of a parameter with a plain identifier pattern (without `r#`).
fn param_name(input: &FnArg) -> Option<String> {
    let FnArg::Typed(pat_type) = input else {
        return None;
    };
    let Pat::Ident(pat) = &*pat_type.pat else {
        return None;
    };
    Some(pat.ident.unraw().to_string())
}

/// Reports two arguments that would have the same JSON name.
fn check_wire_names(params: &[Param<'_>], errors: &mut Errors) {
    let mut seen = HashSet::new();
    for param in params {
        let Param::Argument(arg) = param else {
            continue;
        };
        let name = arg.rename.map_or_else(|| arg.ident.unraw().to_string(), LitStr::value);
        if !seen.insert(name.clone()) {
            let tokens = arg.rename.map_or_else(|| arg.ident.to_token_stream(), ToTokens::to_token_stream);
            errors.error(tokens, format!("two arguments are named `{name}`; give each a distinct `rename`"));
        }
    }
}

/// Checks a wire name, reporting on `tokens` (with `hint` appended) when it is invalid.
fn checked_name(name: String, tokens: impl ToTokens, hint: &str, errors: &mut Errors) -> String {
    if let Err(problem) = check_tool_name(&name) {
        errors.error(tokens, format!("{problem}{hint}"));
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tool::parse::parse;
    use proc_macro2::TokenStream;
    use quote::quote;

    fn messages(args: TokenStream, item: TokenStream) -> Vec<String> {
        let mut errors = Errors::new();
        let input = parse(args, item, &mut errors).expect("a function");
        let _model = validate(&input, &mut errors);
        errors.combined().into_iter().flatten().map(|e| e.to_string()).collect()
    }

    #[test]
    fn classifies_parameters() {
        let mut errors = Errors::new();
        let input = parse(
            TokenStream::new(),
            quote! {
                /// Does it.
                ///
                /// # Arguments
                /// * `text` - From the docs.
                async fn f(text: String, #[arg(description = "Attr wins")] n: Option<u8>,
                           ctx: &RequestContext, #[inject] db: Db, _: CancellationToken) -> u8 {}
            },
            &mut errors,
        )
        .expect("a function");
        let model = validate(&input, &mut errors);
        assert!(errors.is_empty());
        assert_eq!(model.name, "f");
        assert_eq!(model.description, "Does it.");
        let kinds: Vec<String> = model
            .params
            .iter()
            .map(|p| match p {
                Param::Argument(a) => format!("arg {} {:?} {}", a.ident, a.description, a.optional),
                Param::Injected(i) => format!("inject {:?}", i.reference),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "arg text Some(\"From the docs.\") false",
                "arg n Some(\"Attr wins\") true",
                "inject Some(false)",
                "inject None",
                "inject None",
            ]
        );
    }

    #[test]
    fn collects_every_problem() {
        let found = messages(
            quote!(name = "bad name"),
            quote! {
                /// # Arguments
                /// * `ghost` - Not a parameter.
                unsafe fn f<T>(&self, (a, b): (u8, u8), s: &str, #[arg(description = "x")] c: RequestContext) -> impl Sized {}
            },
        );
        let starts = [
            "a tool must be an `async fn`",
            "a tool can't be an `unsafe fn`",
            "a tool can't have type parameters",
            "a tool can't take `self`",
            "a tool parameter must be a plain name",
            "a tool argument must be owned",
            "`#[arg]` on an injected parameter",
            "the doc comment's `# Arguments` section names `ghost`",
            "invalid tool name `bad name`",
            "a tool needs a description",
            "a tool can't return `impl Trait`",
        ];
        assert_eq!(found.len(), starts.len(), "{found:#?}");
        for (message, start) in found.iter().zip(starts) {
            assert!(message.starts_with(start), "{message:?} should start with {start:?}");
        }
    }

    #[test]
    fn duplicate_wire_names() {
        let found = messages(
            quote!(description = "d"),
            quote!(
                async fn f(a: u8, #[arg(rename = "a")] b: u8) {}
            ),
        );
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("two arguments are named `a`"));
    }
}
