//! How much does `WebhookMiddleware` cost a tool call? Runs N concurrent in-process `echo` calls
//! through `TestClient` in up to five set-ups (by default the first and the third: the target
//! comparison), alternating them round by round:
//!
//! - **none**: no webhook (the baseline);
//! - **noop**: a pass-through `from_fn` middleware, no webhook: what any middleware layer costs;
//! - **batched**: all three events on, delivered to a local receiver in batches (`.batch(..)`,
//!   the benchmark's default configuration);
//! - **per-post**: all three events on, one event per POST (the builder's default, what
//!   Slack-style endpoints expect);
//! - **stalled**: all three events on, to an endpoint that accepts connections and never answers,
//!   so no delivery work happens and only the cost on the call path remains.
//!
//! ```text
//! cargo run --release --example webhook_bench -- [--calls 50000] [--concurrency 64] [--rounds 20]
//!     [--tool-us 0] [--tool-cpu-us 0] [--batch 4096] [--batch-delay-ms 20] [--queue 16384] [--workers 4]
//!     [--only none,batched | all | LIST]
//! ```
//!
//! The receiver is a child process (axum on 127.0.0.1, answering `204`, on one thread as most
//! webhook receivers run: Node, uvicorn), so its work is not the server's, as with a real
//! endpoint; on a small machine it still competes for the same cores.
//! The report gives, per set-up, the median over the rounds of wall-clock calls/s and of its ratio
//! to the same round's no-webhook run (pairing rounds cancels slow drifts in what else the machine
//! is doing), the CPU time per call of the server process and of the receiver and its ratio
//! (Linux), how many events were delivered, dropped (bounded queue full) and failed, and how many
//! events and bytes each POST carried. `echo` is about as cheap as a tool call gets (a few µs of
//! CPU), so this is the worst case for the webhook's relative cost.
#![allow(clippy::print_stdout, reason = "a benchmark prints its figures")]

#[path = "../common/mod.rs"]
mod common;
mod receiver;
mod report;
mod serve;

use mcp_server::middleware::{from_fn, Next, WebhookMiddleware};
const LATEST: &str = mcp_server::protocol::ProtocolVersion::LATEST.as_str();
use mcp_server::testing::TestClient;
use mcp_server::{tool, CallToolRequest, McpServer};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const HELP: &str = "\
webhook_bench: calls/s of in-process echo calls with and without WebhookMiddleware

USAGE: cargo run --release --example webhook_bench -- [OPTIONS]

OPTIONS:
  --calls N           calls per run (default 50000)
  --concurrency N     concurrent calling tasks (default 64)
  --rounds N          rounds; each runs every set-up once, in rotating order (default 20)
  --tool-us N         each call first waits N µs, like a tool doing I/O (default 0: bare echo)
  --tool-cpu-us N     each call first computes for N µs, like a tool doing work (default 0)
  --batch N           events per POST in the batched set-up (default 4096)
  --batch-delay-ms N  longest wait for a batch to fill (default 20)
  --queue N           queue capacity in the batched set-up (default 16384; the others keep 1024)
  --workers N         delivery workers in the batched set-up (default 4)
  --serve             serve `echo` over stdio (or --http ADDR) instead, for an outside client;
                      --webhook-url URL adds all three events (batched, or --per-post)
  --receiver          run the local receiver (answers 204, prints its URL) until killed
  --only LIST         comma-separated set-ups: none,noop,batched,per-post,stalled, or all
                      (default: none,batched)
  --help              this text";

/// The batched set-up's batch size and queue capacity. At a few hundred thousand events per
/// second a 4096-event batch still leaves its worker every ~5 ms, and the per-POST cost (an HTTP
/// request, on both sides) is paid once per 2048 calls; the queue holds four batches, as the
/// docs advise.
pub(crate) const DEFAULT_BATCH: usize = 4096;
pub(crate) const DEFAULT_QUEUE: usize = 16_384;

/// Simulated work per call, in microseconds: waiting, like I/O (`--tool-us`), and computing
/// (`--tool-cpu-us`). Both 0: a bare echo.
static TOOL_US: AtomicU64 = AtomicU64::new(0);
static TOOL_CPU_US: AtomicU64 = AtomicU64::new(0);

