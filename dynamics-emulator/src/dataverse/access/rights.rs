//! [`Right`] (the access rights a privilege grants) and [`Depth`] (how far it reaches), and
//! the standard privilege names: `prv{Create,Read,Write,Delete,Append,AppendTo,Assign}`
//! followed by the table's privilege entity name (`prvCreateLead`, `prvReadUser`).

use crate::dataverse::metadata::model::schema_name;

/// An access right on a table's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Right {
    Create,
    Read,
    Write,
    Delete,
    Append,
    AppendTo,
    Assign,
}

impl Right {
    /// The verb in privilege names (`prv{verb}{entity}`).
    pub(crate) fn verb(self) -> &'static str {
        match self {
            Self::Create => "Create",
            Self::Read => "Read",
            Self::Write => "Write",
            Self::Delete => "Delete",
            Self::Append => "Append",
            Self::AppendTo => "AppendTo",
            Self::Assign => "Assign",
        }
    }

    /// The `AccessRights` name the service uses in record-level errors (`ReadAccess`).
    pub(crate) fn access_name(self) -> &'static str {
        match self {
            Self::Create => "CreateAccess",
            Self::Read => "ReadAccess",
            Self::Write => "WriteAccess",
            Self::Delete => "DeleteAccess",
            Self::Append => "AppendAccess",
            Self::AppendTo => "AppendToAccess",
            Self::Assign => "AssignAccess",
        }
    }
}

/// How far a privilege reaches, in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Depth {
    /// User: records the principal (or one of its teams) owns.
    Basic,
    /// Business Unit: records owned in the principal's business unit.
    Local,
    /// Parent: Child Business Units: that unit and every unit below it.
    Deep,
    /// Organization: every record.
    Global,
}

impl Depth {
    /// The deepest level set in a `privilegedepthmask` (1 Basic, 2 Local, 4 Deep, 8 Global);
    /// `None` for a mask with none of those bits.
    pub(crate) fn from_mask(mask: i64) -> Option<Self> {
        [
            (8, Self::Global),
            (4, Self::Deep),
            (2, Self::Local),
            (1, Self::Basic),
        ]
        .into_iter()
        .find(|(bit, _)| mask & bit != 0)
        .map(|(_, depth)| depth)
    }

    /// The name the role editor shows.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Basic => "Basic (User)",
            Self::Local => "Local (Business Unit)",
            Self::Deep => "Deep (Parent: Child Business Units)",
            Self::Global => "Global (Organization)",
        }
    }
}

/// The entity part of a table's privilege names: the schema name of the table, except where
/// the platform names the privilege after another entity (users are `User`, every activity
/// shares `Activity`, a role's privileges are read with the role's privilege). Custom tables
/// use the schema name the emulator reports for them (first letter upper-cased).
pub(crate) fn privilege_entity(logical_name: &str) -> String {
    let known = match logical_name {
        "systemuser" => "User",
        "businessunit" => "BusinessUnit",
        "transactioncurrency" => "TransactionCurrency",
        "asyncoperation" => "AsyncOperation",
        "importjob" => "ImportJob",
        "role" | "roleprivileges" | "privilege" => "Role",
        "task" | "email" | "activityparty" | "activitypointer" => "Activity",
        "organization" => "Organization",
        "solution" => "Solution",
        "publisher" => "Publisher",
        "team" => "Team",
        "account" => "Account",
        "contact" => "Contact",
        "lead" => "Lead",
        "opportunity" => "Opportunity",
        _ => return schema_name(logical_name),
    };
    known.to_owned()
}

/// The privilege granting `right` on a table: `prvCreateLead`.
pub(crate) fn privilege_name(right: Right, logical_name: &str) -> String {
    format!("prv{}{}", right.verb(), privilege_entity(logical_name))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Any mask reads without panicking; the depth found is a bit of the mask and no deeper
        /// depth bit is set.
        #[test]
        fn any_mask_gives_its_deepest_bit(mask in any::<i64>()) {
            let bits = [(1, Depth::Basic), (2, Depth::Local), (4, Depth::Deep), (8, Depth::Global)];
            match Depth::from_mask(mask) {
                None => prop_assert_eq!(mask & 15, 0),
                Some(depth) => {
                    for (bit, other) in bits {
                        if other == depth {
                            prop_assert!(mask & bit != 0);
                        }
                        if other > depth {
                            prop_assert_eq!(mask & bit, 0);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn standard_names() {
        assert_eq!(privilege_name(Right::Create, "lead"), "prvCreateLead");
        assert_eq!(privilege_name(Right::Read, "systemuser"), "prvReadUser");
        assert_eq!(
            privilege_name(Right::AppendTo, "task"),
            "prvAppendToActivity"
        );
        assert_eq!(
            privilege_name(Right::Read, "asyncoperation"),
            "prvReadAsyncOperation"
        );
        assert_eq!(privilege_name(Right::Assign, "role"), "prvAssignRole");
    }

    #[test]
    fn the_deepest_bit_of_a_mask_wins() {
        assert_eq!(Depth::from_mask(1), Some(Depth::Basic));
        assert_eq!(Depth::from_mask(2), Some(Depth::Local));
        assert_eq!(Depth::from_mask(4 | 1), Some(Depth::Deep));
        assert_eq!(Depth::from_mask(15), Some(Depth::Global));
        assert_eq!(Depth::from_mask(0), None);
        assert_eq!(Depth::from_mask(16), None);
        assert_eq!(Depth::from_mask(-1), Some(Depth::Global));
        assert!(Depth::Basic < Depth::Global);
    }
}
