//! `BackgroundTasks` (issue 3, item 6): tasks run after the response was written, in order; a
//! failing or panicking task is logged and the rest still run; shutdown drains them within its
//! deadline.
//!
//! All on Tokio's paused clock: it moves only when every task waits, so the tasks' sleeps and the
//! shutdown deadline play out in the same order on any machine, and durations are exact.
#![allow(clippy::unwrap_used, reason = "tests")]

const LATEST: &str = mcp_server::protocol::ProtocolVersion::LATEST.as_str();
use mcp_server::testing::TestClient;
use mcp_server::{tool, BackgroundTasks, McpServer, ServerHandle, State};
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;

/// What the tools' background tasks record, and a gate that holds the slow one.
struct Probe {
    log: Mutex<Vec<String>>,
    changed: Notify,
    gate: Semaphore,
}

impl Default for Probe {
    fn default() -> Self {
        Self { log: Mutex::default(), changed: Notify::new(), gate: Semaphore::new(0) }
    }
}

impl Probe {
    fn push(&self, s: impl Into<String>) {
        self.log.lock().unwrap().push(s.into());
        self.changed.notify_waiters();
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the log has `n` entries, or (paused clock) until nothing is left that could
    /// add one; returns the log either way.
    async fn wait_len(&self, n: usize) -> Vec<String> {
        let grown = async {
            loop {
                // Created before the check: `notify_waiters` reaches it from then on.
                let notified = self.changed.notified();
                if self.log().len() >= n {
                    return;
                }
                notified.await;
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(60), grown).await;
        self.log()
    }
}

/// Answer at once; finish the real work in the background once the test opens the gate.
#[tool]
async fn slow_follow_up(probe: State<Arc<Probe>>, bg: BackgroundTasks) -> String {
    let p = Arc::clone(&*probe);
    bg.add(async move {
        p.push("started");
        let _permit = p.gate.acquire().await;
        p.push("finished");
    });
    "accepted".into()
}

/// Queue three tasks whose durations would reorder them if they ran concurrently.
#[tool]
async fn ordered(probe: State<Arc<Probe>>, bg: BackgroundTasks) -> String {
    for (n, ms) in [(1u64, 60u64), (2, 0), (3, 20)] {
        let p = Arc::clone(&*probe);
        bg.add(async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            p.push(format!("task {n}"));
        });
    }
    "queued".into()
}

/// Queue a task that fails, one that panics, and tasks around them (futures and closures).
#[tool]
async fn flaky_follow_ups(probe: State<Arc<Probe>>, bg: BackgroundTasks) -> String {
    let (a, b) = (Arc::clone(&*probe), Arc::clone(&*probe));
    bg.add(async move { a.push("before") });
    bg.add(async { Err::<(), _>("smtp server said no (bg-failure-marker)") });
    bg.add(|| async { panic!("bg-panic-marker") as () });
    bg.add(move || async move { b.push("after") });
    "ok".into()
}

/// A background task that sleeps for `ms`, then records it.
#[tool]
async fn sleepy(ms: u64, probe: State<Arc<Probe>>, bg: BackgroundTasks) -> String {
    let p = Arc::clone(&*probe);
    bg.add(async move {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        p.push(format!("slept {ms}"));
    });
    "ok".into()
}

fn server(probe: Arc<Probe>, deadline: Duration) -> ServerHandle {
    McpServer::new("bg")
        .state(probe)
        .tool(SlowFollowUpTool)
        .tool(OrderedTool)
        .tool(FlakyFollowUpsTool)
        .tool(SleepyTool)
        .shutdown_deadline(deadline)
        .build()
        .unwrap()
}

/// Every log line written in this test binary.
fn captured_logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&buf);
        let _ = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || Capture(Arc::clone(&sink)))
            .with_max_level(tracing::Level::DEBUG)
            .try_init();
        buf
    })
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn the_client_has_its_response_while_the_task_still_runs() {
    let probe = Arc::new(Probe::default());
    let handle = server(Arc::clone(&probe), Duration::from_secs(5));
    let client = TestClient::connect_handle(&handle, LATEST).await.unwrap();

    let r = client.call_tool("slow_follow_up", json!({})).await.unwrap();
    assert_eq!(r["content"][0]["text"], "accepted");
    // The response is here; the task starts (after the write) and is held at the gate.
    assert_eq!(probe.wait_len(1).await, ["started"]);
    // Everything else has run (the clock moved): the task is still held.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(probe.log(), ["started"], "still running after the client got its answer");
    probe.gate.add_permits(1);
    assert_eq!(probe.wait_len(2).await, ["started", "finished"]);
}

#[tokio::test(start_paused = true)]
async fn tasks_run_in_the_order_added() {
    let probe = Arc::new(Probe::default());
    let handle = server(Arc::clone(&probe), Duration::from_secs(5));
    let client = TestClient::connect_handle(&handle, LATEST).await.unwrap();
    client.call_tool("ordered", json!({})).await.unwrap();
    assert_eq!(probe.wait_len(3).await, ["task 1", "task 2", "task 3"]);
}

#[tokio::test(start_paused = true)]
async fn a_failing_or_panicking_task_is_logged_and_the_rest_still_run() {
    let logs = captured_logs();
    let probe = Arc::new(Probe::default());
    let handle = server(Arc::clone(&probe), Duration::from_secs(5));
    let client = TestClient::connect_handle(&handle, LATEST).await.unwrap();
    let r = client.call_tool("flaky_follow_ups", json!({})).await.unwrap();
    assert_eq!(r["content"][0]["text"], "ok", "background failures never touch the response");
    assert_eq!(probe.wait_len(2).await, ["before", "after"]);

    let text = String::from_utf8_lossy(&logs.lock().unwrap()).to_string();
    let failed = text.lines().find(|l| l.contains("bg-failure-marker")).unwrap_or_default();
    assert!(failed.contains("WARN") && failed.contains("background task failed"), "{text}");
    let panicked = text.lines().find(|l| l.contains("background task panicked")).unwrap_or_default();
    assert!(panicked.contains("ERROR") && panicked.contains("bg-panic-marker"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn shutdown_drains_background_tasks() {
    let probe = Arc::new(Probe::default());
    let handle = server(Arc::clone(&probe), Duration::from_secs(5));
    let client = TestClient::connect_handle(&handle, LATEST).await.unwrap();
    client.call_tool("sleepy", json!({ "ms": 300 })).await.unwrap();
    assert!(probe.log().is_empty());
    let start = Instant::now();
    handle.shutdown().await;
    assert_eq!(probe.log(), ["slept 300"], "shutdown waited for the task");
    assert_eq!(start.elapsed(), Duration::from_millis(300), "and returned as soon as it finished");
}

#[tokio::test(start_paused = true)]
async fn shutdown_gives_up_at_its_deadline() {
    let probe = Arc::new(Probe::default());
    let handle = server(Arc::clone(&probe), Duration::from_millis(200));
    let client = TestClient::connect_handle(&handle, LATEST).await.unwrap();
    client.call_tool("sleepy", json!({ "ms": 10_000 })).await.unwrap();
    let start = Instant::now();
    handle.shutdown().await;
    assert_eq!(start.elapsed(), Duration::from_millis(200), "shutdown returned at its deadline");
    assert!(probe.log().is_empty(), "the 10 s task did not hold shutdown hostage");
}
