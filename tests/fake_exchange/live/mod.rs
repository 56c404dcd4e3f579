//! A stateful fake exchange: a real axum server on 127.0.0.1:0 that verifies every private
//! request's signature as the exchange does, keeps balances, fills market orders at the set
//! price and answers in that exchange's JSON shapes (one dialect module per exchange).
#![allow(dead_code)]

mod binance;
pub mod book;
mod kucoin;
mod luno;
mod ovex;
mod valr;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use amarktai::domain::orders::Side;
use amarktai::exchange::orders::SymbolRules;
use amarktai::exchange::{Pair, Provider};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{url_pairs, verify_request, Signed, KEY, SECRET};
use book::{Book, FeeStyle};

/// How long a `TimeoutAfterAccept` answer is held back: longer than the 1 s client timeout.
pub const TIMEOUT_HOLD: Duration = Duration::from_millis(2500);

/// An injected failure for the next request(s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// 429 with `Retry-After` and the exchange's rate-limit body; nothing is processed.
    RateLimited,
    /// 503; nothing is processed.
    ServerError,
    /// The request is processed (an order is stored and filled), then the answer is held back
    /// longer than the client's timeout.
    TimeoutAfterAccept,
}

/// One order-placement request that reached the endpoint (refused ones included).
#[derive(Debug, Clone)]
pub struct ReceivedOrder {
    pub path: String,
    pub body: String,
    /// Our client id as the exchange field carried it (OVEX has none).
    pub client_order_id: Option<String>,
}

/// A request as the dialect modules see it.
pub struct Req {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Req {
    /// A parameter from the query string, a form body or a JSON body.
    pub fn param(&self, name: &str) -> Option<String> {
        if let Some((_, v)) = self.query.iter().find(|(k, _)| k == name) {
            return Some(v.clone());
        }
        let text = String::from_utf8_lossy(&self.body);
        if let Ok(json) = serde_json::from_slice::<Value>(&self.body) {
            return json.get(name).and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Null => None,
                other => Some(other.to_string()),
            });
        }
        url_pairs(&text)
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    pub fn num(&self, name: &str) -> Option<f64> {
        self.param(name).and_then(|v| v.parse().ok())
    }
}

/// A dialect's answer: status and JSON body.
pub type Answer = (StatusCode, Value);

/// What one exchange's dialect implements.
pub(super) trait Dialect {
    /// Paths that need no signature (market info).
    fn is_public(path: &str) -> bool;
    /// Paths that place orders (recorded in `orders_received`).
    fn is_placement(method: &Method, path: &str) -> bool;
    /// The client id field of a placement request.
    fn client_id(req: &Req) -> Option<String>;
    fn auth_error() -> Answer;
    fn rate_limited() -> Value;
    fn handle(book: &mut Book, req: &Req) -> Answer;
}

struct Shared {
    provider: Provider,
    book: Mutex<Book>,
    failures: Mutex<VecDeque<Failure>>,
    /// Failures for order placements only (other calls pass).
    order_failures: Mutex<VecDeque<Failure>>,
    received: Mutex<Vec<ReceivedOrder>>,
}

