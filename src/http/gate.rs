//! The one middleware every request passes: request context, CORS, the rate limit, the body
//! limit, the timeout, panics, error envelopes, security headers, metrics and the access log.
//!
//! Why one hand-written service (issue 20, bench/README.md): as a stack of layers (two
//! `from_fn`, tower-http's catch-panic, CORS and body limit) every request cloned the stack
//! under each `from_fn` layer, boxed a `Next` and a future per layer, cloned the CORS
//! configuration and built a header map for it, and boxed its body twice; callgrind counted
//! about 35k instructions per request around a route whose own work is about 2k. Here the checks
//! run in `call`, in the old stack's order (outermost first: context -> panics -> CORS preflight
//! -> rate limit -> timeout -> body limit -> route), and one boxed future finishes the answer.

use std::any::Any;
use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use axum::body::{Body, HttpBody};
use axum::extract::{MatchedPath, Request};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use tower::{Layer, Service};

use super::context::{self, RequestContext};
use super::cors::CorsPolicy;
use super::middleware::{add_security_headers, ensure_envelope, panic_response, X_REQUEST_ID};
use super::rate_limit;
use crate::auth::rate_limit::Decision;
use crate::error::AppError;
use crate::state::AppState;

/// Wraps every route (and the fallback) in a [`Gate`].
#[derive(Clone)]
pub struct GateLayer {
    shared: Arc<Shared>,
}

/// What every gate of the router shares, worked out once.
struct Shared {
    state: AppState,
    cors: CorsPolicy,
    body_limit: usize,
    timeout: Duration,
    production: bool,
}

impl GateLayer {
    pub fn new(state: AppState) -> GateLayer {
        let config = &state.config;
        let shared = Shared {
            cors: CorsPolicy::new(&config.cors_origins),
            body_limit: config.request_size_limit_bytes,
            timeout: Duration::from_secs(config.request_timeout_seconds),
            production: config.is_production(),
            state,
        };
        GateLayer {
            shared: Arc::new(shared),
        }
    }
}

impl<S> Layer<S> for GateLayer {
    type Service = Gate<S>;

    fn layer(&self, inner: S) -> Gate<S> {
        Gate {
            inner,
            shared: Arc::clone(&self.shared),
        }
    }
}

/// The middleware around one route.
#[derive(Clone)]
pub struct Gate<S> {
    inner: S,
    shared: Arc<Shared>,
}

/// How far a request got in `call`; the answer is made from it inside the request's context.
enum Step<F> {
    /// Any `OPTIONS`: answered as a CORS preflight.
    Preflight,
    /// Refused by the rate limiter (429).
    Limited(Decision),
    /// `Content-Length` over the body limit (413).
    TooLarge(Option<Decision>),
    /// The route's future; `timeout` unless it is a long-lived realtime stream.
    Run {
        future: F,
        decision: Option<Decision>,
        timeout: bool,
    },
    /// The route panicked while making its future.
    Panicked(Box<dyn Any + Send>),
}

impl<S> Service<Request> for Gate<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let started = Instant::now();
        let shared = Arc::clone(&self.shared);
        let ctx = Arc::new(RequestContext {
            request_id: context::request_id_from(req.headers()),
            ip: context::client_ip(&req, shared.state.config.trust_proxy),
            method: req.method().clone(),
            // The matched template is shared (`Arc<str>` inside): no copy per request.
            matched: req.extensions().get::<MatchedPath>().cloned(),
            user_id: OnceLock::new(),
        });
        let origin = req.headers().get(header::ORIGIN).cloned();
        let step = if req.method() == Method::OPTIONS {
            Step::Preflight
        } else {
            match rate_limit::admit(&shared.state, &mut req) {
                Some(admission) if !admission.allowed => Step::Limited(admission.decision),
                admission => {
                    let decision = admission.map(|a| a.decision);
                    if limit_body(&mut req, shared.body_limit) {
                        let timeout = !is_realtime_stream(req.uri().path());
                        // Handlers run when polled; a panic here would come from routing code.
                        match std::panic::catch_unwind(AssertUnwindSafe(|| self.inner.call(req))) {
                            Ok(future) => Step::Run {
                                future,
                                decision,
                                timeout,
                            },
                            Err(panic) => Step::Panicked(panic),
                        }
                    } else {
                        Step::TooLarge(decision)
                    }
                }
            }
        };
        Box::pin(async move { Ok(shared.answer(ctx, origin, step, started).await) })
    }
}

