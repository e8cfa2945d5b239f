//! `Host` and `Origin` validation against DNS rebinding.
//!
//! A web page on `evil.example` can make the browser resolve its own name to 127.0.0.1 and talk to a
//! local MCP server. Two checks stop it: the `Host` header must name this server (localhost by
//! default), and a browser's `Origin` must be same-origin, a localhost page talking to a localhost
//! server, or explicitly allowed. A foreign `Origin` is refused even when `Host` is valid.

use super::config::{HostRule, HttpConfig, OriginRule};
use http::header::{HOST, ORIGIN};
use http::HeaderMap;

/// Why a request was refused (both become `403 Forbidden`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// The `Host` header names another server.
    Host,
    /// The `Origin` header names a foreign page.
    Origin,
}

impl Rejection {
    pub(crate) fn message(self) -> &'static str {
        match self {
            Self::Host => "Forbidden: Host header not allowed",
            Self::Origin => "Forbidden: Origin not allowed",
        }
    }
}

fn is_local(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "[::1]" | "::1")
}

/// Splits `host[:port]` (IPv6 in brackets) into the lower-cased host name.
fn host_name(authority: &str) -> String {
    let a = authority.trim().to_ascii_lowercase();
    if let Some(end) = a.strip_prefix('[').and_then(|rest| rest.find(']')) {
        return a[..end + 2].to_string();
    }
    match a.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h.to_string(),
        _ => a,
    }
}

fn header(headers: &HeaderMap, name: http::header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// Checks `Host` (or the URI authority, for HTTP/2) and `Origin` against `config`.
pub(crate) fn check(config: &HttpConfig, headers: &HeaderMap, uri_authority: Option<&str>) -> Result<(), Rejection> {
    let host = header(headers, HOST).or(uri_authority).map(str::to_ascii_lowercase);
    let host_ok = match (&config.hosts, &host) {
        (HostRule::Any, _) => true,
        (_, None) => false,
        (HostRule::Localhost, Some(h)) => is_local(&host_name(h)),
        (HostRule::List(list), Some(h)) => {
            let name = host_name(h);
            is_local(&name) || list.iter().any(|allowed| allowed == h || *allowed == name)
        }
    };
    if !host_ok {
        return Err(Rejection::Host);
    }
    let Some(origin) = header(headers, ORIGIN) else {
        // Not a browser (or a same-origin GET that omits it): nothing to check.
        return Ok(());
    };
    let allowed = match &config.origins {
        OriginRule::Any => return Ok(()),
        OriginRule::SameOrigin(list) => list,
    };
    let origin = origin.trim_end_matches('/').to_ascii_lowercase();
    if allowed.contains(&origin) {
        return Ok(());
    }
    let Some((_scheme, authority)) = origin.split_once("://") else {
        // `null` (sandboxed frames, file pages) and other opaque origins.
        return Err(Rejection::Origin);
    };
    match host {
        Some(h) if h == authority => Ok(()),
        Some(h) if is_local(&host_name(&h)) && is_local(&host_name(authority)) => Ok(()),
        _ => Err(Rejection::Origin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(host: Option<&'static str>, origin: Option<&'static str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(v) = host {
            h.insert(HOST, HeaderValue::from_static(v));
        }
        if let Some(v) = origin {
            h.insert(ORIGIN, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn localhost_by_default() {
        let c = HttpConfig::default();
        assert_eq!(check(&c, &headers(Some("127.0.0.1:8080"), None), None), Ok(()));
        assert_eq!(check(&c, &headers(Some("localhost"), None), None), Ok(()));
        assert_eq!(check(&c, &headers(Some("[::1]:9"), None), None), Ok(()));
        assert_eq!(check(&c, &headers(Some("evil.example.com"), None), None), Err(Rejection::Host));
        assert_eq!(check(&c, &headers(None, None), Some("localhost:1")), Ok(()));
        assert_eq!(check(&c, &headers(None, None), None), Err(Rejection::Host));
    }

    #[test]
    fn foreign_origin_rejected_even_with_valid_host() {
        let c = HttpConfig::default();
        let h = headers(Some("127.0.0.1:8080"), Some("http://evil.example.com"));
        assert_eq!(check(&c, &h, None), Err(Rejection::Origin));
        let h = headers(Some("127.0.0.1:8080"), Some("null"));
        assert_eq!(check(&c, &h, None), Err(Rejection::Origin));
        let h = headers(Some("127.0.0.1:8080"), Some("http://localhost:6274"));
        assert_eq!(check(&c, &h, None), Ok(()));
        let h = headers(Some("127.0.0.1:8080"), Some("http://127.0.0.1:8080/"));
        assert_eq!(check(&c, &h, None), Ok(()));
    }

    #[test]
    fn allow_lists() {
        let c = HttpConfig::default().allowed_hosts(["mcp.example.com"]).allowed_origins(["https://app.example.com"]);
        assert_eq!(check(&c, &headers(Some("mcp.example.com:443"), None), None), Ok(()));
        assert_eq!(check(&c, &headers(Some("other.example.com"), None), None), Err(Rejection::Host));
        let h = headers(Some("mcp.example.com"), Some("https://app.example.com"));
        assert_eq!(check(&c, &h, None), Ok(()));
        let h = headers(Some("mcp.example.com"), Some("https://mcp.example.com"));
        assert_eq!(check(&c, &h, None), Ok(()), "same origin");
        let h = headers(Some("mcp.example.com"), Some("http://localhost:3000"));
        assert_eq!(check(&c, &h, None), Err(Rejection::Origin), "localhost page, remote host");
        let any = HttpConfig::default().allow_any_host().allow_any_origin();
        assert_eq!(check(&any, &headers(Some("x"), Some("http://y")), None), Ok(()));
    }
}
