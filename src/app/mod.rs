//! Use cases shared by HTTP handlers, background engines and the CLI. Imports point one way:
//! `http` and `engine` call `app`; `app` calls `domain`, `store`, `exchange`; nothing here
//! imports `crate::http`.

pub mod admin_health;
pub mod autonomy;
pub mod backtests;
pub mod bot_lifecycle;
pub mod bot_list;
pub mod bots;
pub mod broadcast;
pub mod countdowns;
pub mod events;
pub mod greeting;
pub mod insights;
pub mod keys;
pub mod live_switch;
pub mod overview;
pub mod training_runs;
pub mod wallet;
