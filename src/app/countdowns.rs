//! Countdown use cases: the countdown to R1,000,000 and the user's custom countdowns, both
//! projected from the realised daily profit in the trades (`domain::projection`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::analytics::BotCapital;
use crate::domain::bot::TradingMode;
use crate::domain::countdown::{self, Countdown, MAX_MESSAGE, MAX_PER_USER};
use crate::domain::projection::{self, round2, ProfitRecord, Projections};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::StoreError;

/// The countdown-to-million target.
pub const MILLION: f64 = 1_000_000.0;

/// Where the user stands: capital now, the realised record, and the mode.
pub struct Standing {
    pub capital: f64,
    pub record: ProfitRecord,
    pub live: bool,
}

/// Reads the capital (the bots' current capital) and the realised record (closed trades).
pub async fn standing(state: &AppState, user_id: &str) -> AppResult<Standing> {
    state.store.trades.repair(Some(user_id)).await?;
    let bots = state.store.bots.list(user_id, None).await?;
    let totals = state.store.trade_stats.totals(user_id, None).await?;
    let days = state.store.trade_stats.daily_results(user_id, None).await?;
    let today = state.clock.now().date_naive();
    let first = days.first().map(|d| d.period_start.date_naive());
    Ok(Standing {
        capital: BotCapital::of(&bots).current,
        record: ProfitRecord::new(totals.profit, first, today, totals.results.total),
        live: bots.iter().any(|b| b.trading_mode == TradingMode::Live),
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CountdownMetrics {
    pub avg_daily_profit: f64,
    pub daily_roi_pct: f64,
    pub days_of_data: u32,
    pub total_trades: u64,
}

/// `GET /api/analytics/countdown-to-million`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MillionCountdown {
    pub current_capital: f64,
    pub target: f64,
    pub remaining: f64,
    pub progress_pct: f64,
    /// Days at the simple rate; `null` when the record shows no growth.
    pub days_remaining: Option<f64>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completion_date: Option<DateTime<Utc>>,
    /// `Paper`, or `Live` when any of the user's bots trades live.
    pub mode: String,
    /// `reached` | `no_data` | `not_profitable` | `on_track`.
    pub status: String,
    pub metrics: CountdownMetrics,
    pub projections: Projections,
    pub message: String,
    /// `none` | `low` (< 7 days) | `medium` (< 30 days) | `good`.
    pub data_quality: String,
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: DateTime<Utc>,
}

pub async fn million(state: &AppState, user_id: &str) -> AppResult<MillionCountdown> {
    let now = state.clock.now();
    let s = standing(state, user_id).await?;
    let avg = s.record.avg_daily_profit();
    let progress = projection::progress(s.capital, MILLION, avg, now);
    let status = projection::status(s.capital, MILLION, &s.record);
    let message = match (status, progress.days_remaining) {
        ("reached", _) => "Target reached: your capital is at or above R1,000,000".to_string(),
        ("no_data", _) => "No closed trades yet: a projection needs realised profit".to_string(),
        ("not_profitable", _) => format!(
            "Realised profit over {} days averages {:.2} a day, so there is no completion date yet",
            s.record.days_of_data, avg
        ),
        (_, Some(days)) => format!(
            "At {:.2} a day (the average over {} days of realised profit) the target is {} days away",
            avg, s.record.days_of_data, days
        ),
        _ => "No projection".to_string(),
    };
    Ok(MillionCountdown {
        current_capital: round2(s.capital),
        target: MILLION,
        remaining: progress.remaining,
        progress_pct: progress.progress_pct,
        days_remaining: progress.days_remaining,
        completion_date: progress.completion_date,
        mode: if s.live { "Live" } else { "Paper" }.into(),
        status: status.into(),
        metrics: CountdownMetrics {
            avg_daily_profit: round2(avg),
            daily_roi_pct: if s.capital > 0.0 {
                (avg / s.capital * 100.0 * 10_000.0).round() / 10_000.0
            } else {
                0.0
            },
            days_of_data: s.record.days_of_data,
            total_trades: s.record.total_trades,
        },
        projections: projection::projections(s.capital, MILLION, &s.record),
        message,
        data_quality: s.record.data_quality().into(),
        timestamp: now,
    })
}

/// One custom countdown with its progress.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CountdownView {
    pub id: String,
    pub user_id: String,
    pub label: String,
    pub target_amount: f64,
    /// The user's capital now.
    pub current_progress: f64,
    pub progress_pct: f64,
    pub remaining: f64,
    pub days_remaining: Option<f64>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: DateTime<Utc>,
}

fn view(c: Countdown, s: &Standing, now: DateTime<Utc>) -> CountdownView {
    let p = projection::progress(s.capital, c.target_amount, s.record.avg_daily_profit(), now);
    CountdownView {
        id: c.id,
        user_id: c.user_id,
        label: c.label,
        target_amount: c.target_amount,
        current_progress: round2(s.capital),
        progress_pct: p.progress_pct,
        remaining: p.remaining,
        days_remaining: p.days_remaining,
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

pub async fn list(state: &AppState, user_id: &str) -> AppResult<Vec<CountdownView>> {
    let s = standing(state, user_id).await?;
    let now = state.clock.now();
    let stored = state.store.dashboard.countdowns(user_id).await?;
    Ok(stored.into_iter().map(|c| view(c, &s, now)).collect())
}

/// 422 for bad fields; 400 once the user has [`MAX_PER_USER`].
pub async fn create(
    state: &AppState,
    user_id: &str,
    label: Option<&str>,
    target: Option<f64>,
) -> AppResult<CountdownView> {
    let (label, target) = countdown::validate(label, target).map_err(AppError::validation)?;
    let now = state.clock.now();
    let c = Countdown {
        // v7: ordered by creation, so two made in the same millisecond still list in order.
        id: uuid::Uuid::now_v7().to_string(),
        user_id: user_id.to_string(),
        label,
        target_amount: target,
        created_at: now,
        updated_at: now,
    };
    // The first free slot wins; when every slot is taken (even by a concurrent request) the
    // user is at the maximum.
    let mut stored = false;
    for slot in 0..MAX_PER_USER as u32 {
        match state.store.dashboard.insert_countdown(&c, slot).await {
            Ok(()) => {
                stored = true;
                break;
            }
            Err(StoreError::Duplicate(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    if !stored {
        return Err(AppError::bad_request(
            "COUNTDOWN_LIMIT_REACHED",
            MAX_MESSAGE,
        ));
    }
    let s = standing(state, user_id).await?;
    Ok(view(c, &s, now))
}

pub async fn delete(state: &AppState, user_id: &str, id: &str) -> AppResult<()> {
    if state.store.dashboard.delete_countdown(user_id, id).await? {
        Ok(())
    } else {
        Err(AppError::not_found(
            "COUNTDOWN_NOT_FOUND",
            "Countdown not found",
        ))
    }
}
