//! Domain models and rules, free of I/O.

pub mod auth_rules;
pub mod circuit_breaker;
pub mod clock;
pub mod fees;
pub mod fill;
pub mod gates;
pub mod ledger;
pub mod orders;
pub mod periods;
pub mod portfolio;
pub mod user;
