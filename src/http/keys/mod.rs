//! `/api/keys/*` and the legacy `/api/api-keys/*` routes (SPEC §5): one encrypted key store.
//! Static paths (`list`, `save`, `test`, `providers`) win over `{provider}` (axum matches
//! static segments first).

mod body;
use crate::app::keys as ops;
use crate::http::openapi::schemas as docs;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use crate::auth::CurrentUser;
use crate::domain::api_keys::{credentials_for, resolve_provider, KeyRuleError};
use crate::error::{AppError, AppResult};
use crate::exchange::{Credentials, Provider};
use crate::state::AppState;
use body::{rule_error, KeyBody};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(providers))
        .routes(routes!(list))
        .routes(routes!(save))
        .routes(routes!(test))
        .routes(routes!(save_for, get_one, delete_one))
        .routes(routes!(list_legacy, save_legacy))
        .routes(routes!(test_for))
        .routes(routes!(delete_legacy))
}

#[utoipa::path(
    get,
    path = "/api/keys/providers",
    operation_id = "get_api_keys_providers",
    tag = "Keys",
    summary = "Supported providers and their fields",
    responses(
        (status = 200, description = "OK", body = docs::keys::ProviderList)
    )
)]
async fn providers() -> Json<Value> {
    let providers: Vec<Value> = Provider::all()
        .iter()
        .map(|p| {
            json!({"id": p.id(), "type": p.kind(), "display_name": p.display_name(),
                   "required_fields": p.required_fields()})
        })
        .collect();
    Json(json!({"success": true, "total": providers.len(), "providers": providers}))
}

#[utoipa::path(
    get,
    path = "/api/keys/list",
    operation_id = "get_api_keys_list",
    tag = "Keys",
    summary = "One entry per provider with status and masked key",
    responses(
        (status = 200, description = "OK", body = docs::keys::KeyList)
    ),
    security(("bearerAuth" = []))
)]
async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<Value>> {
    ops::list(&state, user.id()).await.map(Json)
}

/// `GET /api/api-keys`: the old dashboard's list, a bare array with one entry per saved key
/// (`connected` = the last test succeeded). `/api/keys/list` keeps the full per-provider form.
#[utoipa::path(
    get,
    path = "/api/api-keys",
    operation_id = "get_api_api_keys",
    tag = "Keys",
    summary = "Legacy: the saved keys as a bare array",
    responses(
        (status = 200, description = "OK", body = Vec<ops::LegacyKey>)
    ),
    security(("bearerAuth" = []))
)]
async fn list_legacy(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<Vec<ops::LegacyKey>>> {
    ops::list_saved(&state, user.id()).await.map(Json)
}

/// `POST /api/api-keys`: the legacy spelling of `/api/keys/save`.
#[utoipa::path(
    post,
    path = "/api/api-keys",
    operation_id = "post_api_api_keys",
    tag = "Keys",
    summary = "Legacy: save a key",
    request_body(content((docs::keys::SaveKey = "application/json"), (docs::keys::SaveKey = "application/x-www-form-urlencoded"), (docs::keys::SaveKey = "multipart/form-data"))),
    responses(
        (status = 200, description = "OK", body = docs::keys::KeySaved),
        (status = 400, description = "Bad request (error.code says why)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn save_legacy(
    state: State<AppState>,
    user: CurrentUser,
    body: KeyBody,
) -> AppResult<Json<Value>> {
    save(state, user, body).await
}

/// `DELETE /api/api-keys/{provider}`: the legacy spelling of `DELETE /api/keys/{provider}`.
#[utoipa::path(
    delete,
    path = "/api/api-keys/{provider}",
    operation_id = "delete_api_api_keys_provider",
    tag = "Keys",
    summary = "Legacy: delete a key",
    params(
        ("provider" = String, Path)
    ),
    responses(
        (status = 200, description = "OK", body = docs::keys::KeyDeleted)
    ),
    security(("bearerAuth" = []))
)]
async fn delete_legacy(
    state: State<AppState>,
    user: CurrentUser,
    raw: Path<String>,
) -> AppResult<Json<Value>> {
    delete_one(state, user, raw).await
}

/// A provider named in the URL: unknown names are 404 (there is no such resource).
fn path_provider(raw: &str) -> AppResult<Provider> {
    Provider::parse(raw).ok_or_else(|| {
        let err = KeyRuleError::UnknownProvider(raw.chars().take(40).collect());
        AppError::not_found(err.code(), err.to_string())
    })
}

/// Provider (URL wins, body must agree) and validated credentials for a save.
fn save_input(path: Option<&str>, body: &KeyBody) -> AppResult<(Provider, Credentials)> {
    let provider = resolve_provider(body.0.provider.as_deref(), path).map_err(rule_error)?;
    let creds = credentials_for(provider, &body.0).map_err(rule_error)?;
    Ok((provider, creds))
}

