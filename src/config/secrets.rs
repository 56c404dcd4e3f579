//! Secrets read or generated at boot: encryption keys from base64, and the development-only
//! JWT secret / encryption key generated once per data dir (file mode 600).

use std::path::Path;

use base64::Engine as _;
use rand::RngCore;

use super::{ConfigError, Secret};

pub(super) fn parse_encryption_key(name: &str, raw: &str) -> Result<[u8; 32], ConfigError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(raw.trim())
        .map_err(|_| ConfigError(format!("{name} must be base64 of 32 bytes")))?;
    bytes
        .try_into()
        .map_err(|_| ConfigError(format!("{name} must decode to exactly 32 bytes")))
}

/// `API_KEY_ENCRYPTION_KEY_OLD`: `<base64>` or `<key id>:<base64>`; a given id must be the
/// key's own id (`crypto::key_id`), which catches pasting the wrong key.
pub(super) fn parse_old_encryption_key(
    raw: &str,
) -> Result<(String, Secret<[u8; 32]>), ConfigError> {
    const NAME: &str = "API_KEY_ENCRYPTION_KEY_OLD";
    let (given_id, b64) = match raw.trim().split_once(':') {
        Some((id, b64)) => (Some(id.trim()), b64),
        None => (None, raw),
    };
    let key = parse_encryption_key(NAME, b64)?;
    let id = crate::crypto::key_id(&key);
    if let Some(given) = given_id {
        if !given.eq_ignore_ascii_case(&id) {
            return Err(ConfigError(format!(
                "{NAME} names key id {given:?} but its key has id {id:?}"
            )));
        }
    }
    Ok((id, Secret::new(key)))
}

/// In development a missing `JWT_SECRET` is generated once per data dir and kept in a file,
/// so restarts do not log everyone out.
pub(super) fn dev_jwt_secret(data_dir: &Path) -> Result<String, ConfigError> {
    let path = data_dir.join(".jwt_secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim().to_string();
        if existing.len() >= 32 {
            return Ok(existing);
        }
    }
    std::fs::create_dir_all(data_dir).map_err(|e| {
        ConfigError(format!(
            "DATA_DIR {} cannot be created: {e}",
            data_dir.display()
        ))
    })?;
    let mut bytes = [0u8; 48];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    write_private_file(&path, &secret).map_err(|e| {
        ConfigError(format!(
            "DATA_DIR {} is not writable: {e}",
            data_dir.display()
        ))
    })?;
    Ok(secret)
}

/// In development a missing `API_KEY_ENCRYPTION_KEY` is generated once per data dir and kept
/// in a file, so saved exchange keys still decrypt after a restart.
pub(super) fn dev_encryption_key(data_dir: &Path) -> Result<[u8; 32], ConfigError> {
    let path = data_dir.join(DEV_ENCRYPTION_KEY_FILE);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        // A damaged file is an error, not a reason to mint a new key: that would orphan
        // every key saved under the old one.
        return parse_encryption_key(&path.display().to_string(), &existing);
    }
    std::fs::create_dir_all(data_dir).map_err(|e| {
        ConfigError(format!(
            "DATA_DIR {} cannot be created: {e}",
            data_dir.display()
        ))
    })?;
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    let encoded = base64::engine::general_purpose::STANDARD.encode(key);
    write_private_file(&path, &encoded).map_err(|e| {
        ConfigError(format!(
            "DATA_DIR {} is not writable: {e}",
            data_dir.display()
        ))
    })?;
    Ok(key)
}

/// File under `DATA_DIR` holding the generated development encryption key.
pub const DEV_ENCRYPTION_KEY_FILE: &str = ".api_key_encryption_key";

fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())
}
