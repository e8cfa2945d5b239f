//! The seed's payment API: `charge_card` behind a circuit breaker, against a simulated payment
//! provider (no network), with the seed's `SERVICE_UNAVAILABLE` handler for `CircuitOpenError`
//! and health checks (`health://live`, `health://ready`, and a `health` tool never circuit-broken),
//! inside the seed's combined stack: signed audit log → webhook on `tool.error` → circuit breaker
//! → JWT auth (see `docs/security.md`).
//!
//! ```text
//! PAYMENT_UPSTREAM=down PAYMENT_OUTAGE_SECS=3 CB_RECOVERY_TIMEOUT_SECS=2 cargo run --example payment_api
//! cargo run --example payment_api -- --http 127.0.0.1:8080
//! ```
//! Environment: see `payment::ENV_HELP` and `payment::stack::SECURITY_ENV_HELP` (printed on stderr at
//! start-up); nothing needs to be set: the audit key and the JWT secret are generated and
//! announced when absent. Customer ids starting with `declined_` get a non-retryable
//! `CARD_DECLINED`, which never opens the circuit.

#[path = "common/mod.rs"]
mod common;
#[path = "payment/mod.rs"]
mod payment;
#[path = "security/mod.rs"]
mod security;
#[path = "security/webhook_sink.rs"]
mod webhook_sink;

use mcp_server::middleware::{WebhookEvent, WebhookMiddleware};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::init_logging();
    let config = payment::PaymentConfig::from_env()?;
    eprintln!("payment_api: configure with environment variables:\n{}", payment::ENV_HELP);
    eprintln!("{}", payment::stack::SECURITY_ENV_HELP);
    eprintln!(
        "payment_api: upstream={:?} outage={:?} failure_threshold={} recovery_timeout={:?} latency={:?}",
        config.upstream, config.outage, config.failure_threshold, config.recovery_timeout, config.latency
    );
    // The seed's stack, outermost first: audit (signed) → webhook → circuit breaker → auth.
    let audit = security::signed_audit("payment_api", "PAYMENT_AUDIT_LOG")?;
    let url = match std::env::var("PAYMENT_WEBHOOK_URL").ok().filter(|u| !u.trim().is_empty()) {
        Some(url) => url,
        None => webhook_sink::local_receiver("payment_api").await?,
    };
    eprintln!("payment_api: webhook on tool.error -> {url} (set PAYMENT_WEBHOOK_URL to change it)");
    let webhook = WebhookMiddleware::builder(url).events([WebhookEvent::ToolError]).build()?;
    let auth = security::jwt_auth("payment_api", "payment-api", &["payments"])?;
    let stack = payment::SecurityStack { audit: Some(audit), webhook: Some(webhook), auth: Some(auth) };
    let payment::PaymentApi { server, breaker, health } = payment::payment_api_with(&config, stack);
    eprintln!(
        "payment_api: circuit for charge_card is {}; health checks: {} (resources health://live, health://ready)",
        breaker.get_state("charge_card"),
        health.check_names().join(", ")
    );
    common::serve(server).await
}