/// Handle on a running fake; the server stops when the test's runtime ends.
pub struct FakeExchange {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

impl FakeExchange {
    pub async fn start(provider: Provider) -> FakeExchange {
        let fee_style = if provider == Provider::Kucoin {
            FeeStyle::Quote
        } else {
            FeeStyle::Received
        };
        let shared = Arc::new(Shared {
            provider,
            book: Mutex::new(Book::new(fee_style)),
            failures: Mutex::new(VecDeque::new()),
            order_failures: Mutex::new(VecDeque::new()),
            received: Mutex::new(Vec::new()),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake exchange");
        let addr = listener.local_addr().expect("fake exchange address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeExchange { shared, addr }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn book(&self) -> MutexGuard<'_, Book> {
        self.shared.book.lock().expect("book lock")
    }

    pub fn set_price(&self, pair: &str, price: f64) {
        let pair = Pair::parse(pair).expect("pair");
        self.book().prices.insert(pair.canonical(), price);
    }

    pub fn set_balance(&self, asset: &str, amount: f64) {
        self.book().available.insert(asset.to_string(), amount);
    }

    /// Available balance of `asset`.
    pub fn balance(&self, asset: &str) -> f64 {
        self.book().asset(asset).0
    }

    pub fn set_rules(&self, pair: &str, rules: SymbolRules) {
        let pair = Pair::parse(pair).expect("pair");
        self.book().rules.insert(pair.canonical(), rules);
    }

    pub fn fail_next(&self, n: usize, failure: Failure) {
        let mut failures = self.shared.failures.lock().expect("failures lock");
        failures.extend(std::iter::repeat_n(failure, n));
    }

    /// Like `fail_next`, for the next `n` order placements only (rules, balances and look-ups
    /// are answered normally).
    pub fn fail_next_order(&self, n: usize, failure: Failure) {
        let mut failures = self.shared.order_failures.lock().expect("failures lock");
        failures.extend(std::iter::repeat_n(failure, n));
    }

    /// Market orders fill `fraction` at once and the rest at the next look-up.
    pub fn set_partial_fill(&self, fraction: f64) {
        self.book().partial = Some(fraction);
    }

    /// A trade in the account's history that belongs to no order the platform placed.
    pub fn inject_trade(&self, pair: &str, side: Side, price: f64, amount: f64) -> u64 {
        let pair = Pair::parse(pair).expect("pair");
        self.book().inject_trade(&pair, side, price, amount)
    }

    pub fn orders_received(&self) -> Vec<ReceivedOrder> {
        self.shared.received.lock().expect("received lock").clone()
    }

    pub fn order_sends(&self) -> usize {
        self.shared.received.lock().expect("received lock").len()
    }

    /// Orders the fake has stored (accepted ones).
    pub fn orders_stored(&self) -> usize {
        self.book().orders.len()
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match shared.provider {
        Provider::Binance => serve::<binance::Binance>(&shared, method, uri, headers, body).await,
        Provider::Kucoin => serve::<kucoin::Kucoin>(&shared, method, uri, headers, body).await,
        Provider::Luno => serve::<luno::Luno>(&shared, method, uri, headers, body).await,
        Provider::Valr => serve::<valr::Valr>(&shared, method, uri, headers, body).await,
        Provider::Ovex => serve::<ovex::Ovex>(&shared, method, uri, headers, body).await,
        Provider::OpenAi => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn serve<D: Dialect>(
    shared: &Shared,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req = Req {
        method: method.clone(),
        path: uri.path().to_string(),
        query: uri.query().map(decode_query).unwrap_or_default(),
        body: body.to_vec(),
    };
    let placement = D::is_placement(&method, &req.path);
    if placement {
        shared
            .received
            .lock()
            .expect("received lock")
            .push(ReceivedOrder {
                path: req.path.clone(),
                body: String::from_utf8_lossy(&body).into_owned(),
                client_order_id: D::client_id(&req),
            });
    }
    let order_failure = if placement {
        shared
            .order_failures
            .lock()
            .expect("failures lock")
            .pop_front()
    } else {
        None
    };
    let failure =
        order_failure.or_else(|| shared.failures.lock().expect("failures lock").pop_front());
    match failure {
        Some(Failure::RateLimited) => {
            let mut response =
                (StatusCode::TOO_MANY_REQUESTS, axum::Json(D::rate_limited())).into_response();
            response
                .headers_mut()
                .insert("retry-after", HeaderValue::from_static("7"));
            return response;
        }
        Some(Failure::ServerError) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "<html>upstream down</html>",
            )
                .into_response()
        }
        _ => {}
    }
    let signed = Signed {
        method: method.as_str(),
        path: uri.path(),
        query: uri.query(),
        headers: &headers,
        body: &body,
    };
    let (status, json) = if !D::is_public(&req.path)
        && verify_request(shared.provider, KEY, SECRET, &signed).is_err()
    {
        D::auth_error()
    } else {
        let mut book = shared.book.lock().expect("book lock");
        D::handle(&mut book, &req)
    };
    if failure == Some(Failure::TimeoutAfterAccept) {
        tokio::time::sleep(TIMEOUT_HOLD).await;
    }
    (status, axum::Json(json)).into_response()
}

fn decode_query(query: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(query).unwrap_or_default()
}

/// Plain decimal text as the exchanges print amounts (8 places, trailing zeros kept).
pub fn dec(value: f64) -> String {
    format!("{value:.8}")
}

pub fn side_of(text: &str) -> Option<Side> {
    match text.to_ascii_lowercase().as_str() {
        "buy" | "bid" => Some(Side::Buy),
        "sell" | "ask" => Some(Side::Sell),
        _ => None,
    }
}
