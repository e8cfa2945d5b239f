//! [`CircuitBreakerMiddleware`]: stop calling a failing dependency, reject at once, probe for recovery.

mod circuit;
mod error;

pub use circuit::CircuitState;
pub use error::CircuitOpenError;

use super::{CallKind, CallOutcome, CallRequest, Middleware, Next};
use crate::error::{BuildError, CallError, FailureKind};
use crate::tool::ToolDefinition;
use circuit::{Admission, Circuit, Policy, Transition, Verdict};
use futures_util::future::BoxFuture;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;
use tokio::time::Instant;

type IsFailure = Arc<dyn Fn(&CallError) -> bool + Send + Sync>;

/// Trips a per-tool circuit after consecutive failures, so callers get an immediate, retryable
/// [`CircuitOpenError`] instead of waiting on a dependency that is down.
///
/// One circuit per tool; only `tools/call` goes through it (resources such as health probes and
/// prompts never do). The states:
///
/// | State | Behaviour |
/// |---|---|
/// | [`Closed`](CircuitState::Closed) | Calls pass. `failure_threshold` consecutive failures open the circuit; a success resets the count. |
/// | [`Open`](CircuitState::Open) | Calls are rejected at once with `CIRCUIT_OPEN` (`retryable: true`, `details.retry_after_seconds`). |
/// | [`HalfOpen`](CircuitState::HalfOpen) | After `recovery_timeout` exactly one probe passes (others are rejected): success closes, failure re-opens for a full timeout. |
///
/// Failures are classified by [`CircuitBreakerMiddleware::default_is_failure`] unless you pass
/// [`is_failure`](Self::is_failure): panics, internal errors, timeouts and *retryable* tool errors
/// count; domain errors (non-retryable tool errors such as a declined card), authentication,
/// access, validation and rate-limit rejections and cancellations do not. Only a success resets the
/// count or closes the circuit; anything that is neither success nor failure leaves the circuit as
/// it was (a probe that ends that way hands the probe slot to the next call).
///
/// A cheap `Clone` handle: keep one for programmatic control after adding it. Configure it before
/// cloning (the builder methods change only the handle they are called on; the circuits are shared).
///
/// ```
/// use mcp_server::{CircuitBreakerMiddleware, CircuitState, McpServer};
/// use std::time::Duration;
///
/// let breaker = CircuitBreakerMiddleware::new()
///     .failure_threshold(5) // open after 5 consecutive failures
///     .recovery_timeout(Duration::from_secs(60)) // wait 60 s before probing recovery
///     .excluded_tools(["health"]); // never circuit-break the health tool
/// let server = McpServer::new("payment-api").middleware(breaker.clone());
///
/// assert_eq!(breaker.get_state("charge_card"), CircuitState::Closed);
/// breaker.reset("charge_card"); // e.g. after fixing the dependency
/// breaker.reset_all();
/// # let _ = server;
/// ```
///
/// A user exception handler for [`CircuitOpenError`] replaces the wire error (the failure keeps
/// [`FailureKind::CircuitOpen`] for outer middleware):
///
/// ```
/// use mcp_server::{exception_handler, CircuitOpenError, RequestContext, ToolError};
///
/// #[exception_handler]
/// async fn handle_circuit_open(_ctx: &RequestContext, exc: &CircuitOpenError) -> ToolError {
///     ToolError::new(
///         "SERVICE_UNAVAILABLE",
///         format!("Service temporarily unavailable. Retry in {}s.", exc.retry_after_secs()),
///     )
///     .with_retryable(true)
/// }
/// // server.exception_handler(HandleCircuitOpenHandler)
/// ```
#[derive(Clone)]
pub struct CircuitBreakerMiddleware {
    config: Arc<Config>,
    circuits: Arc<RwLock<HashMap<Arc<str>, Arc<Circuit>>>>,
}

#[derive(Clone)]
struct Config {
    policy: Policy,
    excluded: HashSet<String>,
    is_failure: IsFailure,
}

impl std::fmt::Debug for CircuitBreakerMiddleware {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CircuitBreakerMiddleware")
            .field("failure_threshold", &self.config.policy.failure_threshold)
            .field("recovery_timeout", &self.config.policy.recovery_timeout)
            .field("excluded_tools", &self.config.excluded)
            .finish_non_exhaustive()
    }
}

impl Default for CircuitBreakerMiddleware {
    fn default() -> Self {
        Self::new()
    }
}

