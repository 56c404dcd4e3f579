//! `amarktai rotate-keys`: re-seals every stored value under the current key, resumably, as a
//! library call and through the real binary, on both engines.

use serde_json::json;

use crate::common::{Engine, TestApp, TestConfig};
use crate::on_both_engines;
use crate::storage::{same_store, save_all, PLAIN_KEY, PLAIN_PASSPHRASE};
use crate::{aes_key, entry, post_json, spawn, stored, user};
use amarktai::cli::{rotate_keys, rotate_store, sealer_for};
use amarktai::crypto::{key_id, SecretBox};

async fn rotate_keys_reseals_everything_and_can_resume(engine: Engine) {
    let first = spawn(&engine).await;
    let (token_a, id_a) = user(&first, "rot-a@example.com").await;
    let (token_b, id_b) = user(&first, "rot-b@example.com").await;
    save_all(&first, &token_a).await;
    save_all(&first, &token_b).await;
    let old_id = key_id(&[1u8; 32]);
    let new_id = key_id(&[2u8; 32]);

    let rotating = same_store(
        &first.config,
        &[
            ("API_KEY_ENCRYPTION_KEY", &aes_key(2)),
            ("API_KEY_ENCRYPTION_KEY_OLD", &aes_key(1)),
        ],
    );
    let cfg = rotating.config();
    assert!(
        sealer_for(&cfg, "0badc0de").is_err(),
        "an id the OLD key does not have"
    );
    assert!(
        sealer_for(&cfg, &new_id).is_err(),
        "the current key is not an old key"
    );
    let without_old = same_store(&first.config, &[("API_KEY_ENCRYPTION_KEY", &aes_key(2))]);
    assert!(sealer_for(&without_old.config(), &old_id).is_err());

    // An interrupted earlier run already re-sealed one record.
    let sealer = sealer_for(&cfg, &old_id).unwrap();
    let store = &first.state.store;
    let done = store.keys.find(&id_a, "openai").await.unwrap().unwrap();
    let resealed = sealer.rotate(&done.api_key_enc, &id_a).unwrap();
    assert!(store
        .keys
        .replace_encrypted(&done.id, &done.api_key_enc, &resealed, None, None)
        .await
        .unwrap());
    // A record under some third key is left alone and reported.
    let stray = SecretBox::new([3u8; 32]).encrypt("stray", &id_b).unwrap();
    let valr = json!({"provider": "valr", "api_key": "VALRKEY-0001", "api_secret": "s"});
    post_json(&first, &token_b, "/api/keys/save", valr).await;
    let rec = store.keys.find(&id_b, "valr").await.unwrap().unwrap();
    store
        .keys
        .replace_encrypted(&rec.id, &rec.api_key_enc, &stray, None, None)
        .await
        .unwrap();

    let report = rotate_keys(&cfg, &old_id).await.unwrap();
    assert_eq!(
        (
            report.rotated,
            report.already_current,
            report.other_key,
            report.failed
        ),
        (5, 1, 1, 0)
    );
    let again = rotate_store(store, &sealer, &old_id).await.unwrap();
    assert_eq!(
        (again.rotated, again.already_current),
        (0, 6),
        "a re-run changes nothing"
    );

    // A server with only the new key opens everything.
    let after = same_store(&first.config, &[("API_KEY_ENCRYPTION_KEY", &aes_key(2))]);
    let second = TestApp::spawn_with(after, axum::Router::new()).await;
    for (token, id) in [(&token_a, &id_a), (&token_b, &id_b)] {
        for provider in ["binance", "kucoin", "openai"] {
            let record = store.keys.find(id, provider).await.unwrap().unwrap();
            assert_eq!(
                SecretBox::key_id_of(&record.api_key_enc),
                Some(new_id.as_str())
            );
            assert_eq!(
                entry(&second, token, provider).await["status"],
                "saved_untested"
            );
            let creds = stored(&second, id, provider).await.unwrap();
            assert_eq!(creds.api_key, PLAIN_KEY);
        }
    }
    assert_eq!(
        stored(&second, &id_b, "kucoin")
            .await
            .unwrap()
            .passphrase
            .as_deref(),
        Some(PLAIN_PASSPHRASE)
    );
    assert_eq!(
        entry(&second, &token_b, "valr").await["status"],
        "test_failed"
    );
    drop(second);
    drop(first);
}

/// Runs the real binary with the test config's variables plus `extra`: (success, stdout+stderr).
async fn amarktai(config: &TestConfig, args: &[&str], extra: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_amarktai"));
    cmd.current_dir(config.dir.path())
        .env_remove("MONGODB_URL")
        .env_remove("API_KEY_ENCRYPTION_KEY_OLD")
        .envs(&config.vars)
        .envs(extra.iter().copied())
        .args(args);
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("binary runs"))
        .await
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

async fn rotate_keys_runs_from_the_command_line(engine: Engine) {
    let app = spawn(&engine).await;
    let (token, id) = user(&app, "cli-rotate@example.com").await;
    save_all(&app, &token).await;
    let old_id = key_id(&[1u8; 32]);
    let (new_key, old_key) = (aes_key(2), aes_key(1));
    let rotate = ["rotate-keys", "--old-key-id", old_id.as_str()];

    let (ok, out) = amarktai(
        &app.config,
        &rotate,
        &[("API_KEY_ENCRYPTION_KEY", &new_key)],
    )
    .await;
    assert!(
        !ok && out.contains("API_KEY_ENCRYPTION_KEY_OLD is not set"),
        "{out}"
    );
    let env = [
        ("API_KEY_ENCRYPTION_KEY", new_key.as_str()),
        ("API_KEY_ENCRYPTION_KEY_OLD", old_key.as_str()),
    ];
    let (ok, out) = amarktai(&app.config, &rotate, &env).await;
    assert!(ok && out.contains("rotated 3, already current 0"), "{out}");
    let (ok, out) = amarktai(&app.config, &rotate, &env).await;
    assert!(ok && out.contains("rotated 0, already current 3"), "{out}");
    let record = app
        .state
        .store
        .keys
        .find(&id, "kucoin")
        .await
        .unwrap()
        .unwrap();
    let new_id = key_id(&[2u8; 32]);
    assert_eq!(
        SecretBox::key_id_of(&record.passphrase_enc.unwrap()),
        Some(new_id.as_str())
    );
}

on_both_engines!(
    rotate_keys_reseals_everything_and_can_resume,
    rotate_keys_runs_from_the_command_line,
);
