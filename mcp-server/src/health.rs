//! [`HealthCheck`]: liveness and readiness for orchestrators (Kubernetes probes) and agents.
//!
//! Named async checks, each required for readiness or not, run concurrently, each on its own task
//! under a timeout: a check that hangs, fails or panics is unhealthy, and a probe never hangs.
//! `HealthCheck::register_resources` exposes the answers as the MCP resources `health://live` and
//! `health://ready`; the HTTP transport serves the same reports at its probe paths.

use crate::call::Resource;
use crate::error::CallError;
use crate::protocol::ResourceContents;
use futures_util::future::{join_all, BoxFuture};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Display;
use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

/// The liveness resource's URI.
pub const LIVE_URI: &str = "health://live";
/// The readiness resource's URI.
pub const READY_URI: &str = "health://ready";

type CheckFn = Arc<dyn Fn() -> BoxFuture<'static, Result<(), CheckFailure>> + Send + Sync>;

/// Why a check is unhealthy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckFailure {
    /// The check answered `false`.
    #[error("reported unhealthy")]
    Unhealthy,
    /// The check answered `Err`; its text.
    #[error("{0}")]
    Failed(String),
    /// The check did not answer within its timeout.
    #[error("timed out after {0:?}")]
    TimedOut(Duration),
    /// The check panicked; the panic message.
    #[error("panicked: {0}")]
    Panicked(String),
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for bool {}
    impl<E> Sealed for Result<bool, E> {}
    impl<E> Sealed for Result<(), E> {}
}

/// What a health check may return: `bool`, `Result<bool, E>` or `Result<(), E>` (`E: Display`).
/// An `Err` is unhealthy; its text is logged, and shown only with [`HealthCheck::expose_errors`].
pub trait CheckOutcome: Send + 'static + sealed::Sealed {
    #[doc(hidden)]
    fn into_outcome(self) -> Result<(), CheckFailure>;
}

impl CheckOutcome for bool {
    fn into_outcome(self) -> Result<(), CheckFailure> {
        if self {
            Ok(())
        } else {
            Err(CheckFailure::Unhealthy)
        }
    }
}

impl<E: Display + Send + 'static> CheckOutcome for Result<bool, E> {
    fn into_outcome(self) -> Result<(), CheckFailure> {
        self.map_err(|e| CheckFailure::Failed(e.to_string())).and_then(CheckOutcome::into_outcome)
    }
}

impl<E: Display + Send + 'static> CheckOutcome for Result<(), E> {
    fn into_outcome(self) -> Result<(), CheckFailure> {
        self.map_err(|e| CheckFailure::Failed(e.to_string()))
    }
}

struct Check {
    name: String,
    required: bool,
    timeout: Option<Duration>,
    run: CheckFn,
}

struct Registry {
    checks: Vec<Arc<Check>>,
    timeout: Duration,
    expose_errors: bool,
}

struct Inner {
    started: Instant,
    registry: RwLock<Registry>,
}

/// Health and readiness probe manager. A cheap `Clone` handle: every clone shares the checks.
///
/// ```
/// use mcp_server::{HealthCheck, McpServer};
/// use std::time::Duration;
///
/// let health = HealthCheck::new().timeout(Duration::from_secs(2));
/// // Required: the server is "not_ready" while the database is down.
/// health.add_check("database", || async { true }, true);
/// // Optional: reported, but does not affect readiness.
/// health.add_check("cache", || async { Ok::<bool, std::io::Error>(true) }, false);
///
/// let mut server = McpServer::new("api");
/// health.register_resources(&mut server); // health://live and health://ready
/// ```
#[derive(Clone)]
pub struct HealthCheck {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for HealthCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = self.registry();
        f.debug_struct("HealthCheck")
            .field("checks", &r.checks.iter().map(|c| c.name.as_str()).collect::<Vec<_>>())
            .field("timeout", &r.timeout)
            .field("expose_errors", &r.expose_errors)
            .finish()
    }
}

impl Default for HealthCheck {
    fn default() -> Self {
        Self::new()
    }
}

impl HealthCheck {
    /// No checks yet, a 5 s timeout per check, error text hidden. Uptime counts from now.
    pub fn new() -> Self {
        let registry = Registry { checks: Vec::new(), timeout: Duration::from_secs(5), expose_errors: false };
        Self { inner: Arc::new(Inner { started: Instant::now(), registry: RwLock::new(registry) }) }
    }

    fn registry(&self) -> std::sync::RwLockReadGuard<'_, Registry> {
        self.inner.registry.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn registry_mut(&self) -> std::sync::RwLockWriteGuard<'_, Registry> {
        self.inner.registry.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// How long each check may run before it counts as unhealthy (default 5 s).
    #[must_use]
    pub fn timeout(self, timeout: Duration) -> Self {
        self.registry_mut().timeout = timeout;
        self
    }

