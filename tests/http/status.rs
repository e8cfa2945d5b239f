//! Every status code of the endpoint.

use crate::client::*;
use crate::fixture::server;
use mcp_server::transport::http::HttpConfig;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn ping(id: i64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "ping"})
}

#[tokio::test]
async fn missing_session_is_400_and_unknown_session_is_404() {
    let srv = TestServer::start(server(), HttpConfig::default()).await;
    let anonymous = Session::none(&srv.url, LATEST);
    let res = anonymous.post(&ping(1)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("Mcp-Session-Id"), "{body}");

    let stranger = Session { id: Some("no-such-session".into()), ..anonymous.clone() };
    assert_eq!(stranger.post(&ping(1)).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(stranger.get().send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(stranger.delete().await, StatusCode::NOT_FOUND);
    assert_eq!(anonymous.get().send().await.unwrap().status(), StatusCode::BAD_REQUEST);
    assert_eq!(anonymous.delete().await, StatusCode::BAD_REQUEST);
    srv.stop().await;
}

#[tokio::test]
async fn deleted_session_answers_404() {
    let srv = TestServer::start(server(), HttpConfig::default()).await;
    let session = Session::open(&srv.url, LATEST).await;
    assert_eq!(session.request(1, "ping", json!({})).await["result"], json!({}));
    assert_eq!(session.delete().await, StatusCode::OK);
    assert_eq!(session.post(&ping(2)).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(session.get().send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(session.delete().await, StatusCode::NOT_FOUND, "a second DELETE finds nothing");
    srv.stop().await;
}

#[tokio::test]
async fn protocol_version_header() {
    let srv = TestServer::start(server(), HttpConfig::default()).await;
    let session = Session::open(&srv.url, LATEST).await;
    let bad = session.post_with(ping(1).to_string(), &[("mcp-protocol-version", "1999-01-01")]).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    // Any supported revision is accepted, not only the negotiated one.
    let older = session.post_with(ping(2).to_string(), &[("mcp-protocol-version", "2025-03-26")]).send().await.unwrap();
    assert_eq!(older.status(), StatusCode::OK);
    // Absent: 2025-03-26 is assumed.
    let absent = session.post_with(ping(3).to_string(), &[("mcp-protocol-version", "")]).send().await.unwrap();
    assert_eq!(absent.status(), StatusCode::OK);
    let get = session.get_with(&[("mcp-protocol-version", "banana")]).send().await.unwrap();
    assert_eq!(get.status(), StatusCode::BAD_REQUEST);
    srv.stop().await;
}

#[tokio::test]
async fn foreign_origin_or_host_is_403() {
    let srv = TestServer::start(server(), HttpConfig::default()).await;
    let anonymous = Session::none(&srv.url, LATEST);
    let body = initialize_body(LATEST);
    // A foreign Origin is refused even though Host names this server.
    let res = anonymous.post(&body).header("origin", "http://evil.example.com").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // The DNS-rebinding shape: a forged Host (and Origin).
    let res = anonymous
        .post(&body)
        .header("host", "evil.example.com")
        .header("origin", "http://evil.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Same-origin and localhost pages are fine.
    let own = srv.base.clone();
    assert_eq!(anonymous.post(&body).header("origin", own).send().await.unwrap().status(), StatusCode::OK);
    let inspector = "http://localhost:6274";
    assert_eq!(anonymous.post(&body).header("origin", inspector).send().await.unwrap().status(), StatusCode::OK);
    srv.stop().await;

    let config = HttpConfig::default().allowed_origins(["https://app.example.com"]);
    let srv = TestServer::start(server(), config).await;
    let anonymous = Session::none(&srv.url, LATEST);
    let ok = anonymous.post(&body).header("origin", "https://app.example.com").send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    srv.stop().await;
}

#[tokio::test]
async fn oversized_body_is_413() {
    let srv = TestServer::start(server(), HttpConfig::default().max_body_bytes(2048)).await;
    let session = Session::open(&srv.url, LATEST).await;
    let big = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "echo", "arguments": {"text": "x".repeat(4096)}}});
    assert_eq!(session.post(&big).send().await.unwrap().status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Without Content-Length (chunked), the limit still applies while reading.
    assert_eq!(chunked_post(&srv.base, session.id.as_deref().unwrap(), &big.to_string()).await, "413");
    let small = session.call_tool(2, "echo", json!({"text": "fits"})).await;
    assert_eq!(small["result"]["content"][0]["text"], "fits");
    srv.stop().await;
}

#[tokio::test]
async fn notifications_and_responses_get_202() {
    let srv = TestServer::start(server(), HttpConfig::default()).await;
    let session = Session::open(&srv.url, LATEST).await;
    assert_eq!(session.notify("notifications/cancelled", json!({"requestId": 99})).await, StatusCode::ACCEPTED);
    let answer = json!({"jsonrpc": "2.0", "id": "srv-unknown", "result": {}});
    let res = session.post(&answer).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert!(res.text().await.unwrap().is_empty());
    srv.stop().await;
}

#[tokio::test]
async fn other_methods_and_media_types() {
    let srv = TestServer::start(server(), HttpConfig::default()).await;
    let session = Session::open(&srv.url, LATEST).await;
    let put = session.http.put(&session.url).send().await.unwrap();
    assert_eq!(put.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(put.headers()["allow"], "GET, POST, DELETE");
    let html = session.post_with(ping(1).to_string(), &[("accept", "text/html")]).send().await.unwrap();
    assert_eq!(html.status(), StatusCode::NOT_ACCEPTABLE);
    let text = session.post_with(ping(1).to_string(), &[("content-type", "text/plain")]).send().await.unwrap();
    assert_eq!(text.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let broken = session.post_with("{not json".into(), &[]).send().await.unwrap();
    assert_eq!(broken.status(), StatusCode::BAD_REQUEST);
    assert_eq!(broken.json::<Value>().await.unwrap()["error"]["code"], -32700);
    srv.stop().await;
}

#[tokio::test]
async fn batches_only_under_2025_03_26() {
    let srv = TestServer::start(server(), HttpConfig::default()).await;
    let batch = json!([ping(1), {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "echo", "arguments": {"text": "b"}}}]);
    let latest = Session::open(&srv.url, LATEST).await;
    let refused = latest.post(&batch).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(refused.json::<Value>().await.unwrap()["error"]["code"], -32600);

    let old = Session::open(&srv.url, "2025-03-26").await;
    let res = old.post(&batch).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let answers = if is_sse(&res) { Sse::new(res).next_message().await.unwrap() } else { res.json().await.unwrap() };
    let answers = answers.as_array().unwrap().clone();
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert!(answers.iter().any(|a| a["result"]["content"][0]["text"] == "b"), "{answers:?}");
    srv.stop().await;
}

#[tokio::test]
async fn one_get_stream_per_session() {
    let srv = TestServer::start(server(), HttpConfig::default()).await;
    let session = Session::open(&srv.url, LATEST).await;
    let first = session.get().send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let mut first = Sse::new(first);
    // A second GET replaces the first, which ends (its connection may be dead without the server
    // having noticed: a reconnecting client must not be locked out).
    let second = session.get().send().await.unwrap();
    assert_eq!(second.status(), StatusCode::OK);
    assert!(first.next().await.is_none(), "the replaced stream ended");
    let unknown = session.get_with(&[("last-event-id", "garbage")]).send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    let html = session.get_with(&[("accept", "text/html")]).send().await.unwrap();
    assert_eq!(html.status(), StatusCode::NOT_ACCEPTABLE);
    srv.stop().await;
}

/// A POST with `Transfer-Encoding: chunked` (no Content-Length); returns the status code.
async fn chunked_post(base: &str, session: &str, body: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nMcp-Session-Id: {session}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    for piece in body.as_bytes().chunks(1000) {
        let _ = tcp.write_all(format!("{:x}\r\n", piece.len()).as_bytes()).await;
        let _ = tcp.write_all(piece).await;
        let _ = tcp.write_all(b"\r\n").await;
    }
    let _ = tcp.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = tcp.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).split_whitespace().nth(1).unwrap_or_default().to_string()
}
