//! Schemas of request and response bodies, as clients see them (docs-only types).
//!
//! Handlers build most answers with `serde_json::json!`, so these types describe the wire
//! shape for the spec; they are never constructed. Field names follow SPEC.md exactly.
#![allow(non_camel_case_types, dead_code)]

pub mod admin;
pub mod auth;
pub mod bots;
pub mod chat;
pub mod common;
pub mod health;
pub mod keys;
pub mod system;
pub mod trading;
