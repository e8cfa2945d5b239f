//! Authentication on the wire (issue 4): JWT (HS256, RS256, ES256, JWKS) and API keys through
//! `AuthMiddleware`, every rejection masked as one `AUTHENTICATION_ERROR`, role/scope guards,
//! credentials per transport, identity visible to outer middleware, the circuit breaker ignoring
//! auth failures, and the fail-closed build check.
#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use mcp_server::auth::{
    ApiKeyAuth, AuthError, AuthMiddleware, CredentialSource, Credentials, JwtAlgorithm, JwtAuth, ACCESS_DENIED,
    AUTHENTICATION_ERROR,
};
use mcp_server::middleware::{from_fn, Next};
use mcp_server::testing::TestClient;
use mcp_server::CallToolRequest;
use mcp_server::{
    tool, BuildError, CircuitBreakerMiddleware, CircuitState, FailureKind, McpServer, RequestContext, Resource,
};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};
use support::tool_error;

const META: &str = "example.com/authorization";
const SECRET: &str = "test-only-hs256-secret-0123456789abcdef";
const AUDIENCE: &str = "payment-api";
const ISSUER: &str = "https://auth.example.test";

/// Who am I?
#[tool(auth = true)]
async fn whoami(ctx: RequestContext) -> Value {
    let id = ctx.identity().cloned().unwrap_or_default();
    json!({ "client_id": ctx.client_id(), "subject": id.subject, "roles": id.roles, "scopes": id.scopes,
            "tenant": id.tenant })
}

/// Refund a charge (operators only).
#[tool(auth = true, roles = ["ops"])]
async fn refund(charge_id: String) -> String {
    format!("refunded {charge_id}")
}

/// Move money (needs the `payments:write` scope).
#[tool(auth = true, scopes = ["payments:write"])]
async fn transfer() -> String {
    "moved".into()
}

