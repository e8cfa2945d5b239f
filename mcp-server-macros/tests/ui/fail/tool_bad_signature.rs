use mcp_server::tool;

/// Generic and unsafe.
#[tool]
async unsafe fn generic<T, const N: usize>(value: impl Into<String>) -> impl std::fmt::Display {
    value.into()
}

fn main() {}
