//! Domain models and rules, free of I/O.

pub mod clock;
pub mod user;