impl CircuitBreakerMiddleware {
    /// A breaker with the defaults: threshold 5, recovery timeout 60 s, no excluded tools.
    pub fn new() -> Self {
        Self {
            config: Arc::new(Config {
                policy: Policy { failure_threshold: 5, recovery_timeout: Duration::from_secs(60) },
                excluded: HashSet::new(),
                is_failure: Arc::new(Self::default_is_failure),
            }),
            circuits: Arc::default(),
        }
    }

    /// Consecutive failures that open a circuit (default 5; at least 1).
    #[must_use]
    pub fn failure_threshold(mut self, n: u32) -> Self {
        Arc::make_mut(&mut self.config).policy.failure_threshold = n.max(1);
        self
    }

    /// How long an open circuit rejects calls before letting one probe through (default 60 s).
    #[must_use]
    pub fn recovery_timeout(mut self, timeout: Duration) -> Self {
        Arc::make_mut(&mut self.config).policy.recovery_timeout = timeout;
        self
    }

    /// Tools that are never circuit-broken (added to any already excluded).
    #[must_use]
    pub fn excluded_tools<I, S>(mut self, tools: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Arc::make_mut(&mut self.config).excluded.extend(tools.into_iter().map(Into::into));
        self
    }

    /// Replaces the failure classification ([`default_is_failure`](Self::default_is_failure)).
    ///
    /// The closure sees every failed call: return `true` for failures that should count towards
    /// opening the circuit.
    ///
    /// ```
    /// use mcp_server::{CircuitBreakerMiddleware, FailureKind};
    ///
    /// // Also trip on the upstream's own "overloaded" code, even though it is not retryable.
    /// let breaker = CircuitBreakerMiddleware::new().is_failure(|err| {
    ///     err.code() == "UPSTREAM_OVERLOADED" || CircuitBreakerMiddleware::default_is_failure(err)
    /// });
    /// # let _ = breaker;
    /// ```
    #[must_use]
    pub fn is_failure<F>(mut self, f: F) -> Self
    where
        F: Fn(&CallError) -> bool + Send + Sync + 'static,
    {
        Arc::make_mut(&mut self.config).is_failure = Arc::new(f);
        self
    }

    /// The default classification: panics, internal errors, timeouts and retryable tool errors are
    /// failures; everything else (domain errors, auth/validation/rate-limit rejections,
    /// cancellations, other open circuits) is not.
    pub fn default_is_failure(err: &CallError) -> bool {
        match err.kind {
            FailureKind::Panic | FailureKind::Internal | FailureKind::Timeout => true,
            FailureKind::Tool => err.retryable(),
            _ => false,
        }
    }

    /// The state of `tool`'s circuit (`Closed` for a tool never called or excluded).
    pub fn get_state(&self, tool: &str) -> CircuitState {
        self.find(tool).map_or(CircuitState::Closed, |c| c.state(Instant::now()))
    }

    /// Consecutive failures currently counted for `tool`.
    pub fn consecutive_failures(&self, tool: &str) -> u32 {
        self.find(tool).map_or(0, |c| c.consecutive_failures())
    }

    /// How long ago `tool`'s circuit opened, if it is open or half-open.
    pub fn open_for(&self, tool: &str) -> Option<Duration> {
        self.find(tool).and_then(|c| c.opened_at()).map(|at| Instant::now().saturating_duration_since(at))
    }

    /// Closes `tool`'s circuit (e.g. after fixing the dependency). Calls in flight no longer count.
    pub fn reset(&self, tool: &str) {
        if let Some(c) = self.find(tool) {
            c.reset();
            tracing::info!(tool, "circuit reset");
        }
    }

    /// Closes every circuit.
    pub fn reset_all(&self) {
        let circuits: Vec<_> = self.circuits.read().unwrap_or_else(PoisonError::into_inner).values().cloned().collect();
        for c in circuits {
            c.reset();
        }
        tracing::info!("all circuits reset");
    }

    fn find(&self, tool: &str) -> Option<Arc<Circuit>> {
        self.circuits.read().unwrap_or_else(PoisonError::into_inner).get(tool).cloned()
    }

    fn circuit(&self, tool: &Arc<str>) -> Arc<Circuit> {
        if let Some(c) = self.find(tool) {
            return c;
        }
        let mut map = self.circuits.write().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(map.entry(Arc::clone(tool)).or_insert_with(|| Arc::new(Circuit::new())))
    }

