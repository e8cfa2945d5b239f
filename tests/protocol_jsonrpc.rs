//! JSON-RPC 2.0 on the wire (issue 2, item 2): id types, error codes, batches, frame limits,
//! notifications, and robustness against bad input.
//!
//! The tests run on Tokio's paused clock (see `support`): a wait for a frame runs out only when
//! the frame can no longer come, and silence means "nothing came before the server was idle".
//! One test runs on worker threads, and says why.
#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use mcp_server::protocol::ResourceContents;
use mcp_server::transport::stdio::serve_streams;
use mcp_server::{tool, McpServer, Resource, ServerHandle};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::Duration;
use support::{error_code, Wire};

/// Echo the text back.
#[tool]
async fn echo(text: String) -> String {
    text
}

/// Sleep, then answer.
#[tool]
async fn nap(ms: u64) -> String {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    "awake".into()
}

/// Always panics.
#[tool]
async fn boom() -> String {
    panic!("kaboom")
}

fn explode() -> Vec<ResourceContents> {
    panic!("reader exploded")
}

fn server() -> ServerHandle {
    McpServer::new("jsonrpc")
        .tool(EchoTool)
        .tool(NapTool)
        .tool(BoomTool)
        .resource(Resource::new("test://broken", "broken").read(|_ctx| async { Ok(explode()) }))
        .max_frame_bytes(512)
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn ids_are_echoed_with_their_exact_json_type() {
    let handle = server();
    let mut wire = Wire::initialized(&handle, "2025-11-25").await;
    for (id, expected) in [
        (r#""abc""#, r#"{"jsonrpc":"2.0","id":"abc","result":{}}"#),
        (r#""7""#, r#"{"jsonrpc":"2.0","id":"7","result":{}}"#),
        ("7", r#"{"jsonrpc":"2.0","id":7,"result":{}}"#),
        ("0", r#"{"jsonrpc":"2.0","id":0,"result":{}}"#),
        ("-12", r#"{"jsonrpc":"2.0","id":-12,"result":{}}"#),
        ("18446744073709551615", r#"{"jsonrpc":"2.0","id":18446744073709551615,"result":{}}"#),
        (r#""""#, r#"{"jsonrpc":"2.0","id":"","result":{}}"#),
    ] {
        wire.send(format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"ping"}}"#)).await;
        assert_eq!(wire.recv_text().await, expected);
    }
    // The same for a tool call and for an error response.
    let msg = wire.call(json!("call-1"), "tools/call", json!({"name": "echo", "arguments": {"text": "x"}})).await;
    assert_eq!(msg["id"], json!("call-1"));
    let msg = wire.call(json!(99), "no/such", json!({})).await;
    assert_eq!((msg["id"].clone(), error_code(&msg)), (json!(99), -32601));
}

#[tokio::test(start_paused = true)]
async fn null_and_malformed_ids_are_rejected() {
    let handle = server();
    let mut wire = Wire::initialized(&handle, "2025-11-25").await;
    for id in ["null", "1.5", "true", "{}", "[1]"] {
        wire.send(format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"ping"}}"#)).await;
        let msg = wire.recv().await;
        assert_eq!(error_code(&msg), -32600, "id {id}: {msg}");
        assert_eq!(msg["id"], Value::Null, "id {id}: {msg}");
        assert!(msg.get("result").is_none());
    }
}

#[tokio::test(start_paused = true)]
async fn every_error_code_path() {
    let handle = server();
    let mut wire = Wire::initialized(&handle, "2025-11-25").await;

    // -32700: unparseable JSON, answered with id null.
    for bad in ["{oops", r#"{"jsonrpc":"2.0","id":1,"method":"ping""#, "[1,", "\u{1}"] {
        wire.send(bad).await;
        let msg = wire.recv().await;
        assert_eq!((error_code(&msg), msg["id"].clone()), (-32700, Value::Null), "{bad}: {msg}");
        assert_eq!(msg["jsonrpc"], "2.0");
    }

    // -32600: valid JSON that is not a request; the id is kept when it could be read.
    let invalid = [
        (r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#, json!(1)),
        (r#"{"id":2,"method":"ping"}"#, json!(2)),
        (r#"{"jsonrpc":"2.0","id":3,"method":"ping","result":{}}"#, json!(3)),
        (r#"{"jsonrpc":"2.0","id":4,"method":"ping","params":"bar"}"#, json!(4)),
        (r#"{"jsonrpc":"2.0","method":1,"params":"bar"}"#, Value::Null),
        ("42", Value::Null),
        (r#""ping""#, Value::Null),
        (r#"{"foo":"boo"}"#, Value::Null),
        ("[]", Value::Null),
    ];
    for (frame, id) in invalid {
        wire.send(frame).await;
        let msg = wire.recv().await;
        assert_eq!((error_code(&msg), msg["id"].clone()), (-32600, id), "{frame}: {msg}");
    }

    // -32601: unknown method, id echoed.
    let msg = wire.call(json!("m"), "tools/explode", json!({})).await;
    assert_eq!(error_code(&msg), -32601);
    assert!(msg["error"]["message"].as_str().unwrap().contains("tools/explode"));

    // -32602: parameters of the wrong shape.
    for (method, params) in [
        ("tools/call", json!({"name": 5})),
        ("tools/call", json!({})),
        ("tools/call", json!({"name": "echo", "arguments": [1, 2]})),
        ("resources/read", json!({})),
        ("prompts/get", json!({"name": []})),
        ("logging/setLevel", json!({"level": "loud"})),
        ("tools/list", json!({"cursor": 12})),
        ("initialize", json!({"protocolVersion": 2025})),
    ] {
        let msg = wire.call(json!(method), method, params.clone()).await;
        assert_eq!(error_code(&msg), -32602, "{method} {params}: {msg}");
    }

    // -32603: an internal failure outside tools (a resource reader panics): masked, no internals.
    let msg = wire.call(json!("r"), "resources/read", json!({"uri": "test://broken"})).await;
    assert_eq!(error_code(&msg), -32603, "{msg}");
    assert_eq!(msg["error"]["message"], "An internal error occurred.");
    assert!(!msg.to_string().contains("exploded"), "{msg}");
}

#[tokio::test(start_paused = true)]
async fn batches_only_under_2025_03_26() {
    let handle = server();
    let batch = r#"[
        {"jsonrpc":"2.0","id":1,"method":"ping"},
        {"jsonrpc":"2.0","method":"notifications/whatever"},
        {"jsonrpc":"2.0","id":"two","method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}},
        {"jsonrpc":"2.0","id":3,"method":"no/such"},
        {"foo":"boo"}
    ]"#;

    let mut wire = Wire::initialized(&handle, "2025-03-26").await;
    wire.send(batch).await;
    let reply = wire.recv().await;
    let items = reply.as_array().unwrap_or_else(|| panic!("a batch gets an array: {reply}"));
    assert_eq!(items.len(), 4, "one answer per request and per invalid item, none for the notification: {reply}");
    let by_id = |id: Value| items.iter().find(|m| m["id"] == id).cloned().unwrap();
    assert_eq!(by_id(json!(1)), json!({"jsonrpc": "2.0", "id": 1, "result": {}}));
    assert_eq!(by_id(json!("two"))["result"]["content"][0]["text"], "hi");
    assert_eq!(error_code(&by_id(json!(3))), -32601);
    assert_eq!(error_code(&by_id(Value::Null)), -32600);
    // A batch of notifications only is answered with nothing at all.
    wire.send(r#"[{"jsonrpc":"2.0","method":"notifications/a"},{"jsonrpc":"2.0","method":"notifications/b"}]"#).await;
    wire.assert_quiet().await;

    for version in ["2024-11-05", "2025-06-18", "2025-11-25"] {
        let mut wire = Wire::initialized(&handle, version).await;
        wire.send(batch).await;
        let msg = wire.recv().await;
        assert!(msg.is_object(), "{version}: {msg}");
        assert_eq!((error_code(&msg), msg["id"].clone()), (-32600, Value::Null), "{version}: {msg}");
        wire.assert_quiet().await;
    }

    // Before initialize nothing has been negotiated: no batches either.
    let mut wire = Wire::open(&handle);
    wire.send(r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#).await;
    let msg = wire.recv().await;
    assert_eq!((error_code(&msg), msg["id"].clone()), (-32600, Value::Null), "{msg}");
}

#[tokio::test(start_paused = true)]
async fn oversized_frames_get_an_error_and_the_session_survives() {
    let handle = server();
    let mut wire = Wire::initialized(&handle, "2025-11-25").await;
    let big = "x".repeat(2000);
    let frame =
        json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text": big}}});
    wire.send_json(&frame).await;
    let msg = wire.recv().await;
    assert_eq!((error_code(&msg), msg["id"].clone()), (-32600, Value::Null), "{msg}");
    assert!(msg["error"]["message"].as_str().unwrap().contains("512"), "{msg}");
    let echoed = wire.result(json!(2), "tools/call", json!({"name": "echo", "arguments": {"text": "small"}})).await;
    assert_eq!(echoed["content"][0]["text"], "small");
}

#[tokio::test(start_paused = true)]
async fn notifications_never_get_a_reply() {
    let handle = server();
    let mut wire = Wire::initialized(&handle, "2025-11-25").await;
    for frame in [
        r#"{"jsonrpc":"2.0","method":"notifications/unknown"}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#"{"jsonrpc":"2.0","method":"ping"}"#,
        r#"{"jsonrpc":"2.0","method":"tools/call","params":{"name":"echo","arguments":{"text":"x"}}}"#,
        r#"{"jsonrpc":"2.0","method":"tools/call","params":{"name":"nope"}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":12345}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":7}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}}"#,
    ] {
        wire.send(frame).await;
    }
    // Responses to requests the server never sent are ignored too.
    wire.send(r#"{"jsonrpc":"2.0","id":"srv-999","result":{}}"#).await;
    wire.send(r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}"#).await;
    wire.assert_quiet().await;
    assert_eq!(wire.call(json!(1), "ping", json!({})).await["result"], json!({}));
    assert!(wire.skipped.is_empty(), "{:?}", wire.skipped);
}

#[tokio::test(start_paused = true)]
async fn a_request_id_in_flight_cannot_be_reused() {
    let handle = server();
    let mut wire = Wire::initialized(&handle, "2025-11-25").await;
    let nap = json!({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"nap","arguments":{"ms":300}}});
    wire.send_json(&nap).await;
    // Frames are admitted in order, so the nap holds id 5 when the ping comes; on the paused clock
    // it cannot end before the ping was answered, however slow the machine.
    wire.send(r#"{"jsonrpc":"2.0","id":5,"method":"ping"}"#).await;
    let first = wire.recv().await;
    assert_eq!((error_code(&first), first["id"].clone()), (-32600, json!(5)), "{first}");
    let second = wire.recv().await;
    assert_eq!(second["result"]["content"][0]["text"], "awake", "{second}");
    // Once finished, the id may be used again.
    assert_eq!(wire.call(json!(5), "ping", json!({})).await["result"], json!({}));
}

/// A burst of good and bad frames: every good request gets exactly its answer, nothing panics,
/// and the session keeps working. On worker threads, so that the requests really run in
/// parallel; nothing here depends on timing (every answer must come, and each wait for one has
/// `PATIENCE`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_never_drops_another_requests_response() {
    let handle = server();
    let mut wire = Wire::initialized(&handle, "2025-11-25").await;
    let bad = [
        "{oops",
        r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
        r#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#,
        "[]",
        r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
        r#"{"jsonrpc":"2.0","method":"notifications/whatever","params":3}"#,
        "\u{0}\u{7f}",
        "",
        "   ",
    ];
    let huge = format!(r#"{{"jsonrpc":"2.0","id":"big","method":"ping","pad":"{}"}}"#, "y".repeat(1000));
    let mut expected = HashSet::new();
    for i in 0..200_u32 {
        let good = match i % 4 {
            0 => json!({"jsonrpc":"2.0","id": i,"method":"ping"}),
            1 => json!({"jsonrpc":"2.0","id": format!("s{i}"),"method":"tools/call",
                        "params":{"name":"echo","arguments":{"text": format!("t{i}")}}}),
            2 => json!({"jsonrpc":"2.0","id": i,"method":"tools/call","params":{"name":"boom"}}),
            _ => json!({"jsonrpc":"2.0","id": i,"method":"tools/call","params":{"name":"nap","arguments":{"ms":1}}}),
        };
        expected.insert(good["id"].to_string());
        wire.send_json(&good).await;
        wire.send(bad[i as usize % bad.len()]).await;
        if i % 50 == 0 {
            wire.send(huge.clone()).await;
        }
    }
    let mut answered = HashSet::new();
    while answered.len() < expected.len() {
        let msg = wire.recv().await;
        if msg["id"].is_null() {
            assert!(msg["error"].is_object(), "{msg}");
            continue;
        }
        let key = msg["id"].to_string();
        assert!(expected.contains(&key), "answer to an unknown id: {msg}");
        assert!(answered.insert(key), "two answers for one id: {msg}");
        match msg["id"].as_str() {
            Some(s) => assert_eq!(msg["result"]["content"][0]["text"], format!("t{}", &s[1..])),
            None => match msg["id"].as_u64().unwrap() % 4 {
                0 => assert_eq!(msg["result"], json!({})),
                2 => assert_eq!(support::tool_error(&msg["result"]), support::masked_internal()),
                _ => assert_eq!(msg["result"]["content"][0]["text"], "awake"),
            },
        }
    }
    assert_eq!(wire.call(json!("after"), "ping", json!({})).await["result"], json!({}));
}

/// The newline-delimited framing (what stdio uses), over an in-process byte stream: an oversized
/// line is rejected without being buffered, CRLF and blank lines are fine, EOF ends the session.
#[tokio::test(start_paused = true)]
async fn oversized_lines_on_a_byte_stream() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let handle = server();
    let (client, server_end) = tokio::io::duplex(64 * 1024);
    let (server_read, server_write) = tokio::io::split(server_end);
    let serving = tokio::spawn(async move { serve_streams(&handle, server_read, server_write).await });
    let (client_read, mut client_write) = tokio::io::split(client);
    let mut lines = BufReader::new(client_read).lines();
    let mut next = async || -> Value {
        let line = tokio::time::timeout(support::PATIENCE, lines.next_line()).await.unwrap().unwrap().unwrap();
        serde_json::from_str(&line).unwrap()
    };

    let init =
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{}}}"#;
    client_write.write_all(format!("{init}\n").as_bytes()).await.unwrap();
    assert_eq!(next().await["result"]["protocolVersion"], "2025-11-25");
    let oversized = format!(r#"{{"jsonrpc":"2.0","id":2,"method":"ping","pad":"{}"}}"#, "z".repeat(4000));
    let frames = format!("{oversized}\n\n   \n{}\r\n", r#"{"jsonrpc":"2.0","id":3,"method":"ping"}"#);
    client_write.write_all(frames.as_bytes()).await.unwrap();
    let rejected = next().await;
    assert_eq!((error_code(&rejected), rejected["id"].clone()), (-32600, Value::Null), "{rejected}");
    assert_eq!(next().await, json!({"jsonrpc": "2.0", "id": 3, "result": {}}));

    client_write.shutdown().await.unwrap();
    drop(client_write);
    let served = tokio::time::timeout(support::PATIENCE, serving).await.unwrap().unwrap();
    assert!(served.is_ok(), "{served:?}");
}
