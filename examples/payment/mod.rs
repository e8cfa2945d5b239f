//! The payment API of the seed's circuit-breaker story, shared by `examples/payment_api.rs` and
//! its integration test (`tests/payment_api.rs`): a simulated payment provider (no network),
//! `charge_card` behind a `CircuitBreakerMiddleware`, the seed's `CircuitOpenError` handler, and
//! health checks with the provider as a required check. [`payment_api_with`] wraps it in the
//! seed's combined stack (signed audit → webhook → circuit breaker → JWT auth; see `stack.rs`).

pub(crate) mod stack;

pub(crate) use stack::SecurityStack;

use mcp_server::health::ReadinessReport;
use mcp_server::{
    exception_handler, tool, CircuitBreakerMiddleware, CircuitOpenError, HealthCheck, Json, McpServer, RequestContext,
    State, ToolError,
};
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
// The tokio clock, so tests on a paused clock can move the outage along.
use tokio::time::Instant;

/// How the simulated provider behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UpstreamMode {
    /// Every call succeeds.
    Up,
    /// Every call fails with a retryable error (until the outage ends).
    Down,
    /// About half of the calls fail (until the outage ends).
    Flaky,
}

/// The example's configuration (from the environment in the binary, literal in tests).
#[derive(Debug, Clone)]
pub(crate) struct PaymentConfig {
    /// `PAYMENT_UPSTREAM=up|down|flaky` (default `up`).
    pub(crate) upstream: UpstreamMode,
    /// `PAYMENT_OUTAGE_SECS`: a `down` or `flaky` provider recovers this long after start-up.
    pub(crate) outage: Option<Duration>,
    /// `CB_FAILURE_THRESHOLD` (default 5).
    pub(crate) failure_threshold: u32,
    /// `CB_RECOVERY_TIMEOUT_SECS` (default 60).
    pub(crate) recovery_timeout: Duration,
    /// `PAYMENT_LATENCY_MS` (default 50): how long each provider round trip takes.
    pub(crate) latency: Duration,
}

/// The environment variables the example reads, with their defaults (printed at start-up).
pub(crate) const ENV_HELP: &str = concat!(
    "  PAYMENT_UPSTREAM=up|down|flaky   simulated payment provider (default: up)\n",
    "  PAYMENT_OUTAGE_SECS=N            a down/flaky provider recovers N s after start-up (default: never)\n",
    "  CB_FAILURE_THRESHOLD=N           consecutive failures that open the circuit (default: 5)\n",
    "  CB_RECOVERY_TIMEOUT_SECS=N       seconds before the open circuit lets one probe through (default: 60)\n",
    "  PAYMENT_LATENCY_MS=N             provider round-trip time (default: 50)",
);

impl Default for PaymentConfig {
    fn default() -> Self {
        Self {
            upstream: UpstreamMode::Up,
            outage: None,
            failure_threshold: 5,
            recovery_timeout: Duration::from_secs(60),
            latency: Duration::from_millis(50),
        }
    }
}

impl PaymentConfig {
    /// Reads the configuration from the environment; a malformed value is an error, not a default.
    pub(crate) fn from_env() -> Result<Self, String> {
        fn var<T: std::str::FromStr>(name: &str) -> Result<Option<T>, String> {
            match std::env::var(name) {
                Ok(v) => v.trim().parse().map(Some).map_err(|_| format!("{name}={v:?} is not a valid number")),
                Err(_) => Ok(None),
            }
        }
        let d = Self::default();
        let upstream = match std::env::var("PAYMENT_UPSTREAM").unwrap_or_default().trim().to_ascii_lowercase().as_str()
        {
            "" | "up" => UpstreamMode::Up,
            "down" => UpstreamMode::Down,
            "flaky" => UpstreamMode::Flaky,
            other => return Err(format!("PAYMENT_UPSTREAM={other:?}: expected up, down or flaky")),
        };
        Ok(Self {
            upstream,
            outage: var::<u64>("PAYMENT_OUTAGE_SECS")?.map(Duration::from_secs),
            failure_threshold: var("CB_FAILURE_THRESHOLD")?.unwrap_or(d.failure_threshold),
            recovery_timeout: var::<u64>("CB_RECOVERY_TIMEOUT_SECS")?.map_or(d.recovery_timeout, Duration::from_secs),
            latency: var::<u64>("PAYMENT_LATENCY_MS")?.map_or(d.latency, Duration::from_millis),
        })
    }
}

