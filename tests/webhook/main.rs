//! `WebhookMiddleware` against a real local receiver (axum on 127.0.0.1): payloads, signature,
//! retries, dead endpoints, queue overflow, the shutdown flush (`events.rs`) and batched delivery
//! (`batching.rs`) (issue 3, item 5).
#![allow(clippy::unwrap_used, reason = "tests")]

mod batching;
mod events;
mod fixture;
