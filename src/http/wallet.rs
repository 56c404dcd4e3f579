//! `/api/wallet/*` (the existing dashboard's wallet, COMPAT.md): balances, requirements,
//! funding plans and deposit addresses. Thin handlers over `app::wallet`.

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::wallet::{self, WalletBalances, WalletRequirements};
use crate::auth::CurrentUser;
use crate::domain::wallet::{FundingPlan, PlanStatus};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(balances))
        .routes(routes!(requirements))
        .routes(routes!(funding_plans))
        .routes(routes!(cancel_plan))
        .routes(routes!(deposit_address))
}

#[derive(Deserialize)]
struct BalancesQuery {
    refresh: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/wallet/balances",
    operation_id = "get_api_wallet_balances",
    tag = "Wallet",
    summary = "Balances on every exchange with tested keys",
    description = "Read through each exchange's signed account call (cached 15 s; `refresh=true` \
                   reads again). One exchange failing gives its own `error`, never a 5xx. `zar` and \
                   `btc` are the totals held over all exchanges; `master_wallet` is the Luno account.",
    params(("refresh" = Option<bool>, Query, description = "Bypass the 15 s cache")),
    responses(
        (status = 200, description = "OK", body = WalletBalances),
        (status = 422, description = "refresh is not true or false", body = crate::http::openapi::schemas::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn balances(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<BalancesQuery>,
) -> AppResult<Json<WalletBalances>> {
    let refresh = match q.refresh.as_deref().map(str::trim) {
        None | Some("") | Some("false") | Some("0") => false,
        Some("true") | Some("1") => true,
        Some(_) => return Err(AppError::field("refresh", "refresh must be true or false")),
    };
    Ok(Json(wallet::balances(&state, user.id(), refresh).await?))
}

#[utoipa::path(
    get,
    path = "/api/wallet/requirements",
    operation_id = "get_api_wallet_requirements",
    tag = "Wallet",
    summary = "Capital the live bots need per exchange vs what is available",
    description = "`required` = capital of the user's live bots on the exchange; `available` = its \
                   free quote balance. Health: >= 1.5x healthy, >= 1x adequate, >= 0.5x warning, \
                   else critical. A live bot its exchange cannot cover gets a pending funding plan.",
    responses((status = 200, description = "OK", body = WalletRequirements)),
    security(("bearerAuth" = []))
)]
async fn requirements(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<WalletRequirements>> {
    Ok(Json(wallet::requirements(&state, user.id()).await?))
}

#[derive(Deserialize)]
struct PlansQuery {
    status: Option<String>,
}

/// `GET /api/wallet/funding-plans`.
#[derive(Serialize, ToSchema)]
struct FundingPlans {
    user_id: String,
    plans: Vec<FundingPlan>,
    count: usize,
}

#[utoipa::path(
    get,
    path = "/api/wallet/funding-plans",
    operation_id = "get_api_wallet_funding_plans",
    tag = "Wallet",
    summary = "The caller's funding plans",
    params(("status" = Option<String>, Query, description = "pending, completed or cancelled")),
    responses(
        (status = 200, description = "Newest first", body = FundingPlans),
        (status = 422, description = "status is not pending, completed or cancelled", body = crate::http::openapi::schemas::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn funding_plans(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<PlansQuery>,
) -> AppResult<Json<FundingPlans>> {
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => Some(PlanStatus::parse(raw).ok_or_else(|| {
            AppError::field("status", "status must be pending, completed or cancelled")
        })?),
    };
    let plans = state.store.funding_plans.list(user.id(), status).await?;
    Ok(Json(FundingPlans {
        user_id: user.id().to_string(),
        count: plans.len(),
        plans,
    }))
}

/// `POST /api/wallet/funding-plans/{id}/cancel`.
#[derive(Serialize, ToSchema)]
struct PlanCancelled {
    success: bool,
    plan_id: String,
    status: PlanStatus,
}

#[utoipa::path(
    post,
    path = "/api/wallet/funding-plans/{id}/cancel",
    operation_id = "post_api_wallet_funding_plans_id_cancel",
    tag = "Wallet",
    summary = "Cancel a pending funding plan",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "OK", body = PlanCancelled),
        (status = 409, description = "PLAN_NOT_PENDING", body = crate::http::openapi::schemas::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn cancel_plan(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<PlanCancelled>> {
    let now = state.clock.now();
    let plans = &state.store.funding_plans;
    if plans.find(user.id(), &id).await?.is_none() {
        return Err(AppError::not_found(
            "PLAN_NOT_FOUND",
            "Funding plan not found",
        ));
    }
    let plan = plans
        .finish(user.id(), &id, PlanStatus::Cancelled, now)
        .await?
        .ok_or_else(|| {
            AppError::conflict("PLAN_NOT_PENDING", "Only a pending plan can be cancelled")
        })?;
    Ok(Json(PlanCancelled {
        success: true,
        plan_id: plan.plan_id,
        status: plan.status,
    }))
}

#[derive(Deserialize)]
struct DepositQuery {
    exchange: Option<String>,
    asset: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/wallet/deposit-address",
    operation_id = "get_api_wallet_deposit_address",
    tag = "Wallet",
    summary = "The caller's deposit address for an asset on an exchange",
    description = "From the exchange's own signed deposit-address call with the caller's saved \
                   keys. An exchange without such a call answers 200 with `address: null` and a \
                   `note` saying so; an exchange error is 502 `EXCHANGE_ERROR` with its reason.",
    params(
        ("exchange" = String, Query, description = "luno, binance, kucoin, valr or ovex"),
        ("asset" = String, Query, description = "e.g. BTC")
    ),
    responses(
        (status = 200, description = "OK", body = wallet::DepositAddressView),
        (status = 409, description = "KEYS_MISSING", body = crate::http::openapi::schemas::common::ErrorEnvelope),
        (status = 422, description = "exchange or asset is not valid", body = crate::http::openapi::schemas::common::ErrorEnvelope),
        (status = 502, description = "EXCHANGE_ERROR", body = crate::http::openapi::schemas::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn deposit_address(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<DepositQuery>,
) -> AppResult<Json<wallet::DepositAddressView>> {
    let exchange = q
        .exchange
        .as_deref()
        .and_then(crate::exchange::Provider::parse)
        .filter(|p| p.is_exchange())
        .ok_or_else(|| {
            AppError::field(
                "exchange",
                "exchange must be luno, binance, kucoin, valr or ovex",
            )
        })?;
    let asset = q
        .asset
        .as_deref()
        .map(str::trim)
        .filter(|a| (2..=10).contains(&a.len()) && a.bytes().all(|b| b.is_ascii_alphanumeric()))
        .ok_or_else(|| AppError::field("asset", "asset must be a currency code such as BTC"))?
        .to_ascii_uppercase();
    Ok(Json(
        wallet::deposit_address(&state, user.id(), exchange, &asset).await?,
    ))
}
