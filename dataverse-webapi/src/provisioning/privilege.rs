//! Privileges: their depth, the access rights a table's privileges are named after, and how a
//! caller names one (`prvReadAsyncOperation`, or a table and an access right).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// How far a privilege reaches (the Web API's `PrivilegeDepth`: `Basic`, `Local`, `Deep`,
/// `Global`). Reads the names, the enum's numbers (0 to 3), and the names the admin centre
/// shows (User, Business Unit, Parent: Child Business Units, Organization).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PrivilegeDepth {
    /// `Basic` (0): the user's own records.
    User,
    /// `Local` (1): the user's business unit.
    BusinessUnit,
    /// `Deep` (2): the user's business unit and the units below it.
    ParentChild,
    /// `Global` (3): the whole organization.
    Organization,
    /// A depth this version does not know, as the service wrote it.
    Unknown(String),
}

impl PrivilegeDepth {
    /// The Web API enum member name (`Basic`, `Local`, `Deep`, `Global`).
    pub fn as_str(&self) -> &str {
        match self {
            PrivilegeDepth::User => "Basic",
            PrivilegeDepth::BusinessUnit => "Local",
            PrivilegeDepth::ParentChild => "Deep",
            PrivilegeDepth::Organization => "Global",
            PrivilegeDepth::Unknown(s) => s,
        }
    }

    /// From a name or number in any of the forms above; anything else is
    /// [`PrivilegeDepth::Unknown`].
    pub fn parse(text: &str) -> Self {
        let key: String = text
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match key.as_str() {
            "basic" | "user" | "0" => PrivilegeDepth::User,
            "local" | "businessunit" | "bu" | "1" => PrivilegeDepth::BusinessUnit,
            "deep" | "parentchild" | "parentchildbusinessunits" | "2" => {
                PrivilegeDepth::ParentChild
            }
            "global" | "organization" | "organisation" | "org" | "3" => {
                PrivilegeDepth::Organization
            }
            _ => PrivilegeDepth::Unknown(text.to_string()),
        }
    }

    /// From the enum's number (0 to 3).
    pub fn from_number(n: i64) -> Self {
        match n {
            0 => PrivilegeDepth::User,
            1 => PrivilegeDepth::BusinessUnit,
            2 => PrivilegeDepth::ParentChild,
            3 => PrivilegeDepth::Organization,
            other => PrivilegeDepth::Unknown(other.to_string()),
        }
    }

    /// From `roleprivileges.privilegedepthmask` (1, 2, 4, 8).
    pub fn from_mask(mask: i64) -> Self {
        match mask {
            1 => PrivilegeDepth::User,
            2 => PrivilegeDepth::BusinessUnit,
            4 => PrivilegeDepth::ParentChild,
            8 => PrivilegeDepth::Organization,
            other => PrivilegeDepth::Unknown(format!("mask {other}")),
        }
    }
}

impl fmt::Display for PrivilegeDepth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PrivilegeDepth::User => "User",
            PrivilegeDepth::BusinessUnit => "Business Unit",
            PrivilegeDepth::ParentChild => "Parent: Child Business Units",
            PrivilegeDepth::Organization => "Organization",
            PrivilegeDepth::Unknown(s) => s,
        })
    }
}

impl Serialize for PrivilegeDepth {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PrivilegeDepth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => PrivilegeDepth::parse(&s),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => PrivilegeDepth::from_number(i),
                None => PrivilegeDepth::Unknown(n.to_string()),
            },
            other => PrivilegeDepth::Unknown(other.to_string()),
        })
    }
}

/// An access right; a table's privileges are named `prv{Right}{Table schema name}`
/// (`prvReadAsyncOperation`, `prvAppendToAsyncOperation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AccessRight {
    /// Read (1).
    Read,
    /// Write (2).
    Write,
    /// Append (4).
    Append,
    /// Append To (16).
    AppendTo,
    /// Create (32).
    Create,
    /// Delete (65536).
    Delete,
    /// Share (262144).
    Share,
    /// Assign (524288).
    Assign,
}

impl AccessRight {
    /// Every access right.
    pub const ALL: [AccessRight; 8] = [
        AccessRight::Read,
        AccessRight::Write,
        AccessRight::Append,
        AccessRight::AppendTo,
        AccessRight::Create,
        AccessRight::Delete,
        AccessRight::Share,
        AccessRight::Assign,
    ];

    /// The word in privilege names (`Read`, `AppendTo`).
    pub fn as_str(self) -> &'static str {
        match self {
            AccessRight::Read => "Read",
            AccessRight::Write => "Write",
            AccessRight::Append => "Append",
            AccessRight::AppendTo => "AppendTo",
            AccessRight::Create => "Create",
            AccessRight::Delete => "Delete",
            AccessRight::Share => "Share",
            AccessRight::Assign => "Assign",
        }
    }

    /// The `AccessRights` value (`privilege.accessright`).
    pub fn value(self) -> i64 {
        match self {
            AccessRight::Read => 1,
            AccessRight::Write => 2,
            AccessRight::Append => 4,
            AccessRight::AppendTo => 16,
            AccessRight::Create => 32,
            AccessRight::Delete => 65536,
            AccessRight::Share => 262_144,
            AccessRight::Assign => 524_288,
        }
    }

    /// From its word, case-insensitively (`read`, `AppendTo`, `append-to`).
    pub fn parse(text: &str) -> Option<Self> {
        let key: String = text
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        AccessRight::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(&key))
    }

    /// The privilege's name for a table: `prv{Right}{table}`. Dataverse compares names
    /// without regard to case, so the logical name (`asyncoperation`) finds the privilege
    /// named after the schema name (`prvReadAsyncOperation`).
    pub fn privilege_name(self, table: &str) -> String {
        format!("prv{}{table}", self.as_str())
    }
}

