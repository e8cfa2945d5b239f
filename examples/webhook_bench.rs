//! How much does `WebhookMiddleware` cost a tool call? Runs N concurrent in-process `echo` calls
//! through `TestClient`: without a webhook; with one sending all three events to a local receiver
//! (axum on 127.0.0.1, in a child process); and with one whose endpoint accepts connections but
//! never answers (so only the call-path cost remains). Prints calls/s for each.
//!
//! ```text
//! cargo run --release --example webhook_bench -- [--calls 50000] [--concurrency 64] [--rounds 3] [--tool-us 0]
//! ```
//! `--tool-us N` makes each call wait N µs first, like a tool doing I/O (default 0: a bare echo).
//!
//! Rounds alternate between the set-ups and the median of each is reported, both as wall-clock
//! calls/s and as calls per CPU-second of the server process (steadier when other work shares the
//! machine; Linux only), with how many events were delivered and how many the bounded queue
//! dropped. Echo calls are far faster than any real tool, so the event rate exceeds what one local
//! HTTP endpoint absorbs and the queue sheds the excess: exactly the overload behaviour the
//! middleware promises (calls never wait for webhooks).
#![allow(clippy::print_stdout, reason = "a benchmark prints its figures")]

use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use mcp_server::middleware::WebhookMiddleware;
use mcp_server::protocol::versions::LATEST;
use mcp_server::testing::TestClient;
use mcp_server::{tool, McpServer};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Simulated work per call, in microseconds (`--tool-us`; 0 = a bare echo).
static TOOL_US: AtomicU64 = AtomicU64::new(0);

