//! Tenant protection (encryption) keys, v1.2.

use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::rfc3339;
use crate::wire_enum::{WireEnum, wire_enum};

wire_enum! {
    /// `KeyState`, in spec order.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum KeyState {
        Imported,
        Installing,
        Available,
        Active,
        Locked,
        InstallationFailed,
        None,
    }
}

/// A tenant protection key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TenantKey {
    pub(crate) tenant_id: Uuid,
    pub(crate) name: String,
    pub(crate) state: KeyState,
    pub(crate) created_on: OffsetDateTime,
    pub(crate) locked_on: Option<OffsetDateTime>,
}

impl TenantKey {
    /// The `Key` body. `keyState` is an integer, as in the spec's only example
    /// (`"keyState": 3` for `Active`), although the schema declares a string enum.
    pub(crate) fn render(&self) -> Value {
        json!({
            "tenantId": self.tenant_id,
            "keyName": self.name,
            "keyState": self.state.index(),
            "createdOn": rfc3339(self.created_on),
            "lockedOn": self.locked_on.map(rfc3339),
        })
    }
}
