//! Checking the URL secret in constant time.
//!
//! Both sides are hashed with SHA-256 first, so the comparison always runs over 32 bytes
//! whatever the length of the guess, and the fold visits every byte (no early exit): the time
//! taken says nothing about how much of a guess was right.

use sha2::{Digest, Sha256};

/// The expected secret, kept as its digest.
#[derive(Clone)]
pub(crate) struct SecretCheck {
    digest: [u8; 32],
}

impl SecretCheck {
    pub(crate) fn new(secret: &str) -> Self {
        SecretCheck {
            digest: Sha256::digest(secret.as_bytes()).into(),
        }
    }

    /// True when `candidate` is the secret.
    pub(crate) fn matches(&self, candidate: &str) -> bool {
        let candidate: [u8; 32] = Sha256::digest(candidate.as_bytes()).into();
        let difference = self
            .digest
            .iter()
            .zip(candidate.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        // black_box keeps the optimiser from turning the fold into an early-exit compare.
        std::hint::black_box(difference) == 0
    }
}

impl std::fmt::Debug for SecretCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretCheck(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_secret_matches() {
        let check = SecretCheck::new("abcdefghijklmnopqrstuvwxyz");
        assert!(check.matches("abcdefghijklmnopqrstuvwxyz"));
        assert!(!check.matches("abcdefghijklmnopqrstuvwxyZ"));
        assert!(!check.matches("abcdefghijklmnopqrstuvwxy"));
        assert!(!check.matches(""));
    }
}
