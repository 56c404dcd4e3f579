//! Request signatures, exactly as each exchange documents them (pure functions, no I/O).

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha512};

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length, so construction cannot fail.
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn hmac_sha512(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac =
        <Hmac<Sha512> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// Binance `signature` parameter: hex(HMAC-SHA256(secret, total query string)).
pub fn binance_signature(secret: &str, query: &str) -> String {
    hex::encode(hmac_sha256(secret.as_bytes(), query.as_bytes()))
}

/// KuCoin `KC-API-SIGN`: base64(HMAC-SHA256(secret, timestamp + METHOD + endpoint + body)),
/// where `endpoint` is the path including any query string.
pub fn kucoin_signature(
    secret: &str,
    timestamp_ms: i64,
    method: &str,
    endpoint: &str,
    body: &str,
) -> String {
    let prehash = format!(
        "{timestamp_ms}{}{endpoint}{body}",
        method.to_ascii_uppercase()
    );
    base64::engine::general_purpose::STANDARD
        .encode(hmac_sha256(secret.as_bytes(), prehash.as_bytes()))
}

/// KuCoin `KC-API-PASSPHRASE` for key version 2: base64(HMAC-SHA256(secret, passphrase)).
pub fn kucoin_passphrase(secret: &str, passphrase: &str) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(hmac_sha256(secret.as_bytes(), passphrase.as_bytes()))
}

/// VALR `X-VALR-SIGNATURE`: hex(HMAC-SHA512(secret, timestamp + VERB + path + body)),
/// where `path` includes any query string.
pub fn valr_signature(
    secret: &str,
    timestamp_ms: i64,
    method: &str,
    path: &str,
    body: &str,
) -> String {
    let prehash = format!("{timestamp_ms}{}{path}{body}", method.to_ascii_uppercase());
    hex::encode(hmac_sha512(secret.as_bytes(), prehash.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of Binance's "SIGNED endpoint examples" documentation.
    #[test]
    fn binance_matches_the_documented_example() {
        let secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
        let query = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        assert_eq!(
            binance_signature(secret, query),
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
        );
    }

    /// RFC 4231 test case 2 ("Jefe"), so the HMAC wiring itself is pinned.
    #[test]
    fn hmac_matches_rfc_4231() {
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(
            hex::encode(hmac_sha512(b"Jefe", b"what do ya want for nothing?"))
                .starts_with("164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554")
        );
    }

    #[test]
    fn kucoin_and_valr_sign_the_documented_prehash() {
        let sig = kucoin_signature("s", 1_700_000_000_000, "get", "/api/v1/accounts", "");
        let expected = base64::engine::general_purpose::STANDARD
            .encode(hmac_sha256(b"s", b"1700000000000GET/api/v1/accounts"));
        assert_eq!(sig, expected);
        assert_eq!(
            kucoin_passphrase("s", "pp"),
            base64::engine::general_purpose::STANDARD.encode(hmac_sha256(b"s", b"pp"))
        );
        let sig = valr_signature("s", 1_700_000_000_000, "GET", "/v1/account/balances", "");
        assert_eq!(
            sig,
            hex::encode(hmac_sha512(b"s", b"1700000000000GET/v1/account/balances"))
        );
        assert_eq!(sig.len(), 128);
    }
}
