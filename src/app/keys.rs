//! Exchange / AI key use cases behind `/api/keys` and the legacy `/api/api-keys` routes: seal
//! and store, open and test, list, delete; each change publishes its SPEC §12 events.

use serde_json::{json, Value};

use crate::app::events::emit;
use crate::crypto::{mask_secret, CryptoError};
use crate::domain::api_keys::{
    friendly, status_display, DECRYPT_FAILED, STATUS_NOT_CONFIGURED, STATUS_SAVED_UNTESTED,
    STATUS_TEST_FAILED, STATUS_TEST_OK,
};
use crate::error::{AppError, AppResult};
use crate::events::EventType;
use crate::exchange::{test_credentials, Credentials, KeyTestOutcome as Outcome, Provider};
use crate::state::AppState;
use crate::store::ApiKeyRecord;

fn rfc3339(at: Option<chrono::DateTime<chrono::Utc>>) -> Value {
    at.map(|t| json!(t.to_rfc3339())).unwrap_or(Value::Null)
}

/// Opens every sealed field of `record` (bound to its owner).
pub fn open(state: &AppState, record: &ApiKeyRecord) -> Result<Credentials, CryptoError> {
    let sealer = &state.secrets;
    let open_opt = |value: &Option<String>| {
        value
            .as_deref()
            .map(|v| sealer.decrypt(v, &record.user_id))
            .transpose()
    };
    Ok(Credentials {
        api_key: sealer.decrypt(&record.api_key_enc, &record.user_id)?,
        api_secret: open_opt(&record.api_secret_enc)?,
        passphrase: open_opt(&record.passphrase_enc)?,
    })
}

/// One provider's entry of the list (SPEC §5). A stored value that no longer opens shows as
/// `test_failed` / "cannot decrypt stored key" instead of failing the whole list.
pub fn entry(state: &AppState, provider: Provider, record: Option<&ApiKeyRecord>) -> Value {
    let Some(record) = record else {
        return json!({
            "provider": provider.id(), "display_name": provider.display_name(),
            "type": provider.kind(), "status": STATUS_NOT_CONFIGURED,
            "status_display": status_display(STATUS_NOT_CONFIGURED), "masked_key": null,
            "created_at": null, "last_tested_at": null, "last_test_error": null,
        });
    };
    let (status, error) = match open(state, record) {
        Ok(_) => (record.status.as_str(), record.last_test_error.clone()),
        Err(_) => (STATUS_TEST_FAILED, Some(DECRYPT_FAILED.to_string())),
    };
    json!({
        "provider": provider.id(), "display_name": provider.display_name(),
        "type": provider.kind(), "status": status, "status_display": status_display(status),
        "masked_key": record.masked_key, "created_at": record.created_at.to_rfc3339(),
        "last_tested_at": rfc3339(record.last_tested_at), "last_test_error": error,
    })
}

/// Every provider, saved or not, in catalogue order.
pub async fn list(state: &AppState, user_id: &str) -> AppResult<Value> {
    let records = state.store.keys.list_for_user(user_id).await?;
    let keys: Vec<Value> = Provider::all()
        .iter()
        .map(|p| entry(state, *p, records.iter().find(|r| r.provider == p.id())))
        .collect();
    let configured = records.len();
    Ok(json!({"success": true, "keys": keys, "total": keys.len(), "configured": configured}))
}

/// One saved key as the old dashboard's `GET /api/api-keys` lists it (never a secret).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LegacyKey {
    pub provider: String,
    /// The last test succeeded (`status == "test_ok"`).
    pub connected: bool,
    /// `saved_untested` | `test_ok` | `test_failed`.
    pub status: String,
    pub masked_key: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_tested_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The user's saved keys only, in catalogue order (a stored value that no longer opens
/// shows as `test_failed`, like `/api/keys/list`).
pub async fn list_saved(state: &AppState, user_id: &str) -> AppResult<Vec<LegacyKey>> {
    let records = state.store.keys.list_for_user(user_id).await?;
    Ok(Provider::all()
        .iter()
        .filter_map(|p| records.iter().find(|r| r.provider == p.id()))
        .map(|r| {
            let status = match open(state, r) {
                Ok(_) => r.status.clone(),
                Err(_) => STATUS_TEST_FAILED.to_string(),
            };
            LegacyKey {
                provider: r.provider.clone(),
                connected: status == STATUS_TEST_OK,
                status,
                masked_key: r.masked_key.clone(),
                created_at: r.created_at,
                last_tested_at: r.last_tested_at,
            }
        })
        .collect())
}

