//! Doc comments as tool descriptions.
//!
//! A tool's description is its doc comment, dedented and trimmed, with paragraphs kept and the
//! rustdoc `# Arguments` section taken out. That section, when present, describes the arguments:
//!
//! ```text
//! # Arguments
//!
//! * `text` - The text to echo.
//! - `times`: How many times; continuation lines
//!   are joined with a space.
//! ```

use syn::{Attribute, Expr, ExprLit, Lit, Meta};

/// One line of a doc comment and the `#[doc]` attribute it came from (for error spans).
#[derive(Debug)]
pub(crate) struct DocLine<'a> {
    /// The line's text, as written after `///`.
    pub(crate) text: String,
    /// The attribute holding the line.
    pub(crate) attr: &'a Attribute,
}

/// Collects the lines of every `#[doc = "..."]` attribute (a `/** */` comment gives several).
pub(crate) fn doc_lines(attrs: &[Attribute]) -> Vec<DocLine<'_>> {
    let mut lines = Vec::new();
    for attr in attrs {
        let Meta::NameValue(nv) = &attr.meta else {
            continue;
        };
        if !nv.path.is_ident("doc") {
            continue;
        }
        let Expr::Lit(ExprLit { lit: Lit::Str(lit), .. }) = &nv.value else {
            continue;
        };
        // `split`, not `lines`: an empty `///` line is an empty string and must stay a blank
        // line (it separates paragraphs).
        for text in lit.value().split('\n') {
            let text = text.trim_end_matches('\r').to_owned();
            lines.push(DocLine { text, attr });
        }
    }
    lines
}

/// A doc comment split into the description and the documented arguments.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ParsedDoc {
    /// The description: everything but the `# Arguments` section.
    pub(crate) description: String,
    /// The entries of the `# Arguments` section, in order.
    pub(crate) arguments: Vec<DocArgument>,
}

/// One `* `name` - text` entry of a `# Arguments` section.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct DocArgument {
    /// The parameter name (without a leading `r#`).
    pub(crate) name: String,
    /// Its description, continuation lines joined with a space.
    pub(crate) text: String,
    /// The index of the entry's first line in the input.
    pub(crate) line: usize,
}

/// Splits doc-comment lines into a description and the `# Arguments` entries.
pub(crate) fn parse<S: AsRef<str>>(lines: &[S]) -> ParsedDoc {
    let lines = dedent(lines);
    let mut description: Vec<&str> = Vec::new();
    let mut arguments: Vec<DocArgument> = Vec::new();
    let mut in_fence = false;
    let mut section_level: Option<usize> = None;
    let mut current: Option<DocArgument> = None;

    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
        }
        let heading = if in_fence { None } else { heading(trimmed) };
        if let (Some(level), Some((found, _))) = (section_level, heading) {
            if found <= level {
                section_level = None;
                arguments.extend(current.take());
            }
        }
        if section_level.is_none() {
            match heading {
                Some((level, title)) if is_arguments_title(title) => section_level = Some(level),
                _ => description.push(line),
            }
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        if heading.is_some() {
            arguments.extend(current.take());
        } else if let Some((name, text)) = argument_item(trimmed) {
            arguments.extend(current.take());
            current = Some(DocArgument { name, text, line: index });
        } else if is_bullet(trimmed) {
            arguments.extend(current.take());
        } else if let Some(item) = current.as_mut() {
            if !item.text.is_empty() {
                item.text.push(' ');
            }
            item.text.push_str(trimmed);
        }
    }
    arguments.extend(current);
    ParsedDoc { description: tidy(&description), arguments }
}

/// Removes the indentation common to every non-blank line and trailing whitespace.
fn dedent<S: AsRef<str>>(lines: &[S]) -> Vec<String> {
    let indent = lines
        .iter()
        .map(AsRef::as_ref)
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|line| {
            let line = line.as_ref();
            line.get(indent..).unwrap_or_else(|| line.trim_start()).trim_end().to_owned()
        })
        .collect()
}

