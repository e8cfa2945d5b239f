//! An in-process `tools/call echo` round trip through `TestClient`: client-side JSON encoding, the
//! in-memory transport, frame decoding, dispatch, the (empty) middleware chain, argument parsing,
//! the tool, result encoding, and the client parsing the response.
//!
//! ```text
//! cargo bench -p mcp-server --bench echo_roundtrip
//! ```
//!
//! The server is built and the session initialized once per benchmark; each iteration is one
//! `block_on(client.call_tool(..))`.
#![allow(clippy::unwrap_used, reason = "benchmark setup fails loudly")]

use divan::Bencher;
use mcp_server::testing::TestClient;
use mcp_server::{tool, McpServer};
use serde_json::json;
use tokio::runtime::{Builder, Runtime};

fn main() {
    divan::main();
}

/// Echo the text back.
#[tool]
async fn echo(text: String) -> String {
    text
}

fn round_trips(bencher: Bencher<'_, '_>, rt: &Runtime) {
    let client = rt.block_on(TestClient::connect(McpServer::new("bench").tool(EchoTool))).unwrap();
    let arguments = json!({ "text": "hello, world" });
    // Warm-up, and a check that the benchmark measures a successful call.
    let first = rt.block_on(client.call_tool("echo", arguments.clone())).unwrap();
    assert_eq!(first["content"][0]["text"], "hello, world");
    bencher.bench_local(|| rt.block_on(client.call_tool("echo", arguments.clone())).unwrap());
}

/// A current-thread runtime: client, connection and request tasks share one thread.
#[divan::bench(sample_count = 10_000)]
fn current_thread(bencher: Bencher<'_, '_>) {
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    round_trips(bencher, &rt);
}

/// A two-worker multi-thread runtime (the benchmark thread only blocks on the response).
#[divan::bench(sample_count = 10_000)]
fn multi_thread(bencher: Bencher<'_, '_>) {
    let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    round_trips(bencher, &rt);
}