    /// Include each failing check's error text (`"error"`) in readiness reports (default off:
    /// error text can reveal internals, so it only goes to the log).
    #[must_use]
    pub fn expose_errors(self, expose: bool) -> Self {
        self.registry_mut().expose_errors = expose;
        self
    }

    /// Adds a check named `name` (a later check with the same name replaces it). With
    /// `required_for_ready`, the server reports `not_ready` while the check is unhealthy.
    ///
    /// `check` is any `Fn() -> impl Future` whose output is a [`CheckOutcome`]: `bool`,
    /// `Result<bool, E>` or `Result<(), E>`.
    pub fn add_check<F, Fut>(&self, name: impl Into<String>, check: F, required_for_ready: bool) -> &Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: CheckOutcome,
    {
        self.insert(name.into(), check, required_for_ready, None)
    }

    /// [`add_check`](Self::add_check) with its own timeout instead of the default.
    pub fn add_check_with_timeout<F, Fut>(
        &self,
        name: impl Into<String>,
        check: F,
        required_for_ready: bool,
        timeout: Duration,
    ) -> &Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: CheckOutcome,
    {
        self.insert(name.into(), check, required_for_ready, Some(timeout))
    }

    fn insert<F, Fut>(&self, name: String, check: F, required: bool, timeout: Option<Duration>) -> &Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: CheckOutcome,
    {
        let run: CheckFn = Arc::new(move || {
            let fut = check();
            Box::pin(async move { fut.await.into_outcome() })
        });
        let mut registry = self.registry_mut();
        registry.checks.retain(|c| c.name != name);
        registry.checks.push(Arc::new(Check { name, required, timeout, run }));
        self
    }

    /// Names of the registered checks, in registration order.
    pub fn check_names(&self) -> Vec<String> {
        self.registry().checks.iter().map(|c| c.name.clone()).collect()
    }

    /// Liveness: the process is up and serving. Runs no checks.
    pub fn liveness(&self) -> LivenessReport {
        let uptime = self.inner.started.elapsed().as_secs_f64();
        LivenessReport { status: "alive", uptime_seconds: (uptime * 1000.0).round() / 1000.0 }
    }

    /// Readiness: runs every check concurrently, each on its own task under its timeout.
    ///
    /// # Cancellation safety
    /// Dropping the future aborts the checks still running.
    pub async fn readiness(&self) -> ReadinessReport {
        let (checks, timeout, expose) = {
            let r = self.registry();
            (r.checks.clone(), r.timeout, r.expose_errors)
        };
        let results = join_all(checks.iter().map(|c| run_check(c, c.timeout.unwrap_or(timeout)))).await;
        let mut ready = true;
        let mut reports = BTreeMap::new();
        for (check, outcome) in checks.iter().zip(results) {
            let healthy = outcome.is_ok();
            if let Err(error) = &outcome {
                tracing::warn!(check = %check.name, required = check.required, %error, "health check failed");
            }
            ready &= healthy || !check.required;
            let error = if expose { outcome.err().map(|e| e.to_string()) } else { None };
            reports.insert(check.name.clone(), CheckReport { healthy, required: check.required, error });
        }
        let status = if ready { ReadinessStatus::Ready } else { ReadinessStatus::NotReady };
        ReadinessReport { status, checks: reports }
    }

    /// The `health://live` and `health://ready` resources (JSON): what
    /// `HealthCheck::register_resources` registers.
    ///
    /// Resources never pass through the circuit breaker, so an open circuit cannot hide health.
    pub fn resources(&self) -> [Resource; 2] {
        let live = self.clone();
        let ready = self.clone();
        [
            Resource::new(LIVE_URI, "health-live")
                .title("Liveness")
                .description("Is the server process running? {\"status\":\"alive\",\"uptime_seconds\":…}")
                .mime_type("application/json")
                .read(move |_ctx| {
                    let report = live.liveness();
                    async move { json_contents(LIVE_URI, &report).map_err(serialize_failed) }
                }),
            Resource::new(READY_URI, "health-ready")
                .title("Readiness")
                .description(
                    "Are all required dependencies available? {\"status\":\"ready\"|\"not_ready\",\"checks\":{…}}",
                )
                .mime_type("application/json")
                .read(move |_ctx| {
                    let health = ready.clone();
                    async move { json_contents(READY_URI, &health.readiness().await).map_err(serialize_failed) }
                }),
        ]
    }
}

fn json_contents(uri: &str, report: &impl Serialize) -> Result<Vec<ResourceContents>, serde_json::Error> {
    Ok(vec![ResourceContents::text(uri, "application/json", serde_json::to_string(report)?)])
}

fn serialize_failed(e: serde_json::Error) -> CallError {
    tracing::error!(error = %e, "health report did not serialize");
    CallError::internal().caused_by(e)
}

