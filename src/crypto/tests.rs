//! Unit tests of the secret envelope: round trip, nonces, binding to user and key, rotation.

use super::*;

const KEY_A: [u8; 32] = [7u8; 32];
const KEY_B: [u8; 32] = [9u8; 32];

#[test]
fn round_trip_returns_the_plaintext_in_the_documented_format() {
    let sb = SecretBox::new(KEY_A);
    let stored = sb.encrypt("my-api-secret", "user-1").unwrap();
    assert!(stored.starts_with(&format!("v1:{}:", key_id(&KEY_A))));
    assert!(!stored.contains("my-api-secret"));
    assert_eq!(sb.decrypt(&stored, "user-1").unwrap(), "my-api-secret");
    assert_eq!(SecretBox::key_id_of(&stored), Some(sb.current_key_id()));
    assert!(!sb.needs_rotation(&stored));
}

#[test]
fn every_value_gets_a_fresh_nonce() {
    let sb = SecretBox::new(KEY_A);
    let a = sb.encrypt("same", "u").unwrap();
    let b = sb.encrypt("same", "u").unwrap();
    assert_ne!(a, b);
    let nonce = |s: &str| {
        let data = s.rsplit(':').next().unwrap();
        B64.decode(data).unwrap()[..12].to_vec()
    };
    assert_ne!(nonce(&a), nonce(&b));
}

#[test]
fn another_users_id_does_not_open_the_value() {
    let sb = SecretBox::new(KEY_A);
    let stored = sb.encrypt("secret", "alice").unwrap();
    assert_eq!(sb.decrypt(&stored, "bob"), Err(CryptoError::Decrypt));
}

#[test]
fn another_key_does_not_open_the_value() {
    let stored = SecretBox::new(KEY_A).encrypt("secret", "u").unwrap();
    let other = SecretBox::new(KEY_B);
    assert!(matches!(
        other.decrypt(&stored, "u"),
        Err(CryptoError::UnknownKey(_))
    ));
    // Even when the id is forged to match, the wrong key fails authentication.
    let forged = stored.replace(&key_id(&KEY_A), other.current_key_id());
    assert_eq!(other.decrypt(&forged, "u"), Err(CryptoError::Decrypt));
}

#[test]
fn tampered_or_malformed_values_fail_without_panicking() {
    let sb = SecretBox::new(KEY_A);
    let stored = sb.encrypt("secret", "u").unwrap();
    let (prefix, data) = stored.rsplit_once(':').unwrap();
    let mut blob = B64.decode(data).unwrap();
    let last = blob.len() - 1;
    blob[last] ^= 1;
    let tampered = format!("{prefix}:{}", B64.encode(blob));
    assert_eq!(sb.decrypt(&tampered, "u"), Err(CryptoError::Decrypt));
    let id = sb.current_key_id().to_string();
    let (empty, junk, short) = (
        format!("v1:{id}:"),
        format!("v1:{id}:no b64!"),
        format!("v1:{id}:AAAA"),
    );
    for bad in [
        "",
        "plaintext",
        "v1:",
        "v2:abcd1234:AAAA",
        "v1:zzzzzzzz:AAAA",
        &empty,
        &junk,
        &short,
    ] {
        assert!(sb.decrypt(bad, "u").is_err(), "{bad:?}");
    }
    assert!(sb.needs_rotation("plaintext"));
}

#[test]
fn rotation_opens_old_values_and_reseals_under_the_current_key() {
    let old = SecretBox::new(KEY_A);
    let stored = old.encrypt("secret", "u").unwrap();
    let new = SecretBox::new(KEY_B).with_previous_key(&key_id(&KEY_A), KEY_A);
    assert!(new.needs_rotation(&stored));
    assert_eq!(new.decrypt(&stored, "u").unwrap(), "secret");
    let rotated = new.rotate(&stored, "u").unwrap();
    assert!(!new.needs_rotation(&rotated));
    assert_eq!(
        SecretBox::key_id_of(&rotated),
        Some(key_id(&KEY_B).as_str())
    );
    assert_eq!(new.decrypt(&rotated, "u").unwrap(), "secret");
    assert!(old.decrypt(&rotated, "u").is_err());
}

#[test]
fn config_key_is_current_and_the_old_key_still_opens() {
    let dir = std::env::temp_dir().join(format!("amarktai-crypto-{}", uuid::Uuid::new_v4()));
    let vars = std::collections::HashMap::from([
        ("DATA_DIR".to_string(), dir.display().to_string()),
        ("API_KEY_ENCRYPTION_KEY".to_string(), B64.encode(KEY_B)),
        ("API_KEY_ENCRYPTION_KEY_OLD".to_string(), B64.encode(KEY_A)),
    ]);
    let configured = SecretBox::from_config(&Config::from_map(&vars).unwrap());
    assert_eq!(configured.current_key_id(), key_id(&KEY_B));
    let under_old = SecretBox::new(KEY_A).encrypt("old secret", "u").unwrap();
    assert_eq!(configured.decrypt(&under_old, "u").unwrap(), "old secret");
    assert!(configured.needs_rotation(&under_old));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn debug_shows_key_ids_only() {
    let debug = format!("{:?}", SecretBox::new(KEY_A));
    assert!(debug.contains(&key_id(&KEY_A)));
    assert!(!debug.contains("7, 7"));
}

#[test]
fn masking_keeps_four_chars_each_side_and_hides_short_values() {
    assert_eq!(mask_secret("abcdefghijklmnop"), "abcd...mnop");
    assert_eq!(mask_secret("abcdefghi"), "abcd...fghi");
    assert_eq!(mask_secret("abcdefgh"), "****");
    assert_eq!(mask_secret(""), "****");
    assert_eq!(mask_secret("ключ-секрет-длинный"), "ключ...нный");
}
