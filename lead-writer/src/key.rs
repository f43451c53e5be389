//! The idempotency key: the marketplace payload has no id, so one is derived from the lead.
//!
//! Why a receive-time bucket: the docs push de-duplication to the receiver ("you'll get leads
//! from multiple steps ... the best way to handle the leads is to de-duplicate the records",
//! `commercial-marketplace-get-customer-leads.md`, REFERENCE-WORKFLOWS 1.3) and document no
//! retry policy or delivery id (UNCONFIRMED either way). A key from the content alone would
//! swallow a customer who asks again weeks later; a key with the exact receive time would let
//! every redelivery through. The key is the normalised content plus the receive time cut into
//! buckets (default: the UTC day): a redelivery or a repeated click the same day is one lead,
//! a new request on a later day is a new lead. A redelivery that straddles a bucket boundary
//! gives a second key; a writer that cares can also look up [`Lead::idempotency_key`] for the
//! previous bucket. The receive time is taken once at intake and stored with the lead, so
//! retries after a restart derive the same key.
//!
//! The different steps of one customer (`INS` then `PLT`) differ in their action, so they stay
//! separate leads; a follow-up in the CRM is per step.

use std::fmt;
use std::num::NonZeroU64;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::fields::Field;
use crate::lead::Lead;

/// The default bucket: one day.
pub const DEFAULT_BUCKET_SECONDS: u64 = 24 * 60 * 60;

/// Changes whenever the canonical form changes, so old and new keys never collide by accident.
const KEY_VERSION: &[u8] = b"lead-writer/idempotency-key/v1";

/// How keys are derived.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyOptions {
    /// The bucket length in seconds, counted from the Unix epoch (so the default bucket is a
    /// UTC day). Default [`DEFAULT_BUCKET_SECONDS`].
    pub bucket_seconds: NonZeroU64,
}

impl Default for KeyOptions {
    fn default() -> Self {
        KeyOptions {
            bucket_seconds: NonZeroU64::new(DEFAULT_BUCKET_SECONDS).unwrap_or(NonZeroU64::MIN),
        }
    }
}

impl KeyOptions {
    /// Options with a bucket of `seconds`; zero is refused.
    pub fn with_bucket_seconds(seconds: u64) -> Result<Self> {
        let bucket_seconds = NonZeroU64::new(seconds).ok_or_else(|| {
            Error::config("the idempotency bucket must be at least one second long")
        })?;
        Ok(KeyOptions { bucket_seconds })
    }

    /// The bucket a receive time (Unix seconds) falls in. Times before 1970 get negative buckets.
    pub fn bucket_of(&self, received_at_unix_seconds: i64) -> i64 {
        let length = i128::from(self.bucket_seconds.get());
        // Fits: |seconds / length| <= |seconds| for length >= 1.
        i128::from(received_at_unix_seconds).div_euclid(length) as i64
    }
}

/// A lead's idempotency key: SHA-256 of its normalised content and receive-time bucket.
///
/// [`IdempotencyKey::lead_id`] is a deterministic UUID from the same hash, sent as the
/// `leadid` of a plain create (`POST`, or a `CreateMultiple` target; never an upsert, so a
/// replay cannot overwrite a row edited since). A replay is then refused as a duplicate, and
/// the writer completes it once a read shows the row with that id exists.
/// Serialises as `{"sha256": "<64 hex>", "bucket": n}`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "KeyRepr", try_from = "KeyRepr")]
pub struct IdempotencyKey {
    hash: [u8; 32],
    bucket: i64,
}

impl IdempotencyKey {
    /// The SHA-256 as 64 lower-case hex digits (fits an alternate-key text column).
    pub fn hex(&self) -> String {
        self.hash.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A UUID from the hash's first 16 bytes, marked version 8 ("custom"), as RFC 9562
    /// (section 5.8, appendix B.2) describes for name-based UUIDs built with SHA-256.
    pub fn lead_id(&self) -> Uuid {
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&self.hash[..16]);
        uuid::Builder::from_custom_bytes(bytes).into_uuid()
    }

