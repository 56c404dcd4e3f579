//! A fake exchange's side of authentication: re-derives each signature from the received
//! request exactly as the exchange documents it (shared by the exchange integration tests),
//! and the stateful fake exchange server (`live`).

pub mod live;

use base64::Engine as _;
use chrono::Utc;
use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha512};
use wiremock::http::HeaderMap;
use wiremock::{Match, Request};

use amarktai::exchange::Provider;

pub const KEY: &str = "AKtestkey0123456789";
pub const SECRET: &str = "sEcReT-0123456789-abcdef";
pub const PASSPHRASE: &str = "my-kucoin-passphrase";
/// A signature older or newer than this (vs the fake's clock) is refused.
pub const FRESHNESS_MS: i64 = 10_000;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn hmac256(key: &str, msg: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(msg.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn hmac512(key: &str, msg: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha512>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(msg.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, String> {
    headers
        .get(name)
        .ok_or(format!("missing header {name}"))?
        .to_str()
        .map_err(|_| format!("header {name} is not text"))
}

fn fresh(timestamp: &str) -> Result<(), String> {
    let ts: i64 = timestamp.parse().map_err(|_| "timestamp not ms")?;
    let skew = (Utc::now().timestamp_millis() - ts).abs();
    (skew <= FRESHNESS_MS)
        .then_some(())
        .ok_or(format!("timestamp off by {skew} ms"))
}

fn eq(what: &str, got: &str, want: &str) -> Result<(), String> {
    (got == want)
        .then_some(())
        .ok_or(format!("{what}: got {got:?}, want {want:?}"))
}

/// The parts of any received request that authentication looks at.
pub struct Signed<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

// Each test binary uses part of this module (key tests vs the stateful fake).
#[allow(dead_code)]
/// Re-derives the key test's authentication (GET on each provider's account endpoint).
pub fn verify(provider: Provider, key: &str, secret: &str, req: &Request) -> Result<(), String> {
    eq("method", req.method.as_str(), "GET")?;
    let path = req.url.path();
    let want_path = match provider {
        Provider::Luno => "/api/1/balance",
        Provider::Binance => "/api/v3/account",
        Provider::Kucoin => "/api/v1/accounts",
        Provider::Valr => "/v1/account/balances",
        Provider::Ovex => "/api/v2/account",
        Provider::OpenAi => "/v1/models",
    };
    eq("path", path, want_path)?;
    let signed = Signed {
        method: req.method.as_str(),
        path,
        query: req.url.query(),
        headers: &req.headers,
        body: &req.body,
    };
    if provider == Provider::Binance {
        // The key test always sends the documented 5000 ms window.
        let params = url_pairs(req.url.query().unwrap_or(""));
        let window = params.iter().find(|(n, _)| n == "recvWindow");
        eq("recvWindow", window.map_or("", |(_, v)| v.as_str()), "5000")?;
    }
    verify_request(provider, key, secret, &signed)
}

/// Re-derives any request's authentication (any method, path, query and body) exactly as the
/// exchange documents it.
pub fn verify_request(
    provider: Provider,
    key: &str,
    secret: &str,
    req: &Signed,
) -> Result<(), String> {
    let path = req.path;
    let endpoint = match req.query {
        Some(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path.to_string(),
    };
    let body = String::from_utf8_lossy(req.body);
    let method = req.method.to_ascii_uppercase();
    match provider {
        Provider::Luno => {
            let want = format!("Basic {}", b64(format!("{key}:{secret}").as_bytes()));
            eq(
                "authorization",
                header(req.headers, "authorization")?,
                &want,
            )
        }
        Provider::Binance => {
            eq("X-MBX-APIKEY", header(req.headers, "x-mbx-apikey")?, key)?;
            // totalParams = query string + body; the signature sits in whichever carries it.
            let total = format!("{}{body}", req.query.unwrap_or(""));
            let (signed, signature) = total.split_once("&signature=").ok_or("no signature")?;
            eq(
                "signature",
                signature,
                &hex::encode(hmac256(secret, signed)),
            )?;
            let params: Vec<(String, String)> = url_pairs(signed);
            let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
            fresh(get("timestamp").ok_or("no timestamp")?)
        }
        Provider::Kucoin => {
            eq("KC-API-KEY", header(req.headers, "kc-api-key")?, key)?;
            eq(
                "KC-API-KEY-VERSION",
                header(req.headers, "kc-api-key-version")?,
                "2",
            )?;
            let ts = header(req.headers, "kc-api-timestamp")?;
            fresh(ts)?;
            let prehash = format!("{ts}{method}{endpoint}{body}");
            eq(
                "KC-API-SIGN",
                header(req.headers, "kc-api-sign")?,
                &b64(&hmac256(secret, &prehash)),
            )?;
            let want = b64(&hmac256(secret, PASSPHRASE));
            eq(
                "KC-API-PASSPHRASE",
                header(req.headers, "kc-api-passphrase")?,
                &want,
            )
        }
        Provider::Valr => {
            eq(
                "X-VALR-API-KEY",
                header(req.headers, "x-valr-api-key")?,
                key,
            )?;
            let ts = header(req.headers, "x-valr-timestamp")?;
            fresh(ts)?;
            let prehash = format!("{ts}{method}{endpoint}{body}");
            let want = hex::encode(hmac512(secret, &prehash));
            eq(
                "X-VALR-SIGNATURE",
                header(req.headers, "x-valr-signature")?,
                &want,
            )
        }
        Provider::Ovex | Provider::OpenAi => eq(
            "authorization",
            header(req.headers, "authorization")?,
            &format!("Bearer {key}"),
        ),
    }
}

pub fn url_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Matches only requests whose signature checks out for (key, secret).
#[allow(dead_code)]
pub struct SignedBy {
    pub provider: Provider,
    pub secret: &'static str,
}

impl Match for SignedBy {
    fn matches(&self, req: &Request) -> bool {
        verify(self.provider, KEY, self.secret, req).is_ok()
    }
}
