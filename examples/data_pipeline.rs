//! The seed's data-pipeline story: progress reporting and cancellation.
//!
//! - `process_dataset(dataset_url, rows)` reports progress while it transforms a dataset (generated
//!   locally from the URL: no network);
//! - `long_running_task(dataset)` works through many chunks (about 5 s in all), reporting progress
//!   and checking for cancellation between chunks;
//! - `poll_for_updates(topic)` waits for updates with `CancellationToken::wait(timeout)`.
//!
//! ```text
//! cargo run --example data_pipeline            # stdio
//! cargo run --example data_pipeline -- --http 127.0.0.1:8080
//! ```
//! Environment: `PIPELINE_CHUNK_MS` (default 100) sets the time per chunk of `long_running_task`.

#[path = "common/mod.rs"]
mod common;

use mcp_server::{tool, CancellationToken, Cancelled, Json, McpServer, ProgressReporter};
use serde::Serialize;
use std::hash::{Hash, Hasher};
use std::time::Duration;

/// What `process_dataset` returns.
#[derive(Serialize, schemars::JsonSchema)]
struct ProcessReport {
    /// Rows transformed.
    processed: u64,
    /// Rows in the dataset.
    total: u64,
    /// Sum of the transformed values (stands in for real output).
    checksum: u64,
}

/// Deterministic stand-in for downloading and parsing a CSV: row values derived from the URL.
fn generate_rows(url: &str, rows: u64) -> Vec<u64> {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    url.hash(&mut h);
    let seed = h.finish();
    (0..rows).map(|i| seed.rotate_left((i % 64) as u32) ^ i).collect()
}

/// Process a large dataset, reporting progress as rows are transformed.
#[tool(read_only)]
async fn process_dataset(
    #[arg(description = "Where the dataset lives (any URL: the data is simulated locally)")] dataset_url: String,
    #[arg(description = "How many rows the dataset has", default = 1000)] rows: u64,
    progress: ProgressReporter,
) -> Json<ProcessReport> {
    progress.report(0.0, Some(100.0), Some("Downloading dataset...")).await;
    let data = generate_rows(&dataset_url, rows);
    let mut checksum = 0u64;
    let step = (rows / 10).max(1);
    for (i, value) in data.iter().enumerate() {
        checksum = checksum.wrapping_add(value % 1_000);
        let i = i as u64 + 1;
        if i % step == 0 && i < rows {
            let pct = (i * 100 / rows.max(1)) as f64;
            progress.report(pct, Some(100.0), Some(&format!("Processed {i}/{rows} rows"))).await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    progress.report(100.0, Some(100.0), Some("Complete")).await;
    Json(ProcessReport { processed: rows, total: rows, checksum })
}

/// What `long_running_task` returns.
#[derive(Serialize, schemars::JsonSchema)]
struct TaskReport {
    /// Chunks processed.
    processed: u32,
}

/// Process a dataset chunk by chunk (about 5 s). Can be cancelled by the client.
#[tool(read_only)]
async fn long_running_task(
    #[arg(description = "Name of the dataset to process")] dataset: String,
    #[arg(description = "How many chunks to work through", default = 50)] chunks: u32,
    progress: ProgressReporter,
    cancel: CancellationToken,
) -> Result<Json<TaskReport>, Cancelled> {
    let chunk_ms = std::env::var("PIPELINE_CHUNK_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    let mut processed = 0;
    for chunk in 1..=chunks {
        cancel.check()?;
        tokio::time::sleep(Duration::from_millis(chunk_ms)).await;
        processed += 1;
        let msg = format!("{dataset}: chunk {chunk}/{chunks}");
        progress.report(f64::from(chunk), Some(f64::from(chunks)), Some(&msg)).await;
    }
    Ok(Json(TaskReport { processed }))
}

/// What `poll_for_updates` returns.
#[derive(Serialize, schemars::JsonSchema)]
struct Updates {
    /// Updates seen, oldest first.
    updates: Vec<String>,
}

/// Poll a topic for updates until cancelled or `max_polls` polls have been made.
#[tool(read_only)]
async fn poll_for_updates(
    #[arg(description = "Topic to watch")] topic: String,
    #[arg(description = "Seconds between polls", default = 1.0)] interval_secs: f64,
    #[arg(description = "Polls before returning", default = 3)] max_polls: u32,
    cancel: CancellationToken,
) -> Json<Updates> {
    let interval = Duration::from_secs_f64(interval_secs.clamp(0.01, 60.0));
    let mut updates = Vec::new();
    for n in 1..=max_polls {
        if cancel.wait(interval).await {
            break;
        }
        updates.push(format!("{topic}: update #{n}"));
    }
    Json(Updates { updates })
}

fn server() -> McpServer {
    McpServer::new("data-pipeline")
        .version(env!("CARGO_PKG_VERSION"))
        .instructions("Process datasets with progress; long jobs can be cancelled.")
        .tool(ProcessDatasetTool)
        .tool(LongRunningTaskTool)
        .tool(PollForUpdatesTool)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::init_logging();
    common::serve(server()).await
}
