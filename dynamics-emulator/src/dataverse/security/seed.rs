//! The security rows every organisation starts with: the privilege catalogue, "System
//! Administrator" holding every privilege at Organization depth and "Basic User" holding the
//! user-level basics, in every business unit's copy.

use uuid::Uuid;

use super::catalogue::{basic_user_privileges, ensure_privileges, privilege_id};
use super::depth::Depth;
use super::privileges::add;
use super::roles::by_name;
use super::rows::Rows;
use crate::dataverse::errors::ApiError;
use crate::dataverse::seeding::with_seed_writer;
use crate::dataverse::state::DataverseStore;

/// Adds the privileges of tables added since (custom tables) and gives them to the System
/// Administrator role; the first call also seeds the standard roles' privileges.
pub(crate) fn sync_catalogue(store: &mut DataverseStore, now: i64) -> Result<(), ApiError> {
    let root = store.org.root_business_unit;
    let admin = store.org.system_administrator_role;
    with_seed_writer(store, now, |writer| {
        let first = Rows::new(writer.catalog, writer.data)
            .ids("privilege")
            .is_empty();
        let added = ensure_privileges(writer)?;
        if writer
            .data
            .row(writer.catalog.by_logical("role").unwrap_or_default(), admin)
            .is_some()
        {
            let grants: Vec<(Uuid, Depth)> = added
                .iter()
                .map(|def| (privilege_id(&def.name), Depth::Global))
                .collect();
            add(writer, admin, &grants)?;
        }
        if first
            && let Some(basic) = by_name(Rows::new(writer.catalog, writer.data), root, "Basic User")
        {
            let grants: Vec<(Uuid, Depth)> = basic_user_privileges()
                .into_iter()
                .map(|(name, depth)| (privilege_id(&name), depth))
                .collect();
            add(writer, basic, &grants)?;
        }
        Ok(())
    })
}
