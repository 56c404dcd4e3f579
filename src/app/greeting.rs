//! The AI chat's greeting (`POST /api/ai/chat/greeting`): once per UTC day per user (a
//! unique mark in the store decides), stored in the chat history; later calls that day get
//! the day's messages.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::bot::BotStatus;
use crate::domain::chat::{ChatRole, StoredMessage};
use crate::domain::periods::{bucket_start, Period};
use crate::error::AppResult;
use crate::state::AppState;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SystemState {
    pub total_bots: u64,
    pub active_bots: u64,
    /// Realised profit since UTC midnight.
    pub profit_today: f64,
    pub emergency_stop: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChatLine {
    pub role: String,
    pub content: String,
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: DateTime<Utc>,
}

/// `POST /api/ai/chat/greeting`: the greeting the first time a UTC day, then today's messages.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Greeting {
    New {
        role: String,
        content: String,
        #[schema(value_type = String, format = DateTime)]
        timestamp: DateTime<Utc>,
        is_greeting: bool,
        system_state: SystemState,
    },
    Already {
        already_greeted: bool,
        messages: Vec<ChatLine>,
    },
}

pub async fn greet(state: &AppState, user_id: &str, first_name: &str) -> AppResult<Greeting> {
    let now = state.clock.now();
    let today = bucket_start(now, Period::Daily);
    if !state
        .store
        .dashboard
        .mark_greeted(user_id, now.date_naive(), now)
        .await?
    {
        let messages = state
            .store
            .chat
            .history(user_id, today, 100, None)
            .await?
            .into_iter()
            .map(|m| ChatLine {
                role: m.role.as_str().into(),
                content: m.content,
                timestamp: m.timestamp,
            })
            .collect();
        return Ok(Greeting::Already {
            already_greeted: true,
            messages,
        });
    }
    let bots = state.store.bots.list(user_id, None).await?;
    let active = bots
        .iter()
        .filter(|b| b.status == BotStatus::Active)
        .count() as u64;
    let profit = state.store.trades.pnl_since(user_id, None, today).await?;
    let settings = state.store.settings.get(user_id, now).await?;
    let name = if first_name.trim().is_empty() {
        "there"
    } else {
        first_name.trim()
    };
    let mut content = format!(
        "Good day, {name}! {active} of your {} bots are active and today's realised profit is {:.2}.",
        bots.len(),
        profit
    );
    if settings.emergency_stop {
        content.push_str(" Your emergency stop is on, so nothing will trade until you lift it.");
    }
    content.push_str(" Ask me about your bots, trades or the market.");
    let message = StoredMessage::new(user_id, None, ChatRole::Assistant, &content, None, now);
    state.store.chat.insert_message(&message).await?;
    Ok(Greeting::New {
        role: "assistant".into(),
        content,
        timestamp: now,
        is_greeting: true,
        system_state: SystemState {
            total_bots: bots.len() as u64,
            active_bots: active,
            profit_today: (profit * 100.0).round() / 100.0,
            emergency_stop: settings.emergency_stop,
        },
    })
}
