//! A local webhook receiver (what would be Slack or PagerDuty in production).

use axum::routing::post;
use axum::{Json, Router};
use serde_json::Value;
use tokio::sync::mpsc;

/// Starts a receiver on an ephemeral loopback port; returns its URL and the events it gets.
pub(crate) async fn start() -> std::io::Result<(String, mpsc::UnboundedReceiver<Value>)> {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = Router::new().route(
        "/hook",
        post(move |Json(event): Json<Value>| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(event);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, rx))
}
