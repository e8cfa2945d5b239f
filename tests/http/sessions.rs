//! Many sessions at once, concurrent requests per session, idle expiry, limits, graceful shutdown.

use crate::client::*;
use crate::fixture::{gated_server, server};
use mcp_server::transport::http::HttpConfig;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashSet;
use std::time::{Duration, Instant};

#[tokio::test]
async fn many_sessions_with_concurrent_requests() {
    let srv = TestServer::start(server(), HttpConfig::default()).await;
    let mut tasks = Vec::new();
    for s in 0..16 {
        let url = srv.url.clone();
        tasks.push(tokio::spawn(async move {
            let session = Session::open(&url, LATEST).await;
            let calls = (0..6).map(|i| {
                let session = session.clone();
                async move {
                    let text = format!("s{s}-c{i}");
                    let tool = if i % 2 == 0 { "echo" } else { "slow" };
                    let args = if tool == "echo" { json!({"text": text}) } else { json!({"steps": 2, "delay_ms": 10}) };
                    let r = session.call_tool(i + 1, tool, args).await;
                    let got = r["result"]["content"][0]["text"].as_str().unwrap().to_string();
                    assert_eq!(got, if tool == "echo" { text } else { "done 2".to_string() });
                }
            });
            futures_util::future::join_all(calls).await;
            session.id.unwrap()
        }));
    }
    let mut ids = HashSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap());
    }
    assert_eq!(ids.len(), 16, "every session has its own id");
    srv.stop().await;
}

#[tokio::test]
async fn the_session_limit_holds_until_a_session_ends() {
    let srv = TestServer::start(server(), HttpConfig::default().max_sessions(2)).await;
    let first = Session::open(&srv.url, LATEST).await;
    let _second = Session::open(&srv.url, LATEST).await;
    let third = Session::none(&srv.url, LATEST).post(&initialize_body(LATEST)).send().await.unwrap();
    assert_eq!(third.status(), StatusCode::SERVICE_UNAVAILABLE, "two sessions at most");
    assert_eq!(first.delete().await, StatusCode::OK);
    let _third = Session::open(&srv.url, LATEST).await;
    srv.stop().await;
}

#[tokio::test]
async fn an_idle_session_expires_and_frees_its_place() {
    const IDLE: Duration = Duration::from_millis(100);
    let srv = TestServer::start(server(), HttpConfig::default().session_idle_timeout(IDLE).max_sessions(1)).await;
    let start = Instant::now();
    let first = Session::open(&srv.url, LATEST).await;
    // Refused while the first session counts; creating a session sweeps idle ones, so a refusal
    // turns into a new session once the first has been idle for the timeout.
    let deadline = start + PATIENCE;
    let fresh = loop {
        let res = Session::none(&srv.url, LATEST).post(&initialize_body(LATEST)).send().await.unwrap();
        if res.status() == StatusCode::OK {
            break res;
        }
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(Instant::now() < deadline, "the idle session never expired");
        tokio::time::sleep(IDLE / 4).await;
    };
    assert!(fresh.headers().contains_key("mcp-session-id"));
    // A lower bound set by the idle timeout: load can only make the wait longer.
    assert!(start.elapsed() >= IDLE, "expired after {:?}", start.elapsed());
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    assert_eq!(first.post(&ping).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    srv.stop().await;
}

#[tokio::test]
async fn graceful_shutdown_finishes_requests_in_flight() {
    let (mcp, steps) = gated_server();
    // The call is held until after the GET stream has ended: no deadline may cut it short.
    let mut srv = TestServer::start(mcp.shutdown_deadline(PATIENCE * 6), HttpConfig::default()).await;
    let session = Session::open(&srv.url, LATEST).await;
    let mut general = Sse::new(session.get().send().await.unwrap());
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "stepped", "arguments": {"steps": 5}}});
    let res = session.post(&body).send().await.unwrap();
    let mut sse = Sse::new(res);
    steps.allow(1);
    steps.reached(1).await;
    let task = srv.begin_stop();
    // The GET stream ends at once; the call in flight still gets its answer.
    assert!(general.next().await.is_none());
    steps.allow(4);
    let mut response = None;
    while let Some(msg) = sse.next_message().await {
        if msg.get("result").is_some() {
            response = Some(msg);
        }
    }
    assert_eq!(response.unwrap()["result"]["content"][0]["text"], "done 5");
    tokio::time::timeout(PATIENCE, task).await.unwrap().unwrap().unwrap();
    assert!(srv.handle.is_shut_down());
    let refused = reqwest::Client::new().post(&srv.url).json(&body).send().await;
    assert!(refused.is_err(), "the listener is closed");
}
