//! Plain HTTP probes for orchestrators: `GET /healthz` (liveness) and `GET /readyz` (readiness).
//!
//! They answer from the [`HealthCheck`](crate::HealthCheck) registered on the server (see
//! [`HealthCheck::register_resources`](crate::HealthCheck::register_resources)); without one,
//! liveness and readiness only reflect that the server runs and is not shutting down. Bodies are a
//! bare status (`{"status":"ready"}`), never a check's error text, responses are not cacheable,
//! and no authentication applies: the probes reveal nothing but the status code's meaning. Once
//! shutdown begins, readiness answers 503 so load balancers stop sending new work.

use super::HttpState;
use crate::HealthCheck;
use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, StatusCode};
use std::sync::Arc;

fn probe(status: StatusCode, body: &'static str) -> Response {
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Liveness: 200 while the process serves requests.
pub(crate) async fn liveness() -> Response {
    // Liveness runs no checks (`HealthCheck::liveness` does not either): a failing dependency must
    // make the pod unready, not get it restarted.
    probe(StatusCode::OK, r#"{"status":"alive"}"#)
}

/// Readiness: 200 when every required check passes, 503 otherwise or once shutdown began.
pub(crate) async fn readiness(State(st): State<Arc<HttpState>>) -> Response {
    let not_ready = || probe(StatusCode::SERVICE_UNAVAILABLE, r#"{"status":"not_ready"}"#);
    if st.handle.shared.draining.is_cancelled() {
        return not_ready();
    }
    let ready = match st.handle.shared.state.get::<HealthCheck>() {
        Some(health) => health.readiness().await.is_ready(),
        None => true,
    };
    if ready {
        probe(StatusCode::OK, r#"{"status":"ready"}"#)
    } else {
        not_ready()
    }
}
