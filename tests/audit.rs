//! `AuditMiddleware` (issue 4): entry fields, the signed hash chain under 1000 concurrent calls,
//! every kind of tampering found at the right line, restart resumption, and the build-time
//! errors that say what to configure.
#![allow(clippy::unwrap_used, reason = "tests")]

use mcp_server::auth::{ApiKeyAuth, AuthMiddleware, CredentialSource, Credentials};
use mcp_server::middleware::{verify_audit_log, AuditKey, AuditMiddleware, BreakReason, BrokenEntry, VerifyReport};
const LATEST: &str = mcp_server::protocol::ProtocolVersion::LATEST.as_str();
use mcp_server::testing::TestClient;
use mcp_server::{tool, McpServer, ServerHandle, ToolError};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Charge a card.
#[tool]
async fn charge_card(customer_id: String, amount_cents: i64) -> Result<String, ToolError> {
    if amount_cents <= 0 {
        return Err(ToolError::new("INVALID_AMOUNT", "The amount must be positive."));
    }
    Ok(format!("charged {customer_id} {amount_cents}"))
}

/// Create an employee.
#[tool(auth = true)]
async fn create_employee(name: String) -> String {
    format!("created {name}")
}

fn key() -> AuditKey {
    AuditKey::parse("6a1f0c4b2a7e9d3f6b5a4c2e1f0d9b8a7c6e5d4f3a2b1c0d9e8f7a6b5c4d3e2f").unwrap()
}

/// A fresh path in a per-test directory under the system temp dir.
fn temp_log(test: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("mcp-audit-test-{}-{test}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("audit.jsonl")
}

fn build(audit: AuditMiddleware) -> ServerHandle {
    McpServer::new("payment-api").tool(ChargeCardTool).middleware(audit).build().unwrap()
}

async fn charge(handle: &ServerHandle, n: usize) {
    let client = TestClient::connect_handle(handle, LATEST).await.unwrap();
    for i in 0..n {
        let amount = i64::try_from(i).unwrap() + 1;
        client.call_tool("charge_card", json!({"customer_id": "cus_1", "amount_cents": amount})).await.unwrap();
    }
}

/// A signed log of `n` entries, flushed.
async fn signed_log(test: &str, n: usize) -> PathBuf {
    let path = temp_log(test);
    let handle = build(AuditMiddleware::new(&path).signed(true).key(key()));
    charge(&handle, n).await;
    handle.shutdown().await;
    path
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path).unwrap().lines().map(str::to_string).collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    std::fs::write(path, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
}

fn broken(path: &Path) -> BrokenEntry {
    match verify_audit_log(path, &key()).unwrap() {
        VerifyReport::Broken(b) => b,
        ok => panic!("tampering went unnoticed: {ok}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_chain_verifies_after_1000_concurrent_calls() {
    let path = temp_log("concurrent");
    // How many calls are in flight at once depends on scheduling: admit all of them, so none is
    // refused as "busy" however the machine runs them.
    let handle = McpServer::new("payment-api")
        .tool(ChargeCardTool)
        .middleware(AuditMiddleware::new(&path).signed(true).key(key()))
        .max_in_flight(1000)
        .build()
        .unwrap();
    let client = TestClient::connect_handle(&handle, LATEST).await.unwrap();
    let calls: Vec<_> = (1..=1000)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                client.call_tool("charge_card", json!({"customer_id": format!("cus_{i}"), "amount_cents": i})).await
            })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap()["isError"], Value::Null);
    }
    handle.shutdown().await;
    let report = verify_audit_log(&path, &key()).unwrap();
    assert!(matches!(report, VerifyReport::Ok { entries: 1000, head: Some(_) }), "{report}");
    let entries: Vec<Value> = lines(&path).iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    let seqs: Vec<u64> = entries.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=1000).collect::<Vec<_>>());
    let mut ids: Vec<i64> = entries.iter().map(|e| e["request_id"].as_i64().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 1000, "one entry per call");
}

#[tokio::test]
async fn entries_carry_the_documented_fields() {
    let path = temp_log("fields");
    let handle = build(AuditMiddleware::new(&path).include_args(true));
    let client = TestClient::connect_handle(&handle, LATEST).await.unwrap();
    client.call_tool("charge_card", json!({"customer_id": "cus_9", "amount_cents": 500})).await.unwrap();
    client.call_tool("charge_card", json!({"customer_id": "cus_9", "amount_cents": 0})).await.unwrap();
    handle.shutdown().await;
    let entries: Vec<Value> = lines(&path).iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(entries.len(), 2);
    let ok = entries[0].as_object().unwrap();
    let mut keys: Vec<&str> = ok.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["args", "authenticated", "client_id", "duration_ms", "request_id", "status", "timestamp", "tool"]
    );
    assert_eq!(ok["authenticated"], false);
    assert_eq!(ok["tool"], "charge_card");
    assert_eq!(ok["status"], "success");
    assert_eq!(ok["client_id"], "test-client");
    assert_eq!(ok["args"], json!({"customer_id": "cus_9", "amount_cents": 500}));
    assert!(ok["timestamp"].as_str().unwrap().ends_with('Z'));
    assert!(ok["duration_ms"].is_u64());
    assert_eq!(entries[1]["status"], "error");
    assert_eq!(entries[1]["error_code"], "INVALID_AMOUNT");
    assert!(entries[1].get("hmac").is_none(), "unsigned by default");
}

