//! [`TokenKey`]: the caller's 32-byte key, and sealing tokens with it (XChaCha20-Poly1305,
//! a random 24-byte nonce per write; the account, the field and the row's clear columns that
//! say where tokens go (org URL, sign-in host, tenant, ...) as associated data, so a
//! ciphertext moved to another row or column, or a row whose clear columns were altered,
//! no longer opens).

use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use dynamics_auth::Secret;
use rand::RngCore as _;
use sha2::Digest as _;

use crate::{AccountId, ConnectorError};

/// Format byte in front of every sealed value, so the format can change later. Version 1
/// (account and field only in the associated data) is no longer opened: it did not bind the
/// row's org URL and sign-in host.
const FORMAT_V2: u8 = 2;
const NONCE_LEN: usize = 24;

/// The key that encrypts refresh tokens (and the other secrets) at rest: 32 bytes the caller
/// keeps outside the database (a secret manager, an environment variable). `Debug` shows
/// only its id.
#[derive(Clone)]
pub struct TokenKey {
    key: [u8; 32],
    id: String,
}

impl TokenKey {
    /// A key from 32 bytes.
    pub fn from_bytes(key: [u8; 32]) -> Self {
        // The id tells keys apart in errors without revealing the key: a domain-separated
        // hash, cut to 8 bytes.
        let digest = sha2::Sha256::new()
            .chain_update(b"connector-accounts key id v1\0")
            .chain_update(key)
            .finalize();
        let id = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        TokenKey { key, id }
    }

