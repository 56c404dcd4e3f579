//! AES-256-GCM envelope for secrets at rest (exchange keys): `v1:<key id>:<base64(nonce||ct)>`.
//!
//! The user id is bound as associated data, so a value copied into another user's record does
//! not decrypt. The key id prefix lets `rotate-keys` find values still under an old key.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::config::Config;

const VERSION: &str = "v1";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Why a secret could not be sealed or opened. Messages never contain secret material.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("stored secret is not in the v1:<key id>:<data> format")]
    Malformed,
    #[error("stored secret was encrypted with an unknown key ({0})")]
    UnknownKey(String),
    #[error("stored secret could not be decrypted (wrong key, wrong owner or tampered)")]
    Decrypt,
    #[error("secret could not be encrypted")]
    Encrypt,
}

/// One AES-256 key and its public id (first 8 hex chars of SHA-256 of the key bytes).
#[derive(Clone)]
struct SealKey {
    id: String,
    cipher: Aes256Gcm,
}

impl SealKey {
    fn new(bytes: &[u8; 32]) -> Self {
        Self {
            id: key_id(bytes),
            cipher: Aes256Gcm::new(bytes.into()),
        }
    }
}

/// The id under which values sealed with `key` are stored.
pub fn key_id(key: &[u8; 32]) -> String {
    hex::encode(Sha256::digest(key))[..8].to_string()
}

/// Seals with the current key; opens with the current key or any registered previous key.
#[derive(Clone)]
pub struct SecretBox {
    current: SealKey,
    previous: Vec<SealKey>,
}

impl fmt::Debug for SecretBox {
    /// Key ids only: they are derived by a one-way hash and already public in stored values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let previous: Vec<&str> = self.previous.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("SecretBox")
            .field("current_key_id", &self.current.id)
            .field("previous_key_ids", &previous)
            .finish()
    }
}

impl SecretBox {
    pub fn new(key: [u8; 32]) -> Self {
        Self {
            current: SealKey::new(&key),
            previous: Vec::new(),
        }
    }

    /// The configured key (`API_KEY_ENCRYPTION_KEY`, or the generated development key), plus
    /// `API_KEY_ENCRYPTION_KEY_OLD` when set, so values not yet rotated still open.
    pub fn from_config(config: &Config) -> Self {
        let sealer = Self::new(*config.api_key_encryption_key.expose());
        match &config.api_key_encryption_key_old {
            Some((id, key)) => sealer.with_previous_key(id, *key.expose()),
            None => sealer,
        }
    }

    /// Registers an older key so values sealed under it still open during a rotation.
    /// `id` is the id stored in those values (normally `key_id(&key)`).
    pub fn with_previous_key(mut self, id: &str, key: [u8; 32]) -> Self {
        let mut sealed = SealKey::new(&key);
        sealed.id = id.to_string();
        self.previous.push(sealed);
        self
    }

    /// Id of the key new values are sealed with.
    pub fn current_key_id(&self) -> &str {
        &self.current.id
    }

    /// Seals `plaintext` for `user_id` with a fresh random 96-bit nonce.
    pub fn encrypt(&self, plaintext: &str, user_id: &str) -> Result<String, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad: user_id.as_bytes(),
        };
        let ciphertext = self
            .current
            .cipher
            .encrypt(Nonce::from_slice(&nonce), payload)
            .map_err(|_| CryptoError::Encrypt)?;
        let mut blob = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ciphertext);
        let data = B64.encode(blob);
        Ok(format!("{VERSION}:{}:{data}", self.current.id))
    }

    /// Opens a value sealed by `encrypt` for the same `user_id`.
    pub fn decrypt(&self, stored: &str, user_id: &str) -> Result<String, CryptoError> {
        let (id, data) = split(stored).ok_or(CryptoError::Malformed)?;
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == id)
            .ok_or_else(|| CryptoError::UnknownKey(id.to_string()))?;
        let blob = B64.decode(data).map_err(|_| CryptoError::Malformed)?;
        if blob.len() < NONCE_LEN + TAG_LEN {
            return Err(CryptoError::Malformed);
        }
        let (nonce, ciphertext) = blob.split_at(NONCE_LEN);
        let payload = Payload {
            msg: ciphertext,
            aad: user_id.as_bytes(),
        };
        let plain = key
            .cipher
            .decrypt(Nonce::from_slice(nonce), payload)
            .map_err(|_| CryptoError::Decrypt)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Decrypt)
    }

    /// The key id a stored value names, if it is a well-formed `v1` value.
    pub fn key_id_of(stored: &str) -> Option<&str> {
        split(stored).map(|(id, _)| id)
    }

    /// True unless `stored` is a `v1` value under the current key (so malformed or legacy
    /// values are reported too; the rotation then fails on them loudly instead of skipping).
    pub fn needs_rotation(&self, stored: &str) -> bool {
        Self::key_id_of(stored) != Some(self.current.id.as_str())
    }

    /// Re-seals a value under the current key (decrypting with whichever key it names).
    pub fn rotate(&self, stored: &str, user_id: &str) -> Result<String, CryptoError> {
        let plain = self.decrypt(stored, user_id)?;
        self.encrypt(&plain, user_id)
    }
}

/// `v1:<8 hex>:<data>` -> (id, data).
fn split(stored: &str) -> Option<(&str, &str)> {
    let mut parts = stored.splitn(3, ':');
    let (version, id, data) = (parts.next()?, parts.next()?, parts.next()?);
    let id_ok = id.len() == 8 && id.bytes().all(|b| b.is_ascii_hexdigit());
    (version == VERSION && id_ok && !data.is_empty()).then_some((id, data))
}

/// `abcd...wxyz` for display; values of 8 chars or fewer become `****` (nothing revealed).
pub fn mask_secret(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 8 {
        return "****".to_string();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}...{tail}")
}

#[cfg(test)]
mod tests;
