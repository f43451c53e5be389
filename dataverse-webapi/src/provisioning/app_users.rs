//! Application users: the `systemuser` rows of Entra applications, found by `applicationid`;
//! ensure (idempotent create or adopt), enable, disable, list.

use std::fmt;

use serde_json::json;
use uuid::Uuid;

use super::model::ApplicationUser;
use super::read::{collect, columns, is_duplicate, not_found};
use crate::client::DataverseClient;
use crate::error::Result;
use crate::query::{Expand, Filter, Query};

/// `accessmode` 4: Non-interactive, the mode of application users.
const NON_INTERACTIVE: i64 = 4;

impl DataverseClient {
    /// Application users: [`AppUsers::ensure`], [`AppUsers::find`], [`AppUsers::disable`],
    /// [`AppUsers::list`].
    pub fn app_users(&self) -> AppUsers {
        AppUsers {
            client: self.clone(),
        }
    }
}

/// The org's application users. From [`DataverseClient::app_users`].
#[derive(Clone)]
pub struct AppUsers {
    client: DataverseClient,
}

impl fmt::Debug for AppUsers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppUsers").finish_non_exhaustive()
    }
}

fn roles_expand() -> Expand {
    Expand::new("systemuserroles_association").select(columns::ROLE)
}

impl AppUsers {
    /// Every row for the application, soft-deleted ones included, with their roles.
    async fn rows(&self, app_id: Uuid) -> Result<Vec<ApplicationUser>> {
        let query = Query::new("systemusers")
            .select(columns::APP_USER)
            .filter(Filter::eq("applicationid", app_id))
            .expand(roles_expand());
        collect(&self.client, &query).await
    }

    /// The application user of an Entra application (its application (client) id), with its
    /// roles; `None` when there is none (soft-deleted rows do not count).
    pub async fn find(&self, app_id: Uuid) -> Result<Option<ApplicationUser>> {
        Ok(self
            .rows(app_id)
            .await?
            .into_iter()
            .find(|u| !u.is_soft_deleted()))
    }

    /// One application user by `systemuserid`, with its roles.
    pub async fn get(&self, id: Uuid) -> Result<ApplicationUser> {
        self.client
            .table("systemusers")
            .retrieve(id)
            .select(columns::APP_USER)
            .expand(roles_expand())
            .typed()
            .await
    }

    /// Every application user (`applicationid ne null`), without their roles.
    pub async fn list(&self) -> Result<Vec<ApplicationUser>> {
        let query = Query::new("systemusers")
            .select(columns::APP_USER)
            .filter(Filter::is_not_null("applicationid"));
        let rows: Vec<ApplicationUser> = collect(&self.client, &query).await?;
        Ok(rows.into_iter().filter(|u| !u.is_soft_deleted()).collect())
    }

    /// Makes sure the application has an enabled application user: adopts the existing one
    /// (enabling it if disabled, keeping its business unit) or creates it in the root
    /// business unit. See [`EnsureAppUser`].
    pub fn ensure(&self, app_id: Uuid) -> EnsureAppUser {
        EnsureAppUser {
            users: self.clone(),
            app_id,
            business_unit: None,
            enabled: true,
        }
    }

    /// Disables the application's user (`isdisabled: true`); a user already disabled is left
    /// as it is. [`DataverseError::NotFound`](crate::DataverseError::NotFound) when the
    /// application has none.
    pub async fn disable(&self, app_id: Uuid) -> Result<ApplicationUser> {
        self.set_enabled(app_id, false).await
    }

    /// Enables the application's user again; see [`AppUsers::disable`].
    pub async fn enable(&self, app_id: Uuid) -> Result<ApplicationUser> {
        self.set_enabled(app_id, true).await
    }

    async fn set_enabled(&self, app_id: Uuid, enabled: bool) -> Result<ApplicationUser> {
        let mut user = self.find(app_id).await?.ok_or_else(|| {
            not_found(
                format!("an application user for application {app_id}"),
                "check the application (client) id, or create the user with `ensure`",
            )
        })?;
        if user.is_disabled == enabled {
            self.patch_disabled(user.id, !enabled).await?;
            user.is_disabled = !enabled;
        }
        Ok(user)
    }

