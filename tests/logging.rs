//! Logging (issue 2, item 7): `logging/setLevel` answers `{}`, and a tool's `Logger` sends
//! `notifications/message` filtered by the level the client set, per session.
//!
//! Every test runs on Tokio's paused clock, so a wait on the wire (`support::PATIENCE`) runs out
//! only when the frame can no longer come, never because the machine is slow.
#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use mcp_server::protocol::LogLevel;
use mcp_server::{tool, Logger, McpServer, ServerHandle};
use serde_json::{json, Value};
use support::{error_code, Wire};

/// Log one message at every level from debug to critical.
#[tool]
async fn chatty(logger: Logger) -> String {
    logger.debug("d");
    logger.info("i");
    logger.warning("w");
    logger.error("e");
    logger.clone().named("db").log(LogLevel::Critical, &json!({"query": "select 1"}));
    format!("debug enabled: {}", logger.enabled(LogLevel::Debug))
}

fn server() -> ServerHandle {
    McpServer::new("logging").tool(ChattyTool).build().unwrap()
}

/// Calls `chatty` and returns the `notifications/message` params it produced, in order.
async fn messages(wire: &mut Wire, id: i64) -> (Vec<Value>, Value) {
    let result = wire.result(json!(id), "tools/call", json!({"name": "chatty"})).await;
    let logs = wire.take_notifications("notifications/message").into_iter().map(|m| m["params"].clone()).collect();
    assert!(wire.skipped.is_empty(), "{:?}", wire.skipped);
    (logs, result["content"][0]["text"].clone())
}

fn levels(logs: &[Value]) -> Vec<&str> {
    logs.iter().map(|l| l["level"].as_str().unwrap()).collect()
}

#[tokio::test(start_paused = true)]
async fn set_level_answers_exactly_an_empty_object() {
    let handle = server();
    let mut wire = Wire::initialized(&handle, "2025-11-25").await;
    for level in ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"] {
        wire.send(format!(
            r#"{{"jsonrpc":"2.0","id":"{level}","method":"logging/setLevel","params":{{"level":"{level}"}}}}"#
        ))
        .await;
        assert_eq!(wire.recv_text().await, format!(r#"{{"jsonrpc":"2.0","id":"{level}","result":{{}}}}"#));
    }
    for bad in [json!({"level": "verbose"}), json!({"level": 3}), json!({})] {
        let msg = wire.call(json!("bad"), "logging/setLevel", bad.clone()).await;
        assert_eq!(error_code(&msg), -32602, "{bad}: {msg}");
    }
}

#[tokio::test(start_paused = true)]
async fn messages_are_filtered_by_the_clients_level() {
    let handle = server();
    let mut wire = Wire::initialized(&handle, "2025-11-25").await;

    // Default: info and above.
    let (logs, text) = messages(&mut wire, 1).await;
    assert_eq!(levels(&logs), ["info", "warning", "error", "critical"]);
    assert_eq!(text, "debug enabled: false");
    assert_eq!(logs[0], json!({"level": "info", "data": "i"}));
    assert_eq!(logs[3], json!({"level": "critical", "logger": "db", "data": {"query": "select 1"}}));

    wire.result(json!(2), "logging/setLevel", json!({"level": "error"})).await;
    let (logs, _) = messages(&mut wire, 3).await;
    assert_eq!(levels(&logs), ["error", "critical"]);

    wire.result(json!(4), "logging/setLevel", json!({"level": "debug"})).await;
    let (logs, text) = messages(&mut wire, 5).await;
    assert_eq!(levels(&logs), ["debug", "info", "warning", "error", "critical"]);
    assert_eq!(text, "debug enabled: true");

    wire.result(json!(6), "logging/setLevel", json!({"level": "emergency"})).await;
    let (logs, _) = messages(&mut wire, 7).await;
    assert!(logs.is_empty(), "{logs:?}");
}

#[tokio::test(start_paused = true)]
async fn each_session_has_its_own_level() {
    let handle = server();
    let mut quiet = Wire::initialized(&handle, "2025-11-25").await;
    let mut loud = Wire::initialized(&handle, "2025-06-18").await;
    quiet.result(json!(1), "logging/setLevel", json!({"level": "critical"})).await;
    loud.result(json!(1), "logging/setLevel", json!({"level": "debug"})).await;
    assert_eq!(levels(&messages(&mut quiet, 2).await.0), ["critical"]);
    assert_eq!(messages(&mut loud, 2).await.0.len(), 5);
}

#[tokio::test(start_paused = true)]
async fn log_messages_travel_before_the_response() {
    let handle = server();
    let mut wire = Wire::initialized(&handle, "2025-11-25").await;
    wire.send(r#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"chatty"}}"#).await;
    let mut seen = Vec::new();
    loop {
        let msg = wire.recv().await;
        if msg.get("id").is_some() {
            break;
        }
        assert_eq!(msg["method"], "notifications/message", "{msg}");
        seen.push(msg);
    }
    assert_eq!(seen.len(), 4);
}
