//! The admin APIs' data: what the emulator stores (identities, backups, keys, notifications),
//! the bodies it writes, and the request bodies it reads. No HTTP handling here.

pub(crate) mod admin_application;
pub(crate) mod backup;
pub(crate) mod catalog;
pub(crate) mod identity;
pub(crate) mod instance;
pub(crate) mod key;
pub(crate) mod notification;
pub(crate) mod operation_status;
pub(crate) mod requests;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A timestamp in RFC 3339 (e.g. `2024-05-01T12:00:00Z`).
pub(crate) fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}
