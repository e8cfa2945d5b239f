//! Kubernetes probes: `/healthz` and `/readyz`.

use crate::client::*;
use crate::fixture::server;
use mcp_server::transport::http::HttpConfig;
use mcp_server::HealthCheck;
use reqwest::StatusCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

async fn probe(url: &str) -> (StatusCode, String, String) {
    // Kubelet sends the pod IP as Host: probes are not subject to the Host allow-list.
    let res = reqwest::Client::new().get(url).header("host", "10.1.2.3:8080").send().await.unwrap();
    let cache = res.headers().get("cache-control").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (res.status(), cache, res.text().await.unwrap())
}

#[tokio::test]
async fn readiness_follows_the_required_checks() {
    let db_up = Arc::new(AtomicBool::new(true));
    let health = HealthCheck::new();
    let flag = Arc::clone(&db_up);
    health.add_check(
        "database",
        move || {
            let up = flag.load(Ordering::SeqCst);
            async move {
                if up {
                    Ok(())
                } else {
                    Err("connection refused by db-secret-host:5432")
                }
            }
        },
        true,
    );
    health.add_check("cache", || async { false }, false);
    let mut mcp = server();
    health.register_resources(&mut mcp);
    let srv = TestServer::start(mcp, HttpConfig::default()).await;

    let (status, cache, body) = probe(&format!("{}/healthz", srv.base)).await;
    assert_eq!((status, cache.as_str()), (StatusCode::OK, "no-store"));
    assert_eq!(body, r#"{"status":"alive"}"#);
    let (status, cache, body) = probe(&format!("{}/readyz", srv.base)).await;
    assert_eq!((status, cache.as_str(), body.as_str()), (StatusCode::OK, "no-store", r#"{"status":"ready"}"#));

    db_up.store(false, Ordering::SeqCst);
    let (status, cache, body) = probe(&format!("{}/readyz", srv.base)).await;
    assert_eq!((status, cache.as_str()), (StatusCode::SERVICE_UNAVAILABLE, "no-store"));
    assert_eq!(body, r#"{"status":"not_ready"}"#, "no error text in the probe");
    let (status, _, _) = probe(&format!("{}/healthz", srv.base)).await;
    assert_eq!(status, StatusCode::OK, "a failing dependency does not fail liveness");
    db_up.store(true, Ordering::SeqCst);
    assert_eq!(probe(&format!("{}/readyz", srv.base)).await.0, StatusCode::OK);
    srv.stop().await;
}

#[tokio::test]
async fn probe_paths_are_configurable_and_work_without_a_health_check() {
    let config = HttpConfig::default().liveness_path(Some("/live")).readiness_path(None);
    let srv = TestServer::start(server(), config).await;
    assert_eq!(probe(&format!("{}/live", srv.base)).await.0, StatusCode::OK);
    assert_eq!(probe(&format!("{}/healthz", srv.base)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(probe(&format!("{}/readyz", srv.base)).await.0, StatusCode::NOT_FOUND);
    srv.stop().await;

    let srv = TestServer::start(server(), HttpConfig::default()).await;
    assert_eq!(probe(&format!("{}/readyz", srv.base)).await.0, StatusCode::OK);
    srv.stop().await;
}

#[tokio::test]
async fn readiness_turns_503_when_shutdown_begins() {
    let srv = TestServer::start(server(), HttpConfig::default()).await;
    let handle = srv.handle.clone();
    let router = handle.http_router(HttpConfig::default());
    // The mounted router sees the same server: once shutdown starts, readiness fails.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mounted = tokio::spawn(async move { axum::serve(listener, router).await });
    assert_eq!(probe(&format!("http://{addr}/readyz")).await.0, StatusCode::OK);
    srv.stop().await;
    assert_eq!(probe(&format!("http://{addr}/readyz")).await.0, StatusCode::SERVICE_UNAVAILABLE);
    mounted.abort();
}
