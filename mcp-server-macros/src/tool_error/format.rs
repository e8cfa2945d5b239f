//! `{field}` / `{0}` placeholders in `message` and `suggestion`, as thiserror accepts them.
//!
//! A format string is rewritten so that each placeholder names a binding of the generated match
//! arm: `"card {last4} declined ({0:?})"` becomes `"card {__tf_last4} declined ({__tf_0:?})"`,
//! and the bindings are passed to `format!` as named arguments.

/// A field referenced by a placeholder.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Placeholder {
    /// `{name}`: a named field.
    Named(String),
    /// `{0}`: a tuple field.
    Index(usize),
}

impl Placeholder {
    /// The name of the match binding for this field (`__tf_name`, `__tf_0`).
    pub(crate) fn binding(&self) -> String {
        match self {
            Self::Named(name) => format!("__tf_{name}"),
            Self::Index(index) => format!("__tf_{index}"),
        }
    }
}

/// A rewritten format string and the distinct fields it references, in order of first use.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Rewritten {
    /// The format string with bindings in place of field names.
    pub(crate) format: String,
    /// The referenced fields.
    pub(crate) fields: Vec<Placeholder>,
}

/// Rewrites the placeholders of a format string; the error explains the first bad one.
pub(crate) fn rewrite(input: &str) -> Result<Rewritten, String> {
    let mut format = String::with_capacity(input.len() + 8);
    let mut fields: Vec<Placeholder> = Vec::new();
    let mut rest = input;
    while let Some(pos) = rest.find(['{', '}']) {
        format.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        if let Some(after) = tail.strip_prefix("{{").or_else(|| tail.strip_prefix("}}")) {
            format.push_str(&tail[..2]);
            rest = after;
            continue;
        }
        if tail.starts_with('}') {
            return Err("unmatched `}`; write `}}` for a literal brace".to_owned());
        }
        let Some(end) = tail.find('}') else {
            return Err("unclosed `{`; write `{{` for a literal brace".to_owned());
        };
        let inner = &tail[1..end];
        let (arg, spec) = inner.split_once(':').map_or((inner, None), |(a, s)| (a, Some(s)));
        let placeholder = placeholder(arg)?;
        format.push('{');
        format.push_str(&placeholder.binding());
        if let Some(spec) = spec {
            format.push(':');
            format.push_str(spec);
        }
        format.push('}');
        if !fields.contains(&placeholder) {
            fields.push(placeholder);
        }
        rest = &tail[end + 1..];
    }
    format.push_str(rest);
    Ok(Rewritten { format, fields })
}

/// Reads the argument part of one placeholder.
fn placeholder(arg: &str) -> Result<Placeholder, String> {
    if arg.is_empty() {
        return Err("`{}` must name a field: write `{field}` or `{0}`".to_owned());
    }
    if arg.chars().all(|c| c.is_ascii_digit()) {
        return arg.parse().map(Placeholder::Index).map_err(|_| format!("`{{{arg}}}` is not a field index"));
    }
    let mut chars = arg.chars();
    let starts_well = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_');
    if starts_well && chars.all(|c| c.is_alphanumeric() || c == '_') {
        return Ok(Placeholder::Named(arg.to_owned()));
    }
    Err(format!("`{{{arg}}}` is not a field: write `{{field}}` or `{{0}}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_named_and_indexed_placeholders() {
        let out = rewrite("card {last4} declined ({0:?}), {last4:>4} {{literal}}").expect("valid");
        assert_eq!(out.format, "card {__tf_last4} declined ({__tf_0:?}), {__tf_last4:>4} {{literal}}");
        assert_eq!(out.fields, [Placeholder::Named("last4".into()), Placeholder::Index(0)]);
    }

    #[test]
    fn plain_strings_are_unchanged() {
        let out = rewrite("no placeholders").expect("valid");
        assert_eq!(out.format, "no placeholders");
        assert!(out.fields.is_empty());
    }

    #[test]
    fn rejects_bad_placeholders() {
        assert!(rewrite("{}").is_err());
        assert!(rewrite("{:?}").is_err());
        assert!(rewrite("{a b}").is_err());
        assert!(rewrite("{1x}").is_err());
        assert!(rewrite("open {").is_err());
        assert!(rewrite("close }").is_err());
    }
}
