//! Users as security principals: moving one to another business unit (`SetBusinessSystemUser`)
//! and reading the privileges its roles give it (`RetrieveUserPrivileges`).

use std::fmt;

use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::privilege::RolePrivilege;
use crate::client::DataverseClient;
use crate::error::Result;
use crate::options::RequestOptions;

impl DataverseClient {
    /// Users as security principals: [`Users::move_to_business_unit`],
    /// [`Users::privileges`].
    pub fn users(&self) -> Users {
        Users {
            client: self.clone(),
        }
    }
}

/// The org's users. From [`DataverseClient::users`].
#[derive(Clone)]
pub struct Users {
    client: DataverseClient,
}

impl fmt::Debug for Users {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Users").finish_non_exhaustive()
    }
}

/// The answer of `RetrieveUserPrivileges` and `RetrieveRolePrivilegesRole`.
#[derive(Deserialize)]
struct PrivilegesAnswer {
    #[serde(rename = "RolePrivileges", default)]
    role_privileges: Vec<RolePrivilege>,
}

/// The `RolePrivileges` of a privileges answer.
pub(crate) fn parse_privileges(
    operation: &str,
    answer: serde_json::Value,
) -> Result<Vec<RolePrivilege>> {
    let answer: PrivilegesAnswer = serde_json::from_value(answer).map_err(|e| {
        crate::DataverseError::UnexpectedResponse(format!(
            "{operation} answered without a readable RolePrivileges list: {}",
            crate::record::field_only(&e)
        ))
    })?;
    Ok(answer.role_privileges)
}

impl Users {
    /// Moves a user to another business unit (`SetBusinessSystemUser`). Its records move with
    /// it unless [`MoveUser::keep_records`] says otherwise. In the classic business unit
    /// model the user loses the roles of its old unit: assign roles again afterwards.
    pub fn move_to_business_unit(&self, user: Uuid, business_unit: Uuid) -> MoveUser {
        MoveUser {
            client: self.client.clone(),
            user,
            business_unit,
            reassign_to: None,
            keep_records: false,
        }
    }

    /// The privileges the user holds through its roles (`RetrieveUserPrivileges`).
    pub async fn privileges(&self, user: Uuid) -> Result<Vec<RolePrivilege>> {
        let answer = self
            .client
            .call_function(
                "Microsoft.Dynamics.CRM.RetrieveUserPrivileges",
                &[],
                Some(("systemusers", user)),
                &RequestOptions::default(),
            )
            .await?;
        parse_privileges("RetrieveUserPrivileges", answer)
    }
}

/// Moves a user to another business unit. From [`Users::move_to_business_unit`].
#[must_use = "a builder does nothing until it is awaited or sent"]
#[derive(Debug)]
pub struct MoveUser {
    client: DataverseClient,
    user: Uuid,
    business_unit: Uuid,
    reassign_to: Option<Uuid>,
    keep_records: bool,
}

impl MoveUser {
    /// The user the moved user's records are reassigned to (`ReassignPrincipal`; the moved
    /// user itself when never called).
    pub fn reassign_records_to(mut self, user: Uuid) -> Self {
        self.reassign_to = Some(user);
        self
    }

    /// Leave the user's records in their business unit (`DoNotMoveAllRecords: true`).
    pub fn keep_records(mut self) -> Self {
        self.keep_records = true;
        self
    }

    /// The action's body.
    pub(crate) fn body(&self) -> serde_json::Value {
        json!({
            "BusinessUnit": {
                "@odata.type": "Microsoft.Dynamics.CRM.businessunit",
                "businessunitid": self.business_unit,
            },
            "ReassignPrincipal": {
                "@odata.type": "Microsoft.Dynamics.CRM.systemuser",
                "systemuserid": self.reassign_to.unwrap_or(self.user),
            },
            "DoNotMoveAllRecords": self.keep_records,
        })
    }

    /// Sends the request (the same as awaiting the builder).
    pub async fn send(self) -> Result<()> {
        self.client
            .call_action(
                "Microsoft.Dynamics.CRM.SetBusinessSystemUser",
                &self.body(),
                Some(("systemusers", self.user)),
                &RequestOptions::default(),
            )
            .await?;
        Ok(())
    }
}

send_on_await!([] MoveUser => (), 'static);
