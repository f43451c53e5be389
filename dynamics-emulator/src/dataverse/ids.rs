//! Deterministic IDs: metadata IDs and seeded rows get the same GUID in every run, so tests and
//! documentation can name them.

use sha1::{Digest, Sha1};
use uuid::Uuid;

/// A name-based GUID (in the style of RFC 4122 version 5): the SHA-1 of `kind:name`, with the
/// version and variant bits set.
pub(crate) fn name_uuid(kind: &str, name: &str) -> Uuid {
    let digest = Sha1::new()
        .chain_update(kind.as_bytes())
        .chain_update(b":")
        .chain_update(name.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Uuid::from_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::name_uuid;

    #[test]
    fn stable_and_distinct() {
        assert_eq!(name_uuid("table", "account"), name_uuid("table", "account"));
        assert_ne!(name_uuid("table", "account"), name_uuid("table", "contact"));
        assert_eq!(name_uuid("a", "b").get_version_num(), 5);
    }
}
