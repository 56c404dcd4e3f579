//! CORS for the dashboard's origins: the headers tower-http's `CorsLayer` wrote for our policy,
//! worked out once at start-up instead of per request (issue 20).
//!
//! The policy: the configured origins (`CORS_ORIGINS`) with credentials, the API's methods and
//! request headers, our exposed response headers, preflights cached for 10 minutes. As with
//! `CorsLayer`, every `OPTIONS` request is answered here as a preflight (200, no body), every
//! answer carries `Vary` on the three preflight request headers and
//! `Access-Control-Allow-Credentials: true`, and `Access-Control-Allow-Origin` echoes the
//! request's `Origin` only when it is one of ours. A unit test holds this to `CorsLayer`'s
//! answers for the same requests.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, Response};

/// The headers of our CORS policy, ready to copy into answers.
#[derive(Debug, Clone)]
pub struct CorsPolicy {
    origins: Vec<HeaderValue>,
    allow_methods: HeaderValue,
    allow_headers: HeaderValue,
    expose_headers: HeaderValue,
    max_age: HeaderValue,
    vary: HeaderValue,
}

/// Methods a cross-origin caller may use.
const METHODS: [Method; 6] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::OPTIONS,
];

/// Request headers a cross-origin caller may send.
const REQUEST_HEADERS: [&str; 6] = [
    "authorization",
    "content-type",
    "accept",
    "x-request-id",
    "x-invite-code",
    "last-event-id",
];

/// Response headers a cross-origin caller may read.
const EXPOSED_HEADERS: [&str; 4] = [
    "x-request-id",
    "retry-after",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
];

/// How long a browser may cache a preflight answer, in seconds.
const MAX_AGE_SECONDS: u32 = 600;

const TRUE: HeaderValue = HeaderValue::from_static("true");

impl CorsPolicy {
    /// The policy for `origins` (entries that are not valid header values are skipped).
    pub fn new(origins: &[String]) -> CorsPolicy {
        let methods: Vec<&str> = METHODS.iter().map(Method::as_str).collect();
        CorsPolicy {
            origins: origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect(),
            allow_methods: joined(&methods, ","),
            allow_headers: joined(&REQUEST_HEADERS, ","),
            expose_headers: joined(&EXPOSED_HEADERS, ","),
            max_age: HeaderValue::from(MAX_AGE_SECONDS),
            vary: joined(
                &[
                    header::ORIGIN.as_str(),
                    header::ACCESS_CONTROL_REQUEST_METHOD.as_str(),
                    header::ACCESS_CONTROL_REQUEST_HEADERS.as_str(),
                ],
                ", ",
            ),
        }
    }

    /// `Origin` when it is one of ours (the value to echo), else `None`.
    fn allowed<'a>(&self, origin: Option<&'a HeaderValue>) -> Option<&'a HeaderValue> {
        origin.filter(|o| self.origins.contains(o))
    }

    /// The answer to an `OPTIONS` request: 200 with the preflight headers and no body.
    pub fn preflight(&self, origin: Option<&HeaderValue>) -> Response<Body> {
        let mut response = Response::new(Body::empty());
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE);
        headers.insert(header::VARY, self.vary.clone());
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            self.allow_methods.clone(),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            self.allow_headers.clone(),
        );
        headers.insert(header::ACCESS_CONTROL_MAX_AGE, self.max_age.clone());
        if let Some(origin) = self.allowed(origin) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        }
        response
    }

    /// Adds the CORS headers to any other answer. `Vary` is appended to what the answer
    /// already varies on; the others replace a value the answer may have set.
    pub fn decorate(&self, headers: &mut HeaderMap, origin: Option<&HeaderValue>) {
        headers.append(header::VARY, self.vary.clone());
        headers.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            self.expose_headers.clone(),
        );
        if let Some(origin) = self.allowed(origin) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        }
    }
}

/// `parts` joined by `separator` as one header value (every part is a valid header token).
fn joined(parts: &[&str], separator: &str) -> HeaderValue {
    let text = parts.join(separator);
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderName;
    use std::convert::Infallible;
    use tower::ServiceExt;
    use tower_http::cors::{AllowOrigin, CorsLayer};

    /// The `CorsLayer` this module replaced, configured as it was.
    fn tower_http_layer(origins: &[String]) -> CorsLayer {
        let origins: Vec<HeaderValue> = origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_credentials(true)
            .allow_methods(METHODS)
            .allow_headers(REQUEST_HEADERS.map(HeaderName::from_static))
            .expose_headers(EXPOSED_HEADERS.map(HeaderName::from_static))
            .max_age(std::time::Duration::from_secs(u64::from(MAX_AGE_SECONDS)))
    }

    /// A handler's answer with headers of its own, one of them a `Vary`.
    fn handler_answer() -> Response<Body> {
        let mut response = Response::new(Body::from("{}"));
        let headers = response.headers_mut();
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("5"),
        );
        response
    }

    /// Every (name, value) pair, sorted, so two maps compare regardless of insertion order.
    fn pairs(headers: &HeaderMap) -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
            .collect();
        all.sort();
        all
    }

    async fn tower_http_answer(
        origins: &[String],
        method: Method,
        origin: Option<&str>,
    ) -> Response<Body> {
        let service = tower::ServiceBuilder::new()
            .layer(tower_http_layer(origins))
            .service_fn(|_req: axum::http::Request<Body>| async {
                Ok::<_, Infallible>(handler_answer())
            });
        let mut request = axum::http::Request::builder().method(method).uri("/api/x");
        if let Some(origin) = origin {
            request = request
                .header(header::ORIGIN, origin)
                .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST");
        }
        let request = request.body(Body::empty()).expect("a request");
        match service.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }

    fn our_answer(policy: &CorsPolicy, method: Method, origin: Option<&str>) -> Response<Body> {
        let origin = origin.map(|o| HeaderValue::from_str(o).expect("an origin"));
        if method == Method::OPTIONS {
            return policy.preflight(origin.as_ref());
        }
        let mut response = handler_answer();
        policy.decorate(response.headers_mut(), origin.as_ref());
        response
    }

    #[tokio::test]
    async fn answers_carry_the_same_headers_as_tower_http_cors_layer() {
        let origins = vec![
            "https://dash.example".to_string(),
            "http://localhost:3000".to_string(),
        ];
        let policy = CorsPolicy::new(&origins);
        let requests = [Method::GET, Method::POST, Method::DELETE, Method::OPTIONS];
        let callers = [
            None,
            Some("https://dash.example"),
            Some("http://localhost:3000"),
            Some("https://evil.example"),
            Some("null"),
        ];
        for method in requests {
            for origin in callers {
                let theirs = tower_http_answer(&origins, method.clone(), origin).await;
                let ours = our_answer(&policy, method.clone(), origin);
                assert_eq!(theirs.status(), ours.status(), "{method} from {origin:?}");
                assert_eq!(
                    pairs(theirs.headers()),
                    pairs(ours.headers()),
                    "{method} from {origin:?}"
                );
            }
        }
    }

    #[test]
    fn only_listed_origins_are_echoed() {
        let policy = CorsPolicy::new(&["https://dash.example".to_string()]);
        let ok = HeaderValue::from_static("https://dash.example");
        let evil = HeaderValue::from_static("https://evil.example");
        let allowed = policy.preflight(Some(&ok));
        assert_eq!(
            allowed.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://dash.example"
        );
        let refused = policy.preflight(Some(&evil));
        assert!(refused
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none());
        let mut headers = HeaderMap::new();
        policy.decorate(&mut headers, Some(&evil));
        assert!(headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
        assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
    }
}
