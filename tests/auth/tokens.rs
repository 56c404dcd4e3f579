//! Token checks: forged, expired, misused and algorithm-confused tokens are refused uniformly;
//! revoked and expired token rows go away by themselves (purge in SQLite, TTL index in Mongo).

use amarktai::domain::clock::ManualClock;
use amarktai::domain::user::UserStatus;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::common::{Engine, TestApp, TestConfig};
use crate::on_both_engines;
use crate::{assert_401_uniform, sign};

fn b64(v: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

/// The claims of one of our tokens (not verified: tests only read their own tokens).
fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64");
    serde_json::from_slice(&bytes).expect("claims")
}

async fn forged_expired_and_misused_tokens_are_all_refused_uniformly(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let reg = app.register("victim@example.com").await;
    let id = reg["user"]["id"].as_str().unwrap();
    let secret = app.config.vars["JWT_SECRET"].clone();
    let now = chrono::Utc::now().timestamp();

    let expired = sign(
        &json!({"sub": id, "exp": now - 3600, "iat": now - 7200, "jti": "a", "ver": 0}),
        &secret,
    );
    let wrong_secret = sign(
        &json!({"sub": id, "exp": now + 3600, "iat": now, "jti": "b", "ver": 0}),
        "some-other-secret-that-is-32-bytes-long!",
    );
    let future_iat = sign(
        &json!({"sub": id, "exp": now + 7200, "iat": now + 3600, "jti": "c", "ver": 0}),
        &secret,
    );
    let alg_none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&json!({"sub": id, "exp": now + 3600, "jti": "d"}))
    );
    let token = reg["access_token"].as_str().unwrap();
    let mut parts: Vec<&str> = token.split('.').collect();
    let tampered_payload = b64(&json!({"sub": id, "exp": now + 3600, "jti": "e", "role": "admin"}));
    parts[1] = &tampered_payload;
    let tampered = parts.join(".");
    let refresh_as_access = reg["refresh_token"].as_str().unwrap().to_string();

    for bad in [
        expired,
        wrong_secret,
        future_iat,
        alg_none,
        tampered,
        refresh_as_access,
        "garbage".to_string(),
    ] {
        assert_401_uniform(app.get_auth("/api/auth/me", &bad).await).await;
    }
    assert_401_uniform(app.get("/api/auth/me").await).await;
    // An access token is not a refresh token.
    assert_401_uniform(
        app.post_json("/api/auth/refresh", json!({"refresh_token": token}))
            .await,
    )
    .await;
    // A legacy token carrying only `user_id` (and the right version) is accepted.
    let legacy = sign(
        &json!({"user_id": id, "exp": now + 3600, "iat": now, "jti": "legacy", "ver": 0}),
        &secret,
    );
    assert_eq!(app.get_auth("/api/auth/me", &legacy).await.status(), 200);
}

