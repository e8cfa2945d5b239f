//! `HealthCheck` through the wire: `health://live` and `health://ready` as MCP resources.
//!
//! Check timeouts and slow checks run on Tokio's paused clock, which moves only when every task
//! waits: the time a probe took is exact, whatever the machine's load.
#![allow(clippy::unwrap_used)]

use mcp_server::testing::TestClient;
use mcp_server::{CircuitBreakerMiddleware, CircuitState, HealthCheck, McpServer, ToolError};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Reads a health resource and parses its JSON text.
async fn read(client: &TestClient, uri: &str) -> Value {
    let result = client.read_resource(uri).await.unwrap();
    let contents = &result["contents"][0];
    assert_eq!(contents["uri"], uri);
    assert_eq!(contents["mimeType"], "application/json");
    serde_json::from_str(contents["text"].as_str().unwrap()).unwrap()
}

async fn connect(health: &HealthCheck) -> TestClient {
    let mut server = McpServer::new("api");
    health.register_resources(&mut server);
    assert!(server.get_state::<HealthCheck>().is_some(), "the HTTP probes find it in the server state");
    TestClient::connect(server).await.unwrap()
}

#[tokio::test]
async fn live_and_ready_resources() {
    let database_up = Arc::new(AtomicBool::new(true));
    let health = HealthCheck::new();
    let db = Arc::clone(&database_up);
    health.add_check(
        "database",
        move || {
            let up = db.load(Ordering::SeqCst);
            async move { up }
        },
        true,
    );
    health.add_check("cache", || async { Err::<bool, _>("cache connection refused on 10.0.0.7:6379") }, false);
    let client = connect(&health).await;

    let listed = client.list_all("resources/list", "resources").await.unwrap();
    let uris: Vec<&str> = listed.iter().filter_map(|r| r["uri"].as_str()).collect();
    assert_eq!(uris, ["health://live", "health://ready"]);

    let live = read(&client, "health://live").await;
    assert_eq!(live["status"], "alive");
    assert!(live["uptime_seconds"].as_f64().unwrap() >= 0.0);

    assert_eq!(
        read(&client, "health://ready").await,
        json!({"status": "ready", "checks": {
            "cache": {"healthy": false, "required": false},
            "database": {"healthy": true, "required": true}
        }}),
        "an optional check does not affect readiness, and its error text is not exposed"
    );
    database_up.store(false, Ordering::SeqCst);
    let ready = read(&client, "health://ready").await;
    assert_eq!(ready["status"], "not_ready");
    assert_eq!(ready["checks"]["database"], json!({"healthy": false, "required": true}));
    database_up.store(true, Ordering::SeqCst);
    assert_eq!(read(&client, "health://ready").await["status"], "ready");
}

#[tokio::test(start_paused = true)]
async fn a_hung_check_times_out_and_a_panicking_check_is_unhealthy() {
    let health = HealthCheck::new().timeout(Duration::from_millis(200)).expose_errors(true);
    health.add_check("hung", std::future::pending::<bool>, true);
    health.add_check("panics", || async { panic!("driver bug") as bool }, true);
    health.add_check("fine", || async { true }, true);
    let client = connect(&health).await;
    let started = Instant::now();
    let ready = read(&client, "health://ready").await;
    assert_eq!(started.elapsed(), Duration::from_millis(200), "the probe answers at the check timeout");
    assert_eq!(
        ready,
        json!({"status": "not_ready", "checks": {
            "fine": {"healthy": true, "required": true},
            "hung": {"healthy": false, "required": true, "error": "timed out after 200ms"},
            "panics": {"healthy": false, "required": true, "error": "panicked: driver bug"}
        }})
    );
    // The server survived the panic.
    assert_eq!(read(&client, "health://live").await["status"], "alive");
}

/// Fifty reads in flight at once on the paused clock: one thread, interleaved at every await.
#[tokio::test(start_paused = true)]
async fn concurrent_reads_run_checks_concurrently() {
    let runs = Arc::new(AtomicUsize::new(0));
    let health = HealthCheck::new();
    for name in ["a", "b", "c"] {
        let runs = Arc::clone(&runs);
        health.add_check(
            name,
            move || {
                runs.fetch_add(1, Ordering::SeqCst);
                async {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    true
                }
            },
            true,
        );
    }
    let client = connect(&health).await;
    let started = Instant::now();
    let reads = (0..50).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { read(&client, "health://ready").await })
    });
    for r in futures_util::future::join_all(reads).await {
        assert_eq!(r.unwrap()["status"], "ready");
    }
    // One check's 100 ms for all 150: neither the checks of a read nor the reads ran one by one.
    assert_eq!(started.elapsed(), Duration::from_millis(100));
    assert_eq!(runs.load(Ordering::SeqCst), 150);
}

#[tokio::test]
async fn health_reads_never_go_through_the_circuit_breaker() {
    let breaker = CircuitBreakerMiddleware::new().failure_threshold(1);
    let health = HealthCheck::new();
    health.add_check("upstream", || async { false }, true);
    let mut server = McpServer::new("api").middleware(breaker.clone());
    server.add_tool(FailTool);
    health.register_resources(&mut server);
    let client = TestClient::connect(server).await.unwrap();
    client.call_tool("fail", json!({})).await.unwrap();
    assert_eq!(breaker.get_state("fail"), CircuitState::Open);
    for _ in 0..5 {
        assert_eq!(read(&client, "health://ready").await["status"], "not_ready");
        assert_eq!(read(&client, "health://live").await["status"], "alive");
    }
    assert_eq!(breaker.get_state("health://ready"), CircuitState::Closed);
}

/// Always fails with a retryable error.
#[mcp_server::tool]
async fn fail() -> Result<String, ToolError> {
    Err(ToolError::new("UPSTREAM_ERROR", "down").retryable(true))
}
