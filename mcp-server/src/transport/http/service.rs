//! The axum router (mountable, wrappable in tower layers) and the one-call servers.

use super::sessions::{OpenError, SessionStore};
use super::sse::SseBody;
use super::{
    accepts, bad_request, error_response, origin, post, probes, protocol_version, session_id, status_only, HttpConfig,
    HttpState, LAST_EVENT_ID,
};
use crate::transport::ServeError;
use crate::{McpServer, ServerHandle};
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::{any, get};
use axum::serve::ListenerExt as _;
use axum::Router;
use http::header::ALLOW;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use std::future::{Future, IntoFuture};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, ToSocketAddrs};

impl ServerHandle {
    /// The streamable HTTP endpoint (and the probes) as an axum [`Router`]: merge or nest it into
    /// your app, wrap it in tower-http layers (tracing, compression of JSON, timeouts on other
    /// routes, CORS…), and serve it however you like.
    ///
    /// ```no_run
    /// use mcp_server::McpServer;
    /// use mcp_server::transport::http::HttpConfig;
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let handle = McpServer::new("api").build()?;
    /// let app = axum::Router::new()
    ///     .route("/", axum::routing::get(|| async { "my app" }))
    ///     .merge(handle.http_router(HttpConfig::default().path("/mcp")));
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    /// let shutdown = handle.clone();
    /// axum::serve(listener, app)
    ///     .with_graceful_shutdown(async move {
    ///         let _ = tokio::signal::ctrl_c().await;
    ///         // Readiness turns 503, GET streams end, in-flight requests finish, then it returns.
    ///         shutdown.shutdown().await;
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn http_router(&self, config: HttpConfig) -> Router {
        self.router_with_state(config).0
    }

    fn router_with_state(&self, config: HttpConfig) -> (Router, Arc<HttpState>) {
        let state = Arc::new(HttpState { handle: self.clone(), config, sessions: SessionStore::default() });
        if !state.config.stateless {
            match tokio::runtime::Handle::try_current() {
                Ok(rt) => drop(rt.spawn(sweep_idle_sessions(Arc::downgrade(&state)))),
                // Outside a runtime idle sessions are still closed, whenever a new one is created.
                Err(_) => tracing::debug!("no Tokio runtime: idle HTTP sessions are swept only at initialize"),
            }
        }
        let mut router = Router::new().route(&state.config.path, any(endpoint));
        if let Some(path) = &state.config.liveness_path {
            router = router.route(path, get(probes::liveness));
        }
        if let Some(path) = &state.config.readiness_path {
            router = router.route(path, get(probes::readiness));
        }
        (router.with_state(Arc::clone(&state)), state)
    }

    /// Serves streamable HTTP at `http://ADDR/mcp` with the default [`HttpConfig`] until Ctrl-C or
    /// SIGTERM, then shuts down gracefully (see [`serve_http_listener`](Self::serve_http_listener)).
    ///
    /// Bound to a non-loopback address (e.g. `0.0.0.0:8080`, in a container) without configured
    /// host names, any `Host` header is accepted; `Origin` is still checked.
    ///
    /// # Cancellation safety
    /// Dropping the future stops serving abruptly; prefer the signals, or `ServerHandle::shutdown`.
    pub async fn serve_http(&self, addr: impl ToSocketAddrs) -> Result<(), ServeError> {
        self.serve_http_with(addr, HttpConfig::default()).await
    }

    /// [`serve_http`](Self::serve_http) with a configuration.
    ///
    /// # Cancellation safety
    /// As [`serve_http`](Self::serve_http).
    pub async fn serve_http_with(&self, addr: impl ToSocketAddrs, config: HttpConfig) -> Result<(), ServeError> {
        let signal = shutdown_signal()?;
        let listener = TcpListener::bind(addr).await?;
        self.serve_http_listener(listener, config, signal).await
    }

    /// Serves streamable HTTP on a bound listener until `shutdown` completes (bind port 0 and read
    /// `listener.local_addr()` to learn the port). Accepted sockets get `TCP_NODELAY`.
    ///
    /// Shutdown is graceful: the listener stops accepting, readiness turns 503, GET streams end,
    /// requests in flight finish and their responses are written (up to the server's shutdown
    /// deadline, after which they are cancelled), then background tasks and middleware drain
    /// ([`ServerHandle::shutdown`]). It also begins when `shutdown()` is called elsewhere.
    ///
    /// # Cancellation safety
    /// Dropping the future stops serving abruptly; prefer completing `shutdown`.
    pub async fn serve_http_listener<F>(
        &self,
        listener: TcpListener,
        config: HttpConfig,
        shutdown: F,
    ) -> Result<(), ServeError>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let local = listener.local_addr()?;
        let mut config = config;
        if !config.hosts_configured && !local.ip().is_loopback() {
            tracing::info!(%local, "listening beyond loopback: accepting any Host header (Origin is still checked)");
            config = config.allow_any_host();
        }
        let path = config.path.clone();
        let (router, state) = self.router_with_state(config);
        let draining = self.shared.draining.clone();
        // Reports whether shutdown began elsewhere (`ServerHandle::shutdown`), whose caller then
        // drains the server itself.
        let (fired_tx, fired_rx) = tokio::sync::oneshot::channel::<bool>();
        let signal = async move {
            let external = tokio::select! {
                () = shutdown => false,
                () = draining.cancelled() => true,
            };
            draining.cancel();
            let _ = fired_tx.send(external);
        };
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "could not set TCP_NODELAY");
            }
        });
        tracing::info!(url = %format!("http://{local}{path}"), "serving MCP over streamable HTTP");
        let serve = axum::serve(listener, router).with_graceful_shutdown(signal).into_future();
        let mut serve = std::pin::pin!(serve);
        let (finished, external) = tokio::select! {
            r = &mut serve => (Some(r), false),
            fired = fired_rx => (None, fired.unwrap_or(false)),
        };
        let result = match finished {
            Some(r) => r,
            None => {
                let deadline = self.shared.config.shutdown_deadline;
                match tokio::time::timeout(deadline, &mut serve).await {
                    Ok(r) => r,
                    Err(_) => {
                        tracing::warn!(?deadline, "requests still in flight at the shutdown deadline; cancelling them");
                        self.shared.shutdown.cancel();
                        tokio::time::timeout(Duration::from_secs(2), &mut serve).await.unwrap_or(Ok(()))
                    }
                }
            }
        };
        if !external {
            self.shutdown().await;
        }
        state.sessions.close_all(self);
        result.map_err(ServeError::Io)
    }
}