/// Public information; says who called when it can tell.
#[tool]
async fn public_info(ctx: RequestContext) -> String {
    ctx.client_id().unwrap_or("nobody").to_string()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/auth/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn now() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

/// Valid claims for this test's audience and issuer, with `extra` merged in (`null` removes).
fn claims(extra: Value) -> Value {
    let mut c = json!({ "sub": "user-42", "client_id": "checkout-agent", "aud": AUDIENCE, "iss": ISSUER,
                        "iat": now(), "exp": now() + 600, "roles": ["payments"], "scope": "payments:read",
                        "tid": "acme" });
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

fn sign(alg: Algorithm, kid: Option<&str>, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_string);
    encode(&header, claims, key).unwrap()
}

fn rs256(claims: &Value) -> String {
    sign(Algorithm::RS256, None, claims, &EncodingKey::from_rsa_pem(&fixture("rsa_private.pem")).unwrap())
}

fn es256(kid: Option<&str>, claims: &Value) -> String {
    sign(Algorithm::ES256, kid, claims, &EncodingKey::from_ec_pem(&fixture("ec_private.pem")).unwrap())
}

fn hs256(claims: &Value, secret: &[u8]) -> String {
    sign(Algorithm::HS256, None, claims, &EncodingKey::from_secret(secret))
}

/// `{"alg":"none"}` over valid claims, with an empty signature.
fn alg_none(claims: &Value) -> String {
    let valid = hs256(claims, SECRET.as_bytes());
    let payload = valid.split('.').nth(1).unwrap();
    format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.")
}

fn rs256_auth() -> JwtAuth {
    JwtAuth::rs256_pem(fixture("rsa_public.pem")).unwrap().audience(AUDIENCE).issuer(ISSUER)
}

fn server(auth: AuthMiddleware) -> McpServer {
    McpServer::new("payment-api")
        .tool(WhoamiTool)
        .tool(RefundTool)
        .tool(TransferTool)
        .tool(PublicInfoTool)
        .middleware(auth.meta_key(META))
}

/// `tools/call` presenting `token` (if any) in `_meta`, as a gateway would.
async fn call(client: &TestClient, name: &str, args: Value, token: Option<&str>) -> Value {
    let mut params = json!({ "name": name, "arguments": args });
    if let Some(t) = token {
        params["_meta"] = json!({ META: format!("Bearer {t}") });
    }
    client.request("tools/call", params).await.unwrap()
}

/// The one error every authentication failure becomes: same code, message and flags.
fn authentication_error() -> Value {
    json!({ "code": AUTHENTICATION_ERROR,
            "message": "Authentication failed: credentials are missing, invalid or expired.",
            "retryable": false,
            "suggestion": "Present valid credentials (see the server's documentation)." })
}

#[tokio::test]
async fn every_bad_jwt_is_rejected_with_the_same_masked_error() {
    let jwt = rs256_auth();
    let other_rsa = EncodingKey::from_rsa_pem(&fixture("rsa_other_private.pem")).unwrap();
    let public_pem = fixture("rsa_public.pem");
    type Reason = fn(&AuthError) -> bool;
    let cases: Vec<(&str, String, Reason)> = vec![
        ("alg none", alg_none(&claims(json!({}))), |e| matches!(e, AuthError::InvalidToken(_))),
        // The classic confusion: HMAC keyed with the RSA *public* key, which an attacker has.
        (
            "HS256 with the public key",
            hs256(&claims(json!({})), &public_pem),
            |e| matches!(e, AuthError::InvalidToken(m) if m.contains("HS256")),
        ),
        ("ES256 against RS256", es256(None, &claims(json!({}))), |e| matches!(e, AuthError::InvalidToken(_))),
        ("expired", rs256(&claims(json!({"exp": now() - 120}))), |e| *e == AuthError::Expired),
        (
            "no exp",
            rs256(&claims(json!({"exp": null}))),
            |e| matches!(e, AuthError::InvalidToken(m) if m.contains("exp")),
        ),
        ("not yet valid", rs256(&claims(json!({"nbf": now() + 300}))), |e| *e == AuthError::NotYetValid),
        ("wrong audience", rs256(&claims(json!({"aud": "hr-api"}))), |e| *e == AuthError::InvalidAudience),
        ("wrong issuer", rs256(&claims(json!({"iss": "https://evil.test"}))), |e| *e == AuthError::InvalidIssuer),
        ("bad signature", sign(Algorithm::RS256, None, &claims(json!({})), &other_rsa), |e| {
            *e == AuthError::InvalidSignature
        }),
        ("garbage", "not-a-token".to_string(), |e| matches!(e, AuthError::InvalidToken(_))),
    ];
    let client = TestClient::connect(server(AuthMiddleware::new(rs256_auth()))).await.unwrap();
    for (what, token, reason) in &cases {
        let err = jwt.verify(token).unwrap_err();
        assert!(reason(&err), "{what}: rejected for the wrong reason: {err:?}");
        let result = call(&client, "whoami", json!({}), Some(token)).await;
        assert_eq!(tool_error(&result), authentication_error(), "{what}");
    }
    let missing = call(&client, "whoami", json!({}), None).await;
    assert_eq!(tool_error(&missing), authentication_error(), "missing token");
}

#[tokio::test]
async fn the_token_leeway_is_configurable() {
    // Expired 5 s ago: 25 s of the leeway to spare, and expired without one whenever it is checked.
    let token = rs256(&claims(json!({"exp": now() - 5})));
    assert!(rs256_auth().verify(&token).is_ok(), "within the default 30 s leeway");
    let strict = rs256_auth().leeway(std::time::Duration::ZERO);
    assert_eq!(strict.verify(&token).unwrap_err(), AuthError::Expired);
}

#[tokio::test]
async fn valid_tokens_put_the_identity_in_the_context() {
    let client = TestClient::connect(server(AuthMiddleware::new(rs256_auth()))).await.unwrap();
    let token = rs256(&claims(json!({})));
    let result = call(&client, "whoami", json!({}), Some(&token)).await;
    assert_eq!(result["isError"], Value::Null, "{result}");
    assert_eq!(
        result["structuredContent"],
        json!({ "client_id": "checkout-agent", "subject": "user-42", "roles": ["payments"],
                "scopes": ["payments:read"], "tenant": "acme" })
    );
}

#[tokio::test]
async fn es256_hs256_and_jwks_keys_verify() {
    let c = claims(json!({"client_id": null, "azp": "azp-agent"}));
    let es = JwtAuth::es256_pem(fixture("ec_public.pem")).unwrap();
    assert_eq!(es.verify(&es256(None, &c)).unwrap().client_id, "azp-agent");
    let hs = JwtAuth::hs256(SECRET).unwrap();
    assert_eq!(hs.verify(&hs256(&c, SECRET.as_bytes())).unwrap().client_id, "azp-agent");
    assert_eq!(hs.verify(&hs256(&c, b"another-secret-another-secret-123")).unwrap_err(), AuthError::InvalidSignature);

    let jwks = String::from_utf8(fixture("jwks.json")).unwrap();
    let rs_set = JwtAuth::jwks(JwtAlgorithm::RS256, &jwks).unwrap();
    let rsa = EncodingKey::from_rsa_pem(&fixture("rsa_private.pem")).unwrap();
    assert!(rs_set.verify(&sign(Algorithm::RS256, Some("rsa-1"), &c, &rsa)).is_ok());
    // The same key published for encryption only is not a signing key.
    assert_eq!(rs_set.verify(&sign(Algorithm::RS256, Some("rsa-enc"), &c, &rsa)).unwrap_err(), AuthError::UnknownKey);
    assert_eq!(rs_set.verify(&sign(Algorithm::RS256, Some("nope"), &c, &rsa)).unwrap_err(), AuthError::UnknownKey);
    // One usable RS256 key: a token without `kid` may use it.
    assert!(rs_set.verify(&sign(Algorithm::RS256, None, &c, &rsa)).is_ok());
    let ec_set = JwtAuth::jwks(JwtAlgorithm::ES256, &jwks).unwrap();
    assert!(ec_set.verify(&es256(Some("ec-1"), &c)).is_ok());
    assert!(matches!(ec_set.verify(&sign(Algorithm::RS256, Some("rsa-1"), &c, &rsa)), Err(AuthError::InvalidToken(_))));
}

#[tokio::test]
async fn api_keys_hit_and_miss() {
    let keys = ApiKeyAuth::new().key("sk-test-ops-0001", "ops-console", &["ops"]).key("sk-test-ro-0002", "viewer", &[]);
    let client = TestClient::connect(server(AuthMiddleware::new(keys))).await.unwrap();
    let hit = call(&client, "whoami", json!({}), Some("sk-test-ops-0001")).await;
    assert_eq!(hit["structuredContent"]["client_id"], "ops-console");
    assert_eq!(hit["structuredContent"]["roles"], json!(["ops"]));
    let miss = call(&client, "whoami", json!({}), Some("sk-test-ops-0009")).await;
    assert_eq!(tool_error(&miss), authentication_error());
    let refund = call(&client, "refund", json!({"charge_id": "ch_1"}), Some("sk-test-ops-0001")).await;
    assert_eq!(refund["content"][0]["text"], "refunded ch_1");
}

#[tokio::test]
async fn guards_deny_missing_roles_and_scopes() {
    let client = TestClient::connect(server(AuthMiddleware::new(rs256_auth()))).await.unwrap();
    let support = rs256(&claims(json!({"roles": ["support"]})));
    let denied = tool_error(&call(&client, "refund", json!({"charge_id": "ch_1"}), Some(&support)).await);
    assert_eq!(denied["code"], ACCESS_DENIED);
    assert_eq!(denied["retryable"], false);
    assert!(!denied.to_string().contains("ops"), "the required role is not disclosed: {denied}");
    let ops = rs256(&claims(json!({"roles": ["support", "ops"]})));
    let ok = call(&client, "refund", json!({"charge_id": "ch_1"}), Some(&ops)).await;
    assert_eq!(ok["content"][0]["text"], "refunded ch_1");

    let read_only = rs256(&claims(json!({})));
    assert_eq!(tool_error(&call(&client, "transfer", json!({}), Some(&read_only)).await)["code"], ACCESS_DENIED);
    let writer = rs256(&claims(json!({"scope": "payments:read payments:write"})));
    assert_eq!(call(&client, "transfer", json!({}), Some(&writer)).await["content"][0]["text"], "moved");
    // Without credentials the answer is "authenticate", not "denied".
    assert_eq!(
        tool_error(&call(&client, "refund", json!({"charge_id": "x"}), None).await)["code"],
        AUTHENTICATION_ERROR
    );
}

#[tokio::test]
async fn stdio_takes_credentials_from_the_environment_at_start_up() {
    let var = "MCP_TEST_AUTH_TOKEN_STARTUP";
    std::env::set_var(var, rs256(&claims(json!({"client_id": "env-agent"}))));
    let auth = AuthMiddleware::new(rs256_auth()).credentials_from_env(var);
    std::env::remove_var(var);
    let client = TestClient::connect(server(auth)).await.unwrap();
    let result = call(&client, "whoami", json!({}), None).await;
    assert_eq!(result["structuredContent"]["client_id"], "env-agent", "read once, at start-up");
    // A gateway's per-request token takes precedence.
    let gateway = rs256(&claims(json!({"client_id": "gateway-user"})));
    let result = call(&client, "whoami", json!({}), Some(&gateway)).await;
    assert_eq!(result["structuredContent"]["client_id"], "gateway-user");
}

#[tokio::test]
async fn public_calls_are_identified_when_possible_and_never_rejected() {
    let client = TestClient::connect(server(AuthMiddleware::new(rs256_auth()))).await.unwrap();
    let anonymous = call(&client, "public_info", json!({}), None).await;
    assert_eq!(anonymous["content"][0]["text"], "test-client", "falls back to clientInfo.name");
    let token = rs256(&claims(json!({})));
    let identified = call(&client, "public_info", json!({}), Some(&token)).await;
    assert_eq!(identified["content"][0]["text"], "checkout-agent");
    let expired = rs256(&claims(json!({"exp": now() - 3600})));
    let ignored = call(&client, "public_info", json!({}), Some(&expired)).await;
    assert_eq!(ignored["content"][0]["text"], "test-client");
}

#[tokio::test]
async fn outer_middleware_see_the_authenticated_caller() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let outer = from_fn(move |req: CallToolRequest, next: Next<CallToolRequest>| {
        let record = Arc::clone(&record);
        async move {
            let before = req.context().client_id().map(str::to_string);
            let ctx = req.context().clone();
            let out = next.run(req).await;
            record.lock().unwrap().push((before, ctx.client_id().map(str::to_string)));
            out
        }
    });
    let server = McpServer::new("payment-api")
        .tool(WhoamiTool)
        .middleware(outer)
        .middleware(AuthMiddleware::new(rs256_auth()).meta_key(META));
    let client = TestClient::connect(server).await.unwrap();
    call(&client, "whoami", json!({}), Some(&rs256(&claims(json!({}))))).await;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen, [(Some("test-client".to_string()), Some("checkout-agent".to_string()))]);
}

