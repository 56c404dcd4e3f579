//! Reconciliation of live fills with the exchanges (`POST /api/orders/reconcile` and the daily
//! engine): for each exchange and pair the user's live orders traded, the exchange's trade
//! history is compared with the fills we booked; any difference raises an alert.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::live::{account_for, pair_of};
use crate::domain::live_order::LiveOrder;
use crate::domain::live_reconcile::{compare, Difference};
use crate::engine::notify::alert;
use crate::error::AppResult;
use crate::exchange::orders as client;
use crate::state::AppState;

/// How far back a reconciliation looks by default (the daily job: a day and a margin).
pub const DEFAULT_WINDOW_HOURS: i64 = 48;
/// Live orders read per reconciliation at most.
const MAX_ORDERS: u32 = 5_000;

/// One exchange and pair.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PairReconciliation {
    pub exchange: String,
    pub symbol: String,
    pub live_orders: usize,
    pub fills_compared: usize,
    /// Trades of orders the platform did not place (manual trading on the account).
    pub other_trades: usize,
    pub differences: Vec<Difference>,
    /// Why the exchange's history could not be read, when it could not.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReconcileReport {
    pub success: bool,
    #[schema(value_type = String, format = DateTime)]
    pub since: DateTime<Utc>,
    #[schema(value_type = String, format = DateTime)]
    pub checked_at: DateTime<Utc>,
    pub pairs: Vec<PairReconciliation>,
    /// Differences over all pairs (0 = everything matches).
    pub differences: usize,
    pub alerts_raised: usize,
}

/// Reconciles the user's live orders created in the last `window_hours`.
pub async fn reconcile(
    state: &AppState,
    user_id: &str,
    window_hours: i64,
) -> AppResult<ReconcileReport> {
    let now = state.clock.now();
    let since = now - ChronoDuration::hours(window_hours);
    let orders = state
        .store
        .live_orders
        .list(user_id, None, MAX_ORDERS)
        .await?;
    let mut groups: BTreeMap<(String, String), Vec<LiveOrder>> = BTreeMap::new();
    for o in orders.into_iter().filter(|o| o.created_at >= since) {
        groups
            .entry((o.exchange.clone(), o.symbol.clone()))
            .or_default()
            .push(o);
    }
    let mut pairs = Vec::new();
    let mut alerts_raised = 0;
    for ((exchange, symbol), ours) in groups {
        let mut row = PairReconciliation {
            exchange: exchange.clone(),
            symbol: symbol.clone(),
            live_orders: ours.len(),
            fills_compared: 0,
            other_trades: 0,
            differences: Vec::new(),
            error: None,
        };
        // Fills can come a little before the order's stored time on a skewed clock.
        let from =
            ours.iter().map(|o| o.created_at).min().unwrap_or(since) - ChronoDuration::minutes(5);
        let history = match account_for(state, user_id, &exchange).await {
            Ok((creds, provider)) => {
                let acct = super::live::account(state, provider, &creds);
                match pair_of(&symbol) {
                    Ok(pair) => client::trade_history(&acct, &pair, from)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                }
            }
            Err(e) => Err(e.to_string()),
        };
        match history {
            Ok(theirs) => {
                let c = compare(&ours, &theirs);
                row.fills_compared = c.fills_compared;
                row.other_trades = c.other_trades;
                row.differences = c.differences;
            }
            Err(e) => row.error = Some(e),
        }
        if !row.differences.is_empty() {
            let first = &row.differences[0].detail;
            alert(
                state,
                user_id,
                None,
                "live_reconciliation",
                "critical",
                &format!(
                    "Live reconciliation on {exchange} {symbol}: {} difference(s) with the exchange; first: {first}",
                    row.differences.len()
                ),
            )
            .await?;
            alerts_raised += 1;
        }
        pairs.push(row);
    }
    let differences = pairs.iter().map(|p| p.differences.len()).sum();
    Ok(ReconcileReport {
        success: true,
        since,
        checked_at: now,
        pairs,
        differences,
        alerts_raised,
    })
}