    /// The receive-time bucket the key was derived with.
    pub fn bucket(&self) -> i64 {
        self.bucket
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdempotencyKey")
            .field("sha256", &self.hex())
            .field("bucket", &self.bucket)
            .finish()
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

#[derive(Serialize, Deserialize)]
struct KeyRepr {
    sha256: String,
    bucket: i64,
}

impl From<IdempotencyKey> for KeyRepr {
    fn from(key: IdempotencyKey) -> Self {
        KeyRepr {
            sha256: key.hex(),
            bucket: key.bucket,
        }
    }
}

impl TryFrom<KeyRepr> for IdempotencyKey {
    type Error = String;

    fn try_from(repr: KeyRepr) -> Result<Self, String> {
        let digits = repr.sha256.as_bytes();
        if digits.len() != 64 || !digits.iter().all(u8::is_ascii_hexdigit) {
            return Err("sha256 must be 64 hex digits".to_owned());
        }
        let mut hash = [0u8; 32];
        for (byte, pair) in hash.iter_mut().zip(digits.chunks_exact(2)) {
            let text = std::str::from_utf8(pair).map_err(|_| "sha256 must be hex")?;
            *byte = u8::from_str_radix(text, 16).map_err(|_| "sha256 must be hex")?;
        }
        Ok(IdempotencyKey {
            hash,
            bucket: repr.bucket,
        })
    }
}

impl Lead {
    /// The lead's idempotency key for a receive time (Unix seconds).
    ///
    /// Canonical form: the customer fields, offer title and description trimmed with runs of
    /// whitespace made one space, the email lower-cased, `LeadSource`/`ActionCode` as their
    /// parsed parts (so both documented shapes of one lead agree), in a fixed order, each
    /// length-prefixed. Key spelling and field order in the body do not count. Unknown fields
    /// and `CreatedTime` are left out: delivery metadata must not make a replay look new.
    pub fn idempotency_key(
        &self,
        received_at_unix_seconds: i64,
        options: &KeyOptions,
    ) -> IdempotencyKey {
        self.derive_key(received_at_unix_seconds, options, None)
    }

    /// The key of a lead read from an Azure Table row (`import`): the same canonical content
    /// and bucket as [`Lead::idempotency_key`], plus the row's identity (`PartitionKey` and
    /// `RowKey`). Each row Microsoft wrote is one lead, so two rows with the same content stay
    /// two leads, and a row keeps its key whenever it is read again. The price: a lead that
    /// also came through the HTTPS intake gets a different key there (the two destinations
    /// are alternatives for an offer, so the overlap is the switch-over, at most).
    pub fn table_row_idempotency_key(
        &self,
        created_at_unix_seconds: i64,
        partition_key: &str,
        row_key: &str,
        options: &KeyOptions,
    ) -> IdempotencyKey {
        self.derive_key(
            created_at_unix_seconds,
            options,
            Some((partition_key, row_key)),
        )
    }

    fn derive_key(
        &self,
        received_at_unix_seconds: i64,
        options: &KeyOptions,
        table_row: Option<(&str, &str)>,
    ) -> IdempotencyKey {
        let bucket = options.bucket_of(received_at_unix_seconds);
        let mut hasher = Sha256::new();
        hasher.update(KEY_VERSION);
        let origin = self.origin();
        let action = origin
            .action
            .as_ref()
            .map(|a| a.code().to_ascii_lowercase());
        let parts: [(&str, Option<String>); 13] = [
            ("first_name", self.normalised(Field::FirstName)),
            ("last_name", self.normalised(Field::LastName)),
            ("full_name", self.normalised(Field::FullName)),
            (
                "email",
                self.normalised(Field::Email).map(|e| e.to_lowercase()),
            ),
            ("phone", self.normalised(Field::Phone)),
            ("country", self.normalised(Field::Country)),
            ("company", self.normalised(Field::Company)),
            ("title", self.normalised(Field::Title)),
            ("source", origin.source.as_deref().map(collapse_whitespace)),
            ("action", action),
            (
                "offer",
                origin.offer_id().as_deref().map(collapse_whitespace),
            ),
            ("offer_title", self.normalised(Field::OfferTitle)),
            ("description", self.normalised(Field::Description)),
        ];
        for (name, value) in &parts {
            write_part(&mut hasher, name.as_bytes());
            match value {
                Some(value) => {
                    hasher.update([1]);
                    write_part(&mut hasher, value.as_bytes());
                }
                None => hasher.update([0]),
            }
        }
        hasher.update(options.bucket_seconds.get().to_be_bytes());
        hasher.update(bucket.to_be_bytes());
        // After everything else, so keys without a row are the intake's, unchanged.
        if let Some((partition_key, row_key)) = table_row {
            write_part(&mut hasher, b"table_row");
            write_part(&mut hasher, partition_key.as_bytes());
            write_part(&mut hasher, row_key.as_bytes());
        }
        IdempotencyKey {
            hash: hasher.finalize().into(),
            bucket,
        }
    }

    fn normalised(&self, field: Field) -> Option<String> {
        self.get(field)
            .map(collapse_whitespace)
            .filter(|v| !v.is_empty())
    }
}

/// Length-prefixed, so no two different part lists hash the same bytes.
fn write_part(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_be_bytes());
    hasher.update(bytes);
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    fn key(body: &str, at: i64) -> IdempotencyKey {
        Lead::parse(body.as_bytes())
            .unwrap()
            .idempotency_key(at, &KeyOptions::default())
    }

    const BASE: &str = r#"{"UserDetails":{"FirstName":"Ada","LastName":"Lovelace","Email":"ada@example.com"},
        "LeadSource":"AzureMarketplace","ActionCode":"INS","OfferTitle":"Engine"}"#;

