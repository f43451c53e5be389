//! The rows provisioning reads: application users, security roles, business units, teams.
//!
//! Every field the service may leave out is an `Option`; collections default to empty.

use std::fmt;

use serde::{Deserialize, Deserializer};
use uuid::Uuid;

/// Who a role is assigned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Principal {
    /// A user (`systemuserid`), application users included.
    User(Uuid),
    /// A team (`teamid`).
    Team(Uuid),
}

impl Principal {
    /// The principal's id.
    pub fn id(&self) -> Uuid {
        match self {
            Principal::User(id) | Principal::Team(id) => *id,
        }
    }

    /// Its entity set (`systemusers` or `teams`).
    pub(crate) fn entity_set(&self) -> &'static str {
        match self {
            Principal::User(_) => "systemusers",
            Principal::Team(_) => "teams",
        }
    }

    /// The N:N navigation property to its roles.
    pub(crate) fn roles_navigation(&self) -> &'static str {
        match self {
            Principal::User(_) => "systemuserroles_association",
            Principal::Team(_) => "teamroles_association",
        }
    }

    /// `user` or `team`, for messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Principal::User(_) => "user",
            Principal::Team(_) => "team",
        }
    }
}

/// An application user: a `systemuser` row bound to an Entra application (`applicationid`).
///
/// `Debug` leaves out the name and email address (personal data).
#[derive(Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ApplicationUser {
    /// `systemuserid`.
    #[serde(rename = "systemuserid")]
    pub id: Uuid,
    /// The Entra application (client) id.
    #[serde(rename = "applicationid", default)]
    pub application_id: Option<Uuid>,
    /// `fullname` (personal data for people; the app's name for application users).
    #[serde(rename = "fullname", default)]
    pub full_name: Option<String>,
    /// `internalemailaddress` (personal data).
    #[serde(rename = "internalemailaddress", default)]
    pub email: Option<String>,
    /// `isdisabled`; a missing value reads as enabled.
    #[serde(rename = "isdisabled", default, deserialize_with = "null_as_false")]
    pub is_disabled: bool,
    /// `deletedstate`: 0 (or absent) is a live row; anything else is soft-deleted.
    #[serde(rename = "deletedstate", default)]
    pub deleted_state: Option<i64>,
    /// The user's business unit (`_businessunitid_value`).
    #[serde(rename = "_businessunitid_value", default)]
    pub business_unit_id: Option<Uuid>,
    /// `azureactivedirectoryobjectid`: the service principal's object id, filled by the service.
    #[serde(rename = "azureactivedirectoryobjectid", default)]
    pub entra_object_id: Option<Uuid>,
    /// The roles, when they were read with the user (`systemuserroles_association`).
    #[serde(rename = "systemuserroles_association", default)]
    pub roles: Vec<SecurityRole>,
}

impl ApplicationUser {
    /// Whether the row is soft-deleted (`deletedstate` other than 0).
    pub fn is_soft_deleted(&self) -> bool {
        self.deleted_state.is_some_and(|s| s != 0)
    }
}

impl fmt::Debug for ApplicationUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApplicationUser")
            .field("id", &self.id)
            .field("application_id", &self.application_id)
            .field("is_disabled", &self.is_disabled)
            .field("deleted_state", &self.deleted_state)
            .field("business_unit_id", &self.business_unit_id)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

/// A security role. Roles exist once per business unit: each copy has its own `roleid` and
/// points to the root business unit's copy through `parent_root_role_id`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct SecurityRole {
    /// `roleid` (of this business unit's copy).
    #[serde(rename = "roleid")]
    pub id: Uuid,
    /// The role's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The business unit this copy belongs to (`_businessunitid_value`).
    #[serde(rename = "_businessunitid_value", default)]
    pub business_unit_id: Option<Uuid>,
    /// The root business unit's copy (`_parentrootroleid_value`); the role itself for the
    /// root copy.
    #[serde(rename = "_parentrootroleid_value", default)]
    pub parent_root_role_id: Option<Uuid>,
    /// Whether the role came with a managed solution.
    #[serde(rename = "ismanaged", default)]
    pub is_managed: Option<bool>,
}

impl SecurityRole {
    /// The id shared by every business unit's copy: the parent root role, or the role itself
    /// when it is the root copy (or the service did not say).
    pub fn root_role_id(&self) -> Uuid {
        self.parent_root_role_id.unwrap_or(self.id)
    }
}

/// A business unit.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct BusinessUnit {
    /// `businessunitid`.
    #[serde(rename = "businessunitid")]
    pub id: Uuid,
    /// The name.
    #[serde(default)]
    pub name: Option<String>,
    /// The parent (`_parentbusinessunitid_value`); `None` for the root business unit.
    #[serde(rename = "_parentbusinessunitid_value", default)]
    pub parent_id: Option<Uuid>,
    /// `isdisabled`.
    #[serde(rename = "isdisabled", default)]
    pub is_disabled: Option<bool>,
}

/// A team.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Team {
    /// `teamid`.
    #[serde(rename = "teamid")]
    pub id: Uuid,
    /// The name.
    #[serde(default)]
    pub name: Option<String>,
    /// `teamtype`.
    #[serde(rename = "teamtype", default)]
    pub team_type: Option<TeamType>,
    /// The business unit (`_businessunitid_value`).
    #[serde(rename = "_businessunitid_value", default)]
    pub business_unit_id: Option<Uuid>,
    /// The Entra group of a group team (`azureactivedirectoryobjectid`).
    #[serde(rename = "azureactivedirectoryobjectid", default)]
    pub entra_group_id: Option<Uuid>,
    /// Which members of the Entra group belong to the team (`membershiptype`).
    #[serde(rename = "membershiptype", default)]
    pub membership_type: Option<MembershipType>,
    /// Whether it is its business unit's default team.
    #[serde(rename = "isdefault", default)]
    pub is_default: Option<bool>,
}

