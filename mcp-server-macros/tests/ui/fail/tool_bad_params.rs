use mcp_server::{tool, ProgressReporter};

/// Search the catalog.
///
/// # Arguments
///
/// * `query` - What to look for.
/// * `limt` - A typo.
#[tool]
async fn search(
    query: String,
    #[arg(description = "not an argument")] progress: ProgressReporter,
    #[inject(optional)] #[inject] other: ProgressReporter,
    #[arg(descripton = "typo", rename = "query")] filter: String,
    #[arg(rename = "x", rename = "y")] page: u32,
    #[arg = "x"] size: u32,
) -> String {
    let _ = (progress, other);
    format!("{query} {filter} {page} {size}")
}

fn main() {}
