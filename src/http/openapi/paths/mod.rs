//! Every documented operation, one module per area (keep in step with the routers: the
//! `tests/openapi.rs` drift test fails when a route and the spec disagree).

mod admin;
mod auth;
mod bots;
mod chat;
mod health;
mod keys;
mod system;
mod trading;

use super::op::Op;

/// All operations, grouped by area.
pub fn all() -> Vec<Op> {
    [
        health::ops(),
        auth::ops(),
        bots::ops(),
        keys::ops(),
        chat::ops(),
        trading::ops(),
        system::ops(),
        admin::ops(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