/// The simulated payment provider (stands in for Stripe). Clones share one call counter.
#[derive(Clone)]
pub(crate) struct PaymentProvider {
    mode: UpstreamMode,
    outage_ends: Option<Instant>,
    latency: Duration,
    calls: Arc<AtomicU64>,
}

impl PaymentProvider {
    fn new(config: &PaymentConfig) -> Self {
        let outage_ends = config.outage.map(|d| Instant::now() + d);
        Self { mode: config.upstream, outage_ends, latency: config.latency, calls: Arc::default() }
    }

    /// The mode right now: an outage ends at `PAYMENT_OUTAGE_SECS`.
    fn mode(&self) -> UpstreamMode {
        match self.outage_ends {
            Some(end) if Instant::now() >= end => UpstreamMode::Up,
            _ => self.mode,
        }
    }

    /// Whether the provider answers a ping (a flaky provider is reachable, just unreliable).
    async fn ping(&self) -> bool {
        tokio::time::sleep(self.latency.min(Duration::from_millis(20))).await;
        self.mode() != UpstreamMode::Down
    }

    async fn charge(&self, customer_id: &str, amount_cents: u64, currency: &str) -> Result<Charge, PaymentError> {
        let n = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        tokio::time::sleep(self.latency).await;
        let unavailable = match self.mode() {
            UpstreamMode::Up => false,
            UpstreamMode::Down => true,
            // Deterministic "coin flips": about half the calls fail, sometimes several in a row.
            UpstreamMode::Flaky => n.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) % 2 == 0,
        };
        if unavailable {
            return Err(PaymentError::Unavailable);
        }
        if customer_id.starts_with("declined_") {
            return Err(PaymentError::Declined { customer_id: customer_id.to_string() });
        }
        let currency = currency.to_ascii_lowercase();
        Ok(Charge {
            charge_id: format!("ch_{n:06}"),
            status: "succeeded",
            customer_id: customer_id.into(),
            amount_cents,
            currency,
        })
    }
}

/// A completed charge.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct Charge {
    /// The provider's charge id.
    pub(crate) charge_id: String,
    /// Always `succeeded`.
    pub(crate) status: &'static str,
    /// Who was charged.
    pub(crate) customer_id: String,
    /// How much, in the currency's minor unit.
    pub(crate) amount_cents: u64,
    /// ISO 4217 code, lowercase.
    pub(crate) currency: String,
}

/// What can go wrong with a charge. Each variant carries its own wire mapping.
#[derive(Debug, thiserror::Error, mcp_server::ToolError)]
pub(crate) enum PaymentError {
    /// The provider did not answer: retryable, and counts towards opening the circuit.
    #[error("payment provider unavailable")]
    #[tool_error(
        code = "UPSTREAM_UNAVAILABLE",
        retryable,
        message = "The payment provider is not responding.",
        suggestion = "Retry later."
    )]
    Unavailable,
    /// A domain error: not retryable, and never opens the circuit.
    #[error("card declined for customer {customer_id}")]
    #[tool_error(
        code = "CARD_DECLINED",
        message = "The card of customer {customer_id} was declined.",
        suggestion = "Ask the customer for another payment method."
    )]
    Declined { customer_id: String },
    /// The request itself is wrong.
    #[error("amount must be positive")]
    #[tool_error(code = "INVALID_AMOUNT", message = "amount_cents must be greater than zero.")]
    InvalidAmount,
}

