//! Who the caller is in the organisation: users the admin service put into the environment
//! (ApplyUser, BAP `addUser`, seeds) become `systemuser` rows, and an app-only caller gets an
//! application user on first use.

use std::sync::{Mutex, PoisonError};

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::env::Caller;
use super::errors::ApiError;
use super::ids::name_uuid;
use super::metadata::catalog::Navigation;
use super::seeding::with_seed_writer;
use super::state::DataverseStore;
use super::store::cell::CellRef;
use crate::claims::Claims;
use crate::resource;
use crate::seed::AdminRole;
use crate::state::Shared;

/// A directory user present in the environment.
#[derive(Debug, Clone)]
pub(crate) struct EnvironmentUser {
    pub(crate) object_id: Uuid,
    pub(crate) upn: String,
    pub(crate) display_name: String,
    pub(crate) administrator: bool,
    pub(crate) licensed: bool,
}

/// What the Dataverse service needs from the directory and the environments.
#[derive(Debug, Clone, Default)]
pub(crate) struct OrgSnapshot {
    /// The tenant of the environment whose URL is the emulator origin.
    pub(crate) tenant_id: Option<Uuid>,
    pub(crate) users: Vec<EnvironmentUser>,
    /// The display name of the calling app (app-only tokens).
    pub(crate) app_name: Option<String>,
    /// The tenant's applications by application (client) ID (application users take their
    /// names from here).
    pub(crate) apps: Vec<(Uuid, super::security::DirectoryApp)>,
    /// What the rows stand for once `users` are synced (see [`SyncedUsers::record`]).
    pub(crate) mark: Option<(u64, UsersMark)>,
}

/// How far into which state of an environment's user list (and of the directory behind it)
/// the `systemuser` rows were made. Looking at the whole list costs as much as the
/// environment has users; with this, a request looks only at the users added since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UsersMark {
    /// The list's stamp (unique in the process, so it names the environment too).
    list: u64,
    /// How many of its users (from the start) have rows.
    done: usize,
    /// The directory's change counter (a user coming back to the directory counts).
    directory: u64,
}

/// The mark of the user list last turned into rows, kept beside the rows' lock so that
/// reading it never waits for a long query.
#[derive(Debug, Default)]
pub(crate) struct SyncedUsers(Mutex<Synced>);

#[derive(Debug, Default, Clone, Copy)]
struct Synced {
    /// Moves when the rows are replaced: a mark read before that does not count after.
    generation: u64,
    mark: Option<UsersMark>,
}