/// Echo the text back (after `--tool-cpu-us` of computing and `--tool-us` of waiting).
#[tool]
async fn echo(text: String) -> String {
    let cpu = Duration::from_micros(TOOL_CPU_US.load(Ordering::Relaxed));
    if !cpu.is_zero() {
        // Like parsing or building a response: the thread is busy, not waiting.
        let start = Instant::now();
        let mut x = 0u64;
        while start.elapsed() < cpu {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
    }
    let us = TOOL_US.load(Ordering::Relaxed);
    if us > 0 {
        tokio::time::sleep(Duration::from_micros(us)).await;
    }
    text
}

pub(crate) fn value<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

pub(crate) fn number(args: &[String], name: &str, default: usize) -> Result<usize, String> {
    value(args, name).map_or(Ok(default), |v| v.parse().map_err(|_| format!("{name}: `{v}` is not a number")))
}

/// The set-ups compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Setup {
    None,
    Noop,
    Batched,
    PerPost,
    Stalled,
}

impl Setup {
    const ALL: [Self; 5] = [Self::None, Self::Noop, Self::Batched, Self::PerPost, Self::Stalled];

    fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Noop => "noop",
            Self::Batched => "batched",
            Self::PerPost => "per-post",
            Self::Stalled => "stalled",
        }
    }
}

/// The command line.
pub(crate) struct Options {
    calls: usize,
    concurrency: usize,
    rounds: usize,
    batch: usize,
    batch_delay: Duration,
    queue: usize,
    workers: usize,
    setups: Vec<Setup>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self, String> {
        TOOL_US.store(number(args, "--tool-us", 0)? as u64, Ordering::Relaxed);
        TOOL_CPU_US.store(number(args, "--tool-cpu-us", 0)? as u64, Ordering::Relaxed);
        let setups = match value(args, "--only") {
            // The target comparison alone: a third set-up in the rotation shifts the figures
            // by a few percent (each run leaves the next a warmer or colder machine).
            None => vec![Setup::None, Setup::Batched],
            Some("all") => Setup::ALL.to_vec(),
            Some(list) => list
                .split(',')
                .map(|s| Setup::ALL.into_iter().find(|k| k.name() == s.trim()).ok_or(format!("unknown set-up `{s}`")))
                .collect::<Result<_, _>>()?,
        };
        Ok(Self {
            calls: number(args, "--calls", 50_000)?,
            concurrency: number(args, "--concurrency", 64)?.max(1),
            rounds: number(args, "--rounds", 20)?.max(1),
            batch: number(args, "--batch", DEFAULT_BATCH)?.max(1),
            batch_delay: Duration::from_millis(number(args, "--batch-delay-ms", 20)? as u64),
            queue: number(args, "--queue", DEFAULT_QUEUE)?.max(1),
            workers: number(args, "--workers", 4)?.max(1),
            setups,
        })
    }
}

#[derive(Clone, Copy, Default)]
pub(crate) struct Sample {
    calls_per_s: f64,
    /// CPU µs per call: this (server) process, and the receiver.
    server_us: Option<f64>,
    receiver_us: Option<f64>,
    delivered: u64,
    dropped: u64,
    failed: u64,
    /// POSTs the receiver answered, and their body bytes.
    posts: u64,
    bytes: u64,
}

/// The shared endpoints.
struct Endpoints {
    http: reqwest::Client,
    receiver_pid: String,
    url: String,
    stalled: String,
}

fn webhook(
    setup: Setup,
    opts: &Options,
    ends: &Endpoints,
) -> Result<Option<WebhookMiddleware>, Box<dyn std::error::Error>> {
    Ok(match setup {
        Setup::None | Setup::Noop => None,
        Setup::Batched => Some(
            WebhookMiddleware::builder(ends.url.clone())
                .batch(opts.batch, opts.batch_delay)
                .queue_capacity(opts.queue)
                .workers(opts.workers)
                .build()?,
        ),
        Setup::PerPost => Some(WebhookMiddleware::new(ends.url.clone())?),
        Setup::Stalled => Some(
            WebhookMiddleware::builder(ends.stalled.clone())
                .timeout(Duration::from_secs(60))
                .shutdown_timeout(Duration::from_millis(100))
                .build()?,
        ),
    })
}

