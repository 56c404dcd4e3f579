//! JWT issue/verify: HS256 only, `exp` required, algorithm pinned (no `none`, no RS/HS confusion).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::domain::user::User;

/// Token claims. `sub` and `user_id` carry the same id; old tokens may only have `user_id`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    pub exp: i64,
    #[serde(default)]
    pub iat: i64,
    #[serde(default)]
    pub jti: String,
    #[serde(default)]
    pub ver: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// "access" for ours; other scopes (e.g. "admin_unlock") are never accepted as access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
}

impl Claims {
    /// The last moment (Unix seconds) this token is accepted: its expiry plus the clock-skew
    /// leeway. A revocation must be kept at least until then.
    pub fn accepted_until(&self) -> i64 {
        self.exp.saturating_add(LEEWAY_SECONDS)
    }

    /// The subject: `sub`, or the legacy `user_id` claim.
    pub fn subject(&self) -> Option<&str> {
        self.sub
            .as_deref()
            .or(self.user_id.as_deref())
            .filter(|s| !s.is_empty())
    }
}

/// Why a token was refused (logged at debug level only; clients see one uniform message).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TokenError {
    #[error("token invalid: {0}")]
    Invalid(String),
    #[error("token expired")]
    Expired,
    #[error("token issued in the future")]
    FutureIat,
    #[error("token has no subject")]
    NoSubject,
    #[error("token has the wrong scope")]
    WrongScope,
}

/// Keys and validation rules, built once at boot.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// The first segment of every token we sign (base64url of our fixed HS256 header).
    own_header: String,
    /// HMAC-SHA256 keyed once with the secret; cloned per check instead of re-keyed.
    mac: Hmac<Sha256>,
    /// Tokens whose signature this process verified, by their exact text, with their claims:
    /// a string equal to a verified token carries the same signature over the same bytes, so
    /// the HMAC, base64 and JSON work need not be redone on every request of a session. The
    /// clock, scope and store checks still run each time. Only verified tokens get in, so its
    /// size is bounded by the tokens in use (and by `MAX_VERIFIED`); the secret is fixed for
    /// the life of the process.
    verified: Mutex<HashMap<Box<str>, Claims>>,
}

/// Verified tokens remembered at most; past it the memory starts over.
const MAX_VERIFIED: usize = 4096;

/// Clock skew tolerated for `exp` and `iat`.
const LEEWAY_SECONDS: i64 = 30;

impl JwtKeys {
    pub fn new(secret: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        // `exp` must be present, but it is checked in `verify_any` against the app clock:
        // the library would compare it with the wall clock, which a `ManualClock` cannot move.
        validation.validate_exp = false;
        validation.leeway = LEEWAY_SECONDS as u64;
        validation.set_required_spec_claims(&["exp"]);
        let encoding = EncodingKey::from_secret(secret.as_bytes());
        let own_header = encode(&Header::new(Algorithm::HS256), &(), &encoding)
            .ok()
            .and_then(|t| t.split('.').next().map(str::to_string))
            .unwrap_or_default();
        Self {
            encoding,
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
            own_header,
            mac: <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
                .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length")),
            verified: Mutex::new(HashMap::new()),
        }
    }