    async fn patch_disabled(&self, id: Uuid, disabled: bool) -> Result<()> {
        self.client
            .table("systemusers")
            .update(id, &json!({ "isdisabled": disabled }))
            .await
    }

    /// Removes a soft-deleted row for good: Dataverse deletes a soft-deleted user on the
    /// second `DELETE`; a 404 on either means it is already gone.
    async fn purge(&self, id: Uuid) -> Result<()> {
        for _ in 0..2 {
            match self.client.table("systemusers").delete(id).await {
                Ok(()) => {}
                Err(e) if e.is_not_found() => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// What [`EnsureAppUser`] found and did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EnsuredAppUser {
    /// The application user as it now is.
    pub user: ApplicationUser,
    /// `true` when this call created it.
    pub created: bool,
    /// `true` when an existing user was changed (enabled, disabled or moved).
    pub updated: bool,
}

/// Ensures an application user exists for an Entra application. From [`AppUsers::ensure`].
///
/// Idempotent: the existing user is found by `applicationid` and adopted (enabled if it was
/// disabled; moved only when [`EnsureAppUser::business_unit`] names another unit). Rows that
/// are soft-deleted (`deletedstate` not 0) are removed for good first, since they block a
/// new one. When another caller creates the same user at the same time, Dataverse answers
/// the second create with 412 `0x80040237`; that user is then read back and adopted.
#[must_use = "a builder does nothing until it is awaited or sent"]
#[derive(Debug)]
pub struct EnsureAppUser {
    users: AppUsers,
    app_id: Uuid,
    business_unit: Option<Uuid>,
    enabled: bool,
}

impl EnsureAppUser {
    /// The business unit to create the user in, or to move an existing one to (the root
    /// business unit for a new user when never called; an existing user stays where it is).
    pub fn business_unit(mut self, id: Uuid) -> Self {
        self.business_unit = Some(id);
        self
    }

    /// Whether the user should end enabled (the default) or disabled.
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }

    /// Sends the requests (the same as awaiting the builder).
    pub async fn send(self) -> Result<EnsuredAppUser> {
        let rows = self.users.rows(self.app_id).await?;
        if let Some(live) = rows.iter().find(|u| !u.is_soft_deleted()) {
            return self.adopt(live.clone()).await;
        }
        for gone in rows.iter().filter(|u| u.is_soft_deleted()) {
            tracing::debug!(systemuserid = %gone.id, "removing a soft-deleted application user");
            self.users.purge(gone.id).await?;
        }
        let business_unit = match self.business_unit {
            Some(id) => id,
            None => self.users.client.business_units().root().await?.id,
        };
        let body = json!({
            "applicationid": self.app_id,
            "accessmode": NON_INTERACTIVE,
            "isdisabled": !self.enabled,
            "businessunitid@odata.bind": format!("/businessunits({business_unit})"),
        });
        let created = self.users.client.table("systemusers").create(&body).await;
        match created {
            Ok(id) => Ok(EnsuredAppUser {
                user: self.users.get(id).await?,
                created: true,
                updated: false,
            }),
            Err(e) if e.is_precondition_failed() || is_duplicate(&e) => {
                tracing::debug!("the application user was created meanwhile; adopting it");
                match self.users.find(self.app_id).await? {
                    Some(live) => self.adopt(live).await,
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn adopt(&self, user: ApplicationUser) -> Result<EnsuredAppUser> {
        let mut updated = false;
        if user.is_disabled == self.enabled {
            self.users.patch_disabled(user.id, !self.enabled).await?;
            updated = true;
        }
        if let Some(unit) = self.business_unit
            && user.business_unit_id != Some(unit)
        {
            self.users
                .client
                .users()
                .move_to_business_unit(user.id, unit)
                .await?;
            updated = true;
        }
        let user = if updated {
            self.users.get(user.id).await?
        } else {
            user
        };
        Ok(EnsuredAppUser {
            user,
            created: false,
            updated,
        })
    }
}

send_on_await!([] EnsureAppUser => EnsuredAppUser, 'static);
