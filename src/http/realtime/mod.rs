//! Realtime transports (SPEC §12): WebSocket `/api/ws` and SSE `/api/realtime/events`, both fed
//! by the per-user event bus. This module owns what they share: credentials and admission.

pub mod overview;
pub mod sse;
pub mod ws;

use axum::http::{header, HeaderMap, StatusCode};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::AppError;
use crate::events::ConnectionGuard;
use crate::state::AppState;

/// Both realtime endpoints; mounted by `http::build_router_with`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ws::handler))
        .routes(routes!(sse::handler))
}

/// What a realtime client presents: a token and, when reconnecting, the last id it saw.
#[derive(Default)]
pub struct Params {
    token: Option<String>,
    pub last_event_id: Option<u64>,
}

impl Params {
    /// Reads `Authorization: Bearer` (preferred) or `?token=`, and `Last-Event-ID` (preferred)
    /// or `?last_event_id=`. Never fails: a malformed query is treated as absent.
    pub fn from_request(query: Option<&str>, headers: &HeaderMap) -> Self {
        let pairs: Vec<(String, String)> = query
            .and_then(|q| serde_urlencoded::from_str(q).ok())
            .unwrap_or_default();
        let param = |name: &str| {
            pairs
                .iter()
                .find(|(k, v)| k == name && !v.trim().is_empty())
                .map(|(_, v)| v.trim().to_string())
        };
        let header_text = |name: header::HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let bearer = header_text(header::AUTHORIZATION).and_then(|value| {
            let (scheme, token) = value.split_once(' ')?;
            let token = token.trim();
            (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
        });
        let last_event_id = header_text(header::HeaderName::from_static("last-event-id"))
            .or_else(|| param("last_event_id"))
            .map(|raw| parse_event_id(&raw));
        Self {
            token: bearer.or_else(|| param("token")),
            last_event_id,
        }
    }
}

/// A garbled id maps to one we never issue, so the client is told to reload rather than
/// silently resuming from the wrong place.
fn parse_event_id(raw: &str) -> u64 {
    raw.parse().unwrap_or(u64::MAX)
}

/// An authenticated client holding one of its user's connection slots.
pub struct Admission {
    pub user_id: String,
    pub slot: ConnectionGuard,
}

/// Authenticates the token (every SPEC §2 check) and claims a connection slot for the user.
pub async fn admit(state: &AppState, params: &Params) -> Result<Admission, AppError> {
    if !state.config.flags.enable_realtime {
        return Err(AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "REALTIME_DISABLED",
            "realtime is disabled on this server (ENABLE_REALTIME=false)",
        ));
    }
    let token = params.token.as_deref().ok_or_else(AppError::unauthorized)?;
    let user = crate::auth::authenticate_token(state, token).await?;
    let max = state.config.realtime.max_connections_per_user;
    let slot = state.events.try_connect(user.id(), max).ok_or_else(|| {
        // Shown to the client as the WS close reason (<= 123 bytes) or the SSE error message.
        AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO_MANY_CONNECTIONS",
            format!("too many realtime connections for this user (limit {max})"),
        )
    })?;
    Ok(Admission {
        user_id: user.id().to_string(),
        slot,
    })
}

/// Keeps a client-count gauge (`ws_clients`, `sse_clients`) right however a stream ends.
pub struct ClientGauge(&'static str);

impl ClientGauge {
    pub fn open(name: &'static str) -> Self {
        metrics::gauge!(name).increment(1.0);
        ClientGauge(name)
    }
}

impl Drop for ClientGauge {
    fn drop(&mut self) {
        metrics::gauge!(self.0).decrement(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_header_wins_over_the_query_and_blank_values_are_ignored() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        headers.insert("last-event-id", HeaderValue::from_static("7"));
        let p = Params::from_request(Some("token=xyz&last_event_id=3"), &headers);
        assert_eq!(p.token.as_deref(), Some("abc"));
        assert_eq!(p.last_event_id, Some(7));

        let p = Params::from_request(Some("token=xyz&last_event_id=3"), &HeaderMap::new());
        assert_eq!(p.token.as_deref(), Some("xyz"));
        assert_eq!(p.last_event_id, Some(3));

        let p = Params::from_request(Some("token=&last_event_id="), &HeaderMap::new());
        assert!(p.token.is_none() && p.last_event_id.is_none());
    }

    #[test]
    fn malformed_input_never_fails() {
        let p = Params::from_request(Some("%%%&&=="), &HeaderMap::new());
        assert!(p.token.is_none());
        let p = Params::from_request(Some("last_event_id=abc"), &HeaderMap::new());
        assert_eq!(p.last_event_id, Some(u64::MAX));
    }
}