impl Shared {
    /// Makes the answer inside the request's context, then stamps, counts and logs it.
    async fn answer<F>(
        &self,
        ctx: Arc<RequestContext>,
        origin: Option<HeaderValue>,
        step: Step<F>,
        started: Instant,
    ) -> Response
    where
        F: Future<Output = Result<Response, Infallible>>,
    {
        let preflight = matches!(step, Step::Preflight);
        let work = async {
            let response = match step {
                Step::Preflight => self.cors.preflight(origin.as_ref()),
                Step::Limited(decision) => rate_limit::refusal(decision),
                Step::TooLarge(decision) => with_limit_headers(payload_too_large(), decision),
                Step::Panicked(panic) => panic_response(panic),
                Step::Run {
                    future,
                    decision,
                    timeout,
                } => {
                    let guarded = AssertUnwindSafe(future).catch_unwind();
                    let outcome = if timeout {
                        match tokio::time::timeout(self.timeout, guarded).await {
                            Ok(outcome) => outcome,
                            Err(_) => Ok(Ok(timed_out())),
                        }
                    } else {
                        guarded.await
                    };
                    let response = match outcome {
                        Ok(Ok(response)) => response,
                        Ok(Err(never)) => match never {},
                        Err(panic) => panic_response(panic),
                    };
                    with_limit_headers(response, decision)
                }
            };
            ensure_envelope(response).await
        };
        // Lines logged while the handler runs carry the request's id, method and route. The
        // JSON format prints them from the task-local context (`log_format`); the pretty
        // format gets them from a `tracing` span.
        let mut response = if crate::log_format::request_span_needed() {
            let span = tracing::info_span!(
                "request",
                request_id = ctx.request_id.as_str(),
                method = ctx.method.as_str(),
                route = ctx.route_template()
            );
            tracing::Instrument::instrument(context::scope(ctx.clone(), work), span).await
        } else {
            context::scope(ctx.clone(), work).await
        };

        let status = response.status();
        let latency = started.elapsed();
        let headers = response.headers_mut();
        if !preflight {
            self.cors.decorate(headers, origin.as_ref());
        }
        if let Ok(value) = HeaderValue::from_str(&ctx.request_id) {
            headers.insert(X_REQUEST_ID, value);
        }
        add_security_headers(headers, self.production);
        super::route_metrics::record(ctx.route_template(), &ctx.method, status, latency);
        log_access(&ctx, status, latency);
        response
    }
}

/// Long-lived realtime streams are exempt from the request timeout.
fn is_realtime_stream(path: &str) -> bool {
    path == "/api/ws" || path.starts_with("/api/realtime/")
}

/// Applies the body limit: `false` when `Content-Length` is already over it; otherwise a body
/// still to come is wrapped so reading past the limit fails (413 from the extractor). A body
/// that is already complete (every GET) has nothing to limit and keeps its allocation.
fn limit_body(req: &mut Request, limit: usize) -> bool {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
    let cap = match declared {
        Some(length) if length > limit => return false,
        Some(length) => limit.min(length),
        None => limit,
    };
    if !req.body().is_end_stream() {
        let body = std::mem::take(req.body_mut());
        *req.body_mut() = Body::new(http_body_util::Limited::new(body, cap));
    }
    true
}

/// 413 for a declared body over the limit; the envelope is made by `ensure_envelope`, with the
/// message tower-http's body limit gave it before.
fn payload_too_large() -> Response {
    let mut response = Response::new(Body::from("length limit exceeded"));
    *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn timed_out() -> Response {
    AppError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "REQUEST_TIMEOUT",
        "The request took too long; try again",
    )
    .into_response()
}

fn with_limit_headers(mut response: Response, decision: Option<Decision>) -> Response {
    if let Some(decision) = decision {
        rate_limit::add_headers(&mut response, decision);
    }
    response
}

/// The access line: request id, method, route, status, latency, user id, ip. Written straight
/// to the log queue when the JSON format is on (`log_format::AccessLine`, same bytes), else
/// through `tracing`. 5xx answers are logged at `warn`.
fn log_access(ctx: &RequestContext, status: StatusCode, latency: Duration) {
    let latency_ms = (latency.as_secs_f64() * 1000.0 * 100.0).round() / 100.0;
    let user_id = ctx.user_id.get().map(String::as_str).unwrap_or("");
    let route = ctx.route_template();
    let method = ctx.method.as_str();
    let server_error = status.is_server_error();
    if let Some(queue) = crate::log_writer::direct_access_queue() {
        // `enabled!` takes its level as a literal (one callsite per level).
        let enabled = if server_error {
            tracing::enabled!(target: "access", tracing::Level::WARN)
        } else {
            tracing::enabled!(target: "access", tracing::Level::INFO)
        };
        if enabled {
            let level = if server_error {
                tracing::Level::WARN
            } else {
                tracing::Level::INFO
            };
            let line = crate::log_format::AccessLine {
                level,
                request_id: &ctx.request_id,
                method,
                route,
                status: status.as_u16(),
                latency_ms,
                user_id,
                ip: &ctx.ip,
            };
            queue.send(line.render(SystemTime::now()).into_bytes());
        }
        return;
    }
    let request_id = ctx.request_id.as_str();
    let ip = ctx.ip.as_str();
    if server_error {
        tracing::warn!(target: "access", request_id, method, route, status = status.as_u16(), latency_ms, user_id, ip, "request");
    } else {
        tracing::info!(target: "access", request_id, method, route, status = status.as_u16(), latency_ms, user_id, ip, "request");
    }
}
