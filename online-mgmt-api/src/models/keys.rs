//! Tenant protection (encryption) keys, v1.2. Key material and passwords never show in
//! `Debug`.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dynamics_auth::Secret;
use serde::{Deserialize, Serialize, Serializer};
use uuid::Uuid;

use super::de;
use super::enums::KeyState;

/// A tenant protection key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TenantProtectionKey {
    /// The tenant.
    #[serde(alias = "tenantId", default, deserialize_with = "de::opt_uuid")]
    pub tenant_id: Option<Uuid>,
    /// The key's name.
    #[serde(alias = "keyName")]
    pub key_name: Option<String>,
    /// Its state.
    #[serde(alias = "keyState")]
    pub key_state: Option<KeyState>,
    /// When it was created.
    #[serde(alias = "createdOn")]
    pub created_on: Option<String>,
    /// When it was locked.
    #[serde(alias = "lockedOn")]
    pub locked_on: Option<String>,
}

/// Raw key bytes (a certificate with its private key). `Debug` shows the length only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct KeyMaterial(Vec<u8>);

impl KeyMaterial {
    /// Wraps key bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        KeyMaterial(bytes.into())
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// Decodes the base64 the service sends.
    pub(crate) fn from_base64(text: &str) -> Option<Self> {
        STANDARD.decode(text.trim()).ok().map(KeyMaterial)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyMaterial(<{} bytes redacted>)", self.0.len())
    }
}

impl Serialize for KeyMaterial {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(&self.0))
    }
}

fn ser_secret<S: Serializer>(secret: &Option<Secret>, s: S) -> Result<S::Ok, S::Error> {
    match secret {
        Some(v) => s.serialize_str(v.secret()),
        None => s.serialize_none(),
    }
}

/// A key to import (`POST Keys/Import`).
#[derive(Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportKeyData {
    /// The key's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_name: Option<String>,
    /// The key type (an integer the service defines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_type: Option<i32>,
    /// The password protecting the key.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_secret")]
    pub key_password: Option<Secret>,
    /// The key certificate's bytes (sent as base64).
    #[serde(skip_serializing_if = "KeyMaterial::is_empty")]
    pub key: KeyMaterial,
}

impl fmt::Debug for ImportKeyData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportKeyData")
            .field("key_name", &self.key_name)
            .field("key_type", &self.key_type)
            .field(
                "key_password",
                &self.key_password.as_ref().map(|_| "<redacted>"),
            )
            .field("key", &self.key)
            .finish()
    }
}

/// What to generate a key with (`POST Keys/Generate`).
#[derive(Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateKeyData {
    /// The certificate's subject name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_name: Option<String>,
    /// The password to protect the key with.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_secret")]
    pub key_password: Option<Secret>,
}

impl fmt::Debug for GenerateKeyData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GenerateKeyData")
            .field("subject_name", &self.subject_name)
            .field(
                "key_password",
                &self.key_password.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}