#[tokio::test]
async fn every_kind_of_tampering_is_found_at_its_line() {
    let path = signed_log("tamper", 6).await;
    let original = lines(&path);
    assert!(verify_audit_log(&path, &key()).unwrap().is_ok());
    let at = |lines: Vec<String>| {
        write_lines(&path, &lines);
        let b = broken(&path);
        write_lines(&path, &original);
        b
    };

    let mut modified = original.clone();
    modified[2] = modified[2].replace("\"status\":\"success\"", "\"status\":\"error\"");
    assert_ne!(modified[2], original[2]);
    let b = at(modified);
    assert_eq!((b.line, b.reason, b.verified), (3, BreakReason::BadHmac, 2));

    let mut deleted = original.clone();
    deleted.remove(2);
    let b = at(deleted);
    assert_eq!((b.line, b.reason), (3, BreakReason::OutOfSequence { expected: 3, found: 4 }));

    let mut reordered = original.clone();
    reordered.swap(2, 3);
    let b = at(reordered);
    assert_eq!((b.line, b.reason), (3, BreakReason::OutOfSequence { expected: 3, found: 4 }));

    // A forged entry: plausible fields, right sequence number, but no key to sign it with.
    let mut forged: Value = serde_json::from_str(&original[2]).unwrap();
    forged["tool"] = json!("refund");
    let mut inserted = original.clone();
    inserted.insert(2, forged.to_string());
    let b = at(inserted);
    assert_eq!((b.line, b.reason), (3, BreakReason::BadHmac));

    // A replayed (genuine) entry.
    let mut replayed = original.clone();
    replayed.insert(3, original[1].clone());
    let b = at(replayed);
    assert_eq!((b.line, b.reason), (4, BreakReason::OutOfSequence { expected: 4, found: 2 }));

    // A duplicated key: parsers keep the last value (so the HMAC holds), some readers the first.
    let mut duplicated = original.clone();
    duplicated[1] = duplicated[1].replacen('{', "{\"client_id\":\"someone-else\",", 1);
    let b = at(duplicated);
    assert_eq!((b.line, b.reason), (2, BreakReason::NotCanonical));

    // One byte of the last entry's HMAC.
    let mut byte = original.clone();
    let hmac_at = byte[5].find("\"hmac\":\"").unwrap() + 8;
    let flipped = if byte[5].as_bytes()[hmac_at] == b'0' { "1" } else { "0" };
    byte[5].replace_range(hmac_at..=hmac_at, flipped);
    let b = at(byte);
    assert_eq!((b.line, b.seq, b.reason), (6, Some(6), BreakReason::BadHmac));

    // A crash mid-write leaves an incomplete last line.
    std::fs::write(&path, format!("{}\n{}", original[0], &original[1][..20])).unwrap();
    assert_eq!(broken(&path).reason, BreakReason::Incomplete);
    write_lines(&path, &original);

    let wrong = AuditKey::new([9u8; 32]).unwrap();
    let report = verify_audit_log(&path, &wrong).unwrap();
    assert!(matches!(report, VerifyReport::Broken(BrokenEntry { line: 1, reason: BreakReason::BadHmac, .. })));
}

#[tokio::test]
async fn a_restart_resumes_the_chain() {
    let path = signed_log("restart", 3).await;
    let handle = build(AuditMiddleware::new(&path).signed(true).key(key()));
    charge(&handle, 2).await;
    handle.shutdown().await;
    let report = verify_audit_log(&path, &key()).unwrap();
    assert!(matches!(report, VerifyReport::Ok { entries: 5, .. }), "{report}");

    // Restarting with another key is refused instead of forking the chain.
    let wrong = AuditKey::new([9u8; 32]).unwrap();
    let err = McpServer::new("p").middleware(AuditMiddleware::new(&path).signed(true).key(wrong)).build().unwrap_err();
    assert!(err.to_string().contains("does not verify with the configured key"), "{err}");
    // So is a log whose last line was cut short.
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.truncate(text.len() - 10);
    std::fs::write(&path, text).unwrap();
    let err = McpServer::new("p").middleware(AuditMiddleware::new(&path).signed(true).key(key())).build().unwrap_err();
    assert!(err.to_string().contains("incomplete"), "{err}");
}