/// `team.teamtype`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TeamType {
    /// 0: an owner team (can own records, holds roles).
    Owner,
    /// 1: an access team (record sharing only).
    Access,
    /// 2: a team bound to an Entra security group.
    EntraSecurityGroup,
    /// 3: a team bound to a Microsoft 365 (Office) group.
    EntraOfficeGroup,
    /// A value this version does not know.
    Unknown(i64),
}

impl TeamType {
    /// The option set value.
    pub fn value(self) -> i64 {
        match self {
            TeamType::Owner => 0,
            TeamType::Access => 1,
            TeamType::EntraSecurityGroup => 2,
            TeamType::EntraOfficeGroup => 3,
            TeamType::Unknown(v) => v,
        }
    }

    /// From the option set value.
    pub fn from_value(value: i64) -> Self {
        match value {
            0 => TeamType::Owner,
            1 => TeamType::Access,
            2 => TeamType::EntraSecurityGroup,
            3 => TeamType::EntraOfficeGroup,
            other => TeamType::Unknown(other),
        }
    }
}

/// `team.membershiptype`: which members of an Entra group are members of its team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MembershipType {
    /// 0: members and guests.
    MembersAndGuests,
    /// 1: members only.
    Members,
    /// 2: the group's owners.
    Owners,
    /// 3: guests only.
    Guests,
    /// A value this version does not know.
    Unknown(i64),
}

impl MembershipType {
    /// The option set value.
    pub fn value(self) -> i64 {
        match self {
            MembershipType::MembersAndGuests => 0,
            MembershipType::Members => 1,
            MembershipType::Owners => 2,
            MembershipType::Guests => 3,
            MembershipType::Unknown(v) => v,
        }
    }

    /// From the option set value.
    pub fn from_value(value: i64) -> Self {
        match value {
            0 => MembershipType::MembersAndGuests,
            1 => MembershipType::Members,
            2 => MembershipType::Owners,
            3 => MembershipType::Guests,
            other => MembershipType::Unknown(other),
        }
    }
}

/// An option set value as the service sends it: a number, or (rarely) its digits as text.
fn option_value<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

impl<'de> Deserialize<'de> for TeamType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(TeamType::from_value(option_value(d)?.unwrap_or(-1)))
    }
}

impl<'de> Deserialize<'de> for MembershipType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(MembershipType::from_value(option_value(d)?.unwrap_or(-1)))
    }
}

fn null_as_false<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn any_json() -> impl Strategy<Value = serde_json::Value> {
        prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            ".{0,12}".prop_map(serde_json::Value::from),
            Just(serde_json::json!("6f1c1b2a-0000-4000-8000-000000000009")),
            Just(serde_json::json!([{"roleid": "6f1c1b2a-0000-4000-8000-000000000003"}])),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Whatever a server puts in the columns, reading a row answers a value or an error,
        /// and a row that reads keeps the id it was given.
        #[test]
        fn rows_from_any_server_read_or_fail_without_panic(
            values in proptest::collection::vec(any_json(), 7)
        ) {
            let id = "6f1c1b2a-0000-4000-8000-000000000001";
            let row = serde_json::json!({
                "systemuserid": id, "roleid": id, "teamid": id, "businessunitid": id,
                "isdisabled": values[0], "deletedstate": values[1], "teamtype": values[2],
                "membershiptype": values[3], "_businessunitid_value": values[4],
                "systemuserroles_association": values[5], "name": values[6],
            });
            let expected = Uuid::parse_str(id).expect("id");
            if let Ok(user) = serde_json::from_value::<ApplicationUser>(row.clone()) {
                prop_assert_eq!(user.id, expected);
            }
            if let Ok(team) = serde_json::from_value::<Team>(row.clone()) {
                prop_assert_eq!(team.id, expected);
            }
            // Option set values never fail a team: unknown ones are kept.
            let team_type_only = serde_json::json!({"teamid": id, "teamtype": values[2]});
            prop_assert!(serde_json::from_value::<Team>(team_type_only).is_ok());
            let _ = serde_json::from_value::<SecurityRole>(row.clone());
            let _ = serde_json::from_value::<BusinessUnit>(row);
        }
    }

    #[test]
    fn an_application_user_reads_sparse_rows_and_hides_its_name() {
        let user: ApplicationUser = serde_json::from_value(serde_json::json!({
            "systemuserid": "6f1c1b2a-0000-4000-8000-000000000001",
            "fullname": "Jane Doe",
            "internalemailaddress": "jane@contoso.com",
            "isdisabled": null,
            "deletedstate": 1,
            "@odata.etag": "W/\"1\""
        }))
        .expect("sparse row");
        assert!(!user.is_disabled);
        assert!(user.is_soft_deleted());
        assert!(user.roles.is_empty());
        let debug = format!("{user:?}");
        assert!(
            !debug.contains("Jane") && !debug.contains("jane@"),
            "{debug}"
        );
    }

    #[test]
    fn team_and_membership_types_accept_numbers_text_and_unknown_values() {
        let team: Team = serde_json::from_value(serde_json::json!({
            "teamid": "6f1c1b2a-0000-4000-8000-000000000002",
            "teamtype": 2, "membershiptype": "1"
        }))
        .expect("team");
        assert_eq!(team.team_type, Some(TeamType::EntraSecurityGroup));
        assert_eq!(team.membership_type, Some(MembershipType::Members));
        assert_eq!(TeamType::from_value(9), TeamType::Unknown(9));
        assert_eq!(MembershipType::from_value(3).value(), 3);
    }
}