#[tokio::test]
async fn auth_failures_never_trip_the_circuit_breaker() {
    let kinds = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&kinds);
    let observe = from_fn(move |req: CallToolRequest, next: Next<CallToolRequest>| {
        let record = Arc::clone(&record);
        async move {
            let out = next.run(req).await;
            record.lock().unwrap().push(out.as_ref().err().map(|e| e.kind()));
            out
        }
    });
    let breaker = CircuitBreakerMiddleware::new().failure_threshold(2);
    let server = McpServer::new("payment-api")
        .tool(WhoamiTool)
        .tool(RefundTool)
        .middleware(breaker.clone())
        .middleware(observe)
        .middleware(AuthMiddleware::new(rs256_auth()).meta_key(META));
    let client = TestClient::connect(server).await.unwrap();
    let wrong_role = rs256(&claims(json!({})));
    for _ in 0..5 {
        assert_eq!(tool_error(&call(&client, "whoami", json!({}), Some("bogus")).await)["code"], AUTHENTICATION_ERROR);
        let denied = call(&client, "refund", json!({"charge_id": "c"}), Some(&wrong_role)).await;
        assert_eq!(tool_error(&denied)["code"], ACCESS_DENIED);
    }
    assert_eq!(breaker.get_state("whoami"), CircuitState::Closed);
    assert_eq!(breaker.get_state("refund"), CircuitState::Closed);
    assert_eq!(breaker.consecutive_failures("whoami"), 0);
    let kinds = kinds.lock().unwrap().clone();
    assert_eq!(kinds.len(), 10);
    assert!(kinds.iter().step_by(2).all(|k| *k == Some(FailureKind::Authentication)), "{kinds:?}");
    assert!(kinds.iter().skip(1).step_by(2).all(|k| *k == Some(FailureKind::AccessDenied)), "{kinds:?}");
    let ok = call(&client, "whoami", json!({}), Some(&rs256(&claims(json!({}))))).await;
    assert_eq!(ok["structuredContent"]["client_id"], "checkout-agent");
}

