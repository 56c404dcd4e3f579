//! `amarktai rotate-keys --old-key-id ID`: re-seals every stored secret still under key `ID`
//! with the current `API_KEY_ENCRYPTION_KEY`. One record at a time, each update conditional on
//! the record being unchanged, so it is safe to interrupt and to re-run (records already under
//! the current key are skipped).

use crate::config::Config;
use crate::crypto::SecretBox;
use crate::store::{ApiKeyRecord, Store};

/// Records read per page.
const PAGE: u32 = 200;

/// What a rotation did. Never holds secret material.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RotationReport {
    /// Re-sealed under the current key.
    pub rotated: u64,
    /// Already entirely under the current key.
    pub already_current: u64,
    /// Changed by someone else (e.g. a new save) between read and write; that write used
    /// the current key, so nothing is lost.
    pub changed_meanwhile: u64,
    /// Under a key that is neither the old nor the current one: left alone.
    pub other_key: u64,
    /// Under the old key but could not be opened (wrong old key, tampered, wrong owner).
    pub failed: u64,
}

impl RotationReport {
    pub fn summary(&self) -> String {
        format!(
            "rotated {}, already current {}, changed meanwhile {}, under another key {}, failed {}",
            self.rotated, self.already_current, self.changed_meanwhile, self.other_key, self.failed
        )
    }
}

/// The sealer for a rotation from `old_key_id`: the configured current key plus the old key,
/// which must be configured (`API_KEY_ENCRYPTION_KEY_OLD`) under exactly that id.
pub fn sealer_for(config: &Config, old_key_id: &str) -> anyhow::Result<SecretBox> {
    let sealer = SecretBox::from_config(config);
    let wanted = old_key_id.trim().to_ascii_lowercase();
    if wanted == sealer.current_key_id() {
        anyhow::bail!(
            "--old-key-id {wanted} is the current key (API_KEY_ENCRYPTION_KEY); set \
             API_KEY_ENCRYPTION_KEY to the new key and API_KEY_ENCRYPTION_KEY_OLD to the old one"
        );
    }
    match &config.api_key_encryption_key_old {
        Some((id, _)) if *id == wanted => Ok(sealer),
        Some((id, _)) => anyhow::bail!(
            "API_KEY_ENCRYPTION_KEY_OLD holds key {id}, not {wanted}; set it to the key with id {wanted}"
        ),
        None => anyhow::bail!(
            "API_KEY_ENCRYPTION_KEY_OLD is not set; set it to the base64 key with id {wanted}"
        ),
    }
}

/// Which of the old / current / other keys a record's sealed fields are under.
fn fields(record: &ApiKeyRecord) -> Vec<&str> {
    std::iter::once(record.api_key_enc.as_str())
        .chain(record.api_secret_enc.as_deref())
        .chain(record.passphrase_enc.as_deref())
        .collect()
}

/// Re-seals one value if it is under `old_key_id`; values under the current key stay as is.
fn reseal(sealer: &SecretBox, old_key_id: &str, value: &str, user_id: &str) -> Result<String, ()> {
    match SecretBox::key_id_of(value) {
        Some(id) if id == sealer.current_key_id() => Ok(value.to_string()),
        Some(id) if id == old_key_id => sealer.rotate(value, user_id).map_err(|_| ()),
        _ => Err(()),
    }
}

/// Walks every stored record (by id) and rotates those under `old_key_id`.
pub async fn rotate_store(
    store: &Store,
    sealer: &SecretBox,
    old_key_id: &str,
) -> anyhow::Result<RotationReport> {
    let old_key_id = old_key_id.trim().to_ascii_lowercase();
    let current = sealer.current_key_id().to_string();
    let mut report = RotationReport::default();
    let mut after: Option<String> = None;
    loop {
        let page = store.keys.page_all(after.as_deref(), PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        for record in &page {
            let ids: Vec<Option<&str>> = fields(record)
                .into_iter()
                .map(SecretBox::key_id_of)
                .collect();
            if ids.iter().all(|id| *id == Some(current.as_str())) {
                report.already_current += 1;
                continue;
            }
            let known =
                |id: &Option<&str>| *id == Some(current.as_str()) || *id == Some(&old_key_id);
            if !ids.iter().all(known) {
                report.other_key += 1;
                eprintln!(
                    "record {} ({}): under a key other than {old_key_id}; left alone",
                    record.id, record.provider
                );
                continue;
            }
            let uid = record.user_id.as_str();
            let resealed = (
                reseal(sealer, &old_key_id, &record.api_key_enc, uid),
                record
                    .api_secret_enc
                    .as_deref()
                    .map(|v| reseal(sealer, &old_key_id, v, uid))
                    .transpose(),
                record
                    .passphrase_enc
                    .as_deref()
                    .map(|v| reseal(sealer, &old_key_id, v, uid))
                    .transpose(),
            );
            let (Ok(key), Ok(secret), Ok(passphrase)) = resealed else {
                report.failed += 1;
                eprintln!(
                    "record {} ({}): cannot be opened with key {old_key_id}; left alone",
                    record.id, record.provider
                );
                continue;
            };
            let replaced = store
                .keys
                .replace_encrypted(
                    &record.id,
                    &record.api_key_enc,
                    &key,
                    secret.as_deref(),
                    passphrase.as_deref(),
                )
                .await?;
            if replaced {
                report.rotated += 1;
            } else {
                report.changed_meanwhile += 1;
            }
        }
    }
    Ok(report)
}

/// The CLI command: connect, rotate, print a summary; an error if any record failed.
pub async fn rotate_keys(config: &Config, old_key_id: &str) -> anyhow::Result<RotationReport> {
    let sealer = sealer_for(config, old_key_id)?;
    let store = crate::store::connect(config).await?;
    let result = rotate_store(&store, &sealer, old_key_id).await;
    store.admin.close().await;
    let report = result?;
    println!(
        "rotate-keys {} -> {}: {}",
        old_key_id.trim().to_ascii_lowercase(),
        sealer.current_key_id(),
        report.summary()
    );
    if report.failed > 0 {
        anyhow::bail!(
            "{} record(s) could not be opened with the old key; check API_KEY_ENCRYPTION_KEY_OLD",
            report.failed
        );
    }
    Ok(report)
}
