//! Domain models and rules, free of I/O.

pub mod admin_rules;
pub mod auth_rules;
pub mod autopilot;
pub mod bodyguard;
pub mod bot;
pub mod bot_enums;
pub mod bot_rules;
pub mod chat;
pub mod circuit_breaker;
pub mod clock;
pub mod evolve;
pub mod fees;
pub mod fill;
pub mod gates;
pub mod ledger;
pub mod orders;
pub mod overrides;
pub mod periods;
pub mod portfolio;
pub mod quarantine;
pub mod settings;
pub mod status_machine;
pub mod training;
pub mod user;