    /// A key from base64 (standard or URL-safe alphabet) of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, ConnectorError> {
        use base64::Engine as _;
        let text = text.trim();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .or_else(|_| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text.trim_end_matches('='))
            })
            .map_err(|_| {
                ConnectorError::invalid(
                    "token key",
                    "<hidden>",
                    "give 32 random bytes in base64 (e.g. `openssl rand -base64 32`)",
                )
            })?;
        let key: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
            ConnectorError::invalid(
                "token key",
                format!("<{} bytes>", b.len()),
                "the key must be exactly 32 bytes (e.g. `openssl rand -base64 32`)",
            )
        })?;
        Ok(Self::from_bytes(key))
    }

    /// A fresh random key (for tests and first set-up; keep it, or the tokens are lost).
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        Self::from_bytes(key)
    }

    /// The key's id: 16 hex digits, stored with each row to tell a wrong key from an altered row.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Seals `plaintext` for `account`'s `field`, bound to the row's clear values `bound`.
    pub(crate) fn seal(
        &self,
        account: &AccountId,
        field: &str,
        bound: &[&str],
        plaintext: &str,
    ) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let aad = associated_data(account, field, bound);
        let cipher = XChaCha20Poly1305::new(&self.key.into());
        let sealed = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: &aad,
                },
            )
            // Only fails for inputs of gigabytes; tokens are a few kilobytes.
            .unwrap_or_default();
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(FORMAT_V2);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens what [`seal`](Self::seal) produced for the same account, field and bound values.
    pub(crate) fn open(
        &self,
        account: &AccountId,
        field: &str,
        bound: &[&str],
        sealed: &[u8],
    ) -> Result<Secret, ConnectorError> {
        let tampered = || ConnectorError::Tampered {
            account: account.clone(),
        };
        if sealed.len() < 1 + NONCE_LEN || sealed[0] != FORMAT_V2 {
            return Err(tampered());
        }
        let nonce: [u8; NONCE_LEN] = sealed[1..1 + NONCE_LEN]
            .try_into()
            .map_err(|_| tampered())?;
        let aad = associated_data(account, field, bound);
        let cipher = XChaCha20Poly1305::new(&self.key.into());
        let plain = cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &sealed[1 + NONCE_LEN..],
                    aad: &aad,
                },
            )
            .map_err(|_| tampered())?;
        String::from_utf8(plain)
            .map(Secret::new)
            .map_err(|_| tampered())
    }

    /// Refuses a row written under another key, before trying to open it.
    pub(crate) fn check_id(
        &self,
        account: &AccountId,
        stored_id: &str,
    ) -> Result<(), ConnectorError> {
        if stored_id == self.id {
            Ok(())
        } else {
            Err(ConnectorError::WrongKey {
                account: account.clone(),
                found: stored_id.chars().take(32).collect(),
                expected: self.id.clone(),
            })
        }
    }
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// `connector-accounts/v2/{field}/{account}` then each bound value length-prefixed (so no
/// two lists of values give the same bytes): binds a ciphertext to its row, its column and
/// the clear columns that decide where its tokens are sent.
fn associated_data(account: &AccountId, field: &str, bound: &[&str]) -> Vec<u8> {
    let mut aad = format!("connector-accounts/v2/{field}/{account}");
    for value in bound {
        aad.push_str(&format!("\n{}:{value}", value.len()));
    }
    aad.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUND: &[&str] = &[
        "https://contoso.crm.dynamics.com",
        "https://login.microsoftonline.com/",
    ];

    fn account(id: &str) -> AccountId {
        AccountId::new(id).unwrap()
    }

    #[test]
    fn round_trips_with_fresh_nonces() {
        let key = TokenKey::generate();
        let a = key.seal(&account("a"), "refresh", BOUND, "rt-value");
        let b = key.seal(&account("a"), "refresh", BOUND, "rt-value");
        assert_ne!(a, b, "each write has its own nonce");
        assert!(!a.windows(8).any(|w| w == b"rt-value"));
        assert_eq!(
            key.open(&account("a"), "refresh", BOUND, &a)
                .unwrap()
                .secret(),
            "rt-value"
        );
    }

    #[test]
    fn another_account_field_or_key_cannot_open() {
        let key = TokenKey::generate();
        let sealed = key.seal(&account("a"), "refresh", BOUND, "rt");
        assert!(matches!(
            key.open(&account("b"), "refresh", BOUND, &sealed),
            Err(ConnectorError::Tampered { .. })
        ));
        assert!(matches!(
            key.open(&account("a"), "previous", BOUND, &sealed),
            Err(ConnectorError::Tampered { .. })
        ));
        let other = TokenKey::generate();
        assert!(
            other
                .open(&account("a"), "refresh", BOUND, &sealed)
                .is_err()
        );
        assert!(matches!(
            other.check_id(&account("a"), key.id()),
            Err(ConnectorError::WrongKey { .. })
        ));
        let mut flipped = sealed.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(matches!(
            key.open(&account("a"), "refresh", BOUND, &flipped),
            Err(ConnectorError::Tampered { .. })
        ));
        assert!(
            key.open(&account("a"), "refresh", BOUND, &sealed[..10])
                .is_err()
        );
    }

    #[test]
    fn altered_bound_values_cannot_open() {
        let key = TokenKey::generate();
        let sealed = key.seal(&account("a"), "refresh", BOUND, "rt");
        let redirected = [
            "https://contoso.crm.dynamics.com",
            "https://login.evil.example/",
        ];
        assert!(matches!(
            key.open(&account("a"), "refresh", &redirected, &sealed),
            Err(ConnectorError::Tampered { .. })
        ));
        // Moving text from one value to the next is not the same list.
        let shifted = [
            "https://contoso.crm.dynamics.com\n",
            "https://login.microsoftonline.com/",
        ];
        assert!(
            key.open(&account("a"), "refresh", &shifted, &sealed)
                .is_err()
        );
        let mut v1 = sealed.clone();
        v1[0] = 1;
        assert!(key.open(&account("a"), "refresh", BOUND, &v1).is_err());
    }

    #[test]
    fn keys_parse_from_base64_and_never_print() {
        let key = TokenKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
        assert_eq!(key.id().len(), 16);
        let shown = format!("{key:?}");
        assert!(
            shown.contains(key.id()) && !shown.contains("AAEC"),
            "{shown}"
        );
        assert!(TokenKey::from_base64("c2hvcnQ=").is_err());
    }
}
