//! `/api/auth/*` (SPEC §2).

use crate::http::openapi::op::{get, post, put, Op};
use crate::http::openapi::schemas::auth::*;
use crate::http::openapi::schemas::common::SuccessMessage;

const TAG: &str = "Auth";
const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

pub fn ops() -> Vec<Op> {
    vec![
        post("/api/auth/register", TAG, "Create an account")
            .public()
            .describe("200 with a session, or 201 `{message, status:\"pending\"}` when `REQUIRE_APPROVAL=true`. Header `X-Invite-Code` is accepted too. 403 wrong invite code, 409 email taken, 400 both/neither of `password`/`password_hash`.")
            .body::<RegisterRequest>()
            .ok::<Session>()
            .errors(&[400, 403, 409]),
        post("/api/auth/login", TAG, "Log in (JSON or form)")
            .public()
            .describe("401 \"Invalid email or password\"; 403 \"Account disabled\" / \"Account pending approval\"; 429 after `LOGIN_RATE_LIMIT_ATTEMPTS` failures per IP+email.")
            .body_as::<LoginRequest>(&[JSON, FORM], true)
            .ok::<Session>()
            .errors(&[400, 401, 403]),
        post("/api/auth/refresh", TAG, "Rotate the refresh token")
            .public()
            .describe("Re-use of a rotated refresh token revokes the whole token family.")
            .body::<RefreshRequest>()
            .ok::<Session>()
            .errors(&[401]),
        post("/api/auth/logout", TAG, "Revoke the access token (and refresh token)")
            .describe("Idempotent.")
            .optional_body::<LogoutRequest>()
            .ok::<SuccessMessage>(),
        get("/api/auth/me", TAG, "The current user").ok::<UserView>(),
        get("/api/auth/profile", TAG, "The current user (profile view)").ok::<UserView>(),
        put("/api/auth/profile", TAG, "Update first_name, currency (email needs current_password)")
            .describe("Answers the updated user; with `new_password` (and `current_password`) it answers a fresh session like PUT /api/auth/password.")
            .body::<ProfileUpdate>()
            .ok::<UserView>()
            .errors(&[400, 403, 409]),
        put("/api/auth/password", TAG, "Change password")
            .describe("Answers a fresh session; every older token stops working.")
            .body::<PasswordChange>()
            .ok::<Session>()
            .errors(&[400, 403]),
    ]
}
