//! A role's privileges: read (`RetrieveRolePrivilegesRole`), add (`AddPrivilegesRole`),
//! replace (`ReplacePrivilegesRole`), remove (`RemovePrivilegeRole`), with privileges named
//! by name or by table and access right, resolved through the `privileges` table.

use serde_json::json;
use uuid::Uuid;

use super::privilege::{Privilege, PrivilegeGrant, PrivilegeRef, RolePrivilege};
use super::read::{collect, not_found};
use super::roles::Roles;
use super::users::parse_privileges;
use crate::error::{DataverseError, Result};
use crate::options::RequestOptions;
use crate::query::{Filter, Literal, Query};

impl Roles {
    /// The privileges of a role, with their depths (`RetrieveRolePrivilegesRole`).
    pub async fn privileges(&self, role: Uuid) -> Result<Vec<RolePrivilege>> {
        let answer = self
            .client
            .call_function(
                "RetrieveRolePrivilegesRole",
                &[("RoleId", Literal::Guid(role))],
                None,
                &RequestOptions::default(),
            )
            .await?;
        parse_privileges("RetrieveRolePrivilegesRole", answer)
    }

    /// Finds a privilege by name, or by table and access right (`prv{Right}{table}`); an id
    /// is taken as it is.
    pub async fn resolve_privilege(&self, privilege: &PrivilegeRef) -> Result<Privilege> {
        if let PrivilegeRef::Id(id) = privilege {
            return Ok(Privilege {
                id: *id,
                name: None,
                access_right: None,
            });
        }
        if let PrivilegeRef::Table { table, .. } = privilege
            && (table.is_empty() || !table.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            return Err(DataverseError::InvalidInput {
                what: "table".into(),
                fix: "give the table's logical name (letters, digits and _), such as \
                      asyncoperation"
                    .into(),
            });
        }
        let name = privilege.lookup_name().unwrap_or_default();
        let query = Query::new("privileges")
            .select(["privilegeid", "name", "accessright"])
            .filter(Filter::eq("name", name.as_str()));
        let rows: Vec<Privilege> = collect(&self.client, &query).await?;
        let wanted_right = match privilege {
            PrivilegeRef::Table { right, .. } => Some(right.value()),
            _ => None,
        };
        rows.into_iter()
            .find(|p| {
                p.name
                    .as_deref()
                    .is_none_or(|n| n.eq_ignore_ascii_case(&name))
                    && (wanted_right.is_none()
                        || p.access_right.is_none_or(|a| Some(a) == wanted_right))
            })
            .ok_or_else(|| {
                not_found(
                    format!("a privilege named '{name}'"),
                    "privileges are named prv{Right}{Table}, such as prvReadAsyncOperation or \
                     prvCreateUserEntityUISettings; check the table's logical name and the \
                     access right",
                )
            })
    }

    async fn resolve_grants(
        &self,
        grants: impl IntoIterator<Item = PrivilegeGrant>,
    ) -> Result<Vec<RolePrivilege>> {
        let mut resolved = Vec::new();
        for grant in grants {
            let privilege = self.resolve_privilege(&grant.privilege).await?;
            let mut role_privilege = RolePrivilege::new(privilege.id, grant.depth);
            role_privilege.name = privilege.name;
            resolved.push(role_privilege);
        }
        Ok(resolved)
    }

    async fn send_privileges(
        &self,
        action: &str,
        role: Uuid,
        privileges: &[RolePrivilege],
    ) -> Result<()> {
        self.client
            .call_action(
                action,
                &json!({ "Privileges": privileges }),
                Some(("roles", role)),
                &RequestOptions::default(),
            )
            .await?;
        Ok(())
    }

    /// Adds privileges to a role at the given depths (`AddPrivilegesRole`); the role keeps
    /// the privileges it has. Use [`Roles::replace_privileges`] to set exact depths. Answers
    /// the privileges as sent.
    pub async fn add_privileges(
        &self,
        role: Uuid,
        grants: impl IntoIterator<Item = PrivilegeGrant>,
    ) -> Result<Vec<RolePrivilege>> {
        let privileges = self.resolve_grants(grants).await?;
        self.send_privileges(
            "Microsoft.Dynamics.CRM.AddPrivilegesRole",
            role,
            &privileges,
        )
        .await?;
        Ok(privileges)
    }

    /// Replaces every privilege of a role with these (`ReplacePrivilegesRole`). Answers the
    /// privileges as sent.
    pub async fn replace_privileges(
        &self,
        role: Uuid,
        grants: impl IntoIterator<Item = PrivilegeGrant>,
    ) -> Result<Vec<RolePrivilege>> {
        let privileges = self.resolve_grants(grants).await?;
        self.send_privileges(
            "Microsoft.Dynamics.CRM.ReplacePrivilegesRole",
            role,
            &privileges,
        )
        .await?;
        Ok(privileges)
    }

    /// Removes one privilege from a role (`RemovePrivilegeRole`). Idempotent: answers `false`
    /// when the role did not hold it.
    pub async fn remove_privilege(
        &self,
        role: Uuid,
        privilege: impl Into<PrivilegeRef>,
    ) -> Result<bool> {
        let privilege = self.resolve_privilege(&privilege.into()).await?;
        if !self
            .privileges(role)
            .await?
            .iter()
            .any(|p| p.id == privilege.id)
        {
            return Ok(false);
        }
        self.client
            .call_action(
                "Microsoft.Dynamics.CRM.RemovePrivilegeRole",
                &json!({ "PrivilegeId": privilege.id }),
                Some(("roles", role)),
                &RequestOptions::default(),
            )
            .await?;
        Ok(true)
    }
}