/// `header.payload.signature` with an HMAC-SHA256 signature under `secret`, whatever `alg` says.
fn hmac_sha256_token(header: &Value, claims: &Value, secret: &str) -> String {
    let signing_input = format!("{}.{}", b64(header), b64(claims));
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(signing_input.as_bytes());
    let signature =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

async fn tokens_headed_with_another_algorithm_are_refused(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let reg = app.register("alg@example.com").await;
    let id = reg["user"]["id"].as_str().unwrap();
    let secret = app.config.vars["JWT_SECRET"].clone();
    let now = chrono::Utc::now().timestamp();
    let claims =
        |jti: &str| json!({"sub": id, "exp": now + 3600, "iat": now, "jti": jti, "ver": 0});

    // Control: these claims, signed the way we sign, are accepted, so a refusal below is
    // about the algorithm and nothing else.
    let honest = hmac_sha256_token(
        &json!({"alg": "HS256", "typ": "JWT"}),
        &claims("ok"),
        &secret,
    );
    assert_eq!(app.get_auth("/api/auth/me", &honest).await.status(), 200);

    // RS/HS confusion: an RS256 header over a MAC made with our secret as if it were a key.
    let rs256 = hmac_sha256_token(
        &json!({"alg": "RS256", "typ": "JWT"}),
        &claims("rs"),
        &secret,
    );
    assert_401_uniform(app.get_auth("/api/auth/me", &rs256).await).await;
    // Another HMAC algorithm, correctly signed with our secret, is still not HS256.
    for alg in [
        jsonwebtoken::Algorithm::HS384,
        jsonwebtoken::Algorithm::HS512,
    ] {
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(alg),
            &claims("hs"),
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap();
        assert_401_uniform(app.get_auth("/api/auth/me", &token).await).await;
    }
}

async fn expired_revoked_and_refresh_rows_are_purged_when_their_time_is_up(engine: Engine) {
    let clock = ManualClock::new(chrono::Utc::now());
    let app = TestApp::spawn_with_clock(TestConfig::new(&engine), clock.clone()).await;
    let reg = app.register("purge@example.com").await;
    let access = reg["access_token"].as_str().unwrap();
    let refresh = reg["refresh_token"].as_str().unwrap();
    let jti = claims_of(access)["jti"].as_str().unwrap().to_string();
    let refresh_hash = hex::encode(Sha256::digest(refresh.as_bytes()));
    let resp = app
        .post_auth(
            "/api/auth/logout",
            access,
            json!({"refresh_token": refresh}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let tokens = &app.state.store.tokens;
    assert!(tokens.is_jti_revoked(&jti).await.unwrap());

    // Nothing has expired yet: the purge keeps both rows.
    tokens.purge_expired(app.state.clock.now()).await.unwrap();
    assert!(tokens.is_jti_revoked(&jti).await.unwrap());
    assert!(tokens.find_refresh(&refresh_hash).await.unwrap().is_some());

    // Past the access token's expiry (1 day): its revocation row is no longer needed.
    clock.advance(chrono::Duration::days(2));
    let purged = tokens.purge_expired(app.state.clock.now()).await.unwrap();
    assert!(purged >= 1, "{purged}");
    assert!(!tokens.is_jti_revoked(&jti).await.unwrap());
    assert!(tokens.find_refresh(&refresh_hash).await.unwrap().is_some());

    // Past the refresh token's expiry (7 days): it goes too.
    clock.advance(chrono::Duration::days(6));
    tokens.purge_expired(app.state.clock.now()).await.unwrap();
    assert!(tokens.find_refresh(&refresh_hash).await.unwrap().is_none());
}

/// Sets the stored status of user `id` through the repository (no token version bump).
async fn set_status(app: &TestApp, id: &str, status: UserStatus) {
    let mut user = app.state.store.users.find_by_id(id).await.unwrap().unwrap();
    user.status = status;
    app.state.store.users.update(&user).await.unwrap();
}

async fn a_token_issued_before_the_account_became_pending_or_blocked_is_refused_with_403(
    engine: Engine,
) {
    let app = TestApp::spawn_on(&engine).await;
    let reg = app.register("later@example.com").await;
    let token = reg["access_token"].as_str().unwrap();
    let id = reg["user"]["id"].as_str().unwrap();
    assert_eq!(app.get_auth("/api/auth/me", token).await.status(), 200);
    assert_eq!(app.get_auth("/api/bots", token).await.status(), 200);

    for (status, code, detail) in [
        (
            UserStatus::Pending,
            "ACCOUNT_PENDING",
            "Account pending approval",
        ),
        (UserStatus::Blocked, "ACCOUNT_DISABLED", "Account disabled"),
    ] {
        set_status(&app, id, status).await;
        for path in ["/api/auth/me", "/api/bots"] {
            let resp = app.get_auth(path, token).await;
            assert_eq!(resp.status(), 403, "{path} while {status:?}");
            let b: Value = resp.json().await.unwrap();
            assert_eq!(b["error"]["code"], code, "{path}: {b}");
            assert_eq!(b["detail"], detail, "{path}: {b}");
        }
        // The refusal is about the account, not the token: back to active, the same token works.
        set_status(&app, id, UserStatus::Active).await;
        assert_eq!(app.get_auth("/api/auth/me", token).await.status(), 200);
    }
}

on_both_engines!(
    forged_expired_and_misused_tokens_are_all_refused_uniformly,
    tokens_headed_with_another_algorithm_are_refused,
    expired_revoked_and_refresh_rows_are_purged_when_their_time_is_up,
    a_token_issued_before_the_account_became_pending_or_blocked_is_refused_with_403,
);

/// In MongoDB the server itself deletes expired token rows: both collections carry a TTL index
/// on `expires_at` (expire at that time) after migrations.
#[tokio::test]
async fn mongo_token_collections_have_ttl_indexes() {
    let Some(engine) = Engine::mongo() else {
        return;
    };
    let app = TestApp::spawn_on(&engine).await;
    let (url, name) = app.config.mongo_db.clone().expect("mongo db");
    let client = mongodb::Client::with_uri_str(&url).await.unwrap();
    let db = client.database(&name);
    for collection in ["revoked_tokens", "refresh_tokens"] {
        let mut cursor = db
            .collection::<mongodb::bson::Document>(collection)
            .list_indexes()
            .await
            .unwrap();
        let mut ttl = None;
        while cursor.advance().await.unwrap() {
            let index = cursor.deserialize_current().unwrap();
            if index.keys.contains_key("expires_at") {
                ttl = index.options.and_then(|o| o.expire_after);
            }
        }
        assert_eq!(
            ttl,
            Some(std::time::Duration::ZERO),
            "{collection} has no TTL index on expires_at"
        );
    }
}
