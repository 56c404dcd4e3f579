//! Domain models and rules, free of I/O.

pub mod chat;
pub mod clock;
pub mod user;