#[tokio::test]
async fn resources_can_require_authentication() {
    let auth = AuthMiddleware::new(rs256_auth()).meta_key(META).require_for_resources(true);
    let server = McpServer::new("hr-api").resource(Resource::text("hr://policy", "policy", "text/plain", "Be kind."));
    let client = TestClient::connect(server.middleware(auth)).await.unwrap();
    let err = client.read_resource("hr://policy").await.unwrap_err();
    assert!(format!("{err:?}").contains(AUTHENTICATION_ERROR), "{err:?}");
    let token = rs256(&claims(json!({})));
    let ok = client
        .request("resources/read", json!({"uri": "hr://policy", "_meta": { META: format!("Bearer {token}") }}))
        .await
        .unwrap();
    assert_eq!(ok["contents"][0]["text"], "Be kind.");
}

#[test]
fn auth_tools_without_auth_middleware_refuse_to_build() {
    let err = McpServer::new("hr-api").tool(PublicInfoTool).tool(WhoamiTool).build().unwrap_err();
    assert!(matches!(&err, BuildError::AuthRequired { tool } if tool == "whoami"), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("whoami") && msg.contains("AuthMiddleware"), "says what to add: {msg}");
    // A middleware that does not authenticate does not count.
    let passthrough = from_fn(|req: CallToolRequest, next: Next<CallToolRequest>| async move { next.run(req).await });
    assert!(McpServer::new("hr-api").tool(WhoamiTool).middleware(passthrough).build().is_err());
    let keys = ApiKeyAuth::new().key("sk-test-0001", "x", &[]);
    assert!(McpServer::new("hr-api").tool(WhoamiTool).middleware(AuthMiddleware::new(keys)).build().is_ok());
}

