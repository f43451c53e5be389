//! Power Platform admin management applications (BAP `adminApplications`).

use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

/// A client ID registered as an admin management application of a tenant: its app-only tokens
/// may call the Power Platform admin (BAP) API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AdminApplication {
    pub(crate) tenant_id: Uuid,
    pub(crate) application_id: Uuid,
    pub(crate) registered_on: OffsetDateTime,
}

impl AdminApplication {
    /// The body BAP returns: `{"applicationId": "…"}`.
    pub(crate) fn render(&self) -> Value {
        json!({ "applicationId": self.application_id })
    }
}