/// Aborts a spawned check when the readiness probe stops waiting for it.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn run_check(check: &Check, timeout: Duration) -> Result<(), CheckFailure> {
    // Its own task: a panic is contained (and reported as unhealthy) instead of failing the probe.
    let task = tokio::spawn((check.run)());
    let _abort = AbortOnDrop(task.abort_handle());
    match tokio::time::timeout(timeout, task).await {
        Err(_) => Err(CheckFailure::TimedOut(timeout)),
        Ok(Ok(outcome)) => outcome,
        Ok(Err(e)) if e.is_panic() => {
            let panic = e.into_panic();
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned());
            Err(CheckFailure::Panicked(msg.unwrap_or_default()))
        }
        Ok(Err(_)) => Err(CheckFailure::Failed("aborted".into())),
    }
}

/// The `health://live` answer: `{"status":"alive","uptime_seconds":…}`.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct LivenessReport {
    /// Always `alive`.
    pub status: &'static str,
    /// Seconds since the [`HealthCheck`] was created (millisecond precision).
    pub uptime_seconds: f64,
}

/// Whether every required check passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReadinessStatus {
    /// Every required check is healthy.
    Ready,
    /// At least one required check is unhealthy.
    NotReady,
}

/// The `health://ready` answer: `{"status":"ready"|"not_ready","checks":{name:{"healthy":bool,…}}}`.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ReadinessReport {
    /// Overall status.
    pub status: ReadinessStatus,
    /// Each check by name.
    pub checks: BTreeMap<String, CheckReport>,
}

impl ReadinessReport {
    /// Whether the server is ready (what an HTTP probe answers 200 or 503 on).
    pub fn is_ready(&self) -> bool {
        self.status == ReadinessStatus::Ready
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct CheckReport {
    /// Whether the check passed in time.
    pub healthy: bool,
    /// Whether readiness depends on it.
    pub required: bool,
    /// Why it failed; only with [`HealthCheck::expose_errors`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(start_paused = true)]
    async fn required_and_optional_checks_decide_readiness() {
        let health = HealthCheck::new();
        assert!(health.readiness().await.is_ready(), "no checks: ready");
        health.add_check("db", || async { true }, true).add_check("cache", || async { false }, false);
        let report = health.readiness().await;
        assert!(report.is_ready(), "an optional failure does not affect readiness");
        assert_eq!(
            serde_json::to_value(&report).unwrap(),
            serde_json::json!({"status": "ready", "checks": {
                "cache": {"healthy": false, "required": false},
                "db": {"healthy": true, "required": true}}})
        );
        health.add_check("db", || async { Err::<bool, _>("connection refused") }, true);
        let report = health.readiness().await;
        assert_eq!(report.status, ReadinessStatus::NotReady);
        assert_eq!(report.checks["db"].error, None, "error text hidden by default");
        assert_eq!(health.check_names(), ["cache", "db"]);
    }

    #[tokio::test(start_paused = true)]
    async fn hung_and_panicking_checks_are_unhealthy_and_do_not_hang_the_probe() {
        let health = HealthCheck::new().timeout(Duration::from_secs(2)).expose_errors(true);
        health.add_check("hung", std::future::pending::<bool>, true);
        health.add_check("panics", || async { panic!("kaboom") as bool }, false);
        health.add_check_with_timeout(
            "slow-but-allowed",
            || async {
                tokio::time::sleep(Duration::from_secs(3)).await;
                Ok::<(), std::io::Error>(())
            },
            false,
            Duration::from_secs(4),
        );
        let started = tokio::time::Instant::now();
        let report = health.readiness().await;
        assert_eq!(started.elapsed(), Duration::from_secs(3), "checks run concurrently: the slowest decides");
        assert_eq!(report.status, ReadinessStatus::NotReady);
        assert_eq!(report.checks["hung"].error.as_deref(), Some("timed out after 2s"));
        assert_eq!(report.checks["panics"].error.as_deref(), Some("panicked: kaboom"));
        assert!(report.checks["slow-but-allowed"].healthy);
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_probe_aborts_its_checks() {
        let finished = Arc::new(AtomicUsize::new(0));
        let health = HealthCheck::new();
        let f = Arc::clone(&finished);
        health.add_check(
            "slow",
            move || {
                let f = Arc::clone(&f);
                async move {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    f.fetch_add(1, Ordering::SeqCst);
                    true
                }
            },
            true,
        );
        assert!(tokio::time::timeout(Duration::from_millis(100), health.readiness()).await.is_err());
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(finished.load(Ordering::SeqCst), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn liveness_reports_uptime() {
        let health = HealthCheck::new();
        tokio::time::advance(Duration::from_millis(1500)).await;
        let live = serde_json::to_value(health.liveness()).unwrap();
        assert_eq!(live["status"], "alive");
        assert!(live["uptime_seconds"].as_f64().unwrap() >= 0.0);
    }
}