/// A privilege as a caller names it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PrivilegeRef {
    /// By name: `prvReadAsyncOperation`.
    Name(String),
    /// By table logical name and access right: `("asyncoperation", Read)`.
    Table {
        /// The table's logical name.
        table: String,
        /// The access right.
        right: AccessRight,
    },
    /// By `privilegeid`.
    Id(Uuid),
}

impl PrivilegeRef {
    /// The name to look up, or `None` for an id.
    pub(crate) fn lookup_name(&self) -> Option<String> {
        match self {
            PrivilegeRef::Name(name) => Some(name.clone()),
            PrivilegeRef::Table { table, right } => Some(right.privilege_name(table)),
            PrivilegeRef::Id(_) => None,
        }
    }
}

impl From<&str> for PrivilegeRef {
    fn from(name: &str) -> Self {
        PrivilegeRef::Name(name.to_string())
    }
}

impl From<String> for PrivilegeRef {
    fn from(name: String) -> Self {
        PrivilegeRef::Name(name)
    }
}

impl From<Uuid> for PrivilegeRef {
    fn from(id: Uuid) -> Self {
        PrivilegeRef::Id(id)
    }
}

impl From<(&str, AccessRight)> for PrivilegeRef {
    fn from((table, right): (&str, AccessRight)) -> Self {
        PrivilegeRef::Table {
            table: table.to_string(),
            right,
        }
    }
}

/// A privilege to give a role, at a depth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivilegeGrant {
    /// Which privilege.
    pub privilege: PrivilegeRef,
    /// How far it reaches.
    pub depth: PrivilegeDepth,
}

impl PrivilegeGrant {
    /// A grant of `privilege` (a name, an id, or `(table, AccessRight)`) at `depth`.
    pub fn new(privilege: impl Into<PrivilegeRef>, depth: PrivilegeDepth) -> Self {
        PrivilegeGrant {
            privilege: privilege.into(),
            depth,
        }
    }
}

/// A privilege held by a role (the Web API's `RolePrivilege`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RolePrivilege {
    /// The privilege's name (`PrivilegeName`; absent in older answers).
    #[serde(rename = "PrivilegeName", default, skip_serializing)]
    pub name: Option<String>,
    /// `PrivilegeId`.
    #[serde(rename = "PrivilegeId")]
    pub id: Uuid,
    /// `Depth`.
    #[serde(rename = "Depth")]
    pub depth: PrivilegeDepth,
    /// `BusinessUnitId`, when the service sends it.
    #[serde(
        rename = "BusinessUnitId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub business_unit_id: Option<Uuid>,
}

impl RolePrivilege {
    /// A privilege by id at a depth, to send.
    pub fn new(id: Uuid, depth: PrivilegeDepth) -> Self {
        RolePrivilege {
            name: None,
            id,
            depth,
            business_unit_id: None,
        }
    }
}

/// A row of the `privileges` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Privilege {
    /// `privilegeid`.
    #[serde(rename = "privilegeid")]
    pub id: Uuid,
    /// The name (`prvReadAsyncOperation`).
    #[serde(default)]
    pub name: Option<String>,
    /// `accessright`.
    #[serde(rename = "accessright", default)]
    pub access_right: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn depth_reads_names_numbers_and_admin_centre_labels() {
        for (json, depth) in [
            (serde_json::json!("Basic"), PrivilegeDepth::User),
            (serde_json::json!("local"), PrivilegeDepth::BusinessUnit),
            (serde_json::json!(2), PrivilegeDepth::ParentChild),
            (serde_json::json!("3"), PrivilegeDepth::Organization),
            (
                serde_json::json!("Parent: Child Business Units"),
                PrivilegeDepth::ParentChild,
            ),
            (
                serde_json::json!("RecordFilter"),
                PrivilegeDepth::Unknown("RecordFilter".into()),
            ),
            (serde_json::json!(7), PrivilegeDepth::Unknown("7".into())),
        ] {
            let parsed: PrivilegeDepth = serde_json::from_value(json.clone()).expect("parses");
            assert_eq!(parsed, depth, "{json}");
        }
        assert_eq!(
            serde_json::to_value(PrivilegeDepth::Organization).expect("json"),
            "Global"
        );
        assert_eq!(PrivilegeDepth::from_mask(4), PrivilegeDepth::ParentChild);
    }

    #[test]
    fn access_rights_name_table_privileges() {
        assert_eq!(
            AccessRight::AppendTo.privilege_name("asyncoperation"),
            "prvAppendToasyncoperation"
        );
        assert_eq!(AccessRight::parse("append-to"), Some(AccessRight::AppendTo));
        assert_eq!(AccessRight::parse("read"), Some(AccessRight::Read));
        assert_eq!(AccessRight::parse("fly"), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn any_depth_text_parses_and_known_ones_round_trip(text in ".{0,24}") {
            let depth = PrivilegeDepth::parse(&text);
            let again = PrivilegeDepth::parse(depth.as_str());
            match depth {
                PrivilegeDepth::Unknown(ref raw) => prop_assert_eq!(raw, &text),
                ref known => prop_assert_eq!(&again, known),
            }
        }
    }
}
