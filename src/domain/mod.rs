//! Domain models and rules, free of I/O.

pub mod admin_rules;
pub mod auth_rules;
pub mod clock;
pub mod settings;
pub mod user;
