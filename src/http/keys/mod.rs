//! `/api/keys/*` and the legacy `/api/api-keys/*` routes (SPEC §5): one encrypted key store.
//! Static paths (`list`, `save`, `test`, `providers`) win over `{provider}` (axum matches
//! static segments first).

mod body;
use crate::app::keys as ops;

use axum::extract::{Path, State};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::auth::CurrentUser;
use crate::domain::api_keys::{credentials_for, resolve_provider, KeyRuleError};
use crate::error::{AppError, AppResult};
use crate::exchange::{Credentials, Provider};
use crate::state::AppState;
use body::{rule_error, KeyBody};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/keys/providers", get(providers))
        .route("/api/keys/list", get(list))
        .route("/api/keys/save", post(save))
        .route("/api/keys/test", post(test))
        .route(
            "/api/keys/{provider}",
            post(save_for).get(get_one).delete(delete_one),
        )
        .route("/api/api-keys", get(list_legacy).post(save_legacy))
        .route("/api/api-keys/{provider}/test", post(test_for))
        .route("/api/api-keys/{provider}", delete(delete_legacy))
}

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

async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<Value>> {
    ops::list(&state, user.id()).await.map(Json)
}

/// `GET /api/api-keys`: the legacy spelling of `/api/keys/list`.
async fn list_legacy(state: State<AppState>, user: CurrentUser) -> AppResult<Json<Value>> {
    list(state, user).await
}

/// `POST /api/api-keys`: the legacy spelling of `/api/keys/save`.
async fn save_legacy(
    state: State<AppState>,
    user: CurrentUser,
    body: KeyBody,
) -> AppResult<Json<Value>> {
    save(state, user, body).await
}

/// `DELETE /api/api-keys/{provider}`: the legacy spelling of `DELETE /api/keys/{provider}`.
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

async fn get_one(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(raw): Path<String>,
) -> AppResult<Json<Value>> {
    let provider = path_provider(&raw)?;
    ops::get_one(&state, user.id(), provider).await.map(Json)
}

async fn delete_one(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(raw): Path<String>,
) -> AppResult<Json<Value>> {
    let provider = path_provider(&raw)?;
    ops::delete(&state, user.id(), provider).await.map(Json)
}
