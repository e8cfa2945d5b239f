//! A client that sends without reading cannot grow the server's memory (issue 12, item 5).
//!
//! 100 000 `tools/call` requests of 1 KiB each go through the stdio transport's code
//! (`serve_streams`) over 64 KiB in-memory pipes. The client writes them all before it reads a
//! single answer. The server must stop reading once its bounded queues are full, so the client's
//! writes stall; the heap the server holds stays under [`BOUND`] (the requests alone are ~100 MiB);
//! and once the client reads, every request gets exactly one answer — its result, or the
//! retryable "busy" error for a request beyond the session's in-flight limit.
//!
//! The heap is measured with a counting global allocator (this test binary only). Time is
//! tokio's paused clock: `sleep` returns only once every task is blocked, which is how the test
//! knows the server has stopped reading.
#![allow(clippy::unwrap_used, reason = "test")]

use mcp_server::transport::stdio::serve_streams;
use mcp_server::{tool, McpServer};
use serde_json::Value;
use std::alloc::System;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

#[global_allocator]
static HEAP: cap::Cap<System> = cap::Cap::new(System, usize::MAX);

/// How many requests the client sends without reading.
const REQUESTS: usize = 100_000;
/// The most heap the server may hold while the client does not read: the session's in-flight
/// requests (256 by default) and its outbound queue (256 frames), each with a ~1 KiB frame, plus
/// the pipes and the transport's buffers. Buffering the requests would take ~100 MiB.
const BOUND: usize = 4 * 1024 * 1024;
/// Each pipe's buffer.
const PIPE: usize = 64 * 1024;

/// Echo the text back.
#[tool]
async fn echo(text: String) -> String {
    text
}

fn request(id: usize, text: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"echo","arguments":{{"text":"{text}"}}}}}}"#
    )
    .to_string()
        + "\n"
}

#[tokio::test(start_paused = true)]
async fn a_client_that_does_not_read_cannot_grow_server_memory() {
    let handle = McpServer::new("backpressure").tool(EchoTool).build().unwrap();
    let (client_out, server_in) = tokio::io::duplex(PIPE);
    let (server_out, client_in) = tokio::io::duplex(PIPE);
    let server = tokio::spawn({
        let handle = handle.clone();
        async move { serve_streams(&handle, server_in, server_out).await }
    });
    let mut lines = BufReader::new(client_in).lines();
    let (mut writer, text) = (client_out, "x".repeat(1000));
    let init = r#"{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"flood","version":"1"}}}"#;
    writer.write_all(format!("{init}\n").as_bytes()).await.unwrap();
    writer.write_all(b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n").await.unwrap();
    let _ = lines.next_line().await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let baseline = HEAP.allocated();

    // The client writes every request without reading anything.
    let sent = Arc::new(AtomicUsize::new(0));
    let flood = tokio::spawn({
        let sent = Arc::clone(&sent);
        async move {
            for id in 0..REQUESTS {
                writer.write_all(request(id, &text).as_bytes()).await.unwrap();
                sent.fetch_add(1, Ordering::Relaxed);
            }
            writer
        }
    });

    // Every task blocked: the paused clock only moves on once nothing can run.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let stalled_at = sent.load(Ordering::Relaxed);
    let held = HEAP.allocated().saturating_sub(baseline);
    assert!(stalled_at < REQUESTS / 10, "the server stopped reading: the client could send only {stalled_at} requests");
    assert!(held < BOUND, "the server holds {held} bytes for a client that does not read (bound {BOUND})");
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(sent.load(Ordering::Relaxed), stalled_at, "still stalled: nothing more was read meanwhile");
    assert!(HEAP.allocated().saturating_sub(baseline) < BOUND);

    // The client reads: every request is answered, once.
    let (mut ok, mut busy) = (0, 0);
    for _ in 0..REQUESTS {
        let line = lines.next_line().await.unwrap().expect("an answer for every request");
        let answer: Value = serde_json::from_str(&line).unwrap();
        if answer["result"]["content"][0]["text"].as_str().is_some_and(|t| t.len() == 1000) {
            ok += 1;
        } else {
            assert_eq!(answer["error"]["code"], -32000, "{line}");
            assert_eq!(answer["error"]["data"]["retryable"], true, "{line}");
            busy += 1;
        }
    }
    assert_eq!(ok + busy, REQUESTS);
    assert!(ok >= 256, "at least the in-flight limit was served: {ok}");
    let peak = HEAP.max_allocated().saturating_sub(baseline);
    eprintln!("stalled after {stalled_at} requests holding {held} bytes; peak {peak} bytes; {ok} served, {busy} busy");
    assert!(peak < BOUND, "peak heap over the whole run: {peak} bytes (bound {BOUND})");
    drop(flood.await.unwrap());
    handle.shutdown().await;
    let _ = server.await;
}