    /// Issues an access token for `user`; returns the token and its claims.
    pub fn issue_access(
        &self,
        user: &User,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<(String, Claims), TokenError> {
        let claims = Claims {
            sub: Some(user.id.clone()),
            user_id: Some(user.id.clone()),
            exp: (now + ttl).timestamp(),
            iat: now.timestamp(),
            jti: uuid::Uuid::new_v4().to_string(),
            ver: user.token_version,
            role: Some(user.role.as_str().to_string()),
            typ: Some("access".into()),
        };
        let token = self.sign(&claims)?;
        Ok((token, claims))
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, TokenError> {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| TokenError::Invalid(e.to_string()))
    }

    /// Verifies signature, algorithm, expiry and `iat`; returns claims of an access token.
    pub fn verify_access(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        self.check_access(self.verify_signature(token)?, now)
    }

    /// The time, subject and scope checks of `verify_access` on claims whose signature was
    /// already verified (the rate limiter verifies a request's token before authentication
    /// does; the signature is not checked twice, the clock is).
    pub fn check_access(&self, claims: Claims, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        let claims = check_times(claims, now)?;
        match claims.typ.as_deref() {
            None | Some("access") => Ok(claims),
            Some(_) => Err(TokenError::WrongScope),
        }
    }

    /// Verifies a token of any scope (callers check `typ`).
    pub fn verify_any(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        check_times(self.verify_signature(token)?, now)
    }

    /// Signature and algorithm only: the claims are not yet checked against the clock.
    fn verify_signature(&self, token: &str) -> Result<Claims, TokenError> {
        if let Some(claims) = self.lock_verified().get(token) {
            return Ok(claims.clone());
        }
        let claims = match self.accept_own(token) {
            Some(claims) => claims,
            None => decode::<Claims>(token, &self.decoding, &self.validation)
                .map(|data| data.claims)
                .map_err(|e| TokenError::Invalid(e.to_string()))?,
        };
        let mut verified = self.lock_verified();
        if verified.len() >= MAX_VERIFIED {
            verified.clear();
        }
        verified.insert(token.into(), claims.clone());
        Ok(claims)
    }

    fn lock_verified(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, Claims>> {
        // Inserts are whole, so a panic elsewhere cannot leave a half-made entry.
        self.verified
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The common case without the library's per-call work (header JSON parse, HMAC keying,
    /// claims parsed twice; ~8 % of `/api/auth/me`): a token whose header segment is exactly
    /// the one we sign with, whose HMAC-SHA256 matches (constant-time) and whose claims parse.
    /// Only ever accepts: any other token, or any doubt (an `aud` claim, which the library
    /// refuses without a configured audience), returns `None` and the library decides, so this
    /// path accepts a subset of what `decode` accepts (tested against it).
    fn accept_own(&self, token: &str) -> Option<Claims> {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine as _;
        let (signed, signature) = token.rsplit_once('.')?;
        let (header, payload) = signed.split_once('.')?;
        if header.is_empty() || header != self.own_header {
            return None;
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let mut mac = self.mac.clone();
        mac.update(signed.as_bytes());
        mac.verify_slice(&signature).ok()?;
        let json = URL_SAFE_NO_PAD.decode(payload).ok()?;
        // Escapes could spell a key the library reads (`\u0061ud`); our tokens have neither.
        if json.contains(&b'\\') || json.windows(3).any(|w| w == b"aud") {
            return None;
        }
        serde_json::from_slice::<Claims>(&json).ok()
    }
}

fn check_times(claims: Claims, now: DateTime<Utc>) -> Result<Claims, TokenError> {
    if claims.exp < now.timestamp() - LEEWAY_SECONDS {
        return Err(TokenError::Expired);
    }
    if claims.iat > now.timestamp() + LEEWAY_SECONDS {
        return Err(TokenError::FutureIat);
    }
    if claims.subject().is_none() {
        return Err(TokenError::NoSubject);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user::UserStatus;
    use base64::Engine as _;

    const SECRET: &str = "unit-test-secret-0123456789-abcdefghijkl";

    fn user() -> User {
        User::new("a@b.co", "A", "h".into(), UserStatus::Active, Utc::now())
    }

    fn b64(v: &serde_json::Value) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    }

    #[test]
    fn issued_token_verifies_with_all_claims() {
        let keys = JwtKeys::new(SECRET);
        let u = user();
        let (token, claims) = keys
            .issue_access(&u, Utc::now(), Duration::minutes(5))
            .unwrap();
        let back = keys.verify_access(&token, Utc::now()).unwrap();
        assert_eq!(back, claims);
        assert_eq!(back.sub.as_deref(), Some(u.id.as_str()));
        assert_eq!(back.user_id, back.sub);
        assert_eq!(back.role.as_deref(), Some("user"));
        assert!(!back.jti.is_empty());
    }

    #[test]
    fn expired_wrong_secret_and_tampered_tokens_are_refused() {
        let keys = JwtKeys::new(SECRET);
        let past = Utc::now() - Duration::hours(2);
        let (expired, _) = keys
            .issue_access(&user(), past, Duration::minutes(5))
            .unwrap();
        assert!(keys.verify_access(&expired, Utc::now()).is_err());

        let other = JwtKeys::new("another-secret-0123456789-abcdefghijklmn");
        let (foreign, _) = other
            .issue_access(&user(), Utc::now(), Duration::minutes(5))
            .unwrap();
        assert!(keys.verify_access(&foreign, Utc::now()).is_err());

        let (token, _) = keys
            .issue_access(&user(), Utc::now(), Duration::minutes(5))
            .unwrap();
        let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
        parts[1] = b64(
            &serde_json::json!({"sub": "admin", "exp": 9999999999i64, "jti": "x", "role": "admin"}),
        );
        assert!(keys.verify_access(&parts.join("."), Utc::now()).is_err());
    }

    #[test]
    fn alg_none_and_future_iat_and_missing_exp_are_refused() {
        let keys = JwtKeys::new(SECRET);
        let body = serde_json::json!({"sub": "u", "exp": Utc::now().timestamp() + 600, "jti": "j"});
        let none = format!(
            "{}.{}.",
            b64(&serde_json::json!({"alg": "none", "typ": "JWT"})),
            b64(&body)
        );
        assert!(keys.verify_access(&none, Utc::now()).is_err());

        let mut claims = Claims {
            sub: Some("u".into()),
            user_id: None,
            exp: Utc::now().timestamp() + 600,
            iat: Utc::now().timestamp() + 3600,
            jti: "j".into(),
            ver: 0,
            role: None,
            typ: None,
        };
        let future = keys.sign(&claims).unwrap();
        assert_eq!(
            keys.verify_access(&future, Utc::now()),
            Err(TokenError::FutureIat)
        );

        claims.iat = Utc::now().timestamp();
        claims.typ = Some("admin_unlock".into());
        let scoped = keys.sign(&claims).unwrap();
        assert_eq!(
            keys.verify_access(&scoped, Utc::now()),
            Err(TokenError::WrongScope)
        );

        let no_exp = serde_json::json!({"sub": "u", "jti": "j"});
        let token = encode(
            &Header::new(Algorithm::HS256),
            &no_exp,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        assert!(keys.verify_access(&token, Utc::now()).is_err());
    }

    #[test]
    fn expiry_is_judged_by_the_given_time_with_the_leeway() {
        let keys = JwtKeys::new(SECRET);
        let issued = Utc::now();
        let (token, _) = keys
            .issue_access(&user(), issued, Duration::minutes(5))
            .unwrap();
        let at = |secs: i64| keys.verify_access(&token, issued + Duration::seconds(secs));
        assert!(at(300).is_ok());
        assert!(at(300 + LEEWAY_SECONDS).is_ok());
        assert_eq!(at(301 + LEEWAY_SECONDS), Err(TokenError::Expired));
        // A clock set back makes an otherwise expired token valid again: only `now` decides.
        let (old, _) = keys
            .issue_access(&user(), issued - Duration::hours(2), Duration::minutes(5))
            .unwrap();
        assert!(keys.verify_access(&old, issued).is_err());
        assert!(keys
            .verify_access(&old, issued - Duration::hours(2))
            .is_ok());
    }

    #[test]
    fn a_remembered_token_is_reused_only_for_its_exact_text() {
        let keys = JwtKeys::new(SECRET);
        let now = Utc::now();
        let (token, claims) = keys
            .issue_access(&user(), now, Duration::minutes(5))
            .unwrap();
        assert_eq!(keys.verify_access(&token, now).unwrap(), claims);
        assert_eq!(keys.verify_access(&token, now).unwrap(), claims);
        assert_eq!(keys.lock_verified().len(), 1);
        // Every one-character change of a remembered token is checked afresh and refused.
        let bytes = token.as_bytes();
        for i in 0..bytes.len() {
            for c in [b'A', b'x', b'_', b'.'] {
                if bytes[i] == c {
                    continue;
                }
                let mut changed = bytes.to_vec();
                changed[i] = c;
                let changed = String::from_utf8(changed).unwrap();
                assert!(keys.verify_access(&changed, now).is_err(), "{changed}");
            }
        }
        assert_eq!(
            keys.lock_verified().len(),
            1,
            "refused tokens are not remembered"
        );
        // Another secret never sees this process's memory.
        assert!(JwtKeys::new(&format!("{SECRET}-other"))
            .verify_access(&token, now)
            .is_err());
    }

    #[test]
    fn remembered_tokens_are_bounded() {
        let keys = JwtKeys::new(SECRET);
        let now = Utc::now();
        for _ in 0..=MAX_VERIFIED {
            let (token, _) = keys
                .issue_access(&user(), now, Duration::minutes(5))
                .unwrap();
            keys.verify_access(&token, now).unwrap();
        }
        assert!(keys.lock_verified().len() <= MAX_VERIFIED);
    }

    #[test]
    fn accepted_until_is_the_last_second_the_clock_check_passes() {
        // Logout keeps a revocation until `accepted_until`; it must cover every accepted second.
        let keys = JwtKeys::new(SECRET);
        let issued = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let (token, claims) = keys
            .issue_access(&user(), issued, Duration::minutes(5))
            .unwrap();
        let last = DateTime::from_timestamp(claims.accepted_until(), 0).unwrap();
        assert!(keys.verify_access(&token, last).is_ok());
        assert_eq!(
            keys.verify_access(&token, last + Duration::seconds(1)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn already_verified_claims_still_face_the_clock_and_the_scope() {
        let keys = JwtKeys::new(SECRET);
        let issued = Utc::now();
        let (token, claims) = keys
            .issue_access(&user(), issued, Duration::minutes(5))
            .unwrap();
        let verified = keys.verify_access(&token, issued).unwrap();
        assert_eq!(verified.jti, claims.jti);
        assert!(keys.check_access(verified.clone(), issued).is_ok());
        let late = issued + Duration::seconds(301 + LEEWAY_SECONDS);
        assert_eq!(
            keys.check_access(verified.clone(), late),
            Err(TokenError::Expired),
            "a signature checked earlier does not stretch the expiry"
        );
        let refresh = Claims {
            typ: Some("refresh".into()),
            ..verified
        };
        assert_eq!(
            keys.check_access(refresh, issued),
            Err(TokenError::WrongScope)
        );
    }

    #[test]
    fn the_own_token_path_accepts_only_what_the_library_accepts() {
        let keys = JwtKeys::new(SECRET);
        let other = JwtKeys::new("another-secret-0123456789-abcdefghijkl");
        let now = Utc::now();
        let (token, claims) = keys
            .issue_access(&user(), now, Duration::minutes(5))
            .unwrap();
        assert_eq!(
            keys.accept_own(&token),
            Some(claims.clone()),
            "ours: fast path"
        );
        let library = |t: &str| {
            decode::<Claims>(t, &keys.decoding, &keys.validation)
                .map(|d| d.claims)
                .ok()
        };
        let mut cases = vec![
            token.clone(),
            other
                .issue_access(&user(), now, Duration::minutes(5))
                .unwrap()
                .0,
            format!("{token}x"),
            format!("x{token}"),
            token.replacen('.', "..", 1),
            format!("{}.{}", token, "AAAA"),
        ];
        let header = token.split('.').next().unwrap().to_string();
        let mut signed_with = |payload: &str| {
            use base64::Engine as _;
            let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload);
            let signed = format!("{header}.{body}");
            let mut mac = keys.mac.clone();
            mac.update(signed.as_bytes());
            let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(mac.finalize().into_bytes());
            cases.push(format!("{signed}.{sig}"));
        };
        // Correctly signed but refused by the library (audience, no exp) or odd.
        signed_with(r#"{"sub":"u","exp":9999999999,"aud":"x"}"#);
        signed_with(r#"{"sub":"u","exp":9999999999,"\u0061ud":"x"}"#);
        signed_with(r#"{"sub":"u"}"#);
        signed_with(r#"{"sub":"u","exp":"soon"}"#);
        signed_with(r#"{"sub":"u","exp":9999999999}"#);
        signed_with(r#"{"sub":"u","exp":9999999999,"exp":1}"#);
        // Every single-character change of the valid token.
        for i in 0..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            cases.push(String::from_utf8(bytes).unwrap());
        }
        for case in &cases {
            let fast = keys.accept_own(case);
            if let Some(claims) = &fast {
                assert_eq!(
                    library(case).as_ref(),
                    Some(claims),
                    "fast path accepted what the library refuses: {case}"
                );
            }
            assert_eq!(
                keys.verify_signature(case).ok(),
                library(case),
                "verify differs from the library: {case}"
            );
        }
    }

    #[test]
    fn legacy_user_id_claim_is_accepted_as_subject() {
        let keys = JwtKeys::new(SECRET);
        let legacy = serde_json::json!({"user_id": "legacy-1", "exp": Utc::now().timestamp() + 600, "jti": "j"});
        let token = encode(
            &Header::new(Algorithm::HS256),
            &legacy,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        let claims = keys.verify_access(&token, Utc::now()).unwrap();
        assert_eq!(claims.subject(), Some("legacy-1"));
    }
}
