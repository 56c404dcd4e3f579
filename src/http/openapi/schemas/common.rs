//! The error envelope and small shared answers.

use serde_json::Value;
use utoipa::ToSchema;

/// Every non-2xx answer: `detail` for legacy clients, `error` for structured handling.
#[derive(ToSchema)]
pub struct ErrorEnvelope {
    /// Same text as `error.message`.
    pub detail: String,
    pub error: ErrorBody,
}

#[derive(ToSchema)]
pub struct ErrorBody {
    /// Machine-readable code, e.g. `BOT_NOT_FOUND`, `INVALID_CAPITAL_AMOUNT`, `RATE_LIMITED`.
    pub code: String,
    pub message: String,
    /// Equals the `X-Request-ID` response header.
    pub correlation_id: String,
    /// Only on validation errors (422).
    pub fields: Option<Vec<FieldError>>,
}

#[derive(ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// `{success, message}`.
#[derive(ToSchema)]
pub struct SuccessMessage {
    pub success: bool,
    pub message: Option<String>,
}

/// `{success:true, deleted_count}` (idempotent deletes).
#[derive(ToSchema)]
pub struct DeletedCount {
    pub success: bool,
    pub deleted_count: u64,
}

/// An optional `{reason}` body.
#[derive(ToSchema)]
pub struct ReasonBody {
    pub reason: Option<String>,
}

/// The OpenAPI document itself.
#[derive(ToSchema)]
pub struct OpenApiDocument {
    /// `3.1.x`.
    pub openapi: String,
    pub info: Value,
    pub paths: Value,
    pub components: Option<Value>,
}