    fn classify(&self, outcome: &CallOutcome) -> Verdict {
        match outcome {
            Ok(_) => Verdict::Success,
            Err(e) if (self.config.is_failure)(e) => Verdict::Failure,
            Err(_) => Verdict::Neutral,
        }
    }

    async fn call(&self, req: CallRequest, next: Next) -> CallOutcome {
        let policy = self.config.policy;
        let tool = Arc::clone(&req.name);
        let circuit = self.circuit(&tool);
        let ticket = match circuit.admit(Instant::now(), policy) {
            Admission::Pass { generation } => Ticket { circuit, generation, policy, settled: false },
            Admission::Probe { generation } => {
                tracing::info!(tool = &*tool, "circuit half-open: letting one probe call through");
                Ticket { circuit, generation, policy, settled: false }
            }
            Admission::Reject { retry_after } => {
                tracing::debug!(tool = &*tool, ?retry_after, "circuit open: call rejected");
                let err = CircuitOpenError { tool: tool.to_string(), retry_after };
                return Err(req.map_error(err, FailureKind::CircuitOpen).await);
            }
        };
        let outcome = next.run_inline(req).await;
        let verdict = self.classify(&outcome);
        match ticket.settle(verdict) {
            Some(Transition::Opened { failures }) => tracing::warn!(
                tool = &*tool, failures, recovery_timeout = ?policy.recovery_timeout,
                "circuit opened: calls are rejected until the recovery timeout has passed"
            ),
            Some(Transition::Reopened) => tracing::warn!(
                tool = &*tool, recovery_timeout = ?policy.recovery_timeout, "probe failed: circuit re-opened"
            ),
            Some(Transition::Closed) => tracing::info!(tool = &*tool, "probe succeeded: circuit closed"),
            None => {}
        }
        outcome
    }
}

/// An admitted call's claim on its circuit. If the call's future is dropped before it settles (an
/// outer timeout, a dropped connection), the drop counts as a neutral result: a probe releases its
/// slot, so the circuit never stays half-open with a probe nobody runs.
struct Ticket {
    circuit: Arc<Circuit>,
    generation: u64,
    policy: Policy,
    settled: bool,
}

impl Ticket {
    fn settle(mut self, verdict: Verdict) -> Option<Transition> {
        self.settled = true;
        self.circuit.record(self.generation, verdict, Instant::now(), self.policy)
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !self.settled {
            self.circuit.record(self.generation, Verdict::Neutral, Instant::now(), self.policy);
        }
    }
}

