//! Save/test bodies: every alias combination, JSON / form / multipart / untyped JSON, trimming,
//! and one-line 400s for what is missing or malformed.

use serde_json::{json, Value};

use crate::common::Engine;
use crate::on_both_engines;
use crate::{entry, multipart, post_json, post_raw, spawn, stored, user};
use amarktai::exchange::Credentials;

fn creds(key: &str, secret: Option<&str>, passphrase: Option<&str>) -> Credentials {
    Credentials {
        api_key: key.into(),
        api_secret: secret.map(Into::into),
        passphrase: passphrase.map(Into::into),
    }
}

async fn every_alias_combination_saves_the_same_credentials(engine: Engine) {
    let app = spawn(&engine).await;
    let (token, id) = user(&app, "aliases@example.com").await;
    let mut n = 0;
    for p in ["provider", "exchange", "platform"] {
        for k in ["api_key", "apiKey", "key"] {
            for s in ["api_secret", "apiSecret", "secret"] {
                n += 1;
                let (key, secret) = (format!("KEY-{n}-abcdefgh"), format!("SECRET-{n}-xyz"));
                let body =
                    json!({p: " Binance ", k: format!("  {key}\t"), s: format!("\n{secret} ")});
                let (status, resp) = post_json(&app, &token, "/api/keys/save", body).await;
                assert_eq!(status, 200, "{p}/{k}/{s}: {resp}");
                assert_eq!(resp["provider"], "binance");
                assert_eq!(resp["status"], "saved_untested");
                assert_eq!(resp["key_info"]["exchange"], "binance");
                assert_eq!(
                    stored(&app, &id, "binance").await,
                    Some(creds(&key, Some(&secret), None)),
                    "{p}/{k}/{s}"
                );
            }
        }
    }
}

async fn form_multipart_and_untyped_json_bodies_are_accepted(engine: Engine) {
    let app = spawn(&engine).await;
    let (token, id) = user(&app, "encodings@example.com").await;
    let save = "/api/keys/save";

    let form = "exchange=valr&apiKey=+valr-key-123456+&apiSecret=valr%2Bsecret%3D";
    let form_ct = Some("application/x-www-form-urlencoded");
    let (status, resp) = post_raw(&app, &token, save, form_ct, form).await;
    assert_eq!(status, 200, "{resp}");
    let want = creds("valr-key-123456", Some("valr+secret="), None);
    assert_eq!(stored(&app, &id, "valr").await, Some(want));

    let (ct, body) = multipart(&[
        ("platform", "kucoin"),
        ("key", " kc-key-0123456 "),
        ("secret", "kc-secret"),
        ("passphrase", " kc pass "),
        ("ignored", "x"),
    ]);
    let (status, resp) = post_raw(&app, &token, save, Some(&ct), body).await;
    assert_eq!(status, 200, "{resp}");
    let want = creds("kc-key-0123456", Some("kc-secret"), Some("kc pass"));
    assert_eq!(stored(&app, &id, "kucoin").await, Some(want));

    let raw = r#"{"provider":"luno","api_key":"luno-key-98765","api_secret":"luno-sec"}"#;
    for content_type in [None, Some("text/plain"), Some("application/octet-stream")] {
        let (status, resp) = post_raw(&app, &token, save, content_type, raw).await;
        assert_eq!(status, 200, "{content_type:?}: {resp}");
    }
    let want = creds("luno-key-98765", Some("luno-sec"), None);
    assert_eq!(stored(&app, &id, "luno").await, Some(want));

    let (status, resp) = post_raw(
        &app,
        &token,
        save,
        None,
        "provider=openai&key=sk-form-1234567",
    )
    .await;
    assert_eq!(status, 200, "form without a content type: {resp}");
    assert_eq!(
        stored(&app, &id, "openai").await,
        Some(creds("sk-form-1234567", None, None))
    );

    // The test route reads the same encodings (here: the saved key, named by a form field).
    let (status, resp) = post_raw(&app, &token, "/api/keys/test", form_ct, "exchange=kucoin").await;
    assert_eq!(status, 200, "{resp}");
    assert_eq!(resp["provider"], "kucoin");
}

async fn missing_or_malformed_fields_are_one_line_400s(engine: Engine) {
    let app = spawn(&engine).await;
    let (token, _) = user(&app, "bad-bodies@example.com").await;
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"api_key": "k-1234567", "api_secret": "s"}),
            "provider is required",
        ),
        (
            json!({"provider": "kraken", "api_key": "k"}),
            "unknown provider",
        ),
        (
            json!({"provider": "binance", "api_secret": "s"}),
            "api_key is required",
        ),
        (
            json!({"provider": "binance", "api_key": "   "}),
            "api_key is required",
        ),
        (
            json!({"provider": "binance", "api_key": "k"}),
            "api_secret is required for Binance",
        ),
        (
            json!({"exchange": "kucoin", "key": "k", "secret": "s"}),
            "passphrase is required for KuCoin",
        ),
        (
            json!({"provider": "luno", "api_key": ["k"], "api_secret": "s"}),
            "api_key must be text",
        ),
        (json!([1, 2]), "JSON object"),
    ];
    for (body, want) in cases {
        let (status, resp) = post_json(&app, &token, "/api/keys/save", body.clone()).await;
        let detail = resp["detail"].as_str().unwrap_or_default();
        assert_eq!(status, 400, "{body}: {resp}");
        assert!(detail.contains(want), "{body}: {detail:?} lacks {want:?}");
        assert!(!detail.contains('\n') && detail.len() <= 200, "{detail}");
        assert_eq!(resp["error"]["message"], detail);
    }
    for (ct, raw) in [
        (Some("application/json"), "{\"provider\": \"luno\""),
        (None, "this is not a key"),
    ] {
        let (status, resp) = post_raw(&app, &token, "/api/keys/save", ct, raw).await;
        assert_eq!(status, 400, "{raw}: {resp}");
    }
    let (status, resp) = post_raw(&app, &token, "/api/keys/save", None, "").await;
    assert_eq!(
        (
            status,
            resp["detail"]
                .as_str()
                .map(|d| d.starts_with("provider is required"))
        ),
        (400, Some(true))
    );
    for provider in ["binance", "luno", "kucoin", "openai"] {
        assert_eq!(
            entry(&app, &token, provider).await["status"],
            "not_configured"
        );
    }
}

on_both_engines!(
    every_alias_combination_saves_the_same_credentials,
    form_multipart_and_untyped_json_bodies_are_accepted,
    missing_or_malformed_fields_are_one_line_400s,
);
