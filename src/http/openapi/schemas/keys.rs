//! Exchange / AI API keys (SPEC §5). Plaintext keys and secrets never appear in answers.

use utoipa::ToSchema;

#[derive(ToSchema)]
pub enum ProviderType {
    exchange,
    ai,
}

#[derive(ToSchema)]
pub enum KeyStatus {
    not_configured,
    saved_untested,
    test_ok,
    test_failed,
}

#[derive(ToSchema)]
pub struct Provider {
    /// `luno, binance, kucoin, valr, ovex, openai`.
    pub id: String,
    #[schema(rename = "type")]
    pub kind: ProviderType,
    pub display_name: String,
    pub required_fields: Vec<String>,
}

#[derive(ToSchema)]
pub struct ProviderList {
    pub success: bool,
    pub providers: Vec<Provider>,
    pub total: u32,
}

#[derive(ToSchema)]
pub struct KeyList {
    pub success: bool,
    /// One entry per provider, configured or not.
    pub keys: Vec<KeyEntry>,
    pub total: u32,
    /// How many providers have a saved key.
    pub configured: u32,
}

#[derive(ToSchema)]
pub struct KeyEntry {
    pub provider: String,
    pub display_name: String,
    #[schema(rename = "type")]
    pub kind: ProviderType,
    pub status: KeyStatus,
    pub status_display: String,
    /// First 4 + "..." + last 4.
    pub masked_key: Option<String>,
    pub created_at: Option<String>,
    pub last_tested_at: Option<String>,
    pub last_test_error: Option<String>,
}

/// JSON, form-urlencoded or multipart; aliases: provider = `provider|exchange|platform`,
/// key = `api_key|apiKey|key`, secret = `api_secret|apiSecret|secret`.
#[derive(ToSchema)]
pub struct SaveKey {
    pub provider: String,
    pub api_key: String,
    pub api_secret: Option<String>,
    /// Required for kucoin.
    pub passphrase: Option<String>,
}

#[derive(ToSchema)]
pub struct KeyDeleted {
    pub success: bool,
    pub message: String,
    pub provider: String,
}

#[derive(ToSchema)]
pub struct KeyInfo {
    pub provider: String,
    pub exchange: String,
    pub masked_key: String,
    pub saved_at: String,
}

#[derive(ToSchema)]
pub struct KeySaved {
    pub success: bool,
    pub message: String,
    pub provider: String,
    /// `saved_untested`.
    pub status: KeyStatus,
    pub key_info: KeyInfo,
}

/// Same aliases as `SaveKey`; without a key in the body the saved one is tested.
#[derive(ToSchema)]
pub struct TestKey {
    pub provider: String,
    pub api_key: Option<String>,
    pub api_secret: Option<String>,
    pub passphrase: Option<String>,
}

#[derive(ToSchema)]
pub struct KeyTested {
    pub ok: bool,
    pub success: bool,
    pub provider: String,
    pub status: KeyStatus,
    pub status_display: String,
    pub message: String,
    pub tested_at: String,
    /// Short and friendly (<= 200 chars; no stack traces, no secrets).
    pub error: Option<String>,
}
