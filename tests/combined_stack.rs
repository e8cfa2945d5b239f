//! The seed's "Combining Resilience Features" stack around the payment example (issue 4, item 5):
//! signed audit → webhook on `tool.error` → circuit breaker → JWT auth, driven in-process.
//! Outer layers (audit, webhook) see the caller that the innermost layer (auth) established.
#![allow(clippy::unwrap_used, reason = "tests")]

#[path = "../examples/payment/mod.rs"]
#[allow(dead_code, reason = "the test uses only part of the example's module")]
mod payment;
#[path = "../examples/security/mod.rs"]
mod security;

use mcp_server::auth::{AuthMiddleware, JwtAuth};
use mcp_server::middleware::{
    verify_audit_log, AuditKey, AuditMiddleware, VerifyReport, WebhookEvent, WebhookMiddleware,
};
const LATEST: &str = mcp_server::protocol::ProtocolVersion::LATEST.as_str();
use mcp_server::testing::TestClient;
use mcp_server::CircuitState;
use payment::{payment_api_with, PaymentConfig, SecurityStack, UpstreamMode};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "combined-stack-test-secret-0123456789abcdef";
const META: &str = "example.com/authorization";

/// A webhook endpoint on localhost that keeps what it receives.
async fn receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&got);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let sink = Arc::clone(&sink);
            async move {
                sink.lock().unwrap().push(body);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

fn token(client_id: &str) -> String {
    security::demo_token(SECRET, "payment-api", client_id, &["payments"], Duration::from_secs(600)).unwrap()
}

async fn charge(client: &TestClient, customer: &str, token: Option<&str>) -> Value {
    let mut params = json!({"name": "charge_card", "arguments": {"customer_id": customer, "amount_cents": 1999}});
    if let Some(t) = token {
        params["_meta"] = json!({ META: t });
    }
    client.request("tools/call", params).await.unwrap()
}

fn code(result: &Value) -> &str {
    result["structuredContent"]["error"]["code"].as_str().unwrap_or("<success>")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_stack_records_and_reports_the_real_caller() {
    let dir = std::env::temp_dir().join(format!("mcp-combined-{}-{}", std::process::id(), line!()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("audit.jsonl");
    let _ = std::fs::remove_file(&log);
    let key = AuditKey::generate();
    let (url, events) = receiver().await;
    // Delivery is checked after the shutdown flush, which a busy machine must not cut short.
    let webhook = WebhookMiddleware::builder(url)
        .events([WebhookEvent::ToolError])
        .shutdown_timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let jwt = JwtAuth::hs256(SECRET).unwrap().audience("payment-api").issuer(security::ISSUER);
    let stack = SecurityStack {
        audit: Some(AuditMiddleware::new(&log).signed(true).key(key.clone())),
        webhook: Some(webhook.clone()),
        auth: Some(AuthMiddleware::new(jwt).meta_key(META)),
    };
    let config = PaymentConfig {
        upstream: UpstreamMode::Down,
        outage: Some(Duration::from_secs(60)),
        failure_threshold: 2,
        latency: Duration::from_millis(1),
        ..PaymentConfig::default()
    };
    let api = payment_api_with(&config, stack);
    let handle = api.server.shutdown_deadline(Duration::from_secs(120)).build().unwrap();
    let client = TestClient::connect_handle(&handle, LATEST).await.unwrap();

    // `charge_card` has no `auth` flag (as in the seed): anonymous calls run, identified by clientInfo.
    assert_eq!(code(&charge(&client, "cus_1", None).await), "UPSTREAM_UNAVAILABLE");
    // With a token, outer layers see the authenticated caller.
    let checkout = token("checkout-agent");
    assert_eq!(code(&charge(&client, "cus_1", Some(&checkout)).await), "UPSTREAM_UNAVAILABLE");
    assert_eq!(api.breaker.get_state("charge_card"), CircuitState::Open);
    assert_eq!(code(&charge(&client, "cus_1", Some(&checkout)).await), "SERVICE_UNAVAILABLE");
    // A bad token on a public tool is ignored, not an error (it only requires auth for auth = true).
    assert_eq!(code(&charge(&client, "cus_1", Some("not-a-jwt")).await), "SERVICE_UNAVAILABLE");

    // The flush delivers every queued event before shutdown returns.
    handle.shutdown().await;
    assert_eq!((webhook.delivered(), webhook.dropped(), webhook.failed()), (4, 0, 0));

    // Concurrent deliveries may arrive in any order: put them back in call order.
    let mut events = events.lock().unwrap().clone();
    events.sort_by_key(|e| e["request_id"].as_str().unwrap().parse::<u64>().unwrap());
    let callers: Vec<&str> = events.iter().map(|e| e["client_id"].as_str().unwrap()).collect();
    // In the seed's order the breaker sits outside auth: a call the open circuit rejects never
    // reaches auth, so it carries only the name the client declared (`authenticated: false`).
    assert_eq!(callers, ["test-client", "checkout-agent", "test-client", "test-client"], "{events:?}");
    assert!(events.iter().all(|e| e["event"] == "tool.error"));

    let entries: Vec<Value> =
        std::fs::read_to_string(&log).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let rows: Vec<(&str, bool, &str)> = entries
        .iter()
        .map(|e| {
            let who = e["client_id"].as_str().unwrap();
            (who, e["authenticated"].as_bool().unwrap(), e["error_code"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("test-client", false, "UPSTREAM_UNAVAILABLE"),
            ("checkout-agent", true, "UPSTREAM_UNAVAILABLE"),
            ("test-client", false, "SERVICE_UNAVAILABLE"),
            ("test-client", false, "SERVICE_UNAVAILABLE"),
        ]
    );
    let report = verify_audit_log(&log, &key).unwrap();
    assert!(matches!(report, VerifyReport::Ok { entries: 4, .. }), "{report}");
}
