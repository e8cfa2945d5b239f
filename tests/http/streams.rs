//! SSE streams: what travels on a POST's stream, resumption with `Last-Event-ID`, server→client
//! requests, cancellation, and the GET stream for server-initiated messages.

use crate::client::*;
use crate::fixture::{gated_server, server};
use mcp_server::transport::http::HttpConfig;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn call(id: i64, name: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": name, "arguments": arguments, "_meta": {"progressToken": id}}})
}

fn stream_of(event_id: &str) -> &str {
    event_id.split_once('-').unwrap().0
}

#[tokio::test]
async fn a_tool_call_streams_its_progress_and_logs_then_its_response() {
    let srv = TestServer::start(server(), HttpConfig::default()).await;
    let session = Session::open(&srv.url, LATEST).await;
    assert_eq!(session.request(1, "logging/setLevel", json!({"level": "info"})).await["result"], json!({}));
    let res = session.post(&call(2, "slow", json!({"steps": 2}))).send().await.unwrap();
    let mut sse = Sse::new(res);
    let priming = sse.next().await.unwrap();
    assert!(priming.id.is_some() && priming.data.is_empty(), "{priming:?}");
    assert_eq!(priming.retry, Some(1000));
    let mut methods = Vec::new();
    let mut ids = vec![priming.id.clone().unwrap()];
    while let Some((id, msg)) = sse.next_with_id().await {
        ids.push(id.unwrap());
        methods.push(msg["method"].as_str().unwrap_or("response").to_string());
        if msg.get("result").is_some() {
            assert_eq!(msg["id"], 2);
            assert_eq!(msg["result"]["content"][0]["text"], "done 2");
        }
    }
    assert_eq!(
        methods,
        ["notifications/message", "notifications/progress"]
            .repeat(2)
            .into_iter()
            .chain(["response"])
            .collect::<Vec<_>>()
    );
    assert!(ids.iter().all(|i| stream_of(i) == stream_of(&ids[0])), "one stream: {ids:?}");
    srv.stop().await;
}

#[tokio::test]
async fn older_revisions_get_no_priming_event_and_quick_requests_get_json() {
    let srv = TestServer::start(server(), HttpConfig::default()).await;
    let session = Session::open(&srv.url, "2025-06-18").await;
    let mut sse = Sse::new(session.post(&call(1, "slow", json!({"steps": 1}))).send().await.unwrap());
    let first = sse.next().await.unwrap();
    assert!(!first.data.is_empty(), "no priming event before 2025-11-25: {first:?}");
    let list = session.post(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})).send().await.unwrap();
    assert!(!is_sse(&list), "tools/list is answered with JSON");
    let json_only =
        session.post_with(call(3, "echo", json!({"text": "j"})).to_string(), &[("accept", "application/json")]);
    let json_only = json_only.send().await.unwrap();
    assert!(!is_sse(&json_only));
    assert_eq!(json_only.json::<Value>().await.unwrap()["result"]["content"][0]["text"], "j");
    srv.stop().await;
}

#[tokio::test]
async fn a_stream_closed_by_the_server_resumes_with_last_event_id() {
    let (mcp, steps) = gated_server();
    let srv = TestServer::start(mcp, HttpConfig::default()).await;
    let session = Session::open(&srv.url, LATEST).await;
    let mut post = Sse::new(session.post(&call(1, "reconnect", json!({}))).send().await.unwrap());
    let mut last = None;
    let mut before = Vec::new();
    while let Some(event) = post.next().await {
        last = event.id.clone().or(last);
        if !event.data.is_empty() {
            before.push(event.json());
        }
    }
    assert_eq!(before.len(), 1, "only the progress sent before the close: {before:?}");
    assert_eq!(before[0]["params"]["message"], "before close");
    let resumed = session.get_with(&[("last-event-id", &last.unwrap())]).send().await.unwrap();
    assert_eq!(resumed.status(), StatusCode::OK);
    let mut resumed = Sse::new(resumed);
    // The rest of the call happens only now, while the client is reconnected.
    steps.allow(1);
    let progress = resumed.next_message().await.unwrap();
    assert_eq!(progress["params"]["message"], "after close");
    let response = resumed.next_message().await.unwrap();
    assert_eq!(response["id"], 1);
    assert_eq!(response["result"]["content"][0]["text"], "resumed");
    assert!(resumed.next().await.is_none(), "the stream is complete");
    srv.stop().await;
}

