//! The tour's server: the seed's stack around a simulated payment provider.

use mcp_server::{
    exception_handler, tool, BackgroundTasks, CancellationToken, Cancelled, CircuitBreakerMiddleware, CircuitOpenError,
    HealthCheck, Json, McpServer, ProgressReporter, RequestContext, State, ToolError, WebhookEvent, WebhookMiddleware,
};
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A payment provider that is down until someone "fixes" it.
#[derive(Default)]
pub(crate) struct Provider {
    down: AtomicBool,
}

impl Provider {
    pub(crate) fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    pub(crate) fn is_up(&self) -> bool {
        !self.down.load(Ordering::SeqCst)
    }
}

/// The timeline background tasks write to, so the tour can show *when* they ran.
#[derive(Default)]
pub(crate) struct Timeline {
    pub(crate) events: Mutex<Vec<(Instant, String)>>,
}

impl Timeline {
    fn record(&self, what: impl Into<String>) {
        if let Ok(mut e) = self.events.lock() {
            e.push((Instant::now(), what.into()));
        }
    }
}

#[derive(Debug, thiserror::Error, mcp_server::ToolError)]
pub(crate) enum PaymentError {
    #[error("the payment provider did not answer")]
    #[tool_error(code = "UPSTREAM_UNAVAILABLE", retryable = true, suggestion = "Retry shortly.")]
    Unavailable,
    #[error("the card was declined")]
    #[tool_error(code = "CARD_DECLINED", retryable = false, suggestion = "Ask the customer for another card.")]
    Declined,
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Charge {
    charge_id: String,
    status: String,
}

/// Charge a customer's card via the payment provider.
#[tool]
async fn charge_card(
    customer_id: String,
    amount_cents: u64,
    #[arg(default = "usd")] currency: String,
    provider: State<Provider>,
) -> Result<Json<Charge>, PaymentError> {
    tokio::time::sleep(Duration::from_millis(20)).await;
    if customer_id.starts_with("declined_") {
        return Err(PaymentError::Declined);
    }
    if !provider.is_up() {
        return Err(PaymentError::Unavailable);
    }
    Ok(Json(Charge { charge_id: format!("ch_{customer_id}_{amount_cents}_{currency}"), status: "succeeded".into() }))
}

/// Turn an open circuit into the seed's `SERVICE_UNAVAILABLE`.
#[exception_handler]
async fn handle_circuit_open(_ctx: &RequestContext, exc: &CircuitOpenError) -> ToolError {
    ToolError::new(
        "SERVICE_UNAVAILABLE",
        format!("Service temporarily unavailable. Retry in {}s.", exc.retry_after_secs()),
    )
    .retryable(true)
}

/// Create an account; the welcome email goes out in the background.
#[tool]
async fn create_account(email: String, bg: BackgroundTasks, timeline: State<Timeline>) -> String {
    let t = timeline.0.clone();
    let to = email.clone();
    bg.add(async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        t.record(format!("welcome email sent to {to}"));
    });
    format!("account created for {email}")
}

/// Import rows in batches, reporting progress; stops when cancelled.
#[tool]
async fn import_rows(rows: u32, progress: ProgressReporter, cancel: CancellationToken) -> Result<String, Cancelled> {
    for done in (0..=rows).step_by(50) {
        cancel.check()?;
        progress.report(f64::from(done), Some(f64::from(rows)), Some("importing")).await;
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Ok(format!("imported {rows} rows"))
}

pub(crate) struct Tour {
    pub(crate) breaker: CircuitBreakerMiddleware,
    pub(crate) provider: Arc<Provider>,
    pub(crate) timeline: Arc<Timeline>,
}

/// The seed's "Combining Resilience Features" stack (audit and auth are in `payment_api`).
pub(crate) fn build(webhook_url: &str) -> Result<(McpServer, Tour), Box<dyn std::error::Error>> {
    let provider = Arc::new(Provider::default());
    let timeline = Arc::new(Timeline::default());
    let breaker = CircuitBreakerMiddleware::new()
        .failure_threshold(3)
        .recovery_timeout(Duration::from_secs(1))
        .excluded_tools(["health"]);
    let webhook = WebhookMiddleware::builder(webhook_url).events(WebhookEvent::ALL).build()?;
    let health = HealthCheck::new().timeout(Duration::from_millis(500));
    let p = provider.clone();
    health.add_check(
        "payment-provider",
        move || {
            let p = p.clone();
            async move { p.is_up() }
        },
        true,
    );
    let mut server = McpServer::new("tour")
        .shared_state(Arc::clone(&provider))
        .shared_state(Arc::clone(&timeline))
        .middleware(webhook)
        .middleware(breaker.clone())
        .exception_handler(HandleCircuitOpenHandler)
        .tool(ChargeCardTool)
        .tool(CreateAccountTool)
        .tool(ImportRowsTool);
    health.register_resources(&mut server);
    Ok((server, Tour { breaker, provider, timeline }))
}