/// Echo the text back (after `--tool-us` of simulated I/O).
#[tool]
async fn echo(text: String) -> String {
    let us = TOOL_US.load(Ordering::Relaxed);
    if us > 0 {
        tokio::time::sleep(Duration::from_micros(us)).await;
    }
    text
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The receiver, run as a child process (`--receiver`) so that, like a real endpoint, its work is
/// not part of the server's process: answers `204` to every POST, prints its URL, runs until killed.
async fn serve_receiver() -> Result<(), Box<dyn std::error::Error>> {
    let app = Router::new().route("/hook", post(|_body: axum::body::Bytes| async { StatusCode::NO_CONTENT }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("http://{}/hook", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// Starts this program as a receiver child process; returns it and its URL.
fn spawn_receiver() -> Result<(Child, String), Box<dyn std::error::Error>> {
    let mut child =
        Command::new(std::env::current_exe()?).arg("--receiver").stdout(Stdio::piped()).stdin(Stdio::null()).spawn()?;
    let mut url = String::new();
    if let Some(out) = child.stdout.take() {
        BufReader::new(out).read_line(&mut url)?;
    }
    let url = url.trim().to_string();
    if url.is_empty() {
        let _ = child.kill();
        return Err("the receiver did not start".into());
    }
    Ok((child, url))
}

/// A receiver that accepts connections and never answers: every delivery stalls, so only the
/// call-path cost (build the event, `try_send`, count the drop) remains.
async fn stalled_receiver() -> Result<String, Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    Ok(url)
}

/// This process's CPU time (user + system) from `/proc/self/stat`, where available (Linux): a
/// steadier measure than wall time on a machine shared with other work.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace().skip(11);
    let ticks: u64 = fields.next()?.parse::<u64>().ok()? + fields.next()?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every mainstream Linux configuration.
    Some(Duration::from_millis(ticks * 10))
}

/// One measurement: wall-clock calls/s, and calls per CPU-second of this process.
#[derive(Clone, Copy)]
struct Rate {
    wall: f64,
    cpu: Option<f64>,
}

/// Runs `calls` echo calls over `concurrency` tasks.
async fn run(server: McpServer, calls: usize, concurrency: usize) -> Result<Rate, Box<dyn std::error::Error>> {
    let handle = server.build()?;
    let client = TestClient::connect_handle(&handle, LATEST).await?;
    let per_task = calls / concurrency;
    let cpu_start = cpu_time();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..per_task {
                let text = format!("{t}-{i}");
                match client.call_tool("echo", serde_json::json!({ "text": text })).await {
                    Ok(r) if r["content"][0]["text"] == text.as_str() => {}
                    other => return Err(format!("bad answer: {other:?}")),
                }
            }
            Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let elapsed = start.elapsed();
    let cpu = cpu_start.zip(cpu_time()).map(|(a, b)| b.saturating_sub(a));
    handle.shutdown().await;
    #[expect(clippy::cast_precision_loss, reason = "call counts are far below 2^52")]
    let done = (per_task * concurrency) as f64;
    Ok(Rate { wall: done / elapsed.as_secs_f64(), cpu: cpu.filter(|c| !c.is_zero()).map(|c| done / c.as_secs_f64()) })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// Medians of the wall and CPU rates.
fn summarize(rates: &[Rate]) -> Rate {
    let cpu: Vec<f64> = rates.iter().filter_map(|r| r.cpu).collect();
    Rate { wall: median(rates.iter().map(|r| r.wall).collect()), cpu: (!cpu.is_empty()).then(|| median(cpu)) }
}

fn line(label: &str, r: Rate, base: Rate) {
    let pct = |a: f64, b: f64| (a - b) / b * 100.0;
    let mut out = format!("{label:<34}{:>9.0} calls/s ({:+6.1} %)", r.wall, pct(r.wall, base.wall));
    if let (Some(c), Some(b)) = (r.cpu, base.cpu) {
        out.push_str(&format!("   {c:>9.0} calls/CPU-s ({:+6.1} %)", pct(c, b)));
    }
    println!("{out}");
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().any(|a| a == "--receiver") {
        return serve_receiver().await;
    }
    let calls = arg("--calls", 50_000);
    let concurrency = arg("--concurrency", 64).max(1);
    let rounds = arg("--rounds", 3).max(1);
    TOOL_US.store(arg("--tool-us", 0) as u64, Ordering::Relaxed);
    let (mut receiver, url) = spawn_receiver()?;
    let stalled = stalled_receiver().await?;
    let work = match TOOL_US.load(Ordering::Relaxed) {
        0 => String::new(),
        us => format!(" (each waiting {us} µs, like a tool doing I/O)"),
    };
    println!("{calls} echo calls{work} over {concurrency} concurrent tasks, {rounds} rounds each");

    // Warm up both paths (connection pool, allocator, code caches).
    run(McpServer::new("warm").tool(EchoTool), calls / 10, concurrency).await?;
    let warm = WebhookMiddleware::new(url.clone())?;
    run(McpServer::new("warm").middleware(warm).tool(EchoTool), calls / 10, concurrency).await?;

    let (mut plain, mut hooked, mut call_path) = (Vec::new(), Vec::new(), Vec::new());
    let (mut delivered, mut dropped, mut failed) = (0, 0, 0);
    for _ in 0..rounds {
        plain.push(run(McpServer::new("plain").tool(EchoTool), calls, concurrency).await?);

        let webhook = WebhookMiddleware::new(url.clone())?;
        hooked
            .push(run(McpServer::new("hooked").middleware(webhook.clone()).tool(EchoTool), calls, concurrency).await?);
        delivered += webhook.delivered();
        dropped += webhook.dropped();
        failed += webhook.failed();

        let webhook = WebhookMiddleware::builder(stalled.clone())
            .timeout(Duration::from_secs(60))
            .shutdown_timeout(Duration::from_millis(100))
            .build()?;
        call_path.push(run(McpServer::new("stalled").middleware(webhook).tool(EchoTool), calls, concurrency).await?);
    }
    let _ = receiver.kill();
    let _ = receiver.wait();

    let (p, h, c) = (summarize(&plain), summarize(&hooked), summarize(&call_path));
    println!("medians: wall-clock rate, and rate per CPU-second of the server process");
    line("no webhook:", p, p);
    line("webhook, all three events on:", h, p);
    line("call path only (stalled hook):", c, p);
    println!("events to the receiver: {delivered} delivered, {dropped} dropped (queue full), {failed} failed");
    Ok(())
}