#[tokio::test]
async fn a_dropped_connection_resumes_where_it_broke_off() {
    let (mcp, steps) = gated_server();
    let srv = TestServer::start(mcp, HttpConfig::default()).await;
    let session = Session::open(&srv.url, LATEST).await;
    steps.allow(1);
    let mut post = Sse::new(session.post(&call(7, "stepped", json!({"steps": 6}))).send().await.unwrap());
    let (last, first) = loop {
        let (id, msg) = post.next_with_id().await.unwrap();
        if msg["method"] == "notifications/progress" {
            break (id, msg);
        }
    };
    assert_eq!(first["params"]["progress"], 1.0);
    drop(post); // the network fails; the request keeps running
                // Two steps while the client is away, then the rest after it is back.
    steps.allow(2);
    steps.reached(3).await;
    let resumed = session.get_with(&[("last-event-id", &last.unwrap())]).send().await.unwrap();
    let mut resumed = Sse::new(resumed);
    steps.allow(3);
    let mut progress = Vec::new();
    let response = loop {
        let msg = resumed.next_message().await.expect("the response comes on the resumed stream");
        if msg.get("result").is_some() {
            break msg;
        }
        if msg["method"] == "notifications/progress" {
            progress.push(msg["params"]["progress"].as_f64().unwrap());
        }
    };
    assert_eq!(progress, [2.0, 3.0, 4.0, 5.0, 6.0], "every event after Last-Event-ID, once, in order");
    assert_eq!(response["result"]["content"][0]["text"], "done 6");
    srv.stop().await;
}

#[tokio::test]
async fn elicitation_travels_on_the_calling_post_stream() {
    let srv = TestServer::start(server(), HttpConfig::default()).await;
    let session = Session::open(&srv.url, LATEST).await;
    let mut sse = Sse::new(session.post(&call(1, "confirm", json!({}))).send().await.unwrap());
    let request = sse.next_message().await.unwrap();
    assert_eq!(request["method"], "elicitation/create");
    assert_eq!(request["params"]["requestedSchema"]["properties"]["ok"]["default"], true);
    let answer =
        json!({"jsonrpc": "2.0", "id": request["id"], "result": {"action": "accept", "content": {"ok": true}}});
    assert_eq!(session.post(&answer).send().await.unwrap().status(), StatusCode::ACCEPTED);
    let response = sse.next_message().await.unwrap();
    assert_eq!(response["result"]["content"][0]["text"], "accept:true");
    srv.stop().await;
}

#[tokio::test]
async fn a_cancelled_request_ends_its_stream_without_a_response() {
    let (mcp, steps) = gated_server();
    let srv = TestServer::start(mcp, HttpConfig::default()).await;
    let session = Session::open(&srv.url, LATEST).await;
    steps.allow(1);
    let mut sse = Sse::new(session.post(&call(5, "stepped", json!({"steps": 100}))).send().await.unwrap());
    while sse.next_message().await.unwrap()["method"] != "notifications/progress" {}
    let cancelled = session.notify("notifications/cancelled", json!({"requestId": 5, "reason": "test"})).await;
    assert_eq!(cancelled, StatusCode::ACCEPTED);
    let mut after = Vec::new();
    while let Some(msg) = sse.next_message().await {
        after.push(msg);
    }
    assert!(after.iter().all(|m| m.get("result").is_none() && m.get("error").is_none()), "{after:?}");
    // The call was dropped while waiting for its next step: it will do no more work.
    steps.stopped().await;
    assert_eq!(
        session.call_tool(6, "echo", json!({"text": "still here"})).await["result"]["content"][0]["text"],
        "still here"
    );
    srv.stop().await;
}

#[tokio::test]
async fn resource_updates_reach_subscribers_on_the_get_stream() {
    let srv = TestServer::start(server(), HttpConfig::default()).await;
    let session = Session::open(&srv.url, LATEST).await;
    let other = Session::open(&srv.url, LATEST).await;
    assert_eq!(session.request(1, "resources/subscribe", json!({"uri": "test://counter"})).await["result"], json!({}));
    // Sent before any GET is open: kept for the next GET.
    assert_eq!(srv.handle.notify_resource_updated("test://counter"), 1);
    let mut stream = Sse::new(session.get().send().await.unwrap());
    let first = stream.next_message().await.unwrap();
    assert_eq!(first["method"], "notifications/resources/updated");
    assert_eq!(first["params"]["uri"], "test://counter");
    assert_eq!(srv.handle.notify_resource_updated("test://counter"), 1, "only the subscriber");
    assert_eq!(stream.next_message().await.unwrap()["method"], "notifications/resources/updated");
    // A message for every session comes after anything the other session had been sent: the
    // first thing on its stream shows it got no update.
    let mut other_stream = Sse::new(other.get().send().await.unwrap());
    srv.handle.remove_tool("confirm").unwrap();
    let marker = other_stream.next_message().await.unwrap();
    assert_eq!(marker["method"], "notifications/tools/list_changed", "the other session is not subscribed");
    srv.stop().await;
}
