//! Compile-time behaviour of the macros: what expands cleanly, and every error message, each
//! pinned by a golden `.stderr` under `tests/ui/fail/`.
//!
//! Regenerate the goldens with `TRYBUILD=overwrite cargo test -p mcp-server-macros --test ui`,
//! then read each one: it must point at the offending token and read well.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
