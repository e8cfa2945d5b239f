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
//! cargo run --release --example webhook_bench -- [--calls 20000] [--concurrency 64] [--rounds 15]
//!     [--tool-us 0] [--tool-cpu-us 0] [--batch 1024] [--batch-delay-ms 20] [--queue 8192]
//!     [--only none,batched | all | LIST]
//! ```
//!
//! The receiver is a child process (axum on 127.0.0.1, answering `204`), so its work is not the
//! server's, as with a real endpoint; on a small machine it still competes for the same cores.
//! The report gives, per set-up, the median over the rounds of wall-clock calls/s and of its ratio
//! to the same round's no-webhook run (pairing rounds cancels slow drifts in what else the machine
//! is doing), the CPU time per call of the server process and of the receiver and its ratio
//! (Linux), how many events were delivered, dropped (bounded queue full) and failed, and how many
//! events and bytes each POST carried. `echo` is about as cheap as a tool call gets (a few µs of
//! CPU), so this is the worst case for the webhook's relative cost.
#![allow(clippy::print_stdout, reason = "a benchmark prints its figures")]

use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use mcp_server::middleware::{from_fn, Next, WebhookMiddleware};
use mcp_server::protocol::versions::LATEST;
use mcp_server::testing::TestClient;
use mcp_server::{tool, McpServer};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const HELP: &str = "\
webhook_bench: calls/s of in-process echo calls with and without WebhookMiddleware

USAGE: cargo run --release --example webhook_bench -- [OPTIONS]

OPTIONS:
  --calls N           calls per run (default 20000)
  --concurrency N     concurrent calling tasks (default 64)
  --rounds N          rounds; each runs every set-up once, in rotating order (default 15)
  --tool-us N         each call first waits N µs, like a tool doing I/O (default 0: bare echo)
  --tool-cpu-us N     each call first computes for N µs, like a tool doing work (default 0)
  --batch N           events per POST in the batched set-up (default 1024)
  --batch-delay-ms N  longest wait for a batch to fill (default 20)
  --queue N           queue capacity in the batched set-up (default 8192; the others keep 1024)
  --only LIST         comma-separated set-ups: none,noop,batched,per-post,stalled, or all
                      (default: none,batched)
  --help              this text";

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

fn value<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

fn number(args: &[String], name: &str, default: usize) -> Result<usize, String> {
    value(args, name).map_or(Ok(default), |v| v.parse().map_err(|_| format!("{name}: `{v}` is not a number")))
}

/// The set-ups compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setup {
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
struct Options {
    calls: usize,
    concurrency: usize,
    rounds: usize,
    batch: usize,
    batch_delay: Duration,
    queue: usize,
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
            calls: number(args, "--calls", 20_000)?,
            concurrency: number(args, "--concurrency", 64)?.max(1),
            rounds: number(args, "--rounds", 15)?.max(1),
            batch: number(args, "--batch", 1024)?.max(1),
            batch_delay: Duration::from_millis(number(args, "--batch-delay-ms", 20)? as u64),
            queue: number(args, "--queue", 8192)?.max(1),
            setups,
        })
    }
}

/// POSTs the receiver has answered, and the body bytes it read.
static POSTS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

