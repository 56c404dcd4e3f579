//! Comparing a presented secret with the configured one without leaking how much matched.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// True when `given` equals `expected`. Both sides are hashed to SHA-256 first, so the
/// constant-time comparison always runs over 32 bytes: neither the position of the first
/// difference nor the secret's length shows in the timing.
pub fn secrets_match(given: &str, expected: &str) -> bool {
    let given = Sha256::digest(given.as_bytes());
    let expected = Sha256::digest(expected.as_bytes());
    bool::from(given.as_slice().ct_eq(expected.as_slice()))
}

#[cfg(test)]
mod tests {
    use super::secrets_match;

    #[test]
    fn only_the_exact_secret_matches() {
        assert!(secrets_match("s3cret-unlock", "s3cret-unlock"));
        for other in [
            "s3cret-unloc",
            "s3cret-unlockx",
            "S3cret-unlock",
            "",
            " s3cret-unlock",
        ] {
            assert!(!secrets_match(other, "s3cret-unlock"), "{other:?}");
        }
        assert!(secrets_match("", ""));
    }
}
