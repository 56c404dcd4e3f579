//! The error statuses an operation can answer because of what it is, added to every generated
//! operation so each handler's `#[utoipa::path]` lists only the statuses of its own logic.

use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{Content, Ref, RefOr, Required, ResponseBuilder};

use super::{ADMIN_SCOPE, ERROR_SCHEMA};

/// Every operation of a path item.
pub fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.options.as_mut(),
        item.head.as_mut(),
        item.patch.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// Adds the implied error statuses (with the error envelope) that `operation` does not list,
/// and states optional bodies the way clients read them.
pub fn complete(path: &str, operation: &mut Operation) {
    optional_body_as_not_required(operation);
    for status in implied_statuses(path, operation) {
        let key = status.to_string();
        if operation.responses.responses.contains_key(&key) {
            continue;
        }
        let envelope = RefOr::Ref(Ref::from_schema_name(ERROR_SCHEMA));
        let response = ResponseBuilder::new()
            .description(status_text(status))
            .content("application/json", Content::new(Some(envelope)))
            .build();
        operation
            .responses
            .responses
            .insert(key, RefOr::T(response));
    }
}

/// What the middleware, extractors and store can answer for any operation of this shape.
fn implied_statuses(path: &str, operation: &Operation) -> Vec<u16> {
    let mut statuses = Vec::new();
    let scopes: Vec<String> = operation
        .security
        .iter()
        .flatten()
        .filter_map(|req| serde_json::to_value(req).ok())
        .filter_map(|v| v.as_object().cloned())
        .flat_map(|m| m.into_values())
        .filter_map(|v| v.as_array().cloned())
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
        // Missing, bad, expired or revoked token; blocked or pending accounts are 403.
        statuses.extend([401, 403]);
    }
    if scopes.iter().any(|s| s == ADMIN_SCOPE) {
        statuses.push(403);
    }
    if path.contains('{') {
        statuses.push(404);
    }
    let has_query = operation
        .parameters
        .iter()
        .flatten()
        .any(|p| p.parameter_in == ParameterIn::Query);
    if has_query {
        // A query value of the wrong type is rejected before the handler runs.
        statuses.push(400);
    }
    if operation.request_body.is_some() {
        // Malformed JSON / wrong content type is 400 or 422 (see `error.rs`), too big is 413.
        statuses.extend([400, 413, 415, 422]);
    }
    // Rate limit, internal error, database unavailable.
    statuses.extend([429, 500, 503]);
    statuses.sort_unstable();
    statuses.dedup();
    statuses
}

/// The description of a status in the document.
pub fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        101 => "Switching Protocols (WebSocket)",
        400 => "Bad request (error.code says why)",
        401 => "Missing, invalid, expired or revoked token",
        403 => "Authenticated but not allowed",
        404 => "Not found (or another user's resource)",
        409 => "Conflict",
        413 => "Body too large",
        415 => "Unsupported content type",
        422 => "Validation failed (error.fields lists the fields)",
        429 => "Rate limited (see Retry-After)",
        500 => "Internal error (generic message; cause is logged)",
        503 => "Service unavailable (database down)",
        _ => "Response",
    }
}

/// `request_body = Option<T>` comes out as `oneOf: [null, T]`; an optional body means "may be
/// absent" (`required: false` with schema `T`), not "may be the JSON value null".
fn optional_body_as_not_required(operation: &mut Operation) {
    let Some(body) = operation.request_body.as_mut() else {
        return;
    };
    let mut optional = false;
    for content in body.content.values_mut() {
        let Some(RefOr::T(Schema::OneOf(one_of))) = content.schema.as_ref() else {
            continue;
        };
        let non_null: Vec<RefOr<Schema>> = one_of
            .items
            .iter()
            .filter(|item| !is_null(item))
            .cloned()
            .collect();
        if non_null.len() + 1 == one_of.items.len() && non_null.len() == 1 {
            content.schema = non_null.into_iter().next();
            optional = true;
        }
    }
    if optional {
        body.required = Some(Required::False);
    }
}

fn is_null(schema: &RefOr<Schema>) -> bool {
    serde_json::to_value(schema).is_ok_and(|v| v == serde_json::json!({"type": "null"}))
}