#[test]
fn signed_without_a_key_fails_at_build_saying_what_to_set() {
    let path = temp_log("nokey");
    let audit = AuditMiddleware::new(&path).signed(true).key_env("MCP_TEST_AUDIT_KEY_NEVER_SET");
    let err = McpServer::new("payment-api").middleware(audit).build().unwrap_err().to_string();
    assert!(err.contains("MCP_TEST_AUDIT_KEY_NEVER_SET") && err.contains(".key("), "{err}");
    assert!(err.contains("openssl rand -hex 32"), "{err}");
    if std::env::var_os("MCP_AUDIT_KEY").is_none() {
        let audit = AuditMiddleware::new(&path).signed(true);
        let err = McpServer::new("payment-api").middleware(audit).build().unwrap_err().to_string();
        assert!(err.contains("set MCP_AUDIT_KEY"), "{err}");
    }
    std::env::set_var("MCP_TEST_AUDIT_KEY_SHORT", "abcd");
    let audit = AuditMiddleware::new(&path).signed(true).key_env("MCP_TEST_AUDIT_KEY_SHORT");
    let err = McpServer::new("payment-api").middleware(audit).build().unwrap_err().to_string();
    assert!(err.contains("at least 16 bytes"), "{err}");
}

#[tokio::test]
async fn the_key_can_come_from_the_environment() {
    let var = "MCP_TEST_AUDIT_KEY_FROM_ENV";
    std::env::set_var(var, key().to_hex());
    let path = temp_log("envkey");
    let handle = build(AuditMiddleware::new(&path).signed(true).key_env(var));
    charge(&handle, 2).await;
    handle.shutdown().await;
    assert!(verify_audit_log(&path, &key()).unwrap().is_ok());
}

#[tokio::test]
async fn entries_name_the_authenticated_caller_and_record_auth_failures() {
    let path = temp_log("identity");
    let keys = ApiKeyAuth::new().key("sk-test-hr-0001", "hr-portal", &[]);
    let handle = McpServer::new("hr-api")
        .tool(CreateEmployeeTool)
        .middleware(AuditMiddleware::new(&path).signed(true).key(key()))
        .middleware(AuthMiddleware::new(keys).meta_key("example.com/authorization"))
        .build()
        .unwrap();
    let client = TestClient::connect_handle(&handle, LATEST).await.unwrap();
    let params = |token: &str| {
        json!({"name": "create_employee", "arguments": {"name": "Ada"},
               "_meta": {"example.com/authorization": token}})
    };
    client.request("tools/call", params("sk-test-hr-0001")).await.unwrap();
    client.request("tools/call", params("sk-wrong")).await.unwrap();
    handle.shutdown().await;
    let entries: Vec<Value> = lines(&path).iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(entries[0]["client_id"], "hr-portal");
    assert_eq!(entries[0]["authenticated"], true);
    assert_eq!(entries[0]["status"], "success");
    assert_eq!(entries[1]["client_id"], "test-client", "unauthenticated: the clientInfo name");
    assert_eq!(entries[1]["authenticated"], false);
    assert_eq!(entries[1]["error_code"], "AUTHENTICATION_ERROR");
    assert!(verify_audit_log(&path, &key()).unwrap().is_ok());
}

#[tokio::test]
async fn process_credentials_show_up_in_the_audit_log() {
    let path = temp_log("process");
    let keys = ApiKeyAuth::new().key("sk-test-cli-0001", "cli-user", &[]);
    let auth = AuthMiddleware::new(keys)
        .process_credentials(Credentials::api_key("sk-test-cli-0001", CredentialSource::Static));
    let handle = McpServer::new("hr-api")
        .tool(CreateEmployeeTool)
        .middleware(AuditMiddleware::new(&path))
        .middleware(auth)
        .build()
        .unwrap();
    let client = TestClient::connect_handle(&handle, LATEST).await.unwrap();
    client.call_tool("create_employee", json!({"name": "Grace"})).await.unwrap();
    handle.shutdown().await;
    let entry: Value = serde_json::from_str(&lines(&path)[0]).unwrap();
    assert_eq!(entry["client_id"], "cli-user");
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn fail_closed_withholds_results_it_cannot_record() {
    // Every write to /dev/full fails with ENOSPC.
    let handle = build(AuditMiddleware::new("/dev/full").fail_closed(true));
    let client = TestClient::connect_handle(&handle, LATEST).await.unwrap();
    let args = json!({"customer_id": "cus_1", "amount_cents": 100});
    for _ in 0..2 {
        let result = client.call_tool("charge_card", args.clone()).await.unwrap();
        assert_eq!(result["isError"], true, "{result}");
        assert_eq!(result["structuredContent"]["error"]["code"], "AUDIT_UNAVAILABLE");
    }
    // Fail-open (the default) answers anyway and logs the failure.
    let handle = build(AuditMiddleware::new("/dev/full"));
    let client = TestClient::connect_handle(&handle, LATEST).await.unwrap();
    let result = client.call_tool("charge_card", args).await.unwrap();
    assert_eq!(result["content"][0]["text"], "charged cus_1 100");
}
