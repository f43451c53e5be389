//! [`Env`]: what every operation of one request knows: the organisation URL, the API version
//! used, the calling user and "now" on the emulator clock.

use time::OffsetDateTime;
use uuid::Uuid;

use super::odata::filter_bind::BindContext;
use super::settings::SecurityEnforcement;

/// The `systemuser` behind a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Caller {
    pub(crate) user_id: Uuid,
    pub(crate) business_unit_id: Uuid,
}

/// The context of one request.
#[derive(Debug, Clone)]
pub(crate) struct Env {
    /// The organisation URL without trailing slash (the emulator origin).
    pub(crate) origin: String,
    /// `v9.0`, `v9.1` or `v9.2`, as requested.
    pub(crate) version: String,
    pub(crate) caller: Caller,
    /// The `organizationid` of the organisation.
    pub(crate) organization_id: Uuid,
    pub(crate) now: OffsetDateTime,
    /// Which callers the security model applies to.
    pub(crate) security: SecurityEnforcement,
}

impl Env {
    /// `{origin}/api/data/{version}/`
    pub(crate) fn root(&self) -> String {
        format!("{}/api/data/{}/", self.origin, self.version)
    }

    /// `{root}$metadata#{fragment}`
    pub(crate) fn context(&self, fragment: &str) -> String {
        format!("{}$metadata#{fragment}", self.root())
    }

    /// `{root}{set}({id})`
    pub(crate) fn entity_url(&self, entity_set: &str, id: Uuid) -> String {
        format!("{}{entity_set}({id})", self.root())
    }

    /// Unix seconds of "now".
    pub(crate) fn now_unix(&self) -> i64 {
        self.now.unix_timestamp()
    }

    /// The context for binding `$filter` functions.
    pub(crate) fn bind_context(&self) -> BindContext {
        BindContext {
            user_id: self.caller.user_id,
            business_unit_id: self.caller.business_unit_id,
            now: self.now_unix(),
        }
    }
}
