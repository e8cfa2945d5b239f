//! The `hr_api` example through `TestClient` (issue 3, item 8): exception handlers map the
//! domain errors to `EMPLOYEE_NOT_FOUND` / `FORBIDDEN`, and the welcome email and audit event run
//! after the response; `create_employee` is `auth = true` (the caller and their roles come from
//! the auth middleware), `get_employee` needs no credentials.
#![allow(clippy::unwrap_used, reason = "tests")]

#[path = "../examples/hr_api.rs"]
#[allow(dead_code, reason = "the example's `main` and serving helpers are not used here")]
mod hr_api;

use hr_api::{AuditEvent, HrStore};
use mcp_server::auth::{ApiKeyAuth, AuthMiddleware, CredentialSource, Credentials};
use mcp_server::testing::TestClient;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Auth whose (stdio) caller is `client_id` with `roles`: an API key presented as the process's
/// credentials, as `MCP_AUTH_TOKEN` would be.
fn auth_as(client_id: &str, roles: &[&str]) -> AuthMiddleware {
    AuthMiddleware::new(ApiKeyAuth::new().key("hr-test-key-0001", client_id, roles))
        .process_credentials(Credentials::api_key("hr-test-key-0001", CredentialSource::Static))
}

async fn connect(email_latency: Duration, email_fails: bool) -> (TestClient, Arc<HrStore>) {
    let db = Arc::new(HrStore::seeded(email_latency, email_fails));
    let client = TestClient::connect(hr_api::server(Arc::clone(&db), auth_as("hr-portal", &[]))).await.unwrap();
    (client, db)
}

/// Waits (up to a minute of paused time, which passes only while every task waits) until `f`
/// holds.
async fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    f()
}

#[tokio::test(start_paused = true)]
async fn get_employee_returns_the_record() {
    let (client, _) = connect(Duration::ZERO, false).await;
    let r = client.call_tool("get_employee", json!({ "employee_id": "E001" })).await.unwrap();
    assert_eq!(r.get("isError"), None);
    assert_eq!(
        r["structuredContent"],
        json!({ "id": "E001", "name": "Ada Lovelace", "email": "ada@example.com", "department": "Engineering" })
    );
}