#[utoipa::path(
    post,
    path = "/api/keys/save",
    operation_id = "post_api_keys_save",
    tag = "Keys",
    summary = "Save (encrypt) a key",
    description = "Accepts JSON, form, multipart or raw JSON with a wrong content type, and field aliases. Emits `key_saved`.",
    request_body(content((docs::keys::SaveKey = "application/json"), (docs::keys::SaveKey = "application/x-www-form-urlencoded"), (docs::keys::SaveKey = "multipart/form-data"))),
    responses(
        (status = 200, description = "OK", body = docs::keys::KeySaved),
        (status = 400, description = "Bad request (error.code says why)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn save(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    body: KeyBody,
) -> AppResult<Json<Value>> {
    let (provider, creds) = save_input(None, &body)?;
    ops::save(&state, user.id(), provider, &creds)
        .await
        .map(Json)
}

#[utoipa::path(
    post,
    path = "/api/keys/{provider}",
    operation_id = "post_api_keys_provider",
    tag = "Keys",
    summary = "Save a key for this provider",
    params(
        ("provider" = String, Path)
    ),
    request_body(content((docs::keys::SaveKey = "application/json"), (docs::keys::SaveKey = "application/x-www-form-urlencoded"), (docs::keys::SaveKey = "multipart/form-data"))),
    responses(
        (status = 200, description = "OK", body = docs::keys::KeySaved),
        (status = 400, description = "Bad request (error.code says why)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn save_for(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(raw): Path<String>,
    body: KeyBody,
) -> AppResult<Json<Value>> {
    path_provider(&raw)?;
    let (provider, creds) = save_input(Some(&raw), &body)?;
    ops::save(&state, user.id(), provider, &creds)
        .await
        .map(Json)
}

/// Test input: the body's credentials when it carries a key, else none (use the saved ones).
fn test_input(path: Option<&str>, body: &KeyBody) -> AppResult<(Provider, Option<Credentials>)> {
    let provider = resolve_provider(body.0.provider.as_deref(), path).map_err(rule_error)?;
    if body.0.api_key.is_none() {
        return Ok((provider, None));
    }
    let creds = credentials_for(provider, &body.0).map_err(rule_error)?;
    Ok((provider, Some(creds)))
}

#[utoipa::path(
    post,
    path = "/api/keys/test",
    operation_id = "post_api_keys_test",
    tag = "Keys",
    summary = "Test a key against the provider",
    description = "200 with `status` test_ok | test_failed (emits `key_tested`); 400 `KEY_NOT_PROVIDED` when no key is saved for the provider and none is in the request.",
    request_body(content((docs::keys::TestKey = "application/json"), (docs::keys::TestKey = "application/x-www-form-urlencoded"), (docs::keys::TestKey = "multipart/form-data"))),
    responses(
        (status = 200, description = "OK", body = docs::keys::KeyTested),
        (status = 400, description = "Bad request (error.code says why)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn test(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    body: KeyBody,
) -> AppResult<Json<Value>> {
    let (provider, creds) = test_input(None, &body)?;
    ops::test(&state, user.id(), provider, creds)
        .await
        .map(Json)
}

#[utoipa::path(
    post,
    path = "/api/api-keys/{provider}/test",
    operation_id = "post_api_api_keys_provider_test",
    tag = "Keys",
    summary = "Legacy: test a saved key",
    params(
        ("provider" = String, Path)
    ),
    responses(
        (status = 200, description = "OK", body = docs::keys::KeyTested),
        (status = 400, description = "No key saved for the provider and none in the request", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn test_for(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(raw): Path<String>,
    body: KeyBody,
) -> AppResult<Json<Value>> {
    path_provider(&raw)?;
    let (provider, creds) = test_input(Some(&raw), &body)?;
    ops::test(&state, user.id(), provider, creds)
        .await
        .map(Json)
}

#[utoipa::path(
    get,
    path = "/api/keys/{provider}",
    operation_id = "get_api_keys_provider",
    tag = "Keys",
    summary = "One provider's key entry",
    params(
        ("provider" = String, Path)
    ),
    responses(
        (status = 200, description = "OK", body = docs::keys::KeyEntry)
    ),
    security(("bearerAuth" = []))
)]
async fn get_one(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(raw): Path<String>,
) -> AppResult<Json<Value>> {
    let provider = path_provider(&raw)?;
    ops::get_one(&state, user.id(), provider).await.map(Json)
}

#[utoipa::path(
    delete,
    path = "/api/keys/{provider}",
    operation_id = "delete_api_keys_provider",
    tag = "Keys",
    summary = "Delete a provider's key",
    description = "Emits `key_deleted`.",
    params(
        ("provider" = String, Path)
    ),
    responses(
        (status = 200, description = "OK", body = docs::keys::KeyDeleted)
    ),
    security(("bearerAuth" = []))
)]
async fn delete_one(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(raw): Path<String>,
) -> AppResult<Json<Value>> {
    let provider = path_provider(&raw)?;
    ops::delete(&state, user.id(), provider).await.map(Json)
}
