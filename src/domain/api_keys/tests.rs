//! Unit tests of the key payload rules: aliases, trimming, required fields, messages.

use serde_json::json;

use super::*;

fn payload(value: Value) -> Result<KeyPayload, KeyRuleError> {
    KeyPayload::from_json(value.as_object().expect("object"))
}

#[test]
fn every_alias_spelling_lands_in_the_same_field_trimmed() {
    for (p, k, s) in [
        ("provider", "api_key", "api_secret"),
        ("exchange", "apiKey", "apiSecret"),
        ("platform", "key", "secret"),
    ] {
        let got = payload(json!({p: " binance ", k: "\tKEY-1 ", s: " SEC-1\n"})).unwrap();
        assert_eq!(got.provider.as_deref(), Some("binance"), "{p}");
        assert_eq!(got.api_key.as_deref(), Some("KEY-1"), "{k}");
        assert_eq!(got.api_secret.as_deref(), Some("SEC-1"), "{s}");
    }
}

#[test]
fn the_canonical_name_wins_and_blank_values_count_as_missing() {
    let got = payload(
        json!({"key": "short-alias", "api_key": "canonical", "provider": "  ",
                             "exchange": "luno", "passphrase": ""}),
    )
    .unwrap();
    assert_eq!(got.api_key.as_deref(), Some("canonical"));
    assert_eq!(got.provider.as_deref(), Some("luno"));
    assert_eq!(got.passphrase, None);
}

#[test]
fn numbers_are_text_but_objects_are_refused() {
    let got = payload(json!({"provider": "openai", "api_key": 12345678901_u64})).unwrap();
    assert_eq!(got.api_key.as_deref(), Some("12345678901"));
    let err = payload(json!({"provider": "openai", "api_key": {"nested": 1}})).unwrap_err();
    assert_eq!(err.to_string(), "api_key must be text");
}

#[test]
fn form_pairs_use_the_same_aliases() {
    let got = KeyPayload::from_pairs([("platform", "kucoin"), ("apiKey", "k"), ("other", "x")]);
    assert_eq!(got.provider.as_deref(), Some("kucoin"));
    assert_eq!(got.api_key.as_deref(), Some("k"));
}

#[test]
fn provider_comes_from_the_url_or_the_body_and_both_must_agree() {
    assert_eq!(resolve_provider(Some("LUNO"), None), Ok(Provider::Luno));
    assert_eq!(resolve_provider(None, Some("valr")), Ok(Provider::Valr));
    assert_eq!(
        resolve_provider(Some("valr"), Some("valr")),
        Ok(Provider::Valr)
    );
    assert_eq!(
        resolve_provider(None, None),
        Err(KeyRuleError::MissingProvider)
    );
    assert!(matches!(
        resolve_provider(Some("kraken"), None),
        Err(KeyRuleError::UnknownProvider(_))
    ));
    assert!(matches!(
        resolve_provider(Some("luno"), Some("valr")),
        Err(KeyRuleError::ProviderMismatch { .. })
    ));
}

#[test]
fn required_fields_follow_the_provider() {
    let base = KeyPayload {
        api_key: Some("KEY".into()),
        ..KeyPayload::default()
    };
    assert_eq!(
        credentials_for(Provider::Binance, &base).unwrap_err(),
        KeyRuleError::MissingSecret("Binance")
    );
    let with_secret = KeyPayload {
        api_secret: Some("SEC".into()),
        ..base.clone()
    };
    assert_eq!(
        credentials_for(Provider::Kucoin, &with_secret).unwrap_err(),
        KeyRuleError::MissingPassphrase("KuCoin")
    );
    let openai = credentials_for(Provider::OpenAi, &with_secret).unwrap();
    assert_eq!(openai.api_secret, None, "unused fields are not stored");
    assert_eq!(
        credentials_for(Provider::Luno, &KeyPayload::default()).unwrap_err(),
        KeyRuleError::MissingKey
    );
}

#[test]
fn oversized_or_control_character_values_are_refused() {
    let long = KeyPayload {
        api_key: Some("k".repeat(513)),
        ..KeyPayload::default()
    };
    assert!(matches!(
        credentials_for(Provider::OpenAi, &long),
        Err(KeyRuleError::TooLong("api_key", 512))
    ));
    let broken = KeyPayload {
        api_key: Some("ab\u{0}cd".into()),
        ..KeyPayload::default()
    };
    assert_eq!(
        credentials_for(Provider::OpenAi, &broken).unwrap_err(),
        KeyRuleError::BadCharacters("api_key")
    );
}

#[test]
fn messages_are_one_line_and_bounded() {
    for err in [
        KeyRuleError::MissingProvider,
        KeyRuleError::UnknownProvider("x".repeat(40)),
        KeyRuleError::MissingSecret("Binance"),
    ] {
        let text = err.to_string();
        assert!(!text.contains('\n') && text.len() < 200, "{text}");
    }
    let text = friendly(&format!("line one\nline two {}", "x".repeat(400)));
    assert!(!text.contains('\n'));
    assert_eq!(text.chars().count(), MAX_MESSAGE_CHARS);
    assert_eq!(status_display(STATUS_TEST_OK), "Connected");
    assert_eq!(status_display("anything else"), "Not configured");
}

#[test]
fn debug_never_shows_credentials() {
    let p = KeyPayload {
        provider: Some("luno".into()),
        api_key: Some("PLAINKEY".into()),
        api_secret: Some("PLAINSECRET".into()),
        passphrase: None,
    };
    let debug = format!("{p:?}");
    assert!(!debug.contains("PLAINKEY") && !debug.contains("PLAINSECRET"));
}
