//! [`CircuitBreakerMiddleware`]: stop calling a failing dependency, reject at once, probe for recovery.

mod circuit;
mod error;

pub use circuit::CircuitState;
pub use error::CircuitOpenError;

use super::{CallToolRequest, Middleware, Next, Outcome};
use crate::call::ToolDefinition;
use crate::error::{BuildError, CallError, FailureKind};
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
///     .retryable(true)
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
        match err.kind() {
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

    fn classify(&self, outcome: &Outcome<CallToolRequest>) -> Verdict {
        match outcome {
            Ok(_) => Verdict::Success,
            Err(e) if (self.config.is_failure)(e) => Verdict::Failure,
            Err(_) => Verdict::Neutral,
        }
    }

    async fn call(&self, req: CallToolRequest, next: Next<CallToolRequest>) -> Outcome<CallToolRequest> {
        let policy = self.config.policy;
        let tool: Arc<str> = Arc::clone(&req.definition().info.name);
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
                return Err(req.context().map_error(err, FailureKind::CircuitOpen).await);
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
    fn on_call_tool(
        &self,
        req: CallToolRequest,
        next: Next<CallToolRequest>,
    ) -> BoxFuture<'_, Outcome<CallToolRequest>> {
        if self.config.excluded.contains(req.name()) {
            return next.run(req);
        }
        Box::pin(self.call(req, next))
    }

    fn validate(&self, tools: &[Arc<ToolDefinition>]) -> Result<(), BuildError> {
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
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn dropping_an_unsettled_probe_releases_the_slot() {
        let cb = CircuitBreakerMiddleware::new().failure_threshold(1).recovery_timeout(Duration::from_secs(30));
        let policy = cb.config.policy;
        let circuit = cb.circuit(&Arc::from("pay"));
        let Admission::Pass { generation } = circuit.admit(Instant::now(), policy) else { panic!("closed: passes") };
        circuit.record(generation, Verdict::Failure, Instant::now(), policy);
        assert_eq!(cb.get_state("pay"), CircuitState::Open);
        tokio::time::advance(Duration::from_secs(30)).await;
        let Admission::Probe { generation } = circuit.admit(Instant::now(), policy) else { panic!("due: a probe") };
        drop(Ticket { circuit: Arc::clone(&circuit), generation, policy, settled: false });
        assert!(matches!(circuit.admit(Instant::now(), policy), Admission::Probe { .. }), "the next call probes");
    }
}
