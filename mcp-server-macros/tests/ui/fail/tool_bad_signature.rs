use mcp_server::tool;

/// Generic and unsafe.
#[tool]
async unsafe fn generic<T, const N: usize>(
    value: impl Into<String>,
    #[inject] extra: impl Sized,
) -> impl std::fmt::Display {
    let _ = extra;
    value.into()
}

fn main() {}
