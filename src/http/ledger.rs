//! `/api/ledger/*` (SPEC §8): the append-only, hash-chained ledger: fills, events, funding,
//! reconciliation against the bots, integrity check and audit trail.

use crate::http::openapi::schemas as docs;
use axum::extract::{Query, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentUser;
use crate::domain::ledger::{LedgerKind, NewLedgerEntry};
use crate::domain::reconcile::reconcile;
use crate::error::{AppError, AppJson, AppResult, FieldError};
use crate::state::AppState;
use crate::store::ledger::LedgerFilter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(fills))
        .routes(routes!(events))
        .routes(routes!(funding))
        .routes(routes!(reconcile_route))
        .routes(routes!(verify_integrity))
        .routes(routes!(audit_trail))
}

/// Largest single funding movement accepted (absurd numbers are refused, not stored).
const MAX_FUNDING: f64 = 1_000_000_000.0;
const MAX_DESCRIPTION_CHARS: usize = 500;

#[derive(Deserialize, Default)]
struct ListQuery {
    bot_id: Option<String>,
    kind: Option<String>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    limit: Option<u32>,
}

impl ListQuery {
    fn filter(self, kind: Option<LedgerKind>) -> AppResult<LedgerFilter> {
        let kind = match (kind, self.kind.as_deref()) {
            (Some(k), _) => Some(k),
            (None, None) => None,
            (None, Some(raw)) => Some(parse_kind(raw)?),
        };
        Ok(LedgerFilter {
            kind,
            bot_id: self.bot_id,
            since: self.since,
            until: self.until,
            limit: self.limit.unwrap_or(100).clamp(1, 1000),
        })
    }
}

fn parse_kind(raw: &str) -> AppResult<LedgerKind> {
    Ok(match raw.trim().to_ascii_lowercase().as_str() {
        "fill" => LedgerKind::Fill,
        "funding" => LedgerKind::Funding,
        "fee" => LedgerKind::Fee,
        "adjustment" => LedgerKind::Adjustment,
        "transfer" => LedgerKind::Transfer,
        _ => {
            return Err(AppError::field(
                "kind",
                "kind must be fill, funding, fee, adjustment or transfer",
            ))
        }
    })
}

