//! A fake exchange's side of authentication: re-derives each signature from the received
//! request exactly as the exchange documents it (shared by the exchange integration tests).

use base64::Engine as _;
use chrono::Utc;
use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha512};
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

fn header<'a>(req: &'a Request, name: &str) -> Result<&'a str, String> {
    req.headers
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

/// Re-derives the request's authentication from the exchange's documentation.
pub fn verify(provider: Provider, key: &str, secret: &str, req: &Request) -> Result<(), String> {
    eq("method", req.method.as_str(), "GET")?;
    let path = req.url.path();
    match provider {
        Provider::Luno => {
            eq("path", path, "/api/1/balance")?;
            let want = format!("Basic {}", b64(format!("{key}:{secret}").as_bytes()));
            eq("authorization", header(req, "authorization")?, &want)
        }
        Provider::Binance => {
            eq("path", path, "/api/v3/account")?;
            eq("X-MBX-APIKEY", header(req, "x-mbx-apikey")?, key)?;
            let query = req.url.query().ok_or("no query string")?;
            let (signed, signature) = query.split_once("&signature=").ok_or("no signature")?;
            eq(
                "signature",
                signature,
                &hex::encode(hmac256(secret, signed)),
            )?;
            let params: Vec<(String, String)> = url_pairs(signed);
            let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
            eq("recvWindow", get("recvWindow").unwrap_or(""), "5000")?;
            fresh(get("timestamp").ok_or("no timestamp")?)
        }
        Provider::Kucoin => {
            eq("path", path, "/api/v1/accounts")?;
            eq("KC-API-KEY", header(req, "kc-api-key")?, key)?;
            eq(
                "KC-API-KEY-VERSION",
                header(req, "kc-api-key-version")?,
                "2",
            )?;
            let ts = header(req, "kc-api-timestamp")?;
            fresh(ts)?;
            let endpoint = match req.url.query() {
                Some(q) => format!("{path}?{q}"),
                None => path.to_string(),
            };
            let body = String::from_utf8_lossy(&req.body);
            let prehash = format!("{ts}GET{endpoint}{body}");
            eq(
                "KC-API-SIGN",
                header(req, "kc-api-sign")?,
                &b64(&hmac256(secret, &prehash)),
            )?;
            let want = b64(&hmac256(secret, PASSPHRASE));
            eq(
                "KC-API-PASSPHRASE",
                header(req, "kc-api-passphrase")?,
                &want,
            )
        }
        Provider::Valr => {
            eq("path", path, "/v1/account/balances")?;
            eq("X-VALR-API-KEY", header(req, "x-valr-api-key")?, key)?;
            let ts = header(req, "x-valr-timestamp")?;
            fresh(ts)?;
            let body = String::from_utf8_lossy(&req.body);
            let prehash = format!("{ts}GET{path}{body}");
            let want = hex::encode(hmac512(secret, &prehash));
            eq("X-VALR-SIGNATURE", header(req, "x-valr-signature")?, &want)
        }
        Provider::Ovex | Provider::OpenAi => {
            let want_path = if provider == Provider::Ovex {
                "/api/v2/account"
            } else {
                "/v1/models"
            };
            eq("path", path, want_path)?;
            eq(
                "authorization",
                header(req, "authorization")?,
                &format!("Bearer {key}"),
            )
        }
    }
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Matches only requests whose signature checks out for (key, secret).
pub struct SignedBy {
    pub provider: Provider,
    pub secret: &'static str,
}

impl Match for SignedBy {
    fn matches(&self, req: &Request) -> bool {
        verify(self.provider, KEY, self.secret, req).is_ok()
    }
}