/// The receiver, run as a child process (`--receiver`) so that, like a real endpoint, its work is
/// not part of the server's process: answers `204` to every POST, prints its URL, runs until killed.
/// `GET /stats` answers `"{posts} {bytes}"`.
async fn serve_receiver() -> Result<(), Box<dyn std::error::Error>> {
    let hook = |body: axum::body::Bytes| async move {
        POSTS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(body.len() as u64, Ordering::Relaxed);
        StatusCode::NO_CONTENT
    };
    let stats = || async { format!("{} {}", POSTS.load(Ordering::Relaxed), BYTES.load(Ordering::Relaxed)) };
    let app = Router::new().route("/hook", post(hook)).route("/stats", axum::routing::get(stats));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("http://{}/hook", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// The receiver's `(posts, bytes)` so far.
async fn receiver_stats(http: &reqwest::Client, url: &str) -> Result<(u64, u64), Box<dyn std::error::Error>> {
    let text = http.get(url.replace("/hook", "/stats")).send().await?.text().await?;
    let mut it = text.split(' ').map(str::parse::<u64>);
    match (it.next(), it.next()) {
        (Some(Ok(p)), Some(Ok(b))) => Ok((p, b)),
        _ => Err(format!("bad receiver stats `{text}`").into()),
    }
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
/// call-path cost (build the event, reserve a queue slot or count the drop) remains.
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

/// CPU time of process `pid` (`"self"` for this one): the sum over its threads of the time they
/// spent on a CPU, from `/proc/PID/task/*/schedstat` (Linux; nanosecond resolution). Threads that
/// exit during a run are not counted; the runtimes' worker threads live as long as the process.
fn cpu_time(pid: &str) -> Option<Duration> {
    let mut total = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()?.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("schedstat")) else { continue };
        total += stat.split_whitespace().next().and_then(|ns| ns.parse::<u64>().ok()).unwrap_or(0);
    }
    Some(Duration::from_nanos(total))
}

/// One run of one set-up.
#[derive(Clone, Copy, Default)]
struct Sample {
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
        server = server.middleware(from_fn(|req, next: Next| async move { next.run(req).await }));
    }
    let handle = server.build()?;
    let client = TestClient::connect_handle(&handle, LATEST).await?;
    let per_task = calls / opts.concurrency;
    let stats_start = receiver_stats(&ends.http, &ends.url).await?;
    let cpu_start = (cpu_time("self"), cpu_time(&ends.receiver_pid));
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
    let cpu_end = (cpu_time("self"), cpu_time(&ends.receiver_pid));
    let stats_end = receiver_stats(&ends.http, &ends.url).await?;
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

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

/// One set-up over all rounds.
struct Summary {
    setup: Setup,
    /// Median wall-clock calls/s.
    calls_per_s: f64,
    /// Median over the rounds of calls/s relative to the same round's run of the base set-up
    /// (pairing rounds cancels slow drifts in what else the machine is doing).
    paired: Option<f64>,
    /// Median CPU µs per call: server, receiver, and the two together.
    server_us: Option<f64>,
    receiver_us: Option<f64>,
    cpu_us: Option<f64>,
    /// Sums over the rounds.
    totals: Sample,
}

fn summarize(setup: Setup, samples: &[Sample], base: Option<&[Sample]>) -> Summary {
    let med = |f: fn(&Sample) -> Option<f64>| median(samples.iter().filter_map(f).collect());
    let paired = base.and_then(|b| {
        median(samples.iter().zip(b).map(|(s, b)| s.calls_per_s / b.calls_per_s.max(f64::MIN_POSITIVE)).collect())
    });
    Summary {
        setup,
        calls_per_s: med(|s| Some(s.calls_per_s)).unwrap_or_default(),
        paired,
        server_us: med(|s| s.server_us),
        receiver_us: med(|s| s.receiver_us),
        cpu_us: med(|s| s.server_us.map(|a| a + s.receiver_us.unwrap_or(0.0))),
        totals: Sample {
            delivered: samples.iter().map(|s| s.delivered).sum(),
            dropped: samples.iter().map(|s| s.dropped).sum(),
            failed: samples.iter().map(|s| s.failed).sum(),
            posts: samples.iter().map(|s| s.posts).sum(),
            bytes: samples.iter().map(|s| s.bytes).sum(),
            ..Sample::default()
        },
    }
}

fn label(setup: Setup, opts: &Options) -> String {
    match setup {
        Setup::None => "(a) no webhook".into(),
        Setup::Noop => "pass-through middleware, no webhook".into(),
        Setup::Batched => {
            format!("(c) all events, batched {}/{}ms/q{}", opts.batch, opts.batch_delay.as_millis(), opts.queue)
        }
        Setup::PerPost => "(b) all events, one per POST".into(),
        Setup::Stalled => "all events, endpoint never answers".into(),
    }
}

fn pct(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "-".into(), |r| format!("{:+.1} %", (r - 1.0) * 100.0))
}

