//! PKCE (RFC 7636) verifier and S256 challenge, and the random `state` value.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use sha2::Digest as _;

/// 32 random bytes, base64url: a 43-character verifier, the shortest RFC 7636 allows and
/// what Entra expects.
pub(crate) fn new_verifier() -> String {
    random_token(32)
}

/// `BASE64URL(SHA256(verifier))`, the S256 challenge.
pub(crate) fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// An unguessable value for `state`.
pub(crate) fn new_state() -> String {
    random_token(16)
}

fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_rfc_7636_example() {
        // RFC 7636 appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifiers_are_long_enough_and_unique() {
        let a = new_verifier();
        assert_eq!(a.len(), 43);
        assert_ne!(a, new_verifier());
    }
}