impl SyncedUsers {
    fn current(&self) -> Synced {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records that the rows of `snapshot`'s users exist (call holding the rows' lock, after
    /// [`sync_users`] succeeded).
    pub(crate) fn record(&self, snapshot: &OrgSnapshot) {
        let Some((generation, mark)) = snapshot.mark else {
            return;
        };
        let mut synced = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if synced.generation == generation {
            synced.mark = Some(mark);
        }
    }

    /// Forgets the mark (the rows were replaced; call holding the rows' lock).
    pub(crate) fn forget(&self) {
        let mut synced = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        synced.generation += 1;
        synced.mark = None;
    }
}

/// The users of `ids` (stamped `list`) not yet turned into rows by `synced`: those added
/// since when the list only grew and the directory stayed the same, else all of them.
fn unsynced(ids: &[Uuid], list: u64, directory: u64, synced: Option<UsersMark>) -> &[Uuid] {
    match synced {
        Some(mark) if mark.list == list && mark.directory == directory => {
            ids.get(mark.done..).unwrap_or(ids)
        }
        _ => ids,
    }
}

/// Reads the environment served at `origin` and its users (the caller fills in `app_name`
/// from `apps` for an app-only caller).
pub(crate) fn snapshot(shared: &Shared, origin: &str) -> OrgSnapshot {
    let store = shared.lock();
    let key = resource::key(origin);
    let Some(instance) = store
        .environments
        .instances()
        .find(|i| resource::key(&i.application_url) == key)
    else {
        return OrgSnapshot::default();
    };
    let tenant = store.directory.tenant(instance.tenant_id);
    let synced = shared.dataverse.synced_users.current();
    let ids = instance.users.ids();
    let list = instance.users.stamp();
    let directory = store.graph.high_water();
    let mark = UsersMark {
        list,
        done: ids.len(),
        directory,
    };
    let users = unsynced(ids, list, directory, synced.mark)
        .iter()
        .filter_map(|oid| tenant.and_then(|t| t.user(*oid)))
        .map(|user| EnvironmentUser {
            object_id: user.object_id,
            upn: user.upn.clone(),
            display_name: user.display_name.clone(),
            administrator: user.has_any_role(&[AdminRole::GlobalAdministrator]),
            licensed: user.licensed,
        })
        .collect();
    let apps = tenant
        .map(|t| {
            t.apps
                .iter()
                .map(|a| {
                    let app = super::security::DirectoryApp {
                        display_name: a.display_name.clone(),
                        service_principal_id: a.service_principal_id,
                    };
                    (a.client_id, app)
                })
                .collect()
        })
        .unwrap_or_default();
    OrgSnapshot {
        tenant_id: Some(instance.tenant_id),
        users,
        app_name: None,
        apps,
        mark: Some((synced.generation, mark)),
    }
}

/// Creates `systemuser` rows for environment users that have none yet.
pub(crate) fn sync_users(
    store: &mut DataverseStore,
    snapshot: &OrgSnapshot,
    now: i64,
) -> Result<(), ApiError> {
    if !snapshot.apps.is_empty() {
        store.security.apps = snapshot.apps.iter().cloned().collect();
    }
    let pending: Vec<&EnvironmentUser> = snapshot
        .users
        .iter()
        .filter(|u| !store.synced_users.contains(&u.object_id))
        .collect();
    for user in pending {
        let existing = find_user(store, user.object_id);
        if existing.is_none() {
            let (first, last) = split_name(&user.display_name);
            let mut body = Map::new();
            body.insert(
                "systemuserid".to_owned(),
                json!(name_uuid("systemuser", &user.object_id.to_string())),
            );
            body.insert(
                "azureactivedirectoryobjectid".to_owned(),
                json!(user.object_id),
            );
            body.insert("domainname".to_owned(), json!(user.upn));
            body.insert("internalemailaddress".to_owned(), json!(user.upn));
            body.insert(
                "fullname".to_owned(),
                json!(if user.display_name.is_empty() {
                    &user.upn
                } else {
                    &user.display_name
                }),
            );
            body.insert("firstname".to_owned(), json!(first));
            body.insert("lastname".to_owned(), json!(last));
            body.insert("islicensed".to_owned(), json!(user.licensed));
            body.insert("accessmode".to_owned(), json!(0));
            let administrator = user.administrator;
            with_seed_writer(store, now, |writer| {
                let id = writer.create(
                    writer.catalog.by_logical("systemuser").unwrap_or_default(),
                    &body,
                    None,
                    &[],
                )?;
                if administrator {
                    assign_system_administrator(writer, id)?;
                }
                Ok(())
            })?;
        }
        store.synced_users.insert(user.object_id);
    }
    Ok(())
}

fn assign_system_administrator(
    writer: &mut super::write::ops::Writer<'_>,
    user: Uuid,
) -> Result<(), ApiError> {
    let table = writer.catalog.by_logical("systemuser").unwrap_or_default();
    let role = writer.rules.org.system_administrator_role;
    if let Some(nav @ Navigation::ManyToMany { .. }) = writer
        .catalog
        .navigation(table, "systemuserroles_association")
    {
        writer.relate(table, user, nav, role)?;
    }
    Ok(())
}

fn split_name(display: &str) -> (Option<String>, Option<String>) {
    let display = display.trim();
    match display.rsplit_once(' ') {
        Some((first, last)) => (Some(first.to_owned()), Some(last.to_owned())),
        None if display.is_empty() => (None, None),
        None => (None, Some(display.to_owned())),
    }
}

/// The `systemuser` with this Entra object ID.
fn find_user(store: &DataverseStore, object_id: Uuid) -> Option<Uuid> {
    let table = store.builtin("systemuser");
    let key = store
        .catalog
        .table(table)
        .alternate_keys
        .iter()
        .position(|k| k.logical_name == "azureactivedirectoryobjectid")?;
    store
        .data
        .table(table)
        .find_by_key(key, &object_id.to_string())
}

/// The `systemuser` with this application ID. Every app-only request asks: the answer is
/// remembered (and checked against the row) so that it does not scan every user each time.
fn find_application_user(store: &mut DataverseStore, app_id: Uuid) -> Option<Uuid> {
    let table = store.builtin("systemuser");
    let index = store
        .catalog
        .table(table)
        .attribute_index("applicationid")?;
    let rows = &store.data.table(table).rows;
    let holds = |id: &Uuid| {
        rows.get(id)
            .is_some_and(|row| row.get(index) == Some(CellRef::Guid(app_id)))
    };
    if let Some(id) = store.application_users.get(&app_id).filter(|id| holds(id)) {
        return Some(*id);
    }
    let found = rows
        .iter()
        .find(|(_, row)| row.get(index) == Some(CellRef::Guid(app_id)))
        .map(|(id, _)| *id)?;
    store.application_users.insert(app_id, found);
    Some(found)
}

/// The caller's `systemuser` (creating an application user for a new app-only caller).
pub(crate) fn resolve_caller(
    store: &mut DataverseStore,
    snapshot: &OrgSnapshot,
    claims: &Claims,
    now: i64,
) -> Result<Caller, ApiError> {
    sync_users(store, snapshot, now)?;
    let user = if claims.is_app_only() {
        match find_application_user(store, claims.appid) {
            Some(id) => id,
            None => create_application_user(store, snapshot, claims, now)?,
        }
    } else {
        find_user(store, claims.oid).ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "0x80072560",
                format!(
                    "The user is not a member of the organization. The user with Microsoft Entra \
                     object ID {} must be added to the environment first (ApplyUser or addUser).",
                    claims.oid
                ),
            )
        })?
    };
    caller_for(store, user)
}

