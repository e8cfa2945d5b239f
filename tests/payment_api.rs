//! The `payment_api` example's behaviour: in-process through `TestClient` (the example's own
//! server construction), and the documented walk-through against the real binary over stdio.
#![allow(clippy::unwrap_used)]

#[path = "../examples/payment/mod.rs"]
#[allow(dead_code, reason = "the test uses only part of the example's module")]
mod payment;

use mcp_server::testing::TestClient;
use mcp_server::CircuitState;
use payment::{payment_api, PaymentConfig, UpstreamMode};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn code(result: &Value) -> &str {
    result["structuredContent"]["error"]["code"].as_str().unwrap_or("<success>")
}

fn config(upstream: UpstreamMode, recovery_secs: u64) -> PaymentConfig {
    PaymentConfig {
        upstream,
        recovery_timeout: Duration::from_secs(recovery_secs),
        latency: Duration::from_millis(5),
        ..PaymentConfig::default()
    }
}

async fn charge(client: &TestClient, customer: &str) -> Value {
    client.call_tool("charge_card", json!({"customer_id": customer, "amount_cents": 1999})).await.unwrap()
}

#[tokio::test]
async fn a_charge_succeeds_with_the_default_currency() {
    let api = payment_api(&config(UpstreamMode::Up, 60));
    let client = TestClient::connect(api.server).await.unwrap();
    let tools = client.list_tools().await.unwrap();
    let charge_tool = tools.iter().find(|t| t["name"] == "charge_card").unwrap();
    assert_eq!(charge_tool["inputSchema"]["properties"]["currency"]["default"], "usd");
    assert_eq!(charge_tool["inputSchema"]["required"], json!(["customer_id", "amount_cents"]));
    let result = charge(&client, "cus_42").await;
    assert_eq!(
        result["structuredContent"],
        json!({"charge_id": "ch_000001", "status": "succeeded", "customer_id": "cus_42", "amount_cents": 1999,
               "currency": "usd"})
    );
}

#[tokio::test]
async fn outage_opens_the_circuit_then_the_probe_closes_it() {
    let api =
        payment_api(&PaymentConfig { outage: Some(Duration::from_millis(2500)), ..config(UpstreamMode::Down, 1) });
    let breaker = api.breaker.clone();
    let client = TestClient::connect(api.server).await.unwrap();
    for _ in 0..5 {
        let failed = charge(&client, "cus_42").await;
        assert_eq!(
            failed["structuredContent"],
            json!({"error": {"code": "UPSTREAM_UNAVAILABLE", "message": "The payment provider is not responding.",
                             "retryable": true, "suggestion": "Retry later."}})
        );
    }
    assert_eq!(breaker.get_state("charge_card"), CircuitState::Open);
    let started = Instant::now();
    let rejected = charge(&client, "cus_42").await;
    assert!(started.elapsed() < Duration::from_millis(100), "rejected at once");
    assert_eq!(
        rejected["structuredContent"],
        json!({"error": {"code": "SERVICE_UNAVAILABLE", "message": "Service temporarily unavailable. Retry in 1s.",
                         "retryable": true}})
    );
    // The health tool is excluded from the breaker and the resource never goes through it.
    let health = client.call_tool("health", json!({})).await.unwrap();
    assert_eq!(health["structuredContent"]["status"], "not_ready");
    let ready = client.read_resource("health://ready").await.unwrap();
    let ready: Value = serde_json::from_str(ready["contents"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(
        ready,
        json!({"status": "not_ready", "checks": {"payment_provider": {"healthy": false, "required": true}}})
    );

    // The circuit's probe comes after 1 s, while the provider is still down: it fails and re-opens.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(breaker.get_state("charge_card"), CircuitState::HalfOpen);
    assert_eq!(code(&charge(&client, "cus_42").await), "UPSTREAM_UNAVAILABLE");
    assert_eq!(breaker.get_state("charge_card"), CircuitState::Open);
    // After the outage (2.5 s) and another recovery timeout, the probe succeeds and closes the circuit.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(code(&charge(&client, "cus_42").await), "<success>");
    assert_eq!(breaker.get_state("charge_card"), CircuitState::Closed);
    assert_eq!(api.health.readiness().await.status, mcp_server::health::ReadinessStatus::Ready);
}

#[tokio::test]
async fn declined_cards_never_open_the_circuit() {
    let api = payment_api(&config(UpstreamMode::Up, 60));
    let breaker = api.breaker.clone();
    let client = TestClient::connect(api.server).await.unwrap();
    for _ in 0..12 {
        let declined = charge(&client, "declined_cus_7").await;
        assert_eq!(
            declined["structuredContent"],
            json!({"error": {"code": "CARD_DECLINED", "message": "The card of customer declined_cus_7 was declined.",
                             "retryable": false, "suggestion": "Ask the customer for another payment method."}})
        );
    }
    assert_eq!(
        (breaker.get_state("charge_card"), breaker.consecutive_failures("charge_card")),
        (CircuitState::Closed, 0)
    );
    assert_eq!(code(&charge(&client, "cus_1").await), "<success>");
}

#[tokio::test]
async fn a_flaky_upstream_is_reachable_but_fails_some_calls() {
    let api = payment_api(&PaymentConfig { failure_threshold: 100, ..config(UpstreamMode::Flaky, 60) });
    let client = TestClient::connect(api.server).await.unwrap();
    let mut codes = Vec::new();
    for _ in 0..40 {
        codes.push(code(&charge(&client, "cus_1").await).to_string());
    }
    let failed = codes.iter().filter(|c| *c == "UPSTREAM_UNAVAILABLE").count();
    assert!((8..=32).contains(&failed), "about half fail: {failed}/40");
    assert_eq!(codes.iter().filter(|c| *c == "<success>").count(), 40 - failed);
    assert!(api.health.readiness().await.is_ready());
}

/// A line-delimited JSON-RPC client over a child's stdio.
struct StdioClient {
    stdin: std::process::ChildStdin,
    stdout: BufReader<std::process::ChildStdout>,
    next_id: i64,
}

impl StdioClient {
    fn send(&mut self, frame: &Value) {
        writeln!(self.stdin, "{frame}").unwrap();
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}));
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        let response: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(response["id"], self.next_id);
        response["result"].clone()
    }
}

