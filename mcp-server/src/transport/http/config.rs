//! [`HttpConfig`]: everything the streamable HTTP transport lets you tune.

use std::time::Duration;

/// Which `Host` headers the endpoint accepts (DNS-rebinding protection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HostRule {
    /// `localhost`, `127.0.0.1` and `[::1]`, any port (the default).
    Localhost,
    /// Exactly these `host` or `host:port` values (compared case-insensitively), plus localhost.
    List(Vec<String>),
    /// Any host: for servers behind a load balancer or ingress that checks hosts itself.
    Any,
}

/// Which `Origin` headers the endpoint accepts from browsers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OriginRule {
    /// Same-origin requests, and localhost origins when the server is addressed as localhost.
    SameOrigin(Vec<String>),
    /// Any origin (no browser protection; only behind a gateway that checks origins).
    Any,
}

/// Configuration of the streamable HTTP transport.
///
/// The defaults suit a server on localhost: endpoint `/mcp`, sessions on, only localhost `Host`
/// headers, browsers only from same-origin or localhost pages, 4 MiB request bodies, SSE streams
/// resumable with `Last-Event-ID`, probes at `/healthz` and `/readyz`.
///
/// ```
/// use mcp_server::transport::http::HttpConfig;
/// use std::time::Duration;
///
/// let config = HttpConfig::new()
///     .path("/api/mcp")
///     .allowed_hosts(["mcp.example.com"])
///     .allowed_origins(["https://app.example.com"])
///     .max_body_bytes(1024 * 1024)
///     .session_idle_timeout(Duration::from_secs(600));
/// # let _ = config;
/// ```
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub(crate) path: String,
    pub(crate) stateless: bool,
    pub(crate) max_body_bytes: usize,
    pub(crate) hosts: HostRule,
    pub(crate) hosts_configured: bool,
    pub(crate) origins: OriginRule,
    pub(crate) sse_retry: Duration,
    pub(crate) sse_history: usize,
    pub(crate) retained_streams: usize,
    pub(crate) keep_alive: Option<Duration>,
    pub(crate) session_idle_timeout: Duration,
    pub(crate) max_sessions: usize,
    pub(crate) liveness_path: Option<String>,
    pub(crate) readiness_path: Option<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            path: "/mcp".into(),
            stateless: false,
            max_body_bytes: 4 * 1024 * 1024,
            hosts: HostRule::Localhost,
            hosts_configured: false,
            origins: OriginRule::SameOrigin(Vec::new()),
            sse_retry: Duration::from_millis(1000),
            sse_history: 256,
            retained_streams: 32,
            keep_alive: Some(Duration::from_secs(15)),
            session_idle_timeout: Duration::from_secs(30 * 60),
            max_sessions: 10_000,
            liveness_path: Some("/healthz".into()),
            readiness_path: Some("/readyz".into()),
        }
    }
}

impl HttpConfig {
    /// The defaults (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }

    /// The MCP endpoint's path (default `/mcp`).
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Stateless mode: no sessions, no `Mcp-Session-Id`; every POST stands alone (any replica of a
    /// horizontally scaled server can answer it). GET and DELETE answer 405, server→client requests
    /// are unavailable and streams are not resumable.
    #[must_use]
    pub fn stateless(mut self, stateless: bool) -> Self {
        self.stateless = stateless;
        self
    }

    /// Largest accepted request body (default 4 MiB); larger bodies get `413 Payload Too Large`.
    #[must_use]
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Accepts these `Host` values (`host` or `host:port`) in addition to localhost.
    #[must_use]
    pub fn allowed_hosts<I, S>(mut self, hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.hosts = HostRule::List(hosts.into_iter().map(|h| h.into().to_ascii_lowercase()).collect());
        self.hosts_configured = true;
        self
    }

    /// Accepts any `Host` header. Use it when a load balancer or ingress in front of the server
    /// pins the host names; `Origin` is still checked.
    #[must_use]
    pub fn allow_any_host(mut self) -> Self {
        self.hosts = HostRule::Any;
        self.hosts_configured = true;
        self
    }

    /// Accepts browser requests from these origins (e.g. `https://app.example.com`), in addition
    /// to same-origin pages and localhost pages of a localhost server.
    #[must_use]
    pub fn allowed_origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let list = origins.into_iter().map(|o| o.into().trim_end_matches('/').to_ascii_lowercase()).collect();
        self.origins = OriginRule::SameOrigin(list);
        self
    }

    /// Accepts any `Origin` header: turns off the browser (DNS-rebinding) protection. Only for
    /// servers behind a gateway that checks origins itself.
    #[must_use]
    pub fn allow_any_origin(mut self) -> Self {
        self.origins = OriginRule::Any;
        self
    }

    /// The `retry` hint (milliseconds before reconnecting) sent with each stream's priming event
    /// (default 1 s).
    #[must_use]
    pub fn sse_retry(mut self, retry: Duration) -> Self {
        self.sse_retry = retry;
        self
    }

    /// How many events each SSE stream keeps for `Last-Event-ID` replay (default 256).
    #[must_use]
    pub fn sse_history(mut self, events: usize) -> Self {
        self.sse_history = events.max(1);
        self
    }

    /// How many finished request streams a session keeps for late resumption (default 32).
    #[must_use]
    pub fn retained_streams(mut self, streams: usize) -> Self {
        self.retained_streams = streams;
        self
    }

    /// Interval of SSE keep-alive comments that stop proxies from closing quiet streams
    /// (default 15 s; `None` turns them off).
    #[must_use]
    pub fn keep_alive(mut self, interval: Option<Duration>) -> Self {
        self.keep_alive = interval.filter(|d| !d.is_zero());
        self
    }

    /// Sessions with no request, no open stream and no activity for this long are closed
    /// (default 30 min); their id then answers 404.
    #[must_use]
    pub fn session_idle_timeout(mut self, timeout: Duration) -> Self {
        self.session_idle_timeout = timeout;
        self
    }

    /// Most sessions kept at once (default 10 000); beyond it `initialize` answers 503.
    #[must_use]
    pub fn max_sessions(mut self, sessions: usize) -> Self {
        self.max_sessions = sessions.max(1);
        self
    }

    /// The liveness probe's path (default `/healthz`; `None` removes the route).
    #[must_use]
    pub fn liveness_path(mut self, path: Option<&str>) -> Self {
        self.liveness_path = path.map(str::to_string);
        self
    }

    /// The readiness probe's path (default `/readyz`; `None` removes the route).
    #[must_use]
    pub fn readiness_path(mut self, path: Option<&str>) -> Self {
        self.readiness_path = path.map(str::to_string);
        self
    }

    /// Whether stateless mode is on.
    pub fn is_stateless(&self) -> bool {
        self.stateless
    }

    /// The MCP endpoint's path.
    pub fn endpoint_path(&self) -> &str {
        &self.path
    }
}
