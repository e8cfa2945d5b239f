//! A local webhook receiver for the examples: when no webhook URL is configured, events go to
//! this in-process endpoint, which prints each one on stderr (a stand-in for Slack).

/// Serves `POST /hook` on an ephemeral localhost port and returns its URL.
pub(crate) async fn local_receiver(example: &'static str) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| async move {
            eprintln!("{example}: [local webhook receiver] {body}");
            "ok"
        }),
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!(error = %e, "the local webhook receiver stopped");
        }
    });
    Ok(url)
}