/// The walk-through from `docs/resilience.md`, against the real example binary over stdio.
#[test]
fn walk_through_over_stdio() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = env!("CARGO_MANIFEST_DIR");
    let built = Command::new(&cargo).args(["build", "--quiet", "--example", "payment_api"]).current_dir(root).status();
    assert!(built.unwrap().success(), "cargo build --example payment_api");
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| format!("{root}/target"));
    let mut child = Command::new(format!("{target}/debug/examples/payment_api"))
        .envs([("PAYMENT_UPSTREAM", "down"), ("PAYMENT_OUTAGE_SECS", "3"), ("CB_RECOVERY_TIMEOUT_SECS", "2")])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut rpc = StdioClient {
        stdin: child.stdin.take().unwrap(),
        stdout: BufReader::new(child.stdout.take().unwrap()),
        next_id: 0,
    };
    let init = rpc.request(
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "walk", "version": "1"}}),
    );
    assert_eq!(init["serverInfo"]["name"], "payment-api");
    rpc.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));

    let args = json!({"name": "charge_card", "arguments": {"customer_id": "cus_42", "amount_cents": 1999}});
    let mut fastest_upstream = Duration::MAX;
    for _ in 0..5 {
        let started = Instant::now();
        assert_eq!(code(&rpc.request("tools/call", args.clone())), "UPSTREAM_UNAVAILABLE");
        fastest_upstream = fastest_upstream.min(started.elapsed());
    }
    let started = Instant::now();
    let rejected = rpc.request("tools/call", args.clone());
    let took = started.elapsed();
    assert!(
        took < fastest_upstream,
        "the sixth is rejected at once ({took:?}, upstream calls took {fastest_upstream:?}+)"
    );
    assert_eq!(code(&rejected), "SERVICE_UNAVAILABLE");
    assert_eq!(rejected["structuredContent"]["error"]["retryable"], true);
    // Past the outage (3 s from start-up) and the recovery timeout (2 s): the probe succeeds.
    std::thread::sleep(Duration::from_millis(3200));
    let probe = rpc.request("tools/call", args.clone());
    assert_eq!(probe["structuredContent"]["status"], "succeeded");
    assert_eq!(code(&rpc.request("tools/call", args)), "<success>", "the circuit is closed again");
    drop(rpc);
    assert!(child.wait().unwrap().success());
}