#[tokio::test(start_paused = true)]
async fn unknown_employee_is_mapped_by_its_handler() {
    let (client, _) = connect(Duration::ZERO, false).await;
    let r = client.call_tool("get_employee", json!({ "employee_id": "E999" })).await.unwrap();
    assert_eq!(r["isError"], true);
    let expected = json!({ "error": {
        "code": "EMPLOYEE_NOT_FOUND", "message": "Employee 'E999' does not exist.", "retryable": false } });
    assert_eq!(r["structuredContent"], expected);
    let text: Value = serde_json::from_str(r["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(text, expected);
}

#[tokio::test(start_paused = true)]
async fn create_answers_before_the_welcome_email_is_sent() {
    let (client, db) = connect(Duration::from_millis(300), false).await;
    let start = Instant::now();
    let r = client
        .call_tool(
            "create_employee",
            json!({ "name": "Alan Turing", "email": "alan@example.com", "department": "Research" }),
        )
        .await
        .unwrap();
    assert!(start.elapsed() < Duration::from_millis(300), "the 300 ms mail server did not delay the answer");
    assert!(db.outbox.lock().unwrap().is_empty(), "the email is still on its way");
    assert_eq!(r["structuredContent"], json!({ "id": "E003", "name": "Alan Turing", "status": "created" }));

    // The new employee is readable at once.
    let got = client.call_tool("get_employee", json!({ "employee_id": "E003" })).await.unwrap();
    assert_eq!(got["structuredContent"]["email"], "alan@example.com");

    // Then the background tasks run, in order: the email, then the audit event.
    assert!(eventually(|| db.audit.lock().unwrap().len() == 1).await);
    assert!(start.elapsed() >= Duration::from_millis(300), "the audit event waited for the email");
    assert_eq!(*db.outbox.lock().unwrap(), [("E003".to_string(), "alan@example.com".to_string())]);
    assert_eq!(
        *db.audit.lock().unwrap(),
        [AuditEvent { action: "CREATE_EMPLOYEE".into(), actor: "hr-portal".into(), employee_id: "E003".into() }]
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_email_is_logged_and_the_audit_still_runs() {
    let (client, db) = connect(Duration::ZERO, true).await;
    let r = client
        .call_tool(
            "create_employee",
            json!({ "name": "Edsger Dijkstra", "email": "ewd@example.com", "department": "Research" }),
        )
        .await
        .unwrap();
    assert_eq!(r["structuredContent"]["status"], "created", "the failure does not affect the response");
    assert!(eventually(|| db.audit.lock().unwrap().len() == 1).await);
    assert!(db.outbox.lock().unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn restricted_department_is_forbidden_without_the_role() {
    let (client, db) = connect(Duration::ZERO, false).await;
    let r = client
        .call_tool("create_employee", json!({ "name": "Eve", "email": "eve@example.com", "department": "Executive" }))
        .await
        .unwrap();
    assert_eq!(r["isError"], true);
    assert_eq!(
        r["structuredContent"],
        json!({ "error": {
            "code": "FORBIDDEN", "message": "You don't have permission for this action.", "retryable": false } })
    );
    // Nothing was created and no background task was queued.
    let missing = client.call_tool("get_employee", json!({ "employee_id": "E003" })).await.unwrap();
    assert_eq!(missing["structuredContent"]["error"]["code"], "EMPLOYEE_NOT_FOUND");
    // Shutdown drains every background task: had one been queued, it would have run by now.
    client.server().shutdown().await;
    assert!(db.audit.lock().unwrap().is_empty() && db.outbox.lock().unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_hr_admin_may_create_executives() {
    let db = Arc::new(HrStore::seeded(Duration::ZERO, false));
    let server = hr_api::server(Arc::clone(&db), auth_as("people-ops", &["hr-admin"]));
    let client = TestClient::connect(server).await.unwrap();
    let r = client
        .call_tool(
            "create_employee",
            json!({ "name": "Ada Byron", "email": "ab@example.com", "department": "Executive" }),
        )
        .await
        .unwrap();
    assert_eq!(r["structuredContent"]["status"], "created");
    assert!(eventually(|| db.audit.lock().unwrap().len() == 1).await);
    assert_eq!(db.audit.lock().unwrap()[0].actor, "people-ops");
}

#[tokio::test(start_paused = true)]
async fn tools_are_listed_with_their_schemas() {
    let (client, _) = connect(Duration::ZERO, false).await;
    let tools = client.list_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["get_employee", "create_employee"]);
    let create = &tools[1];
    assert_eq!(create["inputSchema"]["required"], json!(["name", "email", "department"]));
    assert_eq!(create["annotations"]["destructiveHint"], true);
}

#[tokio::test(start_paused = true)]
async fn create_employee_needs_credentials_and_get_employee_does_not() {
    let db = Arc::new(HrStore::seeded(Duration::ZERO, false));
    let keys = ApiKeyAuth::new().key("hr-test-key-0001", "hr-portal", &[]);
    let client = TestClient::connect(hr_api::server(Arc::clone(&db), AuthMiddleware::new(keys))).await.unwrap();
    let r = client
        .call_tool("create_employee", json!({ "name": "Mallory", "email": "m@example.com", "department": "Research" }))
        .await
        .unwrap();
    assert_eq!(r["isError"], true);
    assert_eq!(r["structuredContent"]["error"]["code"], "AUTHENTICATION_ERROR");
    assert_eq!(r["structuredContent"]["error"]["retryable"], false);
    let got = client.call_tool("get_employee", json!({ "employee_id": "E001" })).await.unwrap();
    assert_eq!(got["structuredContent"]["name"], "Ada Lovelace");
    client.server().shutdown().await;
    assert!(db.audit.lock().unwrap().is_empty(), "nothing was created");
}