impl Middleware for CircuitBreakerMiddleware {
    fn handle(&self, req: CallRequest, next: Next) -> BoxFuture<'_, CallOutcome> {
        if req.kind() != CallKind::Tool || self.config.excluded.contains(req.name()) {
            return next.run(req);
        }
        Box::pin(self.call(req, next))
    }

    fn validate(&self, tools: &[ToolDefinition]) -> Result<(), BuildError> {
        // Tools may be added at run time, so an unknown name is a warning (likely a typo), not an error.
        for name in &self.config.excluded {
            if !tools.iter().any(|t| &*t.info.name == name.as_str()) {
                tracing::warn!(tool = %name, "circuit breaker excludes a tool that is not registered");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::error::ToolError;
    use crate::protocol::CallToolResult;
    use crate::testing::TestClient;
    use crate::tool::{NoArgs, Tool, ToolResult};
    use crate::McpServer;
    use serde_json::{json, Value};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// What the scripted tool does on one call.
    #[derive(Clone, Copy)]
    enum Step {
        Ok,
        UpstreamDown,
        Declined,
        Panic,
    }
    use Step::{Declined, Panic, UpstreamDown};

    /// A hand-written tool that plays its script, one step per call (the last step forever).
    struct Scripted {
        name: &'static str,
        delay: Duration,
        script: Vec<Step>,
        calls: Arc<AtomicUsize>,
    }

    impl Tool for Scripted {
        fn definition(&self) -> ToolDefinition {
            ToolDefinition::new::<NoArgs>(self.name, "scripted")
        }
        fn call<'a>(&'a self, _req: &'a CallRequest) -> BoxFuture<'a, ToolResult> {
            Box::pin(async move {
                let n = self.calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(self.delay).await;
                let error = |code, retryable| CallError::tool(ToolError::new(code, code).with_retryable(retryable));
                match self.script[n.min(self.script.len() - 1)] {
                    Step::Ok => Ok(CallToolResult::text("ok")),
                    UpstreamDown => Err(error("UPSTREAM_ERROR", true)),
                    Declined => Err(error("CARD_DECLINED", false)),
                    Panic => panic!("boom"),
                }
            })
        }
    }

    fn tool(name: &'static str, delay: Duration, script: Vec<Step>) -> (Scripted, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        (Scripted { name, delay, script, calls: Arc::clone(&calls) }, calls)
    }

    fn code(result: &Value) -> &str {
        result["structuredContent"]["error"]["code"].as_str().unwrap_or("<success>")
    }

    fn breaker() -> CircuitBreakerMiddleware {
        CircuitBreakerMiddleware::new().failure_threshold(3).recovery_timeout(Duration::from_secs(30))
    }

    #[tokio::test(start_paused = true)]
    async fn opens_rejects_probes_and_closes() {
        let cb = breaker();
        let (t, calls) = tool("pay", Duration::ZERO, vec![UpstreamDown, UpstreamDown, UpstreamDown, Step::Ok]);
        let client = TestClient::connect(McpServer::new("t").tool(t).middleware(cb.clone())).await.unwrap();
        for _ in 0..3 {
            assert_eq!(code(&client.call_tool("pay", json!({})).await.unwrap()), "UPSTREAM_ERROR");
        }
        assert_eq!(cb.get_state("pay"), CircuitState::Open);
        let rejected = client.call_tool("pay", json!({})).await.unwrap();
        assert_eq!(rejected["isError"], true);
        assert_eq!(
            rejected["structuredContent"]["error"],
            json!({"code": "CIRCUIT_OPEN", "retryable": true,
                   "message": "Tool `pay` is temporarily unavailable: its circuit is open after repeated failures.",
                   "suggestion": "Retry in 30s.",
                   "details": {"tool": "pay", "retry_after_seconds": 30}})
        );
        assert_eq!(calls.load(Ordering::SeqCst), 3, "an open circuit never reaches the tool");
        tokio::time::advance(Duration::from_secs(30)).await;
        assert_eq!(cb.get_state("pay"), CircuitState::HalfOpen);
        assert_eq!(code(&client.call_tool("pay", json!({})).await.unwrap()), "<success>");
        assert_eq!(cb.get_state("pay"), CircuitState::Closed);
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn domain_errors_cancellations_and_excluded_tools_never_open() {
        let cb = breaker().excluded_tools(["health"]);
        let (declines, _) = tool("pay", Duration::ZERO, vec![Declined]);
        let (health, health_calls) = tool("health", Duration::ZERO, vec![UpstreamDown]);
        let (slow, _) = tool("slow", Duration::from_secs(60), vec![UpstreamDown]);
        let server = McpServer::new("t").tool(declines).tool(health).tool(slow).middleware(cb.clone());
        let client = TestClient::connect(server).await.unwrap();
        for _ in 0..10 {
            assert_eq!(code(&client.call_tool("pay", json!({})).await.unwrap()), "CARD_DECLINED");
            assert_eq!(code(&client.call_tool("health", json!({})).await.unwrap()), "UPSTREAM_ERROR");
        }
        for _ in 0..5 {
            let call = client.start_tool_call("slow", json!({}));
            tokio::time::sleep(Duration::from_millis(10)).await;
            call.cancel("user changed their mind");
            assert!(call.response_within(Duration::from_secs(1)).await.is_none());
        }
        assert_eq!((cb.get_state("pay"), cb.consecutive_failures("pay")), (CircuitState::Closed, 0));
        assert_eq!(cb.get_state("health"), CircuitState::Closed);
        assert_eq!(health_calls.load(Ordering::SeqCst), 10);
        assert_eq!((cb.get_state("slow"), cb.consecutive_failures("slow")), (CircuitState::Closed, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn panics_count_and_a_failed_probe_reopens_for_a_full_timeout() {
        let cb = breaker();
        let (t, calls) = tool("pay", Duration::ZERO, vec![Panic]);
        let client = TestClient::connect(McpServer::new("t").tool(t).middleware(cb.clone())).await.unwrap();
        for _ in 0..3 {
            assert_eq!(code(&client.call_tool("pay", json!({})).await.unwrap()), "INTERNAL_ERROR");
        }
        assert_eq!(cb.get_state("pay"), CircuitState::Open);
        tokio::time::advance(Duration::from_secs(30)).await;
        assert_eq!(code(&client.call_tool("pay", json!({})).await.unwrap()), "INTERNAL_ERROR");
        assert_eq!(cb.get_state("pay"), CircuitState::Open);
        let r = client.call_tool("pay", json!({})).await.unwrap();
        assert_eq!(r["structuredContent"]["error"]["details"]["retry_after_seconds"], 30);
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn one_probe_at_a_time_and_a_dropped_probe_is_released() {
        let cb = breaker();
        let (t, calls) = tool("pay", Duration::from_secs(5), vec![UpstreamDown, UpstreamDown, UpstreamDown, Step::Ok]);
        let client = TestClient::connect(McpServer::new("t").tool(t).middleware(cb.clone())).await.unwrap();
        for _ in 0..3 {
            client.call_tool("pay", json!({})).await.unwrap();
        }
        tokio::time::advance(Duration::from_secs(30)).await;
        // The probe is cancelled by the client: neither success nor failure, so the slot is released.
        let probe = client.start_tool_call("pay", json!({}));
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(code(&client.call_tool("pay", json!({})).await.unwrap()), "CIRCUIT_OPEN");
        probe.cancel("gone");
        assert!(probe.response_within(Duration::from_millis(100)).await.is_none());
        assert_eq!(cb.get_state("pay"), CircuitState::HalfOpen);
        // The next call becomes the probe and closes the circuit.
        assert_eq!(code(&client.call_tool("pay", json!({})).await.unwrap()), "<success>");
        assert_eq!(cb.get_state("pay"), CircuitState::Closed);
        assert_eq!(calls.load(Ordering::SeqCst), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_the_probe_future_releases_the_slot() {
        let cb = breaker().failure_threshold(1);
        let (t, _) = tool("pay", Duration::ZERO, vec![UpstreamDown]);
        let client = TestClient::connect(McpServer::new("t").tool(t).middleware(cb.clone())).await.unwrap();
        client.call_tool("pay", json!({})).await.unwrap();
        tokio::time::advance(Duration::from_secs(30)).await;
        let circuit = cb.find("pay").unwrap();
        let policy = cb.config.policy;
        match circuit.admit(Instant::now(), policy) {
            Admission::Probe { generation } => {
                drop(Ticket { circuit: Arc::clone(&circuit), generation, policy, settled: false });
            }
            other => panic!("expected a probe, got {other:?}"),
        }
        assert!(matches!(circuit.admit(Instant::now(), policy), Admission::Probe { .. }));
    }

    #[tokio::test(start_paused = true)]
    async fn reset_and_reset_all_close_circuits() {
        let cb = breaker().failure_threshold(1);
        let (a, _) = tool("a", Duration::ZERO, vec![UpstreamDown]);
        let (b, _) = tool("b", Duration::ZERO, vec![UpstreamDown]);
        let client = TestClient::connect(McpServer::new("t").tool(a).tool(b).middleware(cb.clone())).await.unwrap();
        client.call_tool("a", json!({})).await.unwrap();
        client.call_tool("b", json!({})).await.unwrap();
        assert_eq!((cb.get_state("a"), cb.get_state("b")), (CircuitState::Open, CircuitState::Open));
        assert!(cb.open_for("a").is_some());
        cb.reset("a");
        assert_eq!((cb.get_state("a"), cb.get_state("b")), (CircuitState::Closed, CircuitState::Open));
        cb.reset_all();
        assert_eq!(cb.get_state("b"), CircuitState::Closed);
        assert_eq!(cb.get_state("never-called"), CircuitState::Closed);
    }

    #[test]
    fn default_classification() {
        let tool = |retryable| CallError::tool(ToolError::new("X", "x").with_retryable(retryable));
        let is = CircuitBreakerMiddleware::default_is_failure;
        assert!(is(&tool(true)) && !is(&tool(false)));
        assert!(is(&CallError::internal()) && is(&CallError::timeout("slow")));
        assert!(is(&CallError::new(FailureKind::Panic, ToolError::internal())));
        for kind in [
            FailureKind::Validation,
            FailureKind::Authentication,
            FailureKind::AccessDenied,
            FailureKind::RateLimited,
            FailureKind::CircuitOpen,
            FailureKind::Cancelled,
            FailureKind::Protocol,
        ] {
            assert!(!is(&CallError::new(kind, ToolError::new("X", "x").with_retryable(true))), "{kind:?}");
        }
    }
}