#[utoipa::path(
    get,
    path = "/api/ledger/fills",
    operation_id = "get_api_ledger_fills",
    tag = "Ledger",
    summary = "Fill entries",
    params(
        ("bot_id" = Option<String>, Query, description = "Only this bot"),
        ("since" = Option<String>, Query, description = "RFC 3339 lower bound"),
        ("until" = Option<String>, Query, description = "RFC 3339 upper bound"),
        ("limit" = Option<i64>, Query, description = "Max entries")
    ),
    responses(
        (status = 200, description = "OK", body = docs::trading::LedgerFills),
        (status = 422, description = "Validation failed (error.fields lists the fields)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn fills(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let filter = q.filter(Some(LedgerKind::Fill))?;
    let entries = state.store.ledger.list(user.id(), &filter).await?;
    Ok(Json(
        json!({"fills": entries, "count": entries.len(), "limit": filter.limit}),
    ))
}

#[utoipa::path(
    get,
    path = "/api/ledger/events",
    operation_id = "get_api_ledger_events",
    tag = "Ledger",
    summary = "All ledger entries",
    params(
        ("bot_id" = Option<String>, Query, description = "Only this bot"),
        ("kind" = Option<String>, Query, description = "fill | funding | fee | adjustment | transfer"),
        ("since" = Option<String>, Query, description = "RFC 3339 lower bound"),
        ("until" = Option<String>, Query, description = "RFC 3339 upper bound"),
        ("limit" = Option<i64>, Query, description = "Max entries")
    ),
    responses(
        (status = 200, description = "OK", body = docs::trading::LedgerEvents),
        (status = 422, description = "Validation failed (error.fields lists the fields)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn events(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let filter = q.filter(None)?;
    let entries = state.store.ledger.list(user.id(), &filter).await?;
    Ok(Json(
        json!({"events": entries, "count": entries.len(), "limit": filter.limit}),
    ))
}

#[derive(Deserialize)]
struct FundingBody {
    amount: f64,
    currency: Option<String>,
    description: Option<String>,
}

/// Deposits (> 0) and withdrawals (< 0) of account funds, appended to the chain.
#[utoipa::path(
    post,
    path = "/api/ledger/funding",
    operation_id = "post_api_ledger_funding",
    tag = "Ledger",
    summary = "Record a deposit or withdrawal",
    request_body = docs::trading::Funding,
    responses(
        (status = 200, description = "OK", body = docs::trading::FundingRecorded)
    ),
    security(("bearerAuth" = []))
)]
async fn funding(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    AppJson(body): AppJson<FundingBody>,
) -> AppResult<Json<Value>> {
    let mut errors = Vec::new();
    if !body.amount.is_finite() || body.amount == 0.0 || body.amount.abs() > MAX_FUNDING {
        errors.push(FieldError::new(
            "amount",
            "amount must be a non-zero number of at most 1000000000",
        ));
    }
    let currency = body
        .currency
        .as_deref()
        .map(|c| c.trim().to_ascii_uppercase())
        .unwrap_or_else(|| user.user.currency.clone());
    if !(3..=5).contains(&currency.len()) || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        errors.push(FieldError::new(
            "currency",
            "currency must be a 3-5 letter code such as ZAR",
        ));
    }
    let description = body.description.unwrap_or_default().trim().to_string();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        errors.push(FieldError::new(
            "description",
            "description must be at most 500 characters",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let entry = state
        .store
        .ledger
        .append(NewLedgerEntry {
            user_id: user.id().to_string(),
            kind: LedgerKind::Funding,
            amount: body.amount,
            currency,
            bot_id: None,
            ref_id: uuid::Uuid::new_v4().to_string(),
            description,
            timestamp: state.clock.now(),
        })
        .await?;
    Ok(Json(json!({"success": true, "entry": entry})))
}

#[utoipa::path(
    get,
    path = "/api/ledger/reconcile",
    operation_id = "get_api_ledger_reconcile",
    tag = "Ledger",
    summary = "Ledger vs bots' capital",
    responses(
        (status = 200, description = "OK", body = docs::trading::Reconcile)
    ),
    security(("bearerAuth" = []))
)]
async fn reconcile_route(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<Value>> {
    let bots = state.store.bots.list(user.id(), None).await?;
    let totals = state.store.ledger.totals(user.id()).await?;
    let report = reconcile(&bots, &totals.fills_by_bot, &totals.transfers_by_bot);
    let mut body = serde_json::to_value(&report).map_err(AppError::internal)?;
    if let Some(obj) = body.as_object_mut() {
        obj.insert("ledger_totals".into(), json!(totals.by_kind));
        obj.insert("entries".into(), json!(totals.entries));
        obj.insert("timestamp".into(), json!(state.clock.now()));
    }
    Ok(Json(body))
}

#[utoipa::path(
    get,
    path = "/api/ledger/verify-integrity",
    operation_id = "get_api_ledger_verify_integrity",
    tag = "Ledger",
    summary = "Check the hash chain",
    responses(
        (status = 200, description = "OK", body = docs::trading::IntegrityReport)
    ),
    security(("bearerAuth" = []))
)]
async fn verify_integrity(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<Value>> {
    let report = state.store.ledger.verify(user.id()).await?;
    let mut body = serde_json::to_value(&report).map_err(AppError::internal)?;
    if let Some(obj) = body.as_object_mut() {
        obj.insert("valid".into(), json!(report.ok));
        obj.insert("verified_at".into(), json!(state.clock.now()));
    }
    Ok(Json(body))
}

/// Every entry with its links (seq, prev_hash, hash), newest first, plus the chain verdict.
#[utoipa::path(
    get,
    path = "/api/ledger/audit-trail",
    operation_id = "get_api_ledger_audit_trail",
    tag = "Ledger",
    summary = "Ledger entries with their hashes",
    params(
        ("limit" = Option<i64>, Query, description = "Max entries")
    ),
    responses(
        (status = 200, description = "OK", body = docs::trading::AuditTrail)
    ),
    security(("bearerAuth" = []))
)]
async fn audit_trail(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let filter = q.filter(None)?;
    let entries = state.store.ledger.list(user.id(), &filter).await?;
    let integrity = state.store.ledger.verify(user.id()).await?;
    Ok(Json(json!({
        "entries": entries,
        "count": entries.len(),
        "integrity": integrity,
    })))
}