/// The caller after impersonation: `CallerObjectId` (an Entra object ID) or `MSCRMCallerID`
/// (a `systemuserid`) make the request run as that user. (A caller the security model checks
/// needs `prvActOnBehalfOfAnotherUser`: [`check_impersonation`](super::access::check::check_impersonation).)
pub(crate) fn impersonate(
    store: &DataverseStore,
    headers: &axum::http::HeaderMap,
    caller: Caller,
) -> Result<Caller, ApiError> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                Uuid::parse_str(v.trim().trim_matches(['{', '}'])).map_err(|_| {
                    ApiError::bad_request(format!("The {name} header must be a GUID."))
                })
            })
            .transpose()
    };
    if let Some(object_id) = header("CallerObjectId")? {
        let user = find_user(store, object_id)
            .ok_or_else(|| ApiError::record_not_found("systemuser", object_id))?;
        return caller_for(store, user);
    }
    if let Some(user) = header("MSCRMCallerID")? {
        return caller_for(store, user);
    }
    Ok(caller)
}

/// The caller for a `systemuser` row: its business unit, refused when disabled.
fn caller_for(store: &DataverseStore, user: Uuid) -> Result<Caller, ApiError> {
    let table = store.builtin("systemuser");
    let definition = store.catalog.table(table);
    let row = store
        .data
        .row(table, user)
        .ok_or_else(|| ApiError::record_not_found("systemuser", user))?;
    if let Some(index) = definition.attribute_index("isdisabled")
        && row.get(index) == Some(CellRef::Bool(true))
    {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "0x80040225",
            format!(
                "The user with SystemUserId={user} is disabled. Enable the user, or use another account."
            ),
        ));
    }
    let business_unit = definition
        .attribute_index("businessunitid")
        .and_then(|index| row.get(index))
        .and_then(CellRef::guid)
        .unwrap_or(store.org.root_business_unit);
    Ok(Caller {
        user_id: user,
        business_unit_id: business_unit,
    })
}

fn create_application_user(
    store: &mut DataverseStore,
    snapshot: &OrgSnapshot,
    claims: &Claims,
    now: i64,
) -> Result<Uuid, ApiError> {
    let name = snapshot
        .app_name
        .clone()
        .unwrap_or_else(|| claims.appid.to_string());
    let mut body = Map::new();
    body.insert(
        "systemuserid".to_owned(),
        json!(name_uuid("applicationuser", &claims.appid.to_string())),
    );
    body.insert("applicationid".to_owned(), json!(claims.appid));
    body.insert("azureactivedirectoryobjectid".to_owned(), json!(claims.oid));
    body.insert("fullname".to_owned(), Value::String(format!("# {name}")));
    body.insert("accessmode".to_owned(), json!(4));
    with_seed_writer(store, now, |writer| {
        let table = writer.catalog.by_logical("systemuser").unwrap_or_default();
        let id = writer.create(table, &body, None, &[])?;
        assign_system_administrator(writer, id)?;
        Ok(id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(list: u64, done: usize, directory: u64) -> Option<UsersMark> {
        Some(UsersMark {
            list,
            done,
            directory,
        })
    }

    #[test]
    fn only_the_users_added_since_are_looked_at_while_the_list_grows() {
        let ids = [1, 2, 3, 4].map(Uuid::from_u128);
        assert_eq!(unsynced(&ids, 7, 5, mark(7, 3, 5)), &ids[3..]);
        assert!(unsynced(&ids, 7, 5, mark(7, 4, 5)).is_empty());
    }

    #[test]
    fn a_replaced_list_a_directory_change_or_no_mark_looks_at_everyone() {
        let ids = [1, 2, 3].map(Uuid::from_u128);
        assert_eq!(unsynced(&ids, 8, 5, mark(7, 3, 5)), &ids);
        assert_eq!(unsynced(&ids, 7, 6, mark(7, 3, 5)), &ids);
        assert_eq!(unsynced(&ids, 7, 5, None), &ids);
        // A mark past the end (cannot happen while the stamp holds) reads as no mark.
        assert_eq!(unsynced(&ids, 7, 5, mark(7, 9, 5)), &ids);
    }

    #[test]
    fn a_mark_read_before_the_rows_were_replaced_is_not_recorded() {
        let synced = SyncedUsers::default();
        let before = synced.current();
        synced.forget();
        let snapshot = OrgSnapshot {
            mark: Some((
                before.generation,
                UsersMark {
                    list: 1,
                    done: 3,
                    directory: 0,
                },
            )),
            ..OrgSnapshot::default()
        };
        synced.record(&snapshot);
        assert_eq!(synced.current().mark, None);
        let now = synced.current();
        let snapshot = OrgSnapshot {
            mark: Some((
                now.generation,
                UsersMark {
                    list: 1,
                    done: 3,
                    directory: 0,
                },
            )),
            ..OrgSnapshot::default()
        };
        synced.record(&snapshot);
        assert!(synced.current().mark.is_some());
    }
}
