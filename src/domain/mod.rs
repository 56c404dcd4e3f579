//! Domain models and rules, free of I/O.

pub mod bot;
pub mod bot_enums;
pub mod clock;
pub mod user;
