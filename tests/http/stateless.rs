//! Stateless mode: no sessions, every POST stands alone.

use crate::client::*;
use crate::fixture::server;
use mcp_server::transport::http::HttpConfig;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn every_post_stands_alone() {
    let srv = TestServer::start(server(), HttpConfig::default().stateless(true)).await;
    let client = Session::none(&srv.url, LATEST);
    let init = client.post(&initialize_body(LATEST)).send().await.unwrap();
    assert_eq!(init.status(), StatusCode::OK);
    assert!(init.headers().get("mcp-session-id").is_none(), "no sessions in stateless mode");
    // No initialize needed, no session header: any replica can answer.
    let r = client.call_tool(1, "echo", json!({"text": "anywhere"})).await;
    assert_eq!(r["result"]["content"][0]["text"], "anywhere");
    let r = client.call_tool(2, "slow", json!({"steps": 2, "delay_ms": 5})).await;
    assert_eq!(r["result"]["content"][0]["text"], "done 2");
    let calls = (0..10).map(|i| {
        let client = client.clone();
        async move { client.call_tool(i, "echo", json!({"text": i.to_string()})).await }
    });
    for (i, r) in futures_util::future::join_all(calls).await.into_iter().enumerate() {
        assert_eq!(r["result"]["content"][0]["text"], i.to_string());
    }
    assert_eq!(client.notify("notifications/initialized", json!({})).await, StatusCode::ACCEPTED);
    assert_eq!(client.get().send().await.unwrap().status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(client.delete().await, StatusCode::METHOD_NOT_ALLOWED);
    let ping = json!({"jsonrpc": "2.0", "id": 3, "method": "ping"}).to_string();
    let bad = client.post_with(ping, &[("mcp-protocol-version", "0.1")]).send();
    assert_eq!(bad.await.unwrap().status(), StatusCode::BAD_REQUEST);
    // Server→client requests need a session to answer on: the tool reports it cleanly.
    let r = client.call_tool(4, "confirm", json!({})).await;
    assert_eq!(r["result"]["isError"], true, "{r}");
    srv.stop().await;
}
