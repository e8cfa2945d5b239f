//! Streamable HTTP (issue 5): every status code, sessions, SSE streams and their resumption,
//! server→client requests on the POST stream, probes, stateless mode and graceful shutdown —
//! against `serve_http_listener` on 127.0.0.1:0 with a real HTTP client (reqwest).
#![allow(clippy::unwrap_used, clippy::panic, reason = "tests fail loudly")]

mod client;
mod fixture;
mod probes;
mod sessions;
mod stateless;
mod status;
mod streams;
