//! A narrated tour of mcp-server's resilience patterns, driven in-process through `TestClient`:
//! a circuit breaker opening and recovering around a simulated outage, health flipping to not
//! ready and back, webhook events reaching a local receiver, a background task finishing after
//! its response, a progress bar for a long tool, a cancelled call, and typed errors.
//!
//! ```text
//! cargo run --example tour
//! ```
#![allow(clippy::print_stdout, reason = "the tour narrates on stdout")]

mod narrate;
mod receiver;
mod server;

use mcp_server::testing::TestClient;
use narrate::{bad, good, note, section, step};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn ms(since: Instant) -> String {
    format!("{:.1} ms", since.elapsed().as_secs_f64() * 1000.0)
}

fn error_code(result: &Value) -> Option<String> {
    result["structuredContent"]["error"]["code"].as_str().map(str::to_string)
}

fn describe(result: &Value) -> String {
    match error_code(result) {
        Some(code) => {
            let msg = result["structuredContent"]["error"]["message"].as_str().unwrap_or_default();
            bad(&format!("{code}: {msg}"))
        }
        None => good(&format!("ok {}", result["structuredContent"])),
    }
}

async fn readiness(client: &TestClient) -> Res<String> {
    let r = client.read_resource("health://ready").await?;
    let text = r["contents"][0]["text"].as_str().unwrap_or("{}");
    let v: Value = serde_json::from_str(text)?;
    Ok(v["status"].as_str().unwrap_or("?").to_string())
}

async fn charge(client: &TestClient, customer: &str) -> Res<Value> {
    Ok(client.call_tool("charge_card", json!({ "customer_id": customer, "amount_cents": 1999 })).await?)
}

async fn circuit_breaker(client: &TestClient, tour: &server::Tour) -> Res<()> {
    section(1, "Circuit breaker and health during an outage");
    for _ in 0..3 {
        charge(client, "declined_7").await?;
    }
    let r = charge(client, "declined_7").await?;
    step(&format!(
        "4 declined cards: {} — a domain error, circuit still {}",
        describe(&r),
        tour.breaker.get_state("charge_card")
    ));
    tour.provider.set_down(true);
    step(&note("the payment provider goes down; failure_threshold = 3, recovery_timeout = 1s"));
    step(&format!("health://ready → {}", bad(&readiness(client).await?)));
    for i in 1..=3 {
        let t = Instant::now();
        let r = charge(client, "cus_42").await?;
        let state = tour.breaker.get_state("charge_card");
        step(&format!("call {i}: {} in {} — circuit {state}", describe(&r), ms(t)));
    }
    let t = Instant::now();
    let r = charge(client, "cus_42").await?;
    let state = tour.breaker.get_state("charge_card");
    step(&format!("call 4: {} in {} (rejected at once) — circuit {state}", describe(&r), ms(t)));
    tour.provider.set_down(false);
    step(&note("the provider recovers; waiting for the recovery timeout..."));
    step(&format!("health://ready → {}", good(&readiness(client).await?)));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    step(&format!("circuit {} — the next call is the single probe", tour.breaker.get_state("charge_card")));
    let r = charge(client, "cus_42").await?;
    step(&format!("probe: {} — circuit {}", describe(&r), tour.breaker.get_state("charge_card")));
    Ok(())
}

async fn webhooks(events: &mut tokio::sync::mpsc::UnboundedReceiver<Value>) {
    section(2, "Webhooks (fire-and-forget, to a local receiver)");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut seen = Vec::new();
    while let Ok(e) = events.try_recv() {
        seen.push(e);
    }
    for e in seen.iter().filter(|e| e["event"] != "tool.call").take(6) {
        let err = e.get("error").map(|x| format!(" {}", bad(&x.to_string()))).unwrap_or_default();
        step(&format!("{} {} request {}{err}", e["event"].as_str().unwrap_or("?"), e["tool"], e["request_id"]));
    }
    step(&note(&format!("{} events received in all (tool.call, tool.success, tool.error)", seen.len())));
}

async fn background(client: &TestClient, tour: &server::Tour) -> Res<()> {
    section(3, "Background tasks run after the response is written");
    let t0 = Instant::now();
    let r = client.call_tool("create_account", json!({ "email": "ada@example.com" })).await?;
    step(&format!("response after {}: {}", ms(t0), good(r["content"][0]["text"].as_str().unwrap_or(""))));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let events = tour.timeline.events.lock().map(|e| e.clone()).unwrap_or_default();
    for (at, what) in events {
        let after = at.duration_since(t0).as_secs_f64() * 1000.0;
        step(&format!("background task finished after {after:.1} ms: {what}"));
    }
    Ok(())
}

async fn progress(client: &TestClient) -> Res<()> {
    section(4, "Progress notifications drive a progress bar");
    let bar = indicatif::ProgressBar::new(1000);
    bar.set_style(indicatif::ProgressStyle::with_template("  [{bar:40.cyan/blue}] {pos}/{len} {msg}")?);
    let r = client
        .call_tool_with_progress("import_rows", json!({ "rows": 1000 }), |p| {
            bar.set_position(p["progress"].as_f64().unwrap_or(0.0) as u64);
            bar.set_message(p["message"].as_str().unwrap_or("").to_string());
        })
        .await?;
    bar.finish_and_clear();
    step(&format!("result: {}", good(r["content"][0]["text"].as_str().unwrap_or(""))));
    Ok(())
}

async fn cancellation(client: &TestClient) -> Res<()> {
    section(5, "Cancellation");
    let mut call = client.start_tool_call("import_rows", json!({ "rows": 100000 })).await;
    let _ = call.next_progress().await;
    let _ = call.next_progress().await;
    step("two progress updates arrived; the client sends notifications/cancelled");
    call.cancel("user changed their mind").await;
    match call.response_within(Duration::from_millis(500)).await {
        None => step(&good("no response for the cancelled call (as the spec asks); the tool stopped")),
        Some(r) => step(&bad(&format!("unexpected response: {r:?}"))),
    }
    let t = Instant::now();
    client.request("ping", json!({})).await?;
    step(&format!("the session lives on: ping answered in {}", ms(t)));
    Ok(())
}

#[tokio::main]
async fn main() -> Res<()> {
    let started = Instant::now();
    let (url, mut events) = receiver::start().await?;
    let (server, tour) = server::build(&url)?;
    println!("mcp-server tour — a payment API behind the seed's resilience stack");
    println!("{}", note(&format!("webhooks → {url}; driving the server in-process with TestClient")));
    let handle = server.build()?;
    let client = TestClient::connect_handle(&handle, mcp_server::protocol::ProtocolVersion::LATEST.as_str()).await?;
    circuit_breaker(&client, &tour).await?;
    webhooks(&mut events).await;
    background(&client, &tour).await?;
    progress(&client).await?;
    cancellation(&client).await?;
    handle.shutdown().await;
    println!("\n{}", good(&format!("tour finished in {:.1?}", started.elapsed())));
    Ok(())
}
