//! Exchange and AI keys, including the legacy `/api/api-keys` routes (SPEC §5).

use crate::http::openapi::op::{delete, get, post, Op};
use crate::http::openapi::schemas::keys::*;

const TAG: &str = "Keys";
const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";
const MULTIPART: &str = "multipart/form-data";
const ANY: [&str; 3] = [JSON, FORM, MULTIPART];

pub fn ops() -> Vec<Op> {
    vec![
        get("/api/keys/providers", TAG, "Supported providers and their fields")
            .public()
            .ok::<ProviderList>(),
        get("/api/keys/list", TAG, "One entry per provider with status and masked key")
            .ok::<KeyList>(),
        post("/api/keys/save", TAG, "Save (encrypt) a key")
            .describe("Accepts JSON, form, multipart or raw JSON with a wrong content type, and field aliases. Emits `key_saved`.")
            .body_as::<SaveKey>(&ANY, true)
            .ok::<KeySaved>()
            .errors(&[400]),
        post("/api/keys/test", TAG, "Test a key against the provider")
            .describe("Always 200 with `status` test_ok | test_failed. Emits `key_tested`.")
            .body_as::<TestKey>(&ANY, true)
            .ok::<KeyTested>()
            .errors(&[400]),
        get("/api/keys/{provider}", TAG, "One provider's key entry").ok::<KeyEntry>(),
        post("/api/keys/{provider}", TAG, "Save a key for this provider")
            .body_as::<SaveKey>(&ANY, true)
            .ok::<KeySaved>()
            .errors(&[400]),
        delete("/api/keys/{provider}", TAG, "Delete a provider's key")
            .describe("Emits `key_deleted`.")
            .ok::<KeyDeleted>(),
        get("/api/api-keys", TAG, "Legacy: list keys").ok::<KeyList>(),
        post("/api/api-keys", TAG, "Legacy: save a key")
            .body_as::<SaveKey>(&ANY, true)
            .ok::<KeySaved>()
            .errors(&[400]),
        post("/api/api-keys/{provider}/test", TAG, "Legacy: test a saved key")
            .ok::<KeyTested>(),
        delete("/api/api-keys/{provider}", TAG, "Legacy: delete a key").ok::<KeyDeleted>(),
    ]
}
