//! The privilege catalogue: `prv{Create,Read,Write,Delete,Append,AppendTo,Assign,Share}{Name}`
//! for every table the organisation serves, plus the standard privileges that are not a
//! table's (`prvAssignRole`, User Entity UI Settings), as `privilege` rows with deterministic
//! IDs (`name_uuid("privilege", name)`).

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::depth::Depth;
use crate::dataverse::errors::ApiError;
use crate::dataverse::ids::name_uuid;
use crate::dataverse::metadata::catalog::Catalog;
use crate::dataverse::metadata::model::{Table, schema_name};
use crate::dataverse::write::ops::Writer;

/// Dataverse's `AccessRights` values of the table privileges.
pub(crate) const ACCESS_RIGHTS: [(&str, i64); 8] = [
    ("Create", 32),
    ("Read", 1),
    ("Write", 2),
    ("Delete", 65_536),
    ("Append", 4),
    ("AppendTo", 16),
    ("Assign", 524_288),
    ("Share", 262_144),
];

/// Tables that have no privileges of their own (intersect and bookkeeping tables).
const WITHOUT_PRIVILEGES: [&str; 3] = ["privilege", "roleprivileges", "activityparty"];

/// Tables the service treats as user-owned although the emulator's schema gives them no
/// `ownerid` column (System Job and Import Job are user-owned in Dataverse).
const USER_OWNED: [&str; 2] = ["asyncoperation", "importjob"];

/// One privilege of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PrivilegeDef {
    /// `prvCreateLead`.
    pub(crate) name: String,
    /// `AccessRights` value (0 for privileges that are not a table's).
    pub(crate) access_right: i64,
    /// Whether the privilege can be held at each depth, in [`Depth::ALL`] order.
    pub(crate) depths: [bool; 4],
}

impl PrivilegeDef {
    /// Whether the privilege can be held at `depth`.
    #[cfg(test)]
    pub(crate) fn allows(&self, depth: Depth) -> bool {
        self.depths[Depth::ALL.iter().position(|d| *d == depth).unwrap_or(0)]
    }
}

/// The ID of a privilege by name (the same in every organisation and run).
pub(crate) fn privilege_id(name: &str) -> Uuid {
    name_uuid("privilege", name)
}

/// The name a table's privileges use: Dataverse names some after the entity's schema name
/// with exceptions (`systemuser` is `User`, the built-in activities share `Activity`); custom
/// tables use their logical name with the first letter upper-cased (the emulator keeps no
/// separate schema name).
pub(crate) fn privilege_noun(table: &Table) -> String {
    match table.logical_name.as_str() {
        "systemuser" => "User".to_owned(),
        "businessunit" => "BusinessUnit".to_owned(),
        "transactioncurrency" => "TransactionCurrency".to_owned(),
        "asyncoperation" => "AsyncOperation".to_owned(),
        "importjob" => "ImportJob".to_owned(),
        _ if table.is_activity && !table.is_custom => "Activity".to_owned(),
        other => schema_name(other),
    }
}

fn user_owned(table: &Table) -> bool {
    table.attribute_index("ownerid").is_some() || USER_OWNED.contains(&table.logical_name.as_str())
}

/// The privileges of one table: all depths and eight rights when user-owned; Global only and
/// no Assign or Share when organisation- or business-owned.
fn table_privileges(table: &Table) -> Vec<PrivilegeDef> {
    if WITHOUT_PRIVILEGES.contains(&table.logical_name.as_str()) {
        return Vec::new();
    }
    let noun = privilege_noun(table);
    let owned = user_owned(table);
    ACCESS_RIGHTS
        .iter()
        .filter(|(right, _)| owned || !matches!(*right, "Assign" | "Share"))
        .map(|(right, access)| PrivilegeDef {
            name: format!("prv{right}{noun}"),
            access_right: *access,
            depths: if owned {
                [true; 4]
            } else {
                [false, false, false, true]
            },
        })
        .collect()
}

/// The standard privileges that belong to no emulated table.
fn standalone() -> Vec<PrivilegeDef> {
    let mut list: Vec<PrivilegeDef> = ["Create", "Read", "Write", "Delete", "Append", "AppendTo"]
        .iter()
        .filter_map(|right| {
            let (_, access) = ACCESS_RIGHTS.iter().find(|(r, _)| r == right)?;
            Some(PrivilegeDef {
                name: format!("prv{right}UserEntityUISettings"),
                access_right: *access,
                depths: [true; 4],
            })
        })
        .collect();
    for name in [
        "prvAssignRole",
        "prvActOnBehalfOfAnotherUser",
        "prvImportCustomization",
        "prvPublishCustomization",
    ] {
        list.push(PrivilegeDef {
            name: name.to_owned(),
            access_right: 0,
            depths: [false, false, false, true],
        });
    }
    list
}