#[tokio::test]
async fn programmatic_credentials_serve_embedded_use() {
    let keys = ApiKeyAuth::new().key("sk-embedded-0001", "embedder", &[]);
    let auth = AuthMiddleware::new(keys)
        .process_credentials(Credentials::api_key("sk-embedded-0001", CredentialSource::Static));
    let client = TestClient::connect(server(auth)).await.unwrap();
    assert_eq!(call(&client, "whoami", json!({}), None).await["structuredContent"]["client_id"], "embedder");
}

/// One JSON-RPC POST to the HTTP endpoint; the answer may come as JSON or as one SSE event.
async fn post(http: &reqwest::Client, url: &str, session: Option<&str>, auth: Option<&str>, body: Value) -> Value {
    let mut req = http
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", mcp_server::protocol::ProtocolVersion::LATEST.as_str())
        .json(&body);
    if let Some(s) = session {
        req = req.header("mcp-session-id", s);
    }
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let res = req.send().await.unwrap();
    let session = res.headers().get("mcp-session-id").map(|v| v.to_str().unwrap().to_string());
    let text = res.text().await.unwrap();
    // SSE: the last non-empty `data:` line (the stream opens with an empty priming event).
    let data = text.lines().filter_map(|l| l.strip_prefix("data:")).map(str::trim).rfind(|d| !d.is_empty());
    let data = data.unwrap_or(&text).trim().to_string();
    let mut v: Value = if data.is_empty() { json!({}) } else { serde_json::from_str(&data).unwrap() };
    if let Some(s) = session {
        v["session"] = json!(s);
    }
    v
}

#[tokio::test]
async fn http_reads_the_authorization_header_and_never_the_process_token() {
    let stdio_token = rs256(&claims(json!({"client_id": "stdio-user"})));
    let auth = AuthMiddleware::new(rs256_auth())
        .process_credentials(Credentials::bearer(stdio_token, CredentialSource::Environment));
    let handle = McpServer::new("payment-api").tool(WhoamiTool).middleware(auth).build().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = handle.clone();
    let serving = tokio::spawn(async move {
        let config = mcp_server::transport::http::HttpConfig::new();
        server
            .serve_http_listener(listener, config, async move {
                let _ = stopped.await;
            })
            .await
    });
    let http = reqwest::Client::new();
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": mcp_server::protocol::ProtocolVersion::LATEST.as_str(), "capabilities": {},
        "clientInfo": {"name": "http-client", "version": "1"}}});
    let init = post(&http, &url, None, None, init).await;
    let session = init["session"].as_str().map(str::to_string);
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    post(&http, &url, session.as_deref(), None, initialized).await;
    let whoami = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "whoami"}});

    let anonymous = post(&http, &url, session.as_deref(), None, whoami.clone()).await;
    assert_eq!(tool_error(&anonymous["result"]), authentication_error(), "{anonymous}");
    let token = rs256(&claims(json!({"client_id": "http-agent"})));
    let bearer = format!("Bearer {token}");
    let ok = post(&http, &url, session.as_deref(), Some(&bearer), whoami.clone()).await;
    assert_eq!(ok["result"]["structuredContent"]["client_id"], "http-agent", "{ok}");
    let basic = post(&http, &url, session.as_deref(), Some("Basic dXNlcjpwYXNz"), whoami).await;
    assert_eq!(tool_error(&basic["result"])["code"], AUTHENTICATION_ERROR);

    let _ = stop.send(());
    serving.await.unwrap().unwrap();
}