    #[test]
    fn spelling_order_and_whitespace_do_not_change_the_key() {
        let other = r#"{"offertitle":"Engine ","actionCode":"INS","LEADSOURCE":"AzureMarketplace",
            "userDetails":{"email":" ADA@example.com","last_name":"Lovelace","first name":"  Ada"}}"#;
        assert_eq!(key(BASE, 10), key(other, 20));
    }

    #[test]
    fn both_lead_source_shapes_agree() {
        let embedded = BASE.replace(
            r#""LeadSource":"AzureMarketplace","ActionCode":"INS""#,
            r#""LeadSource":"AzureMarketplace-INS""#,
        );
        assert_eq!(key(BASE, 0), key(&embedded, 0));
    }

    #[test]
    fn different_content_gives_a_different_key() {
        let other_email = BASE.replace("ada@example.com", "ada2@example.com");
        assert_ne!(key(BASE, 0), key(&other_email, 0));
        let other_action = BASE.replace("INS", "PLT");
        assert_ne!(key(BASE, 0), key(&other_action, 0));
        // A value moved to another field is a different lead.
        let moved = BASE.replace(r#""FirstName":"Ada""#, r#""Company":"Ada""#);
        assert_ne!(key(BASE, 0), key(&moved, 0));
    }

    #[test]
    fn bucket_boundaries() {
        assert_eq!(key(BASE, 0), key(BASE, DAY - 1));
        assert_ne!(key(BASE, DAY - 1), key(BASE, DAY));
        assert_eq!(key(BASE, DAY - 1).bucket(), 0);
        assert_eq!(key(BASE, DAY).bucket(), 1);
        assert_eq!(key(BASE, -1).bucket(), -1);
        let options = KeyOptions::with_bucket_seconds(3600).unwrap();
        let lead = Lead::parse(BASE.as_bytes()).unwrap();
        assert_ne!(
            lead.idempotency_key(3599, &options),
            lead.idempotency_key(3600, &options)
        );
        // The bucket length is part of the key: hour bucket 0 is not day bucket 0.
        assert_ne!(lead.idempotency_key(0, &options), key(BASE, 0));
        assert_eq!(options.bucket_of(i64::MIN), i64::MIN.div_euclid(3600));
        assert!(KeyOptions::with_bucket_seconds(0).is_err());
    }

    #[test]
    fn a_table_row_key_is_the_row_not_only_the_content() {
        let lead = Lead::parse(BASE.as_bytes()).unwrap();
        let options = KeyOptions::default();
        let row =
            |pk: &str, rk: &str, at: i64| lead.table_row_idempotency_key(at, pk, rk, &options);
        assert_eq!(row("p", "r1", 0), row("p", "r1", DAY - 1));
        assert_ne!(row("p", "r1", 0), row("p", "r2", 0));
        // Length-prefixed: the `|` allowed in keys cannot move a boundary.
        assert_ne!(row("a|b", "c", 0), row("a", "b|c", 0));
        assert_ne!(row("p", "r1", 0), key(BASE, 0));
        assert_eq!(row("p", "r1", 0).bucket(), 0);
    }

    #[test]
    fn lead_id_is_a_stable_version_8_uuid() {
        let first = key(BASE, 5);
        let id = first.lead_id();
        assert_eq!(id.get_version_num(), 8);
        assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
        assert_eq!(id, key(BASE, 6).lead_id());
        assert_eq!(first.hex().len(), 64);
        assert_eq!(&first.hex()[..8], &id.simple().to_string()[..8]);
    }

    #[test]
    fn key_serialises_and_back() {
        let original = key(BASE, 5);
        let text = serde_json::to_string(&original).unwrap();
        assert!(text.contains(&original.hex()));
        let back: IdempotencyKey = serde_json::from_str(&text).unwrap();
        assert_eq!(back, original);
        assert!(serde_json::from_str::<IdempotencyKey>(r#"{"sha256":"zz","bucket":1}"#).is_err());
    }
}