/// Charge a customer's card via the payment provider.
///
/// If the provider is down, the circuit breaker trips after 5 failures and immediately rejects
/// calls for 60 seconds instead of waiting for timeouts.
#[tool(destructive, open_world)]
pub(crate) async fn charge_card(
    #[arg(description = "The customer to charge (ids starting with `declined_` are declined)")] customer_id: String,
    #[arg(description = "Amount in the currency's minor unit (cents)")] amount_cents: u64,
    #[arg(default = "usd", description = "ISO 4217 currency code")] currency: String,
    provider: State<PaymentProvider>,
) -> Result<Json<Charge>, PaymentError> {
    if amount_cents == 0 {
        return Err(PaymentError::InvalidAmount);
    }
    provider.charge(&customer_id, amount_cents, &currency).await.map(Json)
}

/// Readiness of the server and its dependencies (never circuit-broken).
#[tool(read_only)]
pub(crate) async fn health(health: State<HealthCheck>) -> Json<ReadinessReport> {
    Json(health.readiness().await)
}

/// The seed's handler: an open circuit becomes `SERVICE_UNAVAILABLE`, retryable.
#[exception_handler]
pub(crate) async fn handle_circuit_open(_ctx: &RequestContext, exc: &CircuitOpenError) -> ToolError {
    ToolError::new(
        "SERVICE_UNAVAILABLE",
        format!("Service temporarily unavailable. Retry in {}s.", exc.retry_after_secs()),
    )
    .retryable(true)
}

/// The server, plus handles kept for programmatic control.
pub(crate) struct PaymentApi {
    /// The configured server (serve it, or connect a `TestClient`).
    pub(crate) server: McpServer,
    /// The circuit breaker (`get_state("charge_card")`, `reset`, …).
    pub(crate) breaker: CircuitBreakerMiddleware,
    /// The health checks (also registered as `health://live` and `health://ready`).
    pub(crate) health: HealthCheck,
}

/// Builds the payment API for `config` (circuit breaker only, as in the resilience guide).
#[allow(dead_code, reason = "the binary serves the full stack; tests/payment_api.rs uses this one")]
pub(crate) fn payment_api(config: &PaymentConfig) -> PaymentApi {
    payment_api_with(config, SecurityStack::default())
}

/// Builds the payment API for `config` inside the seed's full stack, outermost first:
/// audit → webhook → circuit breaker → auth (each layer present when `security` holds it).
pub(crate) fn payment_api_with(config: &PaymentConfig, security: SecurityStack) -> PaymentApi {
    let breaker = CircuitBreakerMiddleware::new()
        .failure_threshold(config.failure_threshold) // open after N consecutive failures
        .recovery_timeout(config.recovery_timeout) // wait before testing recovery
        .excluded_tools(["health"]); // never circuit-break health checks

    let provider = PaymentProvider::new(config);
    let mut server = McpServer::new("payment-api").version(env!("CARGO_PKG_VERSION"));
    // First added = outermost: audit sees every outcome (auth failures and open circuits too).
    if let Some(audit) = security.audit {
        server = server.middleware(audit);
    }
    if let Some(webhook) = security.webhook {
        server = server.middleware(webhook);
    }
    server = server.middleware(breaker.clone());
    if let Some(auth) = security.auth {
        server = server.middleware(auth);
    }
    let mut server = server
        .exception_handler(HandleCircuitOpenHandler)
        .tool(ChargeCardTool)
        .tool(HealthTool)
        .state(provider.clone());

    // Required check: the server is "not_ready" while the provider does not answer.
    let health = HealthCheck::new().timeout(Duration::from_secs(2));
    health.add_check(
        "payment_provider",
        move || {
            let provider = provider.clone();
            async move { provider.ping().await }
        },
        true,
    );
    health.register_resources(&mut server);
    PaymentApi { server, breaker, health }
}