/// Every privilege of an organisation with these tables, without duplicates (two built-in
/// activities share the `Activity` privileges).
pub(crate) fn definitions(catalog: &Catalog) -> Vec<PrivilegeDef> {
    let mut all: Vec<PrivilegeDef> = Vec::new();
    for def in catalog
        .tables
        .iter()
        .flat_map(table_privileges)
        .chain(standalone())
    {
        if !all.iter().any(|d| d.name == def.name) {
            all.push(def);
        }
    }
    all
}

/// The body of a `privilege` row.
fn body(def: &PrivilegeDef) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("name".to_owned(), json!(def.name));
    map.insert("accessright".to_owned(), json!(def.access_right));
    for (depth, allowed) in Depth::ALL.iter().zip(def.depths) {
        map.insert(depth.can_be_column().to_owned(), json!(allowed));
    }
    map.insert("canbeentityreference".to_owned(), json!(false));
    map.insert("canbeparententityreference".to_owned(), json!(false));
    map.insert("isdisabledwhenintegrated".to_owned(), json!(false));
    map
}

/// Creates the `privilege` rows that are missing; returns the definitions that were new.
pub(crate) fn ensure_privileges(writer: &mut Writer<'_>) -> Result<Vec<PrivilegeDef>, ApiError> {
    let table = writer.catalog.by_logical("privilege").unwrap_or_default();
    let mut added = Vec::new();
    for def in definitions(writer.catalog) {
        let id = privilege_id(&def.name);
        if writer.data.row(table, id).is_none() {
            writer.create(table, &body(&def), Some(id), &[])?;
            added.push(def);
        }
    }
    Ok(added)
}

/// The privileges of the seeded "Basic User" role: the user-level basics on the sales tables
/// and activities, reading the organisation's reference data, and the user's own UI settings.
pub(crate) fn basic_user_privileges() -> Vec<(String, Depth)> {
    let mut list = Vec::new();
    for noun in ["Account", "Contact", "Lead", "Opportunity", "Activity"] {
        for (right, _) in ACCESS_RIGHTS {
            list.push((format!("prv{right}{noun}"), Depth::Basic));
        }
    }
    for name in [
        "prvReadUser",
        "prvReadBusinessUnit",
        "prvReadTeam",
        "prvReadRole",
        "prvReadTransactionCurrency",
        "prvReadOrganization",
    ] {
        list.push((name.to_owned(), Depth::Global));
    }
    for right in ["Create", "Read", "Write", "Delete"] {
        list.push((format!("prv{right}UserEntityUISettings"), Depth::Basic));
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataverse::metadata::builtin::builtin_tables;

    #[test]
    fn names_and_depths_follow_ownership() {
        let catalog = Catalog::from_specs(builtin_tables()).expect("catalog");
        let all = definitions(&catalog);
        let find = |name: &str| all.iter().find(|d| d.name == name).cloned();
        let lead = find("prvCreateLead").expect("lead create");
        assert_eq!(lead.access_right, 32);
        assert!(lead.allows(Depth::Basic));
        assert!(find("prvAssignLead").is_some());
        let bu = find("prvReadBusinessUnit").expect("business unit read");
        assert!(!bu.allows(Depth::Basic) && bu.allows(Depth::Global));
        assert!(find("prvAssignBusinessUnit").is_none(), "not user-owned");
        for name in [
            "prvReadAsyncOperation",
            "prvWriteAsyncOperation",
            "prvAppendToAsyncOperation",
            "prvCreateUserEntityUISettings",
            "prvReadRole",
            "prvAssignRole",
            "prvCreateRole",
            "prvReadUser",
            "prvCreateActivity",
        ] {
            assert!(find(name).is_some(), "{name}");
        }
        assert!(find("prvReadPrivilege").is_none());
        let names: std::collections::HashSet<_> = all.iter().map(|d| &d.name).collect();
        assert_eq!(names.len(), all.len(), "no duplicates");
        for (name, depth) in basic_user_privileges() {
            let def = find(&name).unwrap_or_else(|| panic!("{name} is in the catalogue"));
            assert!(def.allows(depth), "{name} at {depth:?}");
        }
    }
}
