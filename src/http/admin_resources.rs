//! `GET /api/admin/resources/users` (alias `/api/admin/storage`): storage each user holds in
//! chat messages, trades, bots and alerts, counted and sized in the database.

use crate::http::openapi::schemas as docs;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::AdminUser;
use crate::domain::storage::{self, StorageTable, StoredKind, Usage};
use crate::error::AppResult;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(resources))
        .routes(routes!(storage))
}

/// One grouped query per collection; users are read page by page.
#[utoipa::path(
    get,
    path = "/api/admin/resources/users",
    operation_id = "get_api_admin_resources_users",
    tag = "Admin",
    summary = "Storage used per user (computed in the database)",
    responses(
        (status = 200, description = "OK", body = docs::admin::ResourceUsage)
    ),
    security(("bearerAuth" = ["admin"]))
)]
async fn resources(
    State(state): State<AppState>,
    AdminUser(_): AdminUser,
) -> AppResult<Json<Value>> {
    let mut table = StorageTable::default();
    for kind in StoredKind::ALL {
        for row in state.store.platform.storage_by_user(kind).await? {
            let usage = Usage {
                count: row.count,
                bytes: row.bytes,
            };
            table.add(kind, &row.user_id, usage);
        }
    }
    let mut rows = Vec::new();
    let mut offset = 0;
    loop {
        let page = state.store.users.list(500, offset).await?;
        if page.is_empty() {
            break;
        }
        offset += page.len() as u32;
        for user in page {
            let breakdown = table.for_user(&user.id);
            let bytes = storage::total_bytes(&breakdown);
            rows.push((
                bytes,
                json!({
                    "id": user.id, "user_id": user.id, "email": user.email,
                    "first_name": user.first_name, "status": user.status.as_str(),
                    "storage_breakdown": storage::breakdown_json(&breakdown),
                    "total_storage_mb": storage::megabytes(bytes), "total_storage_bytes": bytes,
                }),
            ));
        }
    }
    // Biggest users first: that is what the page is for.
    rows.sort_by_key(|row| std::cmp::Reverse(row.0));
    let totals = table.totals();
    let total_bytes = storage::total_bytes(&totals);
    let mut system_totals = storage::breakdown_json(&totals);
    system_totals["total_users"] = json!(rows.len());
    system_totals["total_storage_mb"] = json!(storage::megabytes(total_bytes));
    system_totals["total_storage_bytes"] = json!(total_bytes);
    let users: Vec<Value> = rows.into_iter().map(|(_, row)| row).collect();
    Ok(Json(json!({
        "users": users, "total": users.len(), "system_totals": system_totals,
        "engine": state.store.engine(), "timestamp": state.clock.now().to_rfc3339(),
    })))
}

/// `GET /api/admin/storage`: the same table as `/api/admin/resources/users`.
#[utoipa::path(
    get,
    path = "/api/admin/storage",
    operation_id = "get_api_admin_storage",
    tag = "Admin",
    summary = "Alias of /api/admin/resources/users",
    responses(
        (status = 200, description = "OK", body = docs::admin::ResourceUsage)
    ),
    security(("bearerAuth" = ["admin"]))
)]
async fn storage(state: State<AppState>, admin: AdminUser) -> AppResult<Json<Value>> {
    resources(state, admin).await
}
