//! Domain models and rules, free of I/O.

pub mod auth_rules;
pub mod clock;
pub mod user;
