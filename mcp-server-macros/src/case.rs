//! Naming of the companion items: `get_employee` becomes `GetEmployee`.

/// Converts a `snake_case` function name to `PascalCase`.
///
/// Each `_`-separated part gets an upper-case first character and keeps the rest as written, so
/// `get_employee` → `GetEmployee`, `fetch_v2_data` → `FetchV2Data`, `_private` → `Private`.
pub(crate) fn pascal_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    for part in snake.split('_') {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::pascal_case;

    #[test]
    fn converts_snake_case() {
        assert_eq!(pascal_case("echo"), "Echo");
        assert_eq!(pascal_case("get_employee"), "GetEmployee");
        assert_eq!(pascal_case("fetch_v2_data"), "FetchV2Data");
        assert_eq!(pascal_case("handle_not_found"), "HandleNotFound");
    }

    #[test]
    fn drops_extra_underscores_and_keeps_inner_case() {
        assert_eq!(pascal_case("_private"), "Private");
        assert_eq!(pascal_case("a__b_"), "AB");
        assert_eq!(pascal_case("getHTTP"), "GetHTTP");
        assert_eq!(pascal_case("été"), "Été");
    }
}
