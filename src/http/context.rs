//! Per-request context: request id (task-local, so errors can quote it), client ip, user id.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};

use axum::extract::{ConnectInfo, MatchedPath};
use axum::http::{HeaderMap, Method, Request};

/// What the access log, the error envelope and log lines need to know about the current request.
#[derive(Debug)]
pub struct RequestContext {
    pub request_id: String,
    pub ip: String,
    pub method: Method,
    /// The matched route template (shared, not copied); `None` for unmatched paths.
    pub matched: Option<MatchedPath>,
    /// Set by the auth extractor once the caller is known.
    pub user_id: OnceLock<String>,
}

tokio::task_local! {
    static CONTEXT: Arc<RequestContext>;
}

impl RequestContext {
    /// The route template as logged: `unmatched` when no route matched.
    pub fn route_template(&self) -> &str {
        self.matched
            .as_ref()
            .map_or("unmatched", MatchedPath::as_str)
    }
}

/// Runs `fut` with `ctx` as the current request context.
pub async fn scope<F: std::future::Future>(ctx: Arc<RequestContext>, fut: F) -> F::Output {
    CONTEXT.scope(ctx, fut).await
}

/// Calls `f` with the current request context, if the caller runs inside a request.
pub fn with_current<R>(f: impl FnOnce(&RequestContext) -> R) -> Option<R> {
    CONTEXT.try_with(|c| f(c)).ok()
}

pub fn current_request_id() -> Option<String> {
    CONTEXT.try_with(|c| c.request_id.clone()).ok()
}

/// The client IP of the current request (as resolved by the request gate, `gate.rs`).
pub fn current_ip() -> Option<String> {
    CONTEXT.try_with(|c| c.ip.clone()).ok()
}

/// Records the authenticated user for the access log.
pub fn set_current_user(user_id: &str) {
    let _ = CONTEXT.try_with(|c| c.user_id.set(user_id.to_string()));
}

/// Accepts a client-supplied request id only when it is short and plain; otherwise makes one.
pub fn request_id_from(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|id| {
            !id.is_empty()
                && id.len() <= 128
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        })
        .map(str::to_string)
        .unwrap_or_else(new_request_id)
}

/// A random (v4) UUID from the thread-local generator: `Uuid::new_v4` asks the kernel for
/// random bytes (`getrandom(2)`) on every request, which showed in the cheapest route's profile.
fn new_request_id() -> String {
    uuid::Builder::from_random_bytes(rand::random())
        .into_uuid()
        .to_string()
}

/// The client address: the socket peer, or (only with `TRUST_PROXY`) what our proxy saw.
///
/// Only headers our own proxy writes are believed: `X-Real-IP` (Nginx sets it to
/// `$remote_addr`), else the RIGHTMOST `X-Forwarded-For` entry (the hop Nginx appends with
/// `$proxy_add_x_forwarded_for`). Entries to the left come from the client and can be forged,
/// so taking them would let one client look like a new IP on every request.
pub fn client_ip<B>(req: &Request<B>, trust_proxy: bool) -> String {
    if trust_proxy {
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        let real = header("x-real-ip").and_then(|v| v.trim().parse::<IpAddr>().ok());
        let forwarded = || {
            header("x-forwarded-for")
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok())
        };
        if let Some(ip) = real.or_else(forwarded) {
            return ip.to_string();
        }
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_request_ids_are_kept_and_others_replaced() {
        let mut headers = HeaderMap::new();
        headers.insert("x-request-id", "abc-123_x.y:z".parse().unwrap());
        assert_eq!(request_id_from(&headers), "abc-123_x.y:z");
        headers.insert("x-request-id", "bad id with spaces".parse().unwrap());
        let generated = request_id_from(&headers);
        assert_ne!(generated, "bad id with spaces");
        assert!(uuid::Uuid::parse_str(&generated).is_ok());
    }

    #[test]
    fn generated_request_ids_are_distinct_v4_uuids() {
        let a = request_id_from(&HeaderMap::new());
        let b = request_id_from(&HeaderMap::new());
        assert_ne!(a, b);
        for id in [a, b] {
            let parsed = uuid::Uuid::parse_str(&id).expect("a uuid");
            assert_eq!(parsed.get_version(), Some(uuid::Version::Random));
            assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122);
            assert_eq!(id, parsed.hyphenated().to_string());
        }
    }

    #[test]
    fn proxy_headers_are_only_trusted_when_configured() {
        let req = Request::builder()
            .header("x-forwarded-for", "203.0.113.7, 10.0.0.1")
            .body(())
            .unwrap();
        assert_eq!(client_ip(&req, false), "unknown");
        let req = Request::builder()
            .header("x-real-ip", "198.51.100.2")
            .body(())
            .unwrap();
        assert_eq!(client_ip(&req, true), "198.51.100.2");
        assert_eq!(client_ip(&req, false), "unknown");
    }

    #[test]
    fn only_the_hop_our_proxy_added_counts_not_what_the_client_wrote() {
        // The client sent "203.0.113.7"; Nginx appended the real peer 192.0.2.50.
        let req = Request::builder()
            .header("x-forwarded-for", "203.0.113.7, 192.0.2.50")
            .body(())
            .unwrap();
        assert_eq!(client_ip(&req, true), "192.0.2.50");
        // X-Real-IP (set by Nginx to $remote_addr) wins over any X-Forwarded-For.
        let req = Request::builder()
            .header("x-forwarded-for", "203.0.113.7, 192.0.2.50")
            .header("x-real-ip", "192.0.2.99")
            .body(())
            .unwrap();
        assert_eq!(client_ip(&req, true), "192.0.2.99");
        // A garbage rightmost entry is not replaced by a forged leftmost one.
        let req = Request::builder()
            .header("x-forwarded-for", "203.0.113.7, not-an-ip")
            .body(())
            .unwrap();
        assert_eq!(client_ip(&req, true), "unknown");
    }
}