fn print_table(opts: &Options, results: &[Summary], batched_vs_noop: Option<f64>) {
    let base = results.iter().find(|r| r.setup == Setup::None);
    let ratio = |v: Option<f64>, b: Option<f64>| v.zip(b).map(|(v, b)| v / b.max(f64::MIN_POSITIVE));
    println!(
        "{:<40} {:>8} {:>7} {:>7} {:>13} {:>7} {:>9} {:>8} {:>6} {:>8} {:>5}",
        "set-up",
        "calls/s",
        "vs (a)",
        "paired",
        "CPU µs/call",
        "vs (a)",
        "delivered",
        "dropped",
        "failed",
        "ev./POST",
        "B/ev."
    );
    for r in results {
        let cpu = match (r.server_us, r.receiver_us) {
            (Some(s), Some(rc)) => format!("{s:.2} + {rc:.2}"),
            _ => "-".into(),
        };
        let t = &r.totals;
        #[expect(clippy::cast_precision_loss, reason = "event counts are far below 2^52")]
        let (per_post, per_event) = if t.posts == 0 || t.delivered == 0 {
            ("-".into(), "-".into())
        } else {
            (
                format!("{:.1}", t.delivered as f64 / t.posts as f64),
                format!("{:.0}", t.bytes as f64 / t.delivered as f64),
            )
        };
        println!(
            "{:<40} {:>8.0} {:>7} {:>7} {:>13} {:>7} {:>9} {:>8} {:>6} {:>8} {:>5}",
            label(r.setup, opts),
            r.calls_per_s,
            pct(ratio(Some(r.calls_per_s), base.map(|b| b.calls_per_s))),
            pct(r.paired),
            cpu,
            pct(ratio(r.cpu_us, base.and_then(|b| b.cpu_us))),
            t.delivered,
            t.dropped,
            t.failed,
            per_post,
            per_event
        );
    }
    println!(
        "calls/s and CPU µs/call (server process + receiver process): medians over the rounds; vs (a): ratio of\n\
         those medians to (a)'s; paired: median of each round's calls/s ratio to that round's (a) run; event\n\
         counts: sums over the rounds"
    );
    let Some(c) = results.iter().find(|r| r.setup == Setup::Batched) else { return };
    let Some(b) = base else { return };
    let wall = c.calls_per_s / b.calls_per_s.max(f64::MIN_POSITIVE);
    // Within only if both ways of comparing say so.
    let worst = c.paired.map_or(wall, |p| p.min(wall));
    let verdict = if worst >= 0.9 { "within" } else { "NOT within" };
    println!(
        "(c) vs (a), all three events on: {} calls/s ({} paired), {} CPU per call: {verdict} the 10 % target",
        pct(Some(wall)),
        pct(c.paired),
        pct(ratio(c.cpu_us, b.cpu_us))
    );
    if let (Some(cc), Some(bc)) = (c.cpu_us, b.cpu_us) {
        // Independent of how fast the machine is today, unlike the ratios.
        println!("(c) adds {:.2} µs of CPU per call (server + receiver), {:.2} µs per event", cc - bc, (cc - bc) / 2.0);
    }
    if batched_vs_noop.is_some() {
        // A middleware layer alone can move wall-clock figures either way (scheduling); this
        // isolates what the webhook itself adds.
        println!("(c) vs the pass-through middleware: {} calls/s (paired)", pct(batched_vs_noop));
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--receiver") {
        return serve_receiver().await;
    }
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{HELP}");
        return Ok(());
    }
    let opts = Options::parse(&args)?;
    let (mut receiver, url) = spawn_receiver()?;
    let ends = Endpoints {
        http: reqwest::Client::new(),
        receiver_pid: receiver.id().to_string(),
        url,
        stalled: stalled_receiver().await?,
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
    let results: Vec<Summary> = opts.setups.iter().zip(&samples).map(|(setup, s)| summarize(*setup, s, base)).collect();
    let find = |setup: Setup| opts.setups.iter().position(|s| *s == setup).map(|i| samples[i].as_slice());
    let batched_vs_noop =
        find(Setup::Batched).zip(find(Setup::Noop)).and_then(|(b, n)| summarize(Setup::Batched, b, Some(n)).paired);
    print_table(&opts, &results, batched_vs_noop);
    Ok(())
}