/// Seals `creds` for `user_id` and stores them (replacing earlier ones, status reset).
pub async fn save(
    state: &AppState,
    user_id: &str,
    provider: Provider,
    creds: &Credentials,
) -> AppResult<Value> {
    let seal = |plain: &str| {
        state
            .secrets
            .encrypt(plain, user_id)
            .map_err(AppError::internal)
    };
    let seal_opt = |plain: &Option<String>| plain.as_deref().map(seal).transpose();
    let now = state.clock.now();
    let record = ApiKeyRecord {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: user_id.to_string(),
        provider: provider.id().to_string(),
        api_key_enc: seal(&creds.api_key)?,
        api_secret_enc: seal_opt(&creds.api_secret)?,
        passphrase_enc: seal_opt(&creds.passphrase)?,
        masked_key: mask_secret(&creds.api_key),
        status: STATUS_SAVED_UNTESTED.to_string(),
        created_at: now,
        updated_at: now,
        last_tested_at: None,
        last_test_error: None,
    };
    let stored = state.store.keys.upsert(&record).await?;
    let event = json!({"provider": provider.id(), "status": STATUS_SAVED_UNTESTED,
                       "masked_key": stored.masked_key});
    emit(state, user_id, EventType::KeySaved, event.clone());
    emit(
        state,
        user_id,
        EventType::ApiKeyUpdate,
        with_action(event, "saved"),
    );
    Ok(json!({
        "success": true,
        "message": format!("{} API key saved", provider.display_name()),
        "provider": provider.id(),
        "status": STATUS_SAVED_UNTESTED,
        "key_info": {"provider": provider.id(), "exchange": provider.id(),
                     "masked_key": stored.masked_key, "saved_at": now.to_rfc3339()},
    }))
}

fn with_action(mut event: Value, action: &str) -> Value {
    if let Some(obj) = event.as_object_mut() {
        obj.insert("action".into(), json!(action));
    }
    event
}

/// Tests `body_creds` if given, else the saved credentials. The result is stored on the
/// saved record only when exactly the saved credentials were tested.
pub async fn test(
    state: &AppState,
    user_id: &str,
    provider: Provider,
    body_creds: Option<Credentials>,
) -> AppResult<Value> {
    let saved = state.store.keys.find(user_id, provider.id()).await?;
    let opened = saved.as_ref().map(|r| open(state, r));
    let (creds, persist) = match (body_creds, opened) {
        (Some(creds), opened) => {
            let same_as_saved = matches!(&opened, Some(Ok(saved)) if *saved == creds);
            (creds, same_as_saved)
        }
        (None, Some(Ok(creds))) => (creds, true),
        (None, Some(Err(_))) => {
            let failed = Outcome {
                ok: false,
                message: DECRYPT_FAILED.into(),
                error: Some(DECRYPT_FAILED.into()),
            };
            return finish_test(state, user_id, provider, failed, true).await;
        }
        // Nothing to test is a bad request, not a missing resource: a 404 reads as "no such
        // route" to clients (the old server's tests expect 400).
        (None, None) => {
            return Err(AppError::bad_request(
                "KEY_NOT_PROVIDED",
                format!(
                    "No API key saved for {} and none in the request",
                    provider.display_name()
                ),
            ))
        }
    };
    let outcome =
        test_credentials(&state.http_client, &state.config.outbound, provider, &creds).await;
    finish_test(state, user_id, provider, outcome, persist).await
}

/// Stores (when `persist`), publishes and renders one test result.
async fn finish_test(
    state: &AppState,
    user_id: &str,
    provider: Provider,
    outcome: Outcome,
    persist: bool,
) -> AppResult<Value> {
    let ok = outcome.ok;
    let status = if ok {
        STATUS_TEST_OK
    } else {
        STATUS_TEST_FAILED
    };
    let text = friendly(&outcome.message);
    // A failure always carries an error line (the provider's detail when it gave one).
    let error = (!ok).then(|| friendly(outcome.error.as_deref().unwrap_or(&outcome.message)));
    let now = state.clock.now();
    if persist {
        state
            .store
            .keys
            .record_test(user_id, provider.id(), status, now, error.as_deref())
            .await?;
    }
    let event = json!({"provider": provider.id(), "status": status, "ok": ok,
                       "message": text, "tested_at": now.to_rfc3339()});
    emit(state, user_id, EventType::KeyTested, event.clone());
    if persist {
        emit(
            state,
            user_id,
            EventType::ApiKeyUpdate,
            with_action(event, "tested"),
        );
    }
    let mut body = json!({
        "ok": ok, "success": ok, "provider": provider.id(), "status": status,
        "status_display": status_display(status), "message": text,
        "tested_at": now.to_rfc3339(),
    });
    if let (Some(error), Some(obj)) = (error, body.as_object_mut()) {
        obj.insert("error".into(), json!(error));
    }
    Ok(body)
}

fn not_saved(provider: Provider) -> AppError {
    AppError::not_found(
        "KEY_NOT_FOUND",
        format!("No API key saved for {}", provider.display_name()),
    )
}

/// One provider's entry (not-configured entries included).
pub async fn get_one(state: &AppState, user_id: &str, provider: Provider) -> AppResult<Value> {
    let record = state.store.keys.find(user_id, provider.id()).await?;
    Ok(entry(state, provider, record.as_ref()))
}

/// Deletes the saved credentials; 404 when there were none.
pub async fn delete(state: &AppState, user_id: &str, provider: Provider) -> AppResult<Value> {
    if !state.store.keys.delete(user_id, provider.id()).await? {
        return Err(not_saved(provider));
    }
    let event = json!({"provider": provider.id(), "status": STATUS_NOT_CONFIGURED});
    emit(state, user_id, EventType::KeyDeleted, event.clone());
    emit(
        state,
        user_id,
        EventType::ApiKeyUpdate,
        with_action(event, "deleted"),
    );
    Ok(json!({
        "success": true,
        "message": format!("{} API key deleted", provider.display_name()),
        "provider": provider.id(),
    }))
}