/// Runs `calls` echo calls over `concurrency` tasks with `setup`'s webhook, through shutdown.
async fn run(
    setup: Setup,
    calls: usize,
    opts: &Options,
    ends: &Endpoints,
) -> Result<Sample, Box<dyn std::error::Error>> {
    let hook = webhook(setup, opts, ends)?;
    let mut server = McpServer::new(setup.name()).tool(EchoTool);
    if let Some(h) = &hook {
        server = server.middleware(h.clone());
    }
    if setup == Setup::Noop {
        server = server.middleware(from_fn(|req: CallToolRequest, next: Next<CallToolRequest>| async move {
            next.run(req).await
        }));
    }
    let handle = server.build()?;
    let client = TestClient::connect_handle(&handle, LATEST).await?;
    let per_task = calls / opts.concurrency;
    let stats_start = receiver::receiver_stats(&ends.http, &ends.url).await?;
    let cpu_start = (receiver::cpu_time("self"), receiver::cpu_time(&ends.receiver_pid));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..opts.concurrency {
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
    // Events still queued are delivered at shutdown: their CPU is part of the cost, so it counts.
    handle.shutdown().await;
    let cpu_end = (receiver::cpu_time("self"), receiver::cpu_time(&ends.receiver_pid));
    let stats_end = receiver::receiver_stats(&ends.http, &ends.url).await?;
    #[expect(clippy::cast_precision_loss, reason = "call counts are far below 2^52")]
    let done = (per_task * opts.concurrency) as f64;
    let per_call = |a: Option<Duration>, b: Option<Duration>| a.zip(b).map(|(a, b)| (b - a).as_secs_f64() * 1e6 / done);
    Ok(Sample {
        calls_per_s: done / elapsed.as_secs_f64(),
        server_us: per_call(cpu_start.0, cpu_end.0),
        receiver_us: per_call(cpu_start.1, cpu_end.1),
        delivered: hook.as_ref().map_or(0, WebhookMiddleware::delivered),
        dropped: hook.as_ref().map_or(0, WebhookMiddleware::dropped),
        failed: hook.as_ref().map_or(0, WebhookMiddleware::failed),
        posts: stats_end.0 - stats_start.0,
        bytes: stats_end.1 - stats_start.1,
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--receiver") {
        // One thread: a multi-threaded runtime wakes a second thread for every POST that arrives
        // while it idles, which on this benchmark's two cores costs more than reading the body.
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        return rt.block_on(receiver::serve_receiver());
    }
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(bench(args))
}

/// Everything but the receiver: the in-process benchmark, or `--serve`.
async fn bench(args: Vec<String>) -> Result<(), Box<dyn std::error::Error>> {
    if args.iter().any(|a| a == "--serve") {
        return serve::serve(&args).await;
    }
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{HELP}");
        return Ok(());
    }
    let opts = Options::parse(&args)?;
    let (mut receiver, url) = receiver::spawn_receiver()?;
    let ends = Endpoints {
        http: reqwest::Client::new(),
        receiver_pid: receiver.id().to_string(),
        url,
        stalled: receiver::stalled_receiver().await?,
    };
    let work = match (TOOL_CPU_US.load(Ordering::Relaxed), TOOL_US.load(Ordering::Relaxed)) {
        (0, 0) => String::new(),
        (cpu, 0) => format!(" (each computing for {cpu} µs)"),
        (0, io) => format!(" (each waiting {io} µs, like a tool doing I/O)"),
        (cpu, io) => format!(" (each computing for {cpu} µs, then waiting {io} µs)"),
    };
    println!(
        "{} echo calls{work} over {} concurrent tasks, {} rounds; echo succeeds, so 2 events per call \
         (tool.call + tool.success)",
        opts.calls, opts.concurrency, opts.rounds
    );

    // Warm up every path (connection pools, allocator, code caches).
    for &setup in &opts.setups {
        run(setup, opts.calls / 10, &opts, &ends).await?;
    }
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); opts.setups.len()];
    for round in 0..opts.rounds {
        // Rotate the order so no set-up always runs first (or right after another).
        for k in 0..opts.setups.len() {
            let i = (round + k) % opts.setups.len();
            samples[i].push(run(opts.setups[i], opts.calls, &opts, &ends).await?);
        }
    }
    let _ = receiver.kill();
    let _ = receiver.wait();

    let base = opts.setups.iter().position(|s| *s == Setup::None).map(|i| samples[i].as_slice());
    let results: Vec<report::Summary> =
        opts.setups.iter().zip(&samples).map(|(setup, s)| report::summarize(*setup, s, base)).collect();
    let find = |setup: Setup| opts.setups.iter().position(|s| *s == setup).map(|i| samples[i].as_slice());
    let batched_vs_noop = find(Setup::Batched)
        .zip(find(Setup::Noop))
        .and_then(|(b, n)| report::summarize(Setup::Batched, b, Some(n)).paired);
    report::print_table(&opts, &results, batched_vs_noop);
    Ok(())
}
