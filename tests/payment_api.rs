//! The `payment_api` example's behaviour: in-process through `TestClient` (the example's own
//! server construction), and the documented walk-through against the real binary over stdio.
//!
//! The in-process tests run on tokio's paused clock, so the provider's latency and the circuit's
//! recovery timeout are virtual time: exact, instant, and independent of machine load. The
//! walk-through is a child process on the real clock; it waits for events (the provider is
//! ready, the circuit lets a probe through) instead of sleeping for a fixed time.
#![allow(clippy::unwrap_used)]

mod example_binary;
#[path = "../examples/payment/mod.rs"]
#[allow(dead_code, reason = "the test uses only part of the example's module")]
mod payment;

use mcp_server::testing::TestClient;
use mcp_server::CircuitState;
use payment::{payment_api, PaymentConfig, UpstreamMode};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::time::Instant;

const LATENCY: Duration = Duration::from_millis(5);

fn code(result: &Value) -> &str {
    result["structuredContent"]["error"]["code"].as_str().unwrap_or("<success>")
}

fn config(upstream: UpstreamMode, recovery_secs: u64) -> PaymentConfig {
    PaymentConfig {
        upstream,
        recovery_timeout: Duration::from_secs(recovery_secs),
        latency: LATENCY,
        ..PaymentConfig::default()
    }
}

async fn charge(client: &TestClient, customer: &str) -> Value {
    client.call_tool("charge_card", json!({"customer_id": customer, "amount_cents": 1999})).await.unwrap()
}

#[tokio::test(start_paused = true)]
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

#[tokio::test(start_paused = true)]
async fn an_outage_opens_the_circuit_and_a_failed_probe_reopens_it() {
    // A provider that stays down (its outage clock is the real one, which a paused test cannot
    // move; recovery is walked through over stdio below).
    let api = payment_api(&config(UpstreamMode::Down, 1));
    let breaker = api.breaker.clone();
    let client = TestClient::connect(api.server).await.unwrap();
    for _ in 0..5 {
        let started = Instant::now();
        let failed = charge(&client, "cus_42").await;
        assert_eq!(
            failed["structuredContent"],
            json!({"error": {"code": "UPSTREAM_UNAVAILABLE", "message": "The payment provider is not responding.",
                             "retryable": true, "suggestion": "Retry later."}})
        );
        assert!(started.elapsed() >= LATENCY, "the provider was asked");
    }
    assert_eq!(breaker.get_state("charge_card"), CircuitState::Open);
    let started = Instant::now();
    let rejected = charge(&client, "cus_42").await;
    assert!(started.elapsed() < LATENCY, "rejected at once, without asking the provider");
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

    // The circuit stays open for exactly its recovery timeout (1 s), then lets one probe through;
    // the provider is still down, so the probe fails and the circuit opens again.
    let left = Duration::from_secs(1) - breaker.open_for("charge_card").unwrap();
    tokio::time::advance(left - Duration::from_millis(1)).await;
    assert_eq!(breaker.get_state("charge_card"), CircuitState::Open);
    tokio::time::advance(Duration::from_millis(1)).await;
    assert_eq!(breaker.get_state("charge_card"), CircuitState::HalfOpen);
    assert_eq!(code(&charge(&client, "cus_42").await), "UPSTREAM_UNAVAILABLE");
    assert_eq!(breaker.get_state("charge_card"), CircuitState::Open);
    assert_eq!(breaker.open_for("charge_card"), Some(Duration::ZERO), "re-opened by the failed probe");
    assert_eq!(code(&charge(&client, "cus_42").await), "SERVICE_UNAVAILABLE");
}

#[tokio::test(start_paused = true)]
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

#[tokio::test(start_paused = true)]
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

    /// Calls `tools/call` until `done` accepts the result, pausing between tries; returns it.
    fn call_until(&mut self, what: &str, args: &Value, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let result = self.request("tools/call", args.clone());
            if done(&result) {
                return result;
            }
            assert!(std::time::Instant::now() < deadline, "still waiting for {what}: {result}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The walk-through from `docs/resilience.md`, against the real example binary over stdio.
#[test]
fn walk_through_over_stdio() {
    let mut child = Command::new(example_binary::example_binary("payment_api"))
        .envs([("PAYMENT_UPSTREAM", "down"), ("PAYMENT_OUTAGE_SECS", "3"), ("CB_RECOVERY_TIMEOUT_SECS", "2")])
        .envs([("PAYMENT_LATENCY_MS", "1"), ("RUST_LOG", "warn")])
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

    // The first six calls take milliseconds, well inside the 3 s outage and the 2 s the circuit
    // then stays open: five failures open it, the sixth is rejected.
    let args = json!({"name": "charge_card", "arguments": {"customer_id": "cus_42", "amount_cents": 1999}});
    for _ in 0..5 {
        assert_eq!(code(&rpc.request("tools/call", args.clone())), "UPSTREAM_UNAVAILABLE");
    }
    let rejected = rpc.request("tools/call", args.clone());
    assert_eq!(code(&rejected), "SERVICE_UNAVAILABLE");
    assert_eq!(rejected["structuredContent"]["error"]["retryable"], true);

    // The outage ends 3 s after start-up: the health tool (never circuit-broken) turns ready.
    let health = json!({"name": "health", "arguments": {}});
    rpc.call_until("the provider to recover", &health, |r| r["structuredContent"]["status"] == "ready");
    // Calls are rejected until the recovery timeout lets one probe through, which succeeds.
    let probe = rpc.call_until("the probe", &args, |r| code(r) != "SERVICE_UNAVAILABLE");
    // The provider numbers the charges it sees: the rejected calls never reached it.
    assert_eq!(probe["structuredContent"]["charge_id"], "ch_000006", "{probe}");
    assert_eq!(probe["structuredContent"]["status"], "succeeded");
    let after = rpc.request("tools/call", args);
    assert_eq!(after["structuredContent"]["charge_id"], "ch_000007", "the circuit is closed again: {after}");
    drop(rpc);
    assert!(child.wait().unwrap().success());
}
