//! The seed's payment API: `charge_card` behind a circuit breaker, against a simulated payment
//! provider (no network), with the seed's `SERVICE_UNAVAILABLE` handler for `CircuitOpenError`
//! and health checks (`health://live`, `health://ready`, and a `health` tool never circuit-broken).
//!
//! ```text
//! PAYMENT_UPSTREAM=down PAYMENT_OUTAGE_SECS=3 CB_RECOVERY_TIMEOUT_SECS=2 cargo run --example payment_api
//! cargo run --example payment_api -- --http 127.0.0.1:8080
//! ```
//! Environment: see `payment::ENV_HELP` (printed on stderr at start-up). Customer ids starting
//! with `declined_` get a non-retryable `CARD_DECLINED`, which never opens the circuit.

#[path = "common/mod.rs"]
mod common;
#[path = "payment/mod.rs"]
mod payment;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::init_logging();
    let config = payment::PaymentConfig::from_env()?;
    eprintln!("payment_api: configure with environment variables:\n{}", payment::ENV_HELP);
    eprintln!(
        "payment_api: upstream={:?} outage={:?} failure_threshold={} recovery_timeout={:?} latency={:?}",
        config.upstream, config.outage, config.failure_threshold, config.recovery_timeout, config.latency
    );
    let payment::PaymentApi { server, breaker, health } = payment::payment_api(&config);
    eprintln!(
        "payment_api: circuit for charge_card is {}; health checks: {} (resources health://live, health://ready)",
        breaker.get_state("charge_card"),
        health.check_names().join(", ")
    );
    common::serve(server).await
}
