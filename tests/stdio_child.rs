//! Drives the `hello` example as a child process over stdio (issue 2, items 10 and 14):
//! newline-delimited JSON-RPC in and out, progress from `slow`, cancellation, and a clean exit
//! (status 0) at EOF with nothing but JSON on stdout.
//!
//! The example binary is built on demand with `cargo build --example hello` (a no-op when it is
//! up to date), so this test also works when run alone (`cargo test --test stdio_child`), which
//! does not build examples. Plain `cargo test` builds them anyway.
//!
//! A child process cannot run on tokio's paused clock: the test waits for lines with generous
//! patience, and proves that something was *not* sent with a marker request instead of a pause
//! (the server answers frames in the order it reads them).
#![allow(clippy::unwrap_used, reason = "tests")]

mod example_binary;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

/// How long the test waits for a line that must come.
const PATIENCE: Duration = Duration::from_secs(30);

struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    /// Every stdout line, for the final checks (only JSON; no answer to the cancelled call).
    transcript: Vec<String>,
}

impl Server {
    fn start() -> Self {
        let mut child = Command::new(example_binary::example_binary("hello"))
            .env("RUST_LOG", "debug")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let stdin = child.stdin.take();
        Self { child, stdin, lines, transcript: Vec::new() }
    }

    fn send(&mut self, frame: &Value) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{frame}").unwrap();
        stdin.flush().unwrap();
    }

    /// The next stdout line, which must be one JSON-RPC message.
    fn recv(&mut self) -> Value {
        let line = self.lines.recv_timeout(PATIENCE).unwrap_or_else(|e| panic!("no line from the server: {e}"));
        self.transcript.push(line.clone());
        let msg: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"));
        assert_eq!(msg["jsonrpc"], "2.0", "{line}");
        msg
    }

    /// Messages up to and including the response to `id`.
    fn until_response(&mut self, id: &Value) -> (Vec<Value>, Value) {
        let mut before = Vec::new();
        loop {
            let msg = self.recv();
            if msg.get("id") == Some(id) && msg.get("method").is_none() {
                return (before, msg);
            }
            before.push(msg);
        }
    }

    fn request(&mut self, id: Value, method: &str, params: Value) -> (Vec<Value>, Value) {
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.until_response(&id)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Only reached with a live child when an assertion failed: don't leave it behind.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn hello_over_stdio() {
    let mut server = Server::start();

    let (_, init) = server.request(
        json!(1),
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "child-test", "version": "1"}}),
    );
    let result = &init["result"];
    assert_eq!(result["protocolVersion"], "2025-06-18");
    assert_eq!(result["serverInfo"]["name"], "hello");
    assert!(result["capabilities"]["tools"].is_object() && result["capabilities"]["prompts"].is_object(), "{init}");
    server.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));

    let (_, tools) = server.request(json!(2), "tools/list", json!({}));
    let names: Vec<_> = tools["result"]["tools"].as_array().unwrap().iter().map(|t| t["name"].clone()).collect();
    assert_eq!(names, [json!("echo"), json!("add"), json!("slow")]);

    let (_, echo) = server.request(json!("e"), "tools/call", json!({"name": "echo", "arguments": {"text": "hi ✓"}}));
    assert_eq!(echo["result"]["content"][0]["text"], "hi ✓");
    let (_, add) = server.request(json!(3), "tools/call", json!({"name": "add", "arguments": {"a": 2, "b": 40}}));
    assert_eq!(add["result"]["content"][0]["text"], "42");

    // Progress from `slow`, with the integer token echoed as an integer, before the response.
    let params = json!({"name": "slow", "arguments": {"steps": 3, "delay_ms": 5}, "_meta": {"progressToken": 77}});
    let (before, slow) = server.request(json!(4), "tools/call", params);
    assert_eq!(slow["result"]["content"][0]["text"], "finished 3 steps");
    let progress: Vec<_> = before.iter().filter(|m| m["method"] == "notifications/progress").collect();
    assert_eq!(progress.len(), 3, "{before:?}");
    assert_eq!(
        progress[2]["params"],
        json!({"progressToken": 77, "progress": 3.0, "total": 3.0, "message": "step 3/3"})
    );

    // Cancel a long `slow` call: no response ever comes for it, and the server keeps serving.
    let params = json!({"name": "slow", "arguments": {"steps": 100, "delay_ms": 50}, "_meta": {"progressToken": "c"}});
    server.send(&json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": params}));
    let first = server.recv();
    assert_eq!(first["params"]["progressToken"], "c", "{first}");
    server.send(&json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 5}}));
    // The ping is read after the cancellation: by its answer, the cancellation has taken effect.
    let (between, pong) = server.request(json!(6), "ping", json!({}));
    assert_eq!(pong["result"], json!({}));
    assert!(between.iter().all(|m| m["method"] == "notifications/progress"), "no response to id 5: {between:?}");

    // Resources and prompts.
    let (_, readme) = server.request(json!(7), "resources/read", json!({"uri": "hello://readme"}));
    assert_eq!(readme["result"]["contents"][0]["text"], "Hello from mcp-server!");
    let (_, greeting) = server.request(json!(8), "resources/read", json!({"uri": "hello://greeting/Ada"}));
    assert_eq!(greeting["result"]["contents"][0]["text"], "Hello, Ada!");
    let (_, prompt) = server.request(json!(9), "prompts/get", json!({"name": "greet", "arguments": {"name": "Ada"}}));
    assert!(prompt["result"]["messages"][0]["content"]["text"].as_str().unwrap().contains("Ada"), "{prompt}");

    // Broken input gets an error on stdout and the server lives on.
    server.stdin.as_mut().unwrap().write_all(b"{not json\n").unwrap();
    let parse_error = server.recv();
    assert_eq!((parse_error["id"].clone(), parse_error["error"]["code"].clone()), (Value::Null, json!(-32700)));

    // EOF: requests in flight would still be answered (a cancellation that failed to stop the
    // 5 s call would show up here as its response), then the process exits by itself, closing
    // stdout. Anything after the last answer can only be late progress.
    drop(server.stdin.take());
    loop {
        match server.lines.recv_timeout(PATIENCE) {
            Ok(line) => {
                let msg: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                assert_eq!(msg["method"], "notifications/progress", "{line}");
                server.transcript.push(line);
            }
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => panic!("stdout stayed open after EOF on stdin"),
        }
    }
    let status = server.child.wait().unwrap();
    assert!(status.success(), "exit status {status}");
    assert!(server.transcript.iter().all(|l| !l.trim().is_empty() && l.starts_with('{')), "{:?}", server.transcript);
    let answered_5 = server.transcript.iter().any(|l| {
        let msg: Value = serde_json::from_str(l).unwrap();
        msg["id"] == 5 && msg.get("method").is_none()
    });
    assert!(!answered_5, "the cancelled call was answered");
}
