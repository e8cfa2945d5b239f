//! The local webhook receivers: a child process answering `204` (and counting), an endpoint that
//! never answers; and the CPU-time reading both sides of the benchmark are measured with.

use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use http_body_util::BodyExt as _;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// POSTs the receiver has answered, and the body bytes it read.
static POSTS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

/// The receiver, run as a child process (`--receiver`) so that, like a real endpoint, its work is
/// not part of the server's process: answers `204` to every POST, prints its URL, runs until killed.
/// `GET /stats` answers `"{posts} {bytes}"`.
pub(crate) async fn serve_receiver() -> Result<(), Box<dyn std::error::Error>> {
    // Counts the body as it streams in, frame by frame: collecting it into one buffer first
    // would copy every byte once more, work this receiver does not need for counting.
    let hook = |mut body: axum::body::Body| async move {
        let mut len = 0;
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(f) => len += f.data_ref().map_or(0, |d| d.len() as u64),
                Err(_) => return StatusCode::BAD_REQUEST,
            }
        }
        POSTS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(len, Ordering::Relaxed);
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
pub(crate) async fn receiver_stats(
    http: &reqwest::Client,
    url: &str,
) -> Result<(u64, u64), Box<dyn std::error::Error>> {
    let text = http.get(url.replace("/hook", "/stats")).send().await?.text().await?;
    let mut it = text.split(' ').map(str::parse::<u64>);
    match (it.next(), it.next()) {
        (Some(Ok(p)), Some(Ok(b))) => Ok((p, b)),
        _ => Err(format!("bad receiver stats `{text}`").into()),
    }
}

/// Starts this program as a receiver child process; returns it and its URL.
pub(crate) fn spawn_receiver() -> Result<(Child, String), Box<dyn std::error::Error>> {
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
pub(crate) async fn stalled_receiver() -> Result<String, Box<dyn std::error::Error>> {
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
pub(crate) fn cpu_time(pid: &str) -> Option<Duration> {
    let mut total = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()?.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("schedstat")) else { continue };
        total += stat.split_whitespace().next().and_then(|ns| ns.parse::<u64>().ok()).unwrap_or(0);
    }
    Some(Duration::from_nanos(total))
}