impl McpServer {
    /// Builds the server and serves it over streamable HTTP at `http://ADDR/mcp` until Ctrl-C or
    /// SIGTERM (see [`ServerHandle::serve_http`]).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), mcp_server::transport::ServeError> {
    /// mcp_server::McpServer::new("hello").serve_http("127.0.0.1:8080").await
    /// # }
    /// ```
    ///
    /// # Cancellation safety
    /// As [`ServerHandle::serve_http`].
    pub async fn serve_http(self, addr: impl ToSocketAddrs) -> Result<(), ServeError> {
        self.build()?.serve_http(addr).await
    }
}

/// Ctrl-C, or SIGTERM (what Kubernetes sends) on Unix. The handlers are installed now, before
/// the first connection is accepted, so a signal can never fall back to the default action.
fn shutdown_signal() -> std::io::Result<futures_util::future::BoxFuture<'static, ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        Ok(Box::pin(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = interrupt.recv() => {}
            }
            tracing::info!("shutdown signal received");
        }))
    }
    #[cfg(not(unix))]
    {
        Ok(Box::pin(async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
            tracing::info!("shutdown signal received");
        }))
    }
}

/// Closes sessions idle past the timeout, every half timeout (at most every minute), until the
/// endpoint is dropped or the server shuts down: a client that never sends DELETE leaks nothing.
async fn sweep_idle_sessions(state: std::sync::Weak<HttpState>) {
    let Some((timeout, draining)) =
        state.upgrade().map(|s| (s.config.session_idle_timeout, s.handle.shared.draining.clone()))
    else {
        return;
    };
    let period = (timeout / 2).clamp(Duration::from_secs(1), Duration::from_secs(60));
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = draining.cancelled() => return,
        }
        let Some(st) = state.upgrade() else { return };
        st.sessions.sweep(&st.handle, timeout);
    }
}

fn method_not_allowed(stateless: bool) -> Response {
    let mut res = error_response(StatusCode::METHOD_NOT_ALLOWED, -32000, "Method Not Allowed");
    let allow = if stateless { "POST" } else { "GET, POST, DELETE" };
    res.headers_mut().insert(ALLOW, HeaderValue::from_static(allow));
    res
}

/// The MCP endpoint: Host/Origin first, then by method.
async fn endpoint(State(st): State<Arc<HttpState>>, req: Request) -> Response {
    let authority = req.uri().authority().map(|a| a.as_str().to_string());
    if let Err(rejection) = origin::check(&st.config, req.headers(), authority.as_deref()) {
        tracing::debug!(?rejection, host = ?req.headers().get(http::header::HOST), "request refused");
        return error_response(StatusCode::FORBIDDEN, -32000, rejection.message());
    }
    match *req.method() {
        Method::POST => post::handle(st, req).await,
        Method::GET => open_stream(&st, req.headers()),
        Method::DELETE => delete_session(&st, req.headers()),
        _ => method_not_allowed(st.config.stateless),
    }
}

/// GET: the session's stream for server-initiated messages, or the resumption of any of its
/// streams with `Last-Event-ID`.
fn open_stream(st: &HttpState, headers: &HeaderMap) -> Response {
    if st.config.stateless {
        return method_not_allowed(true);
    }
    if st.handle.shared.draining.is_cancelled() {
        return error_response(StatusCode::SERVICE_UNAVAILABLE, -32000, "Service Unavailable: shutting down");
    }
    if !accepts(headers).sse {
        return error_response(
            StatusCode::NOT_ACCEPTABLE,
            -32000,
            "Not Acceptable: Accept must include text/event-stream",
        );
    }
    let Some(id) = session_id(headers) else {
        return bad_request("Bad Request: Mcp-Session-Id header is required");
    };
    let Some(session) = st.sessions.get(id).filter(|s| !s.state.cancel.is_cancelled()) else {
        return error_response(StatusCode::NOT_FOUND, -32001, "Session not found");
    };
    if let Err(reject) = protocol_version(headers) {
        return reject.into_response();
    }
    let last = headers.get(&LAST_EVENT_ID).and_then(|v| v.to_str().ok());
    match session.open_get(last) {
        Ok((rx, stoppable)) => {
            let stop = stoppable.then(|| st.handle.shared.draining.clone());
            post::sse_ok(SseBody::new(rx, st.config.keep_alive, stop))
        }
        Err(OpenError::UnknownEvent) => bad_request("Bad Request: unknown Last-Event-ID"),
    }
}

/// DELETE: ends the session; its id answers 404 from now on.
fn delete_session(st: &HttpState, headers: &HeaderMap) -> Response {
    if st.config.stateless {
        return method_not_allowed(true);
    }
    let Some(id) = session_id(headers) else {
        return bad_request("Bad Request: Mcp-Session-Id header is required");
    };
    if st.sessions.remove(&st.handle, id) {
        status_only(StatusCode::OK)
    } else {
        error_response(StatusCode::NOT_FOUND, -32001, "Session not found")
    }
}