/// Joins lines, dropping blank lines at both ends and collapsing runs of blank lines.
fn tidy(lines: &[&str]) -> String {
    let mut out: Vec<&str> = Vec::new();
    for line in lines {
        if line.is_empty() && out.last().is_none_or(|last| last.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|last| last.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// A Markdown ATX heading: its level and title.
fn heading(trimmed: &str) -> Option<(usize, &str)> {
    let level = trimmed.chars().take_while(|&c| c == '#').count();
    let rest = &trimmed[level..];
    let valid = (1..=6).contains(&level) && (rest.is_empty() || rest.starts_with([' ', '\t']));
    valid.then(|| (level, rest.trim()))
}

/// Whether a heading title names the arguments section.
fn is_arguments_title(title: &str) -> bool {
    let title = title.trim_end_matches(':').trim().to_ascii_lowercase();
    matches!(title.as_str(), "arguments" | "args" | "parameters" | "params")
}

/// Whether a line starts a Markdown list item.
fn is_bullet(trimmed: &str) -> bool {
    ["* ", "- ", "+ "].iter().any(|b| trimmed.starts_with(b))
}

/// Parses `* `name` - text`, `- `name`: text`, `* `name`: text` (backticks optional when a
/// separator follows the name).
fn argument_item(trimmed: &str) -> Option<(String, String)> {
    if !is_bullet(trimmed) {
        return None;
    }
    let rest = trimmed[2..].trim_start();
    let (name, rest, quoted) = if let Some(quoted) = rest.strip_prefix('`') {
        let end = quoted.find('`')?;
        (quoted[..end].trim(), &quoted[end + 1..], true)
    } else {
        let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
        (&rest[..end], &rest[end..], false)
    };
    let name = name.strip_prefix("r#").unwrap_or(name);
    if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let rest = rest.trim_start();
    let text =
        ["-", ":", "\u{2013}", "\u{2014}"].iter().find_map(|sep| rest.strip_prefix(sep)).or(quoted.then_some(rest))?;
    Some((name.to_owned(), text.trim().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arg(name: &str, text: &str, line: usize) -> DocArgument {
        DocArgument { name: name.into(), text: text.into(), line }
    }

    #[test]
    fn plain_description_is_dedented_and_trimmed() {
        let doc = parse(&["", " Echo text back.", "", "", " Second paragraph", " continues.", ""]);
        assert_eq!(doc.description, "Echo text back.\n\nSecond paragraph\ncontinues.");
        assert!(doc.arguments.is_empty());
    }

    #[test]
    fn arguments_section_is_removed_and_parsed() {
        let doc = parse(&[
            " Charge a card.",
            "",
            " # Arguments",
            "",
            " * `amount` - The amount in cents.",
            " - `currency`: ISO code,",
            "   three letters.",
            " * `r#type`: The kind.",
            " * note - plain names work with a separator",
            "",
            " # Errors",
            "",
            " Fails when declined.",
        ]);
        assert_eq!(doc.description, "Charge a card.\n\n# Errors\n\nFails when declined.");
        assert_eq!(
            doc.arguments,
            [
                arg("amount", "The amount in cents.", 4),
                arg("currency", "ISO code, three letters.", 5),
                arg("type", "The kind.", 7),
                arg("note", "plain names work with a separator", 8),
            ]
        );
    }

    #[test]
    fn deeper_headings_stay_in_the_section_and_fences_are_ignored() {
        let doc = parse(&[
            "Intro.",
            "",
            "```text",
            "# Arguments",
            "```",
            "## Args",
            "* `a` - first",
            "### Detail",
            "* `b` - second",
            "# Next",
        ]);
        assert_eq!(doc.description, "Intro.\n\n```text\n# Arguments\n```\n# Next");
        assert_eq!(doc.arguments, [arg("a", "first", 6), arg("b", "second", 8)]);
    }

    #[test]
    fn unparsable_bullets_are_skipped() {
        let doc = parse(&["Do it.", "# Arguments", "* just prose", "  more prose", "* `x`"]);
        assert_eq!(doc.description, "Do it.");
        assert_eq!(doc.arguments, [arg("x", "", 4)]);
    }

    #[test]
    fn only_arguments_means_empty_description() {
        let doc = parse(&[" # Arguments", " * `a` - A."]);
        assert_eq!(doc.description, "");
        assert_eq!(doc.arguments.len(), 1);
    }

    #[test]
    fn headings_need_a_space() {
        assert_eq!(heading("# Arguments"), Some((1, "Arguments")));
        assert_eq!(heading("#Arguments"), None);
        assert_eq!(heading("####### x"), None);
        assert!(is_arguments_title("Arguments:"));
        assert!(is_arguments_title("parameters"));
        assert!(!is_arguments_title("Returns"));
    }

    #[test]
    fn doc_lines_split_block_comments() {
        let attrs: Vec<Attribute> = vec![
            syn::parse_quote!(#[doc = " one"]),
            syn::parse_quote!(#[inline]),
            syn::parse_quote!(#[doc = ""]),
            syn::parse_quote!(#[doc = "two\r\nthree"]),
        ];
        let lines: Vec<String> = doc_lines(&attrs).into_iter().map(|l| l.text).collect();
        assert_eq!(lines, [" one", "", "two", "three"]);
    }
}
