//! Many sessions at once, concurrent requests per session, idle expiry, limits, graceful shutdown.

use crate::client::*;
use crate::fixture::server;
use mcp_server::transport::http::HttpConfig;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashSet;
use std::time::Duration;

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
async fn idle_sessions_expire_and_the_session_limit_holds() {
    let config = HttpConfig::default().session_idle_timeout(Duration::from_millis(100)).max_sessions(2);
    let srv = TestServer::start(server(), config).await;
    let first = Session::open(&srv.url, LATEST).await;
    let _second = Session::open(&srv.url, LATEST).await;
    let third = Session::none(&srv.url, LATEST).post(&initialize_body(LATEST)).send().await.unwrap();
    assert_eq!(third.status(), StatusCode::SERVICE_UNAVAILABLE, "two sessions at most");
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Creating a session sweeps the idle ones.
    let _fresh = Session::open(&srv.url, LATEST).await;
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    assert_eq!(first.post(&ping).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    srv.stop().await;
}

#[tokio::test]
async fn graceful_shutdown_finishes_requests_in_flight() {
    let mut srv = TestServer::start(server(), HttpConfig::default()).await;
    let session = Session::open(&srv.url, LATEST).await;
    let mut general = Sse::new(session.get().send().await.unwrap());
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "slow", "arguments": {"steps": 5, "delay_ms": 60}}});
    let res = session.post(&body).send().await.unwrap();
    let mut sse = Sse::new(res);
    let task = srv.begin_stop();
    // The GET stream ends at once; the call in flight still gets its answer.
    assert!(general.next().await.is_none());
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
