//! Workspace host for examples and integration tests.

/// The code of `docs/tools.md`, compiled as doctests so that the guide cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../docs/tools.md")]
struct ToolsGuide;
